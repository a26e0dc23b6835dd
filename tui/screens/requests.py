"""`RequestsScreen`: the filterable, sortable request list."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import get_current_worker

from .. import format as fmt
from ..filters import Deep, Filter, FilterError, parse
from tracer.summary import TraceSummary
from ..messages import ColumnClicked, FilterMatched, RowsChecked, TracesScanned
from ..widgets.request_table import RequestTable

if TYPE_CHECKING:
    from ..app import TracerApp

SORT_KEYS = ("time", "duration", "status")
MARK_INTERVAL = 0.3
"""Seconds between looks for rows on screen that the protocol checks have not seen."""
FILTER_HINT = "filter (/): ~m POST  ~u /api  ~c 5xx  ~b text  ~wsgi ~asgi ~ws ~lifespan ~err ~violation  ! & |"


class RequestsScreen(Screen[None]):
    """Every trace of the file, one row each, with a filter line and a status line."""

    BINDINGS = [
        # Priority: the app handles it before it forwards the next key, so keys typed
        # in the same burst as "/" reach the filter line, not the list.
        Binding("slash,f", "filter", "Filter", id="requests.filter", tooltip="Type a filter expression",
                priority=True),
        Binding("s", "sort", "Sort", id="requests.sort", tooltip="Sort by time, duration or status"),
        Binding("r", "reverse", "Reverse", id="requests.reverse", tooltip="Reverse the sort order"),
        Binding("c", "clear_filter", "Clear filter", id="requests.clear", tooltip="Show every trace again"),
        Binding("p", "problems", "Problems", id="requests.problems", tooltip="List lines that could not be read"),
    ]

    app: TracerApp

    def __init__(self) -> None:
        super().__init__()
        self.filter: Filter | None = None
        self.expression = ""
        self.sort_key = "time"
        self.sort_reverse = False
        self.deep: set[int] = set()
        """Numbers of the traces that match a filter that reads events."""
        self.deep_progress = 1.0
        self._deep_checked: dict[int, int] = {}
        """Trace number -> how many events it had when the filter checked it."""
        self._deep_generation = 0
        self.filter_error = ""
        self._seen = 0
        """How many of the index's traces the rows have been drawn from."""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=FILTER_HINT, id="filter", compact=True)
        yield RequestTable(id="requests")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.table.focus()
        self.refresh_rows()
        self.set_interval(MARK_INTERVAL, self._mark_visible)

    def _mark_visible(self) -> None:
        """Run the protocol checks on rows on screen whose findings are not known yet."""
        if self.app.screen is not self:
            return
        unknown = [s for s in self.table.visible_rows() if s.marks is None and s.complete]
        if unknown:
            self.mark_rows(unknown)

    @work(thread=True, exclusive=True, group="marks")
    def mark_rows(self, summaries: list[TraceSummary]) -> None:
        """Check `summaries` off the UI thread and redraw the list."""
        worker = get_current_worker()
        for summary in summaries:
            if worker.is_cancelled:
                return
            try:
                self.app.mark(summary)
            except Exception:  # noqa: BLE001 - an unreadable trace just stays unmarked
                summary.marks = ""
        self.post_message(RowsChecked())

    def on_rows_checked(self) -> None:
        self.table.refresh()

    @property
    def table(self) -> RequestTable:
        """The request list."""
        return self.query_one(RequestTable)

    # Rows

    def refresh_rows(self) -> None:
        """Recompute the rows from the index, the filter and the sort order."""
        summaries = self.app.index.summaries
        keep = self.table.current
        rows: Sequence[TraceSummary]
        # The scan thread appends to the index's list meanwhile: note how far these rows go.
        self._seen = len(summaries)
        if self.filter is None and self.sort_key == "time" and not self.sort_reverse:
            rows = summaries  # The index's own list: appended to in place, never copied.
        else:
            rows = self._sorted([s for s in summaries[: self._seen] if self._passes(s)])
        self.table.sort_key = self.sort_key
        self.table.sort_reverse = self.sort_reverse
        self.table.set_rows(rows, keep=keep)
        self.update_status()

    def _passes(self, summary: TraceSummary) -> bool:
        if self.filter is None:
            return True
        if self.filter.needs_events:
            return summary.number in self.deep
        return self.filter.matches(summary, _no_events)

    def _sorted(self, rows: list[TraceSummary]) -> list[TraceSummary]:
        if self.sort_key == "duration":
            rows.sort(key=lambda s: s.duration_ns, reverse=self.sort_reverse)
        elif self.sort_key == "status":
            rows.sort(key=lambda s: (s.status is None, s.status or 0, s.number), reverse=self.sort_reverse)
        elif self.sort_reverse:
            rows.reverse()
        return rows

    def traces_scanned(self, message: TracesScanned) -> None:
        """Take in what the background scan found."""
        table = self.table
        # Following a file with the cursor on the last row keeps it there, like tail -f.
        tail = self.app.live and table.shown > 0 and table.cursor >= table.shown - 1
        self._take(message)
        if tail:
            table.action_last()
        self.update_status()

    def _take(self, message: TracesScanned) -> None:
        table = self.table
        if table.rows is self.app.index.summaries:
            table.rows_changed()
        elif self.filter is not None and self.filter.needs_events:
            self.run_deep_filter()
        elif message.new and not message.updated and self.sort_key == "time" and not self.sort_reverse:
            # Not the last `message.new` of the index: the scan may have added more since it posted.
            assert isinstance(table.rows, list)
            summaries = self.app.index.summaries
            end = len(summaries)
            table.rows.extend(s for s in summaries[self._seen : end] if self._passes(s))
            self._seen = end
            table.rows_changed()
        else:
            self.refresh_rows()

    def update_status(self) -> None:
        """Redraw the status line: counts, scan progress, problems, sort and filter state."""
        app = self.app
        total = len(app.index.summaries)
        shown = self.table.row_count
        parts = [f"{shown:,} of {total:,} traces" if shown != total else f"{total:,} traces"]
        self._empty_text(total)
        if app.scanning:
            filled = int(app.progress * 10)
            parts.append(f"scanning {app.progress:4.0%} " + "▰" * filled + "▱" * (10 - filled))
        elif app.live:
            parts.append("[b]following[/b]")
        if self.filter is not None and self.filter.needs_events and self.deep_progress < 1:
            parts.append(f"filtering {self.deep_progress:.0%}")
        if app.index.problems:
            count = len(app.index.problems)
            parts.append(f"[$text-error]{count} problem{'s' if count != 1 else ''} (p)[/]")
        if app.index.cut_line:
            parts.append(f"[$text-warning]line {app.index.cut_line} cut off[/]")
        parts.append(f"sort: {self.sort_key}{' ▼' if self.sort_reverse else ''}")
        if self.filter_error:
            parts.append(f"[$text-error]filter: {fmt.markup(self.filter_error)}[/]")
        elif self.expression:
            parts.append(f"filter: {fmt.markup(self.expression)}")
        self.query_one("#status", Static).update(" · ".join(parts))

    def _empty_text(self, total: int) -> None:
        """What an empty list says, so it never looks broken."""
        app = self.app
        if app.scan_error:
            text = app.scan_error
        elif total and self.filter is not None:
            text = "searching the traces…" if self.filter.needs_events and self.deep_progress < 1 else (
                "no trace matches the filter (c clears it)")
        elif app.scanning:
            text = "reading the file…"
        elif app.live:
            text = f"no requests yet: waiting for the app to write to {fmt.line(app.path)}"
        else:
            text = "no requests in this file"
        if text != self.table.empty_text:
            self.table.empty_text = text
            self.table.refresh()

    # Filter

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "filter":
            # "/" and "f" are text while the filter line has the focus.
            return not any(line is self.focused for line in self.query("#filter"))
        return True

    def action_filter(self) -> None:
        # Focus now, not later: keys typed right after "/" belong to the filter.
        self.set_focus(self.query_one("#filter", Input))

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.apply_filter("")

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        try:
            parse(event.value)
        except FilterError as exc:
            self.filter_error = str(exc)
            event.input.add_class("-invalid")
        else:
            self.filter_error = ""
            event.input.remove_class("-invalid")
        self.update_status()

    @on(Input.Submitted, "#filter")
    def _filter_submitted(self, event: Input.Submitted) -> None:
        if self.apply_filter(event.value):
            self.table.focus()

    def apply_filter(self, expression: str) -> bool:
        """Filter the list by `expression`; a bad one leaves the list as it was.

        Returns:
            Whether the expression was valid.
        """
        try:
            compiled = parse(expression)
        except FilterError as exc:
            self.filter_error = str(exc)
            self.notify(f"filter: {exc}", severity="error", markup=False)
            self.update_status()
            return False
        self.filter_error = ""
        self.filter = compiled
        self.expression = expression.strip()
        self._deep_generation += 1
        self.deep = set()
        self._deep_checked = {}
        if compiled is not None and compiled.needs_events:
            self.deep_progress = 0.0
            self.run_deep_filter()
        self.refresh_rows()
        return True

    def key_escape(self) -> None:
        filter_input = self.query_one("#filter", Input)
        if filter_input.has_focus:
            filter_input.value = self.expression
            self.table.focus()

    @work(thread=True, exclusive=True, group="filter")
    def run_deep_filter(self) -> None:
        """Evaluate a filter that reads events (``~b``, ``~violation``) off the UI thread.

        Only traces not checked yet, or that gained events since (a live file), are
        read, so a growing file costs only its new lines. Results are posted every
        quarter second, so the list fills as it goes.
        """
        worker = get_current_worker()
        compiled, generation, checked = self.filter, self._deep_generation, self._deep_checked
        if compiled is None:
            return
        todo = [s for s in list(self.app.index.summaries) if checked.get(s.number) != s.events]
        results: dict[int, tuple[int, bool]] = {}
        next_post = time.monotonic() + 0.25
        for i, summary in enumerate(todo):
            if worker.is_cancelled:
                return
            events = summary.events
            try:
                matched = compiled.matches(summary, lambda s=summary: self.app.load_deep(s))
            except Exception:  # noqa: BLE001 - one odd trace must not end the search
                matched = False
            results[summary.number] = (events, matched)
            if time.monotonic() >= next_post:
                self.post_message(FilterMatched(generation, results, (i + 1) / len(todo)))
                results = {}
                next_post = time.monotonic() + 0.25
        self.post_message(FilterMatched(generation, results, 1.0))

    def on_filter_matched(self, message: FilterMatched) -> None:
        if message.generation != self._deep_generation:
            return
        for number, (events, matched) in message.results.items():
            self._deep_checked[number] = events
            if matched:
                self.deep.add(number)
            else:
                self.deep.discard(number)
        self.deep_progress = message.progress
        self.refresh_rows()

    # Sort, problems

    def action_sort(self) -> None:
        self.sort_key = SORT_KEYS[(SORT_KEYS.index(self.sort_key) + 1) % len(SORT_KEYS)]
        self.refresh_rows()

    def on_column_clicked(self, message: ColumnClicked) -> None:
        if message.column in SORT_KEYS:
            if message.column == self.sort_key:
                self.sort_reverse = not self.sort_reverse
            else:
                self.sort_key = message.column
            self.refresh_rows()

    def action_reverse(self) -> None:
        self.sort_reverse = not self.sort_reverse
        self.refresh_rows()

    def action_problems(self) -> None:
        problems = self.app.index.problems
        if not problems:
            self.notify("every line of the file was read", title="no problems")
            return
        from .problems import ProblemsScreen

        self.app.push_screen(ProblemsScreen(problems))


def _no_events() -> Deep:
    raise RuntimeError("this filter does not read events")

