"""`SequenceDiagram`: a trace's events as arrows between lifelines, with a cursor.

Each event takes two lines: its label above, its arrow below, the time
offset in the gutter. Steps after the cursor are dimmed, so moving the
cursor forward shows the exchange unfolding as it happened.

A request held in the debugger has one more step after those of the file
(`tui.held_steps.HeldSteps`): it is marked ``⏸``, says ``held`` where
the time goes and stands out until it goes on.

Only the lines on screen are drawn (Textual's Line API), and a step's arrow
is worked out when its line is first drawn (`Steps.row`): a trace of
100,000 events costs what a screenful of them does. While a trace grows,
its height, once taller than the pane, is rounded up to a whole number of
blocks of `GROWTH_ROWS` or an eighth of its height (the rows past the last
step show only the lifelines), so a new step mostly changes no size and makes
the screen lay nothing out again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from rich.cells import cell_len, get_character_cell_size, set_cell_size
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.cache import LRUCache
from textual.geometry import Region, Size
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from tracer.checks import Finding

from .. import format as fmt
from ..debugger import HELD_MARK
from ..labels import Arrow, lanes
from ..messages import StepSelected
from ..steps import Row, Steps

if TYPE_CHECKING:
    from ..held_steps import HeldSteps

GUTTER = 17
ROW_HEIGHT = 2
STRIP_CACHE = 1024
"""Drawn lines kept, by step, part and state: moving the cursor redraws only what changed.

A line is kept as its segments, and a new `Strip` made of them each time it
is drawn: a kept `Strip` would keep every strip Textual derives from it
(crops, styles, filters, each with caches of its own), ten objects or more a
line for the garbage collector to walk through on every full collection.
"""
MARKS = {"error": "✖", "warning": "⚠", "info": "ℹ"}
GAP_MARK = "⋮"
"""In the gutter of a step that follows missing steps (unreadable lines of the file)."""
SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
GROWTH_ROWS = 1024
"""A trace still in progress is this many rows taller at a time: a change of size lays out the whole screen."""


class SequenceDiagram(ScrollView, can_focus=True):
    """The events of one trace as a sequence diagram between server and app."""

    COMPONENT_CLASSES = {
        "sequence-diagram--lane",
        "sequence-diagram--header",
        "sequence-diagram--cursor",
        "sequence-diagram--unreached",
        "sequence-diagram--request",
        "sequence-diagram--response",
        "sequence-diagram--error",
        "sequence-diagram--warning",
        "sequence-diagram--gutter",
        "sequence-diagram--held",
    }

    DEFAULT_CSS = """
    SequenceDiagram {
        overflow-x: hidden;
        & > .sequence-diagram--lane { color: $text-muted; }
        & > .sequence-diagram--header { color: $text-accent; text-style: bold; background: $panel; }
        & > .sequence-diagram--cursor { background: $block-cursor-blurred-background; }
        &:focus > .sequence-diagram--cursor { background: $block-cursor-background; }
        & > .sequence-diagram--unreached { color: $text-disabled; }
        & > .sequence-diagram--request { color: $text-accent; }
        & > .sequence-diagram--response { color: $text-success; }
        & > .sequence-diagram--error { color: $text-error; text-style: bold; }
        & > .sequence-diagram--warning { color: $text-warning; text-style: bold; }
        & > .sequence-diagram--gutter { color: $text-muted; }
        & > .sequence-diagram--held { color: $text-warning; background: $warning-muted; text-style: bold; }
    }
    """

    BINDINGS = [
        # The replay screen's action: it moves the cursor and shows the step in one go.
        Binding("pagedown", "screen.page(1)", "Page down", id="replay.page-down", tooltip="A screenful of steps on",
                show=False),
        Binding("pageup", "screen.page(-1)", "Page up", id="replay.page-up", tooltip="A screenful of steps back",
                show=False),
    ]

    cursor: reactive[int] = reactive(0, init=False)

    def __init__(self, source: Steps | HeldSteps, findings: list[Finding], *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.source = source
        self.lanes = lanes(source.summary.protocol)
        self.findings: dict[int, list[Finding]] = {}
        self._blank: tuple[object, list[str], list[Style | None]] | None = None
        self._strips: LRUCache[tuple[object, ...], _Line] = LRUCache(STRIP_CACHE)
        self._pass: tuple[int, Style, bool] | None = None
        self._span_ns = 0
        """The last step's offset: every offset is written in the unit it calls for (`tracer.text.offset`)."""
        self.set_findings(findings)
        self.grew()

    def set_findings(self, findings: list[Finding]) -> None:
        """Mark the steps that `findings` are about (they arrive once the checks have run)."""
        self.findings = {}
        for finding in findings:
            self.findings.setdefault(finding.seq, []).append(finding)
        self._strips.clear()
        self.refresh()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._strips.clear()

    def grew(self, before: int = 0) -> None:
        """Show the steps the trace gained since it had `before` (a live file); the cursor stays."""
        count = self.source.count
        self._size_to_steps()
        span = self.source.row(count - 1).t_ns if count else 0
        rescaled = fmt.offset_scale(span) != fmt.offset_scale(self._span_ns)
        self._span_ns = span
        if rescaled and before:
            # Past 10 s (or another power of ten of seconds) every offset is written anew.
            self._strips.clear()
            self.refresh()
            return
        # Only the new rows change, and the "in progress" line under them.
        self.refresh_lines(1 + before * ROW_HEIGHT, (count - before) * ROW_HEIGHT + 1)

    def held_changed(self) -> None:
        """The held step came, went, moved or was edited: draw every step again."""
        self._strips.clear()
        self._size_to_steps()
        self.refresh()

    @property
    def held_step(self) -> int | None:
        """The step the debugger holds, if the source has one."""
        return getattr(self.source, "held_step", None)

    def _fit(self, item: Arrow) -> Arrow:
        """An arrow whose ends are lifelines of this diagram (a WSGI event in an ASGI trace is odd data)."""
        if item.source in self.lanes and item.target in self.lanes:
            return item
        return Arrow("server", "app", item.label)

    def row(self, step: int) -> Row:
        """The arrow and time of `step`, its ends on this diagram's lifelines."""
        row = self.source.row(step)
        fitted = self._fit(row.arrow)
        return row if fitted is row.arrow else Row(row.seq, row.t_ns, row.kind, fitted)

    @property
    def width_inside(self) -> int:
        """Cells across that rows are drawn in: less the vertical scrollbar when it shows."""
        return self.scrollable_content_region.width

    @property
    def steps(self) -> int:
        """Number of events."""
        return self.source.count

    def _size_to_steps(self) -> None:
        """Make the scrollable height fit the steps: exactly once complete, in whole blocks while growing.

        A growing trace that still fits the pane keeps its exact height: no scrollbar for rows it does not have.
        """
        height = 2 + ROW_HEIGHT * self.source.count
        if height > self.size.height and not self.source.complete:
            # Room for an eighth more (at least GROWTH_ROWS): a long stream lays out a few times, not every block.
            block = max(GROWTH_ROWS, height // 8 // GROWTH_ROWS * GROWTH_ROWS)
            height = max(-(-height // block) * block, self.virtual_size.height)
        size = Size(self.width_inside, height)
        if size != self.virtual_size:
            self.virtual_size = size

    def on_resize(self) -> None:
        self._size_to_steps()
        # A smaller pane (a narrower terminal stacks the panes) must still show the cursor.
        self.call_after_refresh(self._scroll_to_cursor)

    @property
    def page_steps(self) -> int:
        """Steps in one screenful of the diagram: how far page up and down move the cursor."""
        return max((self.scrollable_content_region.height - 1) // ROW_HEIGHT, 1)

    def scroll_steps(self, steps: int) -> None:
        """Scroll by `steps` rows (before a page move, so the cursor keeps its place on screen)."""
        self.scroll_to(y=self.scroll_y + steps * ROW_HEIGHT, animate=False, immediate=True)

    def validate_cursor(self, cursor: int) -> int:
        return max(0, min(cursor, self.source.count - 1))

    def watch_cursor(self, old: int, cursor: int) -> None:
        top = self.scroll_y
        self._scroll_to_cursor()
        if self.scroll_y == top:
            # Only the rows from the old cursor to the new one change (scrolling redraws the rest).
            low, high = sorted((old, cursor))
            self.refresh_lines(1 + low * ROW_HEIGHT, (high - low + 1) * ROW_HEIGHT)
        self.post_message(StepSelected(cursor))

    def _scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        visible = max(self.scrollable_content_region.height - 1, ROW_HEIGHT)
        first, last = self.cursor * ROW_HEIGHT, self.cursor * ROW_HEIGHT + ROW_HEIGHT - 1
        if first < top:
            self.scroll_to(y=first, animate=False, immediate=True)
        elif last >= top + visible:
            self.scroll_to(y=last - visible + 1, animate=False, immediate=True)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            step = (event.y - 1 + round(self.scroll_y)) // ROW_HEIGHT
            if 0 <= step < self.source.count:
                self.cursor = step

    # Drawing

    def _lane_x(self) -> dict[str, int]:
        # The first lifeline sits near the gutter: labels start at the left end of
        # their arrow, so the space right of the last lifeline is where they run on.
        width = max(self.width_inside - GUTTER - 8, 20)
        count = len(self.lanes)
        step = width // count if count > 2 else width // 2
        return {name: GUTTER + 6 + i * step for i, name in enumerate(self.lanes)}

    def render_lines(self, crop: Region) -> list[Strip]:
        # Worked out once for all the lines drawn, not once a line.
        self._pass = (self.width_inside, self.rich_style, self.has_focus, self.held_step)
        try:
            return super().render_lines(crop)
        finally:
            self._pass = None

    def render_line(self, y: int) -> Strip:
        width, base, focused, held_step = self._pass or (self.width_inside, self.rich_style, self.has_focus, self.held_step)
        if y == 0:
            return self._cached(("header", width, base), lambda: self._header(width, base))
        line = y - 1 + round(self.scroll_y)
        step, part = divmod(line, ROW_HEIGHT)
        count = self.source.count
        if step >= count:
            if step == count and part == 0 and not self.source.complete:
                return self._cached(("waiting", count > 0, width, base), lambda: self._waiting(width, base))
            return self._cached(("lifelines", width, base), lambda: self._lifelines_only(width, base))
        state = (step > self.cursor) - (step < self.cursor)
        held = step == held_step
        key = (step, part, state, width, base, state == 0 and focused, held)
        line = self._strips.get(key)
        if line is None:
            text = self._label_line(step, held) if part == 0 else self._arrow_line(step)
            style = base
            if state == 0:
                style = style + self.get_component_rich_style("sequence-diagram--cursor")
            elif held:
                # Not dimmed as a step still to come: it is where the request waits now.
                style = style + self.get_component_rich_style("sequence-diagram--held")
            elif state > 0:
                text.stylize(self.get_component_rich_style("sequence-diagram--unreached"))
            line = _Line.of(self._strip(text, width, style))
            self._strips.set(key, line)
        return line.strip()

    def _cached(self, key: tuple[object, ...], draw: Callable[[], Strip]) -> Strip:
        line = self._strips.get(key)
        if line is None:
            line = _Line.of(draw())
            self._strips.set(key, line)
        return line.strip()

    def _strip(self, text: Text, width: int, style: Style) -> Strip:
        segments = list(text.render(self.app.console))
        return Strip(segments).adjust_cell_length(width, style).apply_style(style)

    def _canvas(self) -> tuple[list[str], list[Style | None]]:
        """A blank line with the lifelines drawn: fresh lists to draw on."""
        width = self.width_inside
        lane_style = self.get_component_rich_style("sequence-diagram--lane")
        key = (width, lane_style)
        if self._blank is None or self._blank[0] != key:
            chars = [" "] * width
            styles: list[Style | None] = [None] * width
            for x in self._lane_x().values():
                if x < width:
                    chars[x] = "│"
                    styles[x] = lane_style
            self._blank = (key, chars, styles)
        return list(self._blank[1]), list(self._blank[2])

    def _text(self, chars: list[str], styles: list[Style | None]) -> Text:
        text = Text(no_wrap=True)
        run_start = 0
        for i in range(1, len(chars) + 1):
            if i == len(chars) or styles[i] != styles[run_start]:
                text.append("".join(chars[run_start:i]), styles[run_start])
                run_start = i
        return text

    def _put(self, chars: list[str], styles: list[Style | None], x: int, value: str, style: Style | None) -> None:
        """Write `value` from cell `x`; a wide character takes two cells (the second holds "")."""
        for char in value:
            width = get_character_cell_size(char)
            if width == 0:
                continue
            if x + width > len(chars):
                break
            if x >= 0:
                chars[x] = char
                styles[x] = style
                if width == 2:
                    chars[x + 1] = ""
                    styles[x + 1] = style
            x += width

    def _header(self, width: int, base: Style) -> Strip:
        chars = [" "] * width
        ignored: list[Style | None] = [None] * width
        for start, name in _lane_names(self._lane_x(), width):
            self._put(chars, ignored, start, name, None)
        self._put(chars, ignored, 1, "step     offset", None)
        style = base + self.get_component_rich_style("sequence-diagram--header")
        return self._strip(Text("".join(chars), no_wrap=True), width, style)

    def _waiting(self, width: int, base: Style) -> Strip:
        chars, styles = self._canvas()
        note = "⋯ in progress: no end event yet" if self.source.count else "⋯ waiting for the first event"
        self._put(chars, styles, GUTTER + 2, note, self.get_component_rich_style("sequence-diagram--warning"))
        return self._strip(self._text(chars, styles), width, base)

    def _lifelines_only(self, width: int, base: Style) -> Strip:
        chars, styles = self._canvas()
        return self._strip(self._text(chars, styles), width, base)

    def _arrow_style(self, row: Row) -> Style:
        if row.kind.endswith(".error"):
            return self.get_component_rich_style("sequence-diagram--error")
        item = row.arrow
        if item.source == "server" or (item.source == "app" and item.target != "server"):
            return self.get_component_rich_style("sequence-diagram--request")
        return self.get_component_rich_style("sequence-diagram--response")

    def _label_line(self, step: int, held: bool = False) -> Text:
        chars, styles = self._canvas()
        row = self.row(step)
        item = row.arrow
        gutter = self.get_component_rich_style("sequence-diagram--gutter")
        findings = [] if held else self.findings.get(row.seq, [])
        if held:
            # Held: it has not happened yet, so there is no time to show.
            held_style = self.get_component_rich_style("sequence-diagram--held")
            self._put(chars, styles, 0, HELD_MARK, held_style)
            self._put(chars, styles, 1, f"{row.seq:>3} {'held':>11}", held_style)
        elif findings:
            severity = min((f.severity for f in findings), key=lambda name: SEVERITY_ORDER.get(name, 3))
            mark_style = "error" if severity == "error" else "warning"
            self._put(chars, styles, 0, MARKS.get(severity, "•"), self.get_component_rich_style(f"sequence-diagram--{mark_style}"))
        elif step and row.seq != self.row(step - 1).seq + 1:
            # Steps before this one are missing (lines of the file that could not be read).
            self._put(chars, styles, 0, GAP_MARK, self.get_component_rich_style("sequence-diagram--warning"))
        if not held:
            # The event's seq, as `tracer check` and the trace file number steps (from 0).
            self._put(chars, styles, 1, f"{row.seq:>3} {fmt.offset(row.t_ns, self._span_ns):>11}", gutter)
        xs = self._lane_x()
        left = min(xs[item.source], xs[item.target])
        label = item.label
        room = len(chars) - left - 2
        if cell_len(label) > room > 1:
            label = set_cell_size(label, room - 1) + "…"
        self._put(chars, styles, left + 2, label, self._arrow_style(row) + Style(bold=True) if held else self._arrow_style(row))
        return self._text(chars, styles)

    def _arrow_line(self, step: int) -> Text:
        chars, styles = self._canvas()
        row = self.row(step)
        item = row.arrow
        xs = self._lane_x()
        a, b = xs[item.source], xs[item.target]
        style = self._arrow_style(row)
        if a < b:
            self._put(chars, styles, a, "├" + "─" * (b - a - 2) + "▶", style)
        elif a > b:
            self._put(chars, styles, b + 1, "◀" + "─" * (a - b - 2) + "┤", style)
        else:
            self._put(chars, styles, a, "↺", style)
        return self._text(chars, styles)


def _lane_names(xs: dict[str, int], width: int) -> list[tuple[int, str]]:
    """Where each lifeline's name starts (centred over it), and the name: shortened with "…" where two would touch.

    Where names collide, the longer one gives way: the left one ends a cell before
    the right one starts, or the right one starts a cell after the left one ends.
    """
    placed = [[max(x - cell_len(name) // 2, GUTTER), name] for name, x in xs.items()]
    for left, right in zip(placed, placed[1:]):
        gap = right[0] - (left[0] + cell_len(left[1]))
        if gap >= 1:
            continue
        if cell_len(left[1]) >= cell_len(right[1]):
            left[1] = _shorten(left[1], right[0] - 1 - left[0])
        else:
            end = right[0] + cell_len(right[1])
            right[0] = left[0] + cell_len(left[1]) + 1
            right[1] = _shorten(right[1], end - right[0])
    return [(start, name) for start, name in placed if start < width]


def _shorten(name: str, cells: int) -> str:
    """`name` in at most `cells` cells (at least its first character), ending in "…" when cut."""
    if cell_len(name) <= cells:
        return name
    return set_cell_size(name, max(cells - 1, 1)) + "…"


class _Line(NamedTuple):
    """A drawn line as kept between paints: its segments and its width in cells."""

    segments: list[Segment]
    cells: int

    @classmethod
    def of(cls, strip: Strip) -> _Line:
        return cls(list(strip), strip.cell_length)

    def strip(self) -> Strip:
        """A new `Strip` of the line, which Textual may crop and style as it likes."""
        return Strip(self.segments, self.cells)
