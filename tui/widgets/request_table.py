"""`RequestTable`: the request list, drawn line by line so 100,000 rows cost nothing."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Collection, Sequence

from rich.cells import cell_len, set_cell_size
from rich.control import strip_control_codes
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from .. import format as fmt
from tracer.summary import TraceSummary
from ..messages import ColumnClicked, TraceSelected

MARKS = {"error": "✖", "warning": "⚠"}
"""Marks of rows where the protocol checks found an error or a warning."""
SCOPE_NAMES = {"http": "http", "websocket": "ws", "lifespan": "life"}
NO_LIFESPAN = "(lifespan: not supported by the app)"
"""The path cell of a lifespan session the app refused, as the ASGI spec lets it (Django does)."""
BAR_WIDTH = 24
TICK_SECONDS = 1.0
"""How often rows still in progress are redrawn, so their duration and bar grow with the clock."""
# name, width (0 = takes the remaining space), right-aligned
COLUMNS: tuple[tuple[str, int, bool], ...] = (
    ("!", 1, False),
    ("time", 12, False),
    ("proto", 5, False),
    ("scope", 5, False),
    ("method", 7, False),
    ("path", 0, False),
    ("status", 7, True),
    ("duration", 9, True),
    ("ev", 4, True),
    ("req", 9, True),
    ("resp", 9, True),
    ("waterfall", BAR_WIDTH, False),
)
WORKER_COLUMN = ("worker", 7, False)
"""Shown after the time when the rows come from more than one process (`TraceSummary.worker`)."""
WORKER_LABEL = 4
"""Hex digits of a worker's tag the worker column shows: short, and the same for as long as the file grows."""
MIN_PATH = 16
NARROW_BAR = 12
DROP_ORDER = ("req", "ev", "scope", "proto", "worker", "time", "waterfall")
"""Columns given up, in this order, when the terminal is too narrow for all of them."""


@functools.lru_cache(maxsize=16)
def layout(width: int, workers: bool = False) -> tuple[tuple[str, int, bool], ...]:
    """The columns that fit in `width` cells, with the path taking what is left (and the worker's, if `workers`)."""
    columns = list(COLUMNS)
    if workers:
        columns.insert(columns.index(("time", 12, False)) + 1, WORKER_COLUMN)

    def fixed() -> int:
        return sum(w for _, w, _ in columns) + len(columns) - 1

    if fixed() + MIN_PATH > width:
        columns = [(n, NARROW_BAR if n == "waterfall" else w, r) for n, w, r in columns]
    for name in DROP_ORDER:
        if fixed() + MIN_PATH <= width:
            break
        columns = [column for column in columns if column[0] != name]
    path = max(width - fixed(), 8)
    return tuple((n, w or path, r) for n, w, r in columns)


class RequestTable(ScrollView, can_focus=True):
    """The filtered, sorted list of traces with a waterfall of their timing.

    The rows are a list of `TraceSummary` set from outside (`set_rows`). Once
    they come from more than one process (two worker tags), a worker column
    shows the first `WORKER_LABEL` hex digits of each row's tag, and stays:
    a filter that shows one worker's rows keeps it. The waterfall's time
    axis spans the requests on screen, so neighbours that overlap in time
    show as overlapping bars; its heading gives the scale.
    `z` zooms the axis to the row under the cursor, and widens the zoom to
    take in each row it is pressed on after that; `Z` goes back.
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Up", show=False),
        Binding("down,j", "cursor(1)", "Down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("home,g", "first", "First", show=False),
        Binding("end,G", "last", "Last", show=False),
        Binding("enter", "select", "Replay", id="requests.replay", tooltip="Replay the request under the cursor"),
        Binding("z", "zoom", "Zoom", id="requests.zoom",
                tooltip="Zoom the waterfall to the request under the cursor; again on other rows to take them in"),
        Binding("Z", "unzoom", "Unzoom", id="requests.unzoom", show=False,
                tooltip="Waterfall back to the requests on screen"),
    ]

    COMPONENT_CLASSES = {
        "request-table--header",
        "request-table--cursor",
        "request-table--error",
        "request-table--warning",
        "request-table--redirect",
        "request-table--ok",
        "request-table--live",
        "request-table--dim",
        "request-table--bar",
        "request-table--bar-live",
        "request-table--bar-error",
        "request-table--bar-lifespan",
    }

    DEFAULT_CSS = """
    RequestTable {
        height: 1fr;
        overflow-x: hidden;
        & > .request-table--header { text-style: bold; color: $text-accent; background: $panel; }
        & > .request-table--cursor { background: $block-cursor-blurred-background; }
        &:focus > .request-table--cursor { background: $block-cursor-background; color: $block-cursor-foreground; }
        & > .request-table--error { color: $text-error; }
        & > .request-table--warning { color: $text-warning; }
        & > .request-table--redirect { color: $text-primary; }
        & > .request-table--ok { color: $text-success; }
        & > .request-table--live { color: $text-warning; text-style: italic; }
        & > .request-table--dim { color: $text-muted; }
        & > .request-table--bar { color: $accent; }
        & > .request-table--bar-live { color: $warning; }
        & > .request-table--bar-error { color: $error; }
        & > .request-table--bar-lifespan { color: $text-muted; }
    }
    """

    cursor: reactive[int] = reactive(0, always_update=True)
    sort_key: reactive[str] = reactive("time")
    sort_reverse: reactive[bool] = reactive(False)
    utc: reactive[bool] = reactive(False)
    """Start times in UTC; local time otherwise."""

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.rows: Sequence[TraceSummary] = []
        self.shown = 0
        """Rows at the last `set_rows`."""
        self.empty_text = ""
        """What the list says while it has no rows (set by the screen: still reading, or filtered out)."""
        self.mark_of: Callable[[TraceSummary], str | None] = lambda summary: None
        """A row's protocol mark: "error", "warning", "" for none, None until checked (set by the screen)."""
        self.live: bool | None = None
        """The file is being written: rows still in progress grow with the clock (None: as the app follows)."""
        self.now: Callable[[], float] = time.time
        """The wall clock, epoch seconds (the recorder's clock too: trace start times come from it)."""
        self.zoomed: list[TraceSummary] = []
        """The rows the waterfall is zoomed to; none for the requests on screen."""
        self.workers_shown = False
        """Rows from two processes or more have been set: the worker column shows."""
        self._drawing: tuple[int, Style, tuple[float, float], tuple[tuple[str, int, bool], ...]] | None = None
        """While the lines of an update are drawn: their width, base style, time axis and columns."""

    def on_mount(self) -> None:
        if self.live is None:
            self.live = bool(getattr(self.app, "live", False))
        self.set_interval(TICK_SECONDS, self._tick)

    @property
    def width_inside(self) -> int:
        """Cells across that rows are drawn in: less the vertical scrollbar when it shows."""
        return self.scrollable_content_region.width

    @property
    def row_count(self) -> int:
        """Number of rows shown."""
        return self.shown

    def columns(self) -> tuple[tuple[str, int, bool], ...]:
        """The columns drawn: name, width, right-aligned."""
        return layout(self.width_inside, self.workers_shown)

    @property
    def current(self) -> TraceSummary | None:
        """The trace under the cursor."""
        if 0 <= self.cursor < len(self.rows):
            return self.rows[self.cursor]
        return None

    def set_rows(
        self, rows: Sequence[TraceSummary], keep: TraceSummary | None = None, *, workers: Collection[str] = ()
    ) -> None:
        """Show `rows`, keeping the cursor on `keep` if it is still there.

        Args:
            workers: The worker tags of every trace of the file (the list model keeps them as traces
                arrive): with two, the worker column shows.
        """
        self.rows = rows
        self.shown = len(rows)
        if not self.workers_shown:
            self.workers_shown = _several(workers)
        self.virtual_size = Size(self.width_inside, len(rows) + 1)
        cursor = min(self.cursor, max(len(rows) - 1, 0))
        if keep is not None and not (cursor < len(rows) and rows[cursor] is keep):
            # By identity: summaries compare by value, field by field.
            cursor = next((i for i, row in enumerate(rows) if row is keep), cursor)
        self.cursor = cursor
        self.refresh()

    def on_resize(self) -> None:
        self.virtual_size = Size(self.width_inside, len(self.rows) + 1)
        self.call_after_refresh(self._scroll_to_cursor)

    # Cursor

    def watch_cursor(self) -> None:
        self._scroll_to_cursor()
        self.refresh()

    def _scroll_to_cursor(self) -> None:
        visible = max(self.scrollable_content_region.height - 1, 1)
        top = round(self.scroll_y)
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + visible:
            self.scroll_to(y=self.cursor - visible + 1, animate=False, immediate=True)

    def _move(self, to: int) -> None:
        if self.rows:
            self.cursor = max(0, min(to, len(self.rows) - 1))

    def action_cursor(self, delta: int) -> None:
        self._move(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self._move(self.cursor + direction * max(self.size.height - 2, 1))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self.rows) - 1)

    def action_select(self) -> None:
        summary = self.current
        if summary is not None:
            self.post_message(TraceSelected(summary))

    def on_click(self, event: events.Click) -> None:
        if event.y == 0:
            x = 0
            for name, width, _ in self.columns():
                if x <= event.x < x + width + 1:
                    self.post_message(ColumnClicked(name))
                    break
                x += width + 1
            return
        row = event.y - 1 + round(self.scroll_y)
        if event.y >= 1 and 0 <= row < len(self.rows):
            self.cursor = row
            if event.chain >= 2:
                self.action_select()

    # Zoom

    def action_zoom(self) -> None:
        summary = self.current
        if summary is None:
            return
        if not summary.start:
            self.notify("this trace's start time is unknown: it has no place on the time axis", title="zoom")
            return
        if not any(row is summary for row in self.zoomed):
            self.zoomed = [*self.zoomed, summary]
        self.refresh()

    def zoom_to(self, rows: Sequence[TraceSummary]) -> None:
        """Zoom the waterfall to `rows`, as `z` on each of them does (rows without a start time stay off the axis)."""
        self.zoomed = [row for row in rows if row.start]
        self.refresh()

    def action_unzoom(self) -> None:
        self.zoomed = []
        self.refresh()

    # Time

    def duration_ns(self, summary: TraceSummary) -> int:
        """How long `summary` has run: to its last event, or to now while the file is written and it is in progress."""
        if summary.complete or not self.live or not summary.start:
            return summary.duration_ns
        return max(summary.duration_ns, int((self.now() - summary.start) * 1e9))

    def _end(self, summary: TraceSummary) -> float:
        return summary.start + self.duration_ns(summary) / 1e9

    def _tick(self) -> None:
        """Redraw rows in progress (on screen, or zoomed to), which grow with the clock."""
        if self.live and any(not s.complete for s in (*self.visible_rows(), *self.zoomed)):
            self.refresh()

    # Drawing

    def render_lines(self, crop: Region) -> list[Strip]:
        # The lines of one update share their width, base style, time axis and columns: worked out once, not
        # once a line.
        self._drawing = self._shared()
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = None

    def _shared(self) -> tuple[int, Style, tuple[float, float], tuple[tuple[str, int, bool], ...]]:
        width = self.width_inside
        return width, self.rich_style, self.axis(), layout(width, self.workers_shown)

    def render_line(self, y: int) -> Strip:
        width, base, axis, columns = self._drawing or self._shared()
        if y == 0:
            return self._strip(self._header(), width, base + self.get_component_rich_style("request-table--header"))
        index = y - 1 + round(self.scroll_y)
        if index >= len(self.rows):
            if index == 0 and self.empty_text:
                text = Text("  " + self.empty_text, style=self.get_component_rich_style("request-table--dim"))
                return self._strip(text, width, base)
            return Strip.blank(width, base)
        summary = self.rows[index]
        style = base
        if index == self.cursor:
            style = style + self.get_component_rich_style("request-table--cursor")
        return Strip(self._row(summary, axis, columns)).adjust_cell_length(width, style).apply_style(style)

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        segments = list(text.render(self.app.console))
        return Strip(segments).adjust_cell_length(width, style).apply_style(style) if segments else Strip.blank(width, style)

    def header_labels(self) -> dict[str, str]:
        """Each column's heading as drawn: the sort column's with its arrow, the time column's with its zone."""
        labels: dict[str, str] = {}
        arrow = "▼" if self.sort_reverse else "▲"
        for name, width, _ in self.columns():
            label = {"!": "", "time": f"time {'UTC' if self.utc else 'local'}"}.get(name, name)
            if name == "waterfall":
                label = self._scale(width)
            elif name == self.sort_key:
                # The arrow always shows: the name gives way to it when the column is narrow.
                label = label[: max(width - 1, 0)] + arrow
            labels[name] = label
        return labels

    def _header(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        labels = self.header_labels()
        for name, width, right in self.columns():
            label = labels[name]
            text.append((label.rjust(width) if right else label.ljust(width))[:width] + " ")
        return text

    def _scale(self, width: int) -> str:
        """The waterfall's heading: its scale, ``0 ┈┈┈┈ 1.20s``, after ``zoom`` when zoomed."""
        if not any(s.start for s in (self.zoomed or self.visible_rows())):
            return "waterfall"
        _, span = self.axis()
        end = fmt.span(span)
        prefix = "zoom " if self.zoomed else ""
        if len(prefix) + len(end) + 5 > width:
            prefix = "z " if self.zoomed else ""
        fill = max(width - len(prefix) - len(end) - 4, 1)
        return f"{prefix}0 {'┈' * fill} {end}"

    def visible_rows(self) -> Sequence[TraceSummary]:
        """The rows on screen."""
        top = round(self.scroll_y)
        return self.rows[top : top + max(self.size.height - 1, 1)]

    def axis(self) -> tuple[float, float]:
        """Start and span, in seconds, of the waterfall's time axis.

        Zoomed, it spans the rows zoomed to; otherwise the requests on screen.
        Lifespan sessions last as long as the server, so they stay off the
        axis while requests are on screen (their bars run off its ends), and
        so do traces whose start time is unknown.
        """
        if self.zoomed:
            rows = [s for s in self.zoomed if s.start]
        else:
            shown = [s for s in self.visible_rows() if s.start]
            rows = [s for s in shown if s.scope_type != "lifespan"] or shown
        if not rows:
            return 0.0, 1.0
        start = min(s.start for s in rows)
        end = max(self._end(s) for s in rows)
        return start, max(end - start, 1e-6)

    def _row(self, s: TraceSummary, axis: tuple[float, float], columns: tuple[tuple[str, int, bool], ...]) -> list[Segment]:
        """One row's segments: what Rich makes of the row as a `Text` of styled cells, made without one (a
        `Text` took most of the time a row took to draw, and a screenful is drawn before the first paint)."""
        style = self.get_component_rich_style
        status_style = _status_class(s)
        row_style = style(status_style) if status_style == "request-table--error" else Style()
        if s.lifespan_unsupported:
            row_style = style("request-table--dim")
        if not s.complete:
            row_style = row_style + style("request-table--live")
        status = "…" if s.status is None and not s.complete else ("-" if s.status is None else str(s.status))
        if _raised(s):
            status = "err" if s.status is None else f"!{status}"
        if s.edits:
            from tracer.edited_step import EDITED_MARK  # Rare: imported with the first edited row.

            status = f"{EDITED_MARK}{status}"  # Not what the app sent: edited at a breakpoint.
        mark = self.mark_of(s)
        took = fmt.duration(self.duration_ns(s))
        path = fmt.line(s.url)
        if s.scope_type == "lifespan":
            path = NO_LIFESPAN if s.lifespan_unsupported else "(lifespan)"
        cells = {
            "!": MARKS.get(mark or "", " "),
            "time": fmt.clock(s.start, utc=self.utc),
            "worker": s.worker[:WORKER_LABEL] or "-",
            "proto": s.protocol.upper(),
            "scope": SCOPE_NAMES.get(s.scope_type, s.scope_type),
            "method": fmt.line(s.method or ""),
            "path": path,
            "status": status,
            "duration": took if s.complete else took + "…",
            "ev": str(s.events),
            "req": fmt.size(s.request_bytes) if s.request_bytes else "-",
            "resp": fmt.size(s.response_bytes) if s.response_bytes else "-",
        }
        row = _Row(row_style)
        for name, width, right in columns:
            if name == "waterfall":
                self._bar(s, axis, width, row)
                continue
            cell = strip_control_codes(_fit(cells[name], width, right))  # as `Text.append` drops them
            if name == "status" and status_style:
                row.add(cell, style(status_style))
            elif name == "!" and mark:
                row.add(cell, style(f"request-table--{mark}"))
            elif name == "time":
                row.add(cell, style("request-table--dim"))
            else:
                row.plain.append(cell)
            row.plain.append(" ")
        return row.segments()

    def _bar(self, s: TraceSummary, axis: tuple[float, float], width: int, row: _Row) -> None:
        """Add the row's waterfall bar, `width` cells, to `row`."""
        if not s.start:
            row.plain.append(" " * width)  # No start time: no place on the axis.
            return
        start, span = axis
        end = self._end(s)
        left = int((s.start - start) / span * width)
        right = int((end - start) / span * width + 0.999)
        left = max(0, min(left, width - 1))
        right = max(left + 1, min(right, width))
        if end < start:
            left, right = 0, 1  # Ended before the axis starts: a mark at its left edge.
        if _raised(s) or (s.status or 0) >= 500:
            bar_style = "request-table--bar-error"
        elif not s.complete:
            bar_style = "request-table--bar-live"
        elif s.scope_type == "lifespan":
            bar_style = "request-table--bar-lifespan"
        else:
            bar_style = "request-table--bar"
        if s.scope_type == "lifespan":
            char = "─" if s.complete else "┄"  # A thin line behind the requests: the server was up.
        else:
            char = "━" if s.complete else "╍"
        row.plain.append(" " * left)
        row.add(char * (right - left), self.get_component_rich_style(bar_style))
        row.plain.append(" " * (width - right))


class _Row:
    """A row's text as segments, made as `rich.text.Text` would render it.

    A `Text` with `style` and cells appended (some with a style of their
    own) renders as one segment for each styled cell, in `style` plus the
    cell's, and one for each run of plain cells between them, in `style`;
    with no styled cell at all, as one segment without a style. (`Text.append`
    also drops control characters: `_row` drops them from its cells.)
    """

    __slots__ = ("style", "plain", "_segments")

    def __init__(self, style: Style) -> None:
        self.style = style
        self.plain: list[str] = []
        """Plain cells since the last styled one."""
        self._segments: list[Segment] = []

    def add(self, text: str, style: Style) -> None:
        """Add a cell in `style` (plain if `style` is null, as `Text.append` has it)."""
        if not style:
            self.plain.append(text)
        elif text:
            self._flush()
            self._segments.append(Segment(text, self.style + style))

    def _flush(self) -> None:
        text = "".join(self.plain)
        if text:
            self._segments.append(Segment(text, self.style))
        self.plain.clear()

    def segments(self) -> list[Segment]:
        if not self._segments:
            return [Segment("".join(self.plain))]
        self._flush()
        return self._segments


def _fit(cell: str, width: int, right: bool) -> str:
    """`cell` in exactly `width` cells (wide characters count two), cut with "…" or padded."""
    size = cell_len(cell)
    if size > width:
        return set_cell_size(cell, width - 1) + "…"
    padding = " " * (width - size)
    return padding + cell if right else cell + padding




def _several(workers: Collection[str]) -> bool:
    """Two worker tags or more (``""``, an id of another form, is no tag)."""
    return len(workers) - ("" in workers) > 1


def _raised(summary: TraceSummary) -> bool:
    """The app raised, or logged an exception it handled (Django's ``Internal Server Error:``): marked alike."""
    return summary.error or summary.logged_exception


def _status_class(summary: TraceSummary) -> str:
    status = summary.status
    if _raised(summary) or (status is not None and status >= 500):
        return "request-table--error"
    if status is None:
        return ""
    if status >= 400:
        return "request-table--warning"
    if status >= 300:
        return "request-table--redirect"
    return "request-table--ok"


__all__ = ["RequestTable"]
