"""`RequestsScreen`: the filterable, sortable request list, drawn from a `RequestList`."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, get_current_worker

from tracer.summary import TraceSummary

from .. import format as fmt
from ..filters import HINT
from ..listmodel import Change, RequestList, Search
from ..messages import ColumnClicked, FilterMatched, RowsChecked
from ..widgets.filter_line import FilterLine
from ..widgets.request_table import RequestTable
from .problems import ProblemsScreen

MARK_INTERVAL = 0.3
"""Seconds between looks for rows on screen that the protocol checks have not seen."""


class RequestsScreen(Screen[None]):
    """Every trace of the file, one row each, with a filter line and a status line.

    Args:
        requests: The list model: what to show, in which order, with which filter.
    """

    BINDINGS = [
        # Priority: the app runs these before it hands on the next key, so keys typed
        # in the same burst go where the focus is after them.
        Binding("slash,f", "filter", "Filter", id="requests.filter", tooltip="Type a filter expression",
                priority=True),
        Binding("enter", "apply_filter", "Apply filter", id="requests.apply_filter", show=False, priority=True,
                tooltip="In the filter line: apply it"),
        Binding("escape", "leave_filter", "Leave filter line", id="requests.leave_filter", show=False,
                priority=True, tooltip="In the filter line: back to the list, filter unchanged"),
        Binding("s", "sort", "Sort", id="requests.sort", tooltip="Sort by time (start), duration or status"),
        Binding("r", "reverse", "Reverse", id="requests.reverse", tooltip="Reverse the sort order"),
        Binding("c", "clear_filter", "Clear filter", id="requests.clear", tooltip="Show every trace again"),
        Binding("p", "problems", "Problems", id="requests.problems", tooltip="List lines that could not be read"),
    ]

    def __init__(self, requests: RequestList) -> None:
        super().__init__()
        self.requests = requests
        self._searching = False
        """A search pass is running (its last report starts the next one, if the file grew)."""
        self._marking: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterLine(placeholder=HINT, id="filter", compact=True)
        yield RequestTable(id="requests")
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.table.mark_of = self.requests.mark_of
        self.requests.changed.connect(self._changed)
        self.set_focus(self.table)
        self._changed(Change.ROWS | Change.FILTER | Change.STATUS)
        self.set_interval(MARK_INTERVAL, self._mark_visible)

    def on_unmount(self) -> None:
        self.requests.changed.disconnect(self._changed)

    @property
    def table(self) -> RequestTable:
        """The request list."""
        return self.query_one(RequestTable)

    @property
    def filter_line(self) -> FilterLine:
        """The line the filter is typed in."""
        return self.query_one(FilterLine)

    # Drawing what the model says

    def _changed(self, change: Change) -> None:
        requests, table = self.requests, self.table
        if Change.FILTER in change:
            line = self.filter_line
            if line.value != requests.expression:
                line.value = requests.expression
            line.remove_class("-invalid")
            self._search(restart=True)
        elif Change.TRACES in change and requests.filter is not None and requests.filter.needs_events:
            self._search(restart=False)
        if Change.ROWS in change:
            # Following a file with the cursor on the last row keeps it there, like tail -f.
            tail = Change.ADDED in change and requests.live and table.shown > 0 and table.cursor >= table.shown - 1
            table.sort_key = requests.sort_key
            table.sort_reverse = requests.reverse
            table.set_rows(requests.rows, keep=table.current)
            if tail:
                table.action_last()
        elif Change.CONTENT in change:
            table.refresh()
        self.update_status()

    def update_status(self) -> None:
        """Redraw the status line: counts, scan progress, problems, sort and filter state."""
        requests = self.requests
        total, shown = len(requests.store), len(requests.rows)
        parts = [f"{shown:,} of {total:,} traces" if shown != total else f"{total:,} traces"]
        if requests.scanning:
            filled = int(requests.progress * 10)
            parts.append(f"scanning {requests.progress:4.0%} " + "▰" * filled + "▱" * (10 - filled))
        elif requests.live:
            parts.append("[b]following[/b]")
        if requests.searching:
            parts.append(f"filtering {requests.search_progress:.0%}")
        if requests.problems:
            count = len(requests.problems)
            parts.append(f"[$text-error]{count} problem{'s' if count != 1 else ''} (p)[/]")
        if requests.cut_line:
            parts.append(f"[$text-warning]line {requests.cut_line} cut off[/]")
        parts.append(f"sort: {requests.sort_key}{' ▼' if requests.reverse else ''}")
        if requests.filter_error:
            parts.append(f"[$text-error]filter: {fmt.markup(requests.filter_error)}[/]")
        elif requests.expression:
            parts.append(f"filter: {fmt.markup(requests.expression)}")
        self.query_one("#status", Static).update(" · ".join(parts))
        empty = requests.empty_reason()
        if empty != self.table.empty_text:
            self.table.empty_text = empty
            self.table.refresh()

    # Filter

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        editing = self.focused is not None and self.focused.id == "filter"
        if action == "filter":
            return not editing  # "/" and "f" are text while the filter line has the focus.
        if action in ("apply_filter", "leave_filter"):
            return editing  # Elsewhere Enter replays the trace under the cursor.
        return True

    def action_filter(self) -> None:
        # Focus now, not later: keys typed right after "/" belong to the filter.
        self.set_focus(self.filter_line)

    async def action_apply_filter(self) -> None:
        line = self.filter_line
        # Keys typed before Enter may still be on their way to the line: the filter is what they make.
        await line.settled()
        if self.apply_filter(line.value):
            self.set_focus(self.table)

    async def action_leave_filter(self) -> None:
        line = self.filter_line
        await line.settled()
        line.value = self.requests.expression
        self.set_focus(self.table)

    def action_clear_filter(self) -> None:
        self.requests.set_filter("")

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        error = self.requests.check_expression(event.value)
        event.input.set_class(bool(error), "-invalid")

    def apply_filter(self, expression: str) -> bool:
        """Filter the list by `expression`; a bad one is shown and leaves the list as it was.

        Returns:
            Whether the expression was valid.
        """
        if self.requests.set_filter(expression):
            return True
        self.notify(f"filter: {self.requests.filter_error}", severity="error", markup=False)
        return False

    def _search(self, restart: bool) -> None:
        """Start a pass of a filter that reads events, unless one runs and `restart` is false."""
        if self._searching and not restart:
            return
        job = self.requests.search()
        if job is None:
            if restart:
                self.workers.cancel_group(self, "filter")
                self._searching = False
            return
        self._searching = True
        self.run_search(job)

    @work(thread=True, exclusive=True, group="filter")
    def run_search(self, job: Search) -> None:
        """Read the events of the traces `job` lists, off the UI thread, posting matches as they are found."""
        worker = get_current_worker()
        job.run(
            self.requests.load,
            lambda results, progress: self.post_message(FilterMatched(job.generation, results, progress)),
            stop=lambda: worker.is_cancelled,
        )

    def on_filter_matched(self, message: FilterMatched) -> None:
        current = message.generation == self.requests.generation
        self.requests.take_matches(message.generation, message.results, message.progress)
        if current and message.progress >= 1:
            self._searching = False
            self._search(restart=False)  # Traces that arrived or grew during the pass.

    # Marks

    def _mark_visible(self) -> None:
        """Run the protocol checks on rows on screen whose findings are not known yet."""
        if self.app.screen is not self or (self._marking is not None and not self._marking.is_finished):
            return
        unknown = self.requests.unmarked(self.table.visible_rows())
        if unknown:
            self._marking = self.mark_rows(unknown)

    @work(thread=True, exclusive=True, group="marks")
    def mark_rows(self, summaries: list[TraceSummary]) -> None:
        """Check `summaries` off the UI thread, posting each one's worst finding."""
        worker = get_current_worker()
        for summary in summaries:
            if worker.is_cancelled:
                return
            self.post_message(RowsChecked({summary.number: self.requests.check(summary)}))

    def on_rows_checked(self, message: RowsChecked) -> None:
        self.requests.take_marks(message.marks)

    # Sort, problems

    def action_sort(self) -> None:
        self.requests.next_order()

    def action_reverse(self) -> None:
        self.requests.set_order(reverse=not self.requests.reverse)

    def on_column_clicked(self, message: ColumnClicked) -> None:
        self.requests.sort_by_column(message.column)

    def action_problems(self) -> None:
        problems = self.requests.problems
        if not problems:
            self.notify("every line of the file was read", title="no problems")
            return
        self.app.push_screen(ProblemsScreen(problems))
