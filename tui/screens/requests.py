"""`RequestsScreen`: the filterable, sortable request list, drawn from a `RequestList`.

Besides replaying a request, the list acts on requests: `m` marks one and
`M` compares another against it (`CompareScreen`), `C` and `H` copy the
request under the cursor as a curl command or httpx code, and `w` writes it,
or every request the list shows, to a HAR or a new trace file.

Requests held in the debugger (`DebugSession`) show at once, marked where
they are held, even before the file has a line of them; Enter on one opens
`HeldScreen`. ``b`` adds a breakpoint, ``B`` lists and removes them.

Under ``tracer run --view`` (the app knows the app's URL), ``R`` sends the
request under the cursor again and compares the new trace with it.
"""

from __future__ import annotations

import time

from textual import events, on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Static
from textual.worker import Worker, get_current_worker

from typing import TYPE_CHECKING

from tracer.model import Trace
from tracer.summary import TraceSummary

from .. import format as fmt
from ..debugger import HELD_MARK, DebugSession, where
from ..listmodel import Change, RequestList, Search
from ..messages import ColumnClicked, FilterMatched, RowsChecked, TraceSelected
from ..widgets.filter_line import HINT, FilterLine
from ..widgets.held_table import HeldRequestTable
from ..widgets.marked_table import COMPARE_MARK

if TYPE_CHECKING:
    from .export import ExportChoice

# The list is the first screen: the screens it opens, the exporters and the client code are
# imported when an action first needs them, so that it paints sooner.

RESEND_TIMEOUT = 10.0
"""Seconds ``R`` waits for the app to answer."""
RESEND_WAIT = 5.0
"""Seconds ``R`` then waits for the new trace to show in the followed file."""
MARK_INTERVAL = 0.3
"""Seconds between looks for rows on screen that the protocol checks have not seen."""


class RequestsScreen(Screen[None]):
    """Every trace of the file, one row each, with a filter line and a status line.

    Args:
        requests: The list model: what to show, in which order, with which filter.
    """

    AUTO_FOCUS = "#requests"
    """The list has the focus from the start (Textual's default, the first focusable widget, is the filter line:
    focusing it and then the list would style both twice before the first paint)."""

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
        # mitmproxy's m marks a flow; here the mark is what M compares the request under the cursor with.
        Binding("m", "mark", "Mark", id="requests.mark", show=False,
                tooltip="Mark the request under the cursor to compare another with it (m again unmarks)"),
        Binding("M", "compare", "Compare", id="requests.compare", show=False,
                tooltip="Compare the request under the cursor with the marked one, side by side"),
        Binding("C", "copy('curl')", "Copy as curl", id="requests.copy-curl", show=False,
                tooltip="Copy the request under the cursor as a curl command"),
        Binding("H", "copy('httpx')", "Copy as httpx", id="requests.copy-httpx", show=False,
                tooltip="Copy the request under the cursor as Python code using httpx"),
        Binding("w", "export", "Export", id="requests.export", show=False,
                tooltip="Write the request under the cursor, or every request shown, to a HAR or trace file"),
        Binding("b", "add_breakpoint", "Break", id="requests.break",
                tooltip="Add a breakpoint: hold matching live requests at a protocol event"),
        Binding("B", "breakpoints", "Breakpoints", id="requests.breakpoints", show=False,
                tooltip="List the breakpoints of the attached processes, and remove them"),
        Binding("R", "resend", "Re-send", id="requests.resend",
                tooltip="Send the request under the cursor to the running app again, and compare the new trace with it"),
    ]

    def __init__(self, requests: RequestList, debug: DebugSession | None = None) -> None:
        super().__init__()
        self.requests = requests
        self.debug = debug if debug is not None else DebugSession()
        self._searching = False
        """A search pass is running (its last report starts the next one, if the file grew)."""
        self._marking: Worker[None] | None = None
        self._unseen = Change(0)
        """What changed while another screen hid the list, to draw when it shows again."""
        self._resumed = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield FilterLine(placeholder=HINT, id="filter", compact=True)
        table = HeldRequestTable(id="requests")
        # It has the focus from the start (AUTO_FOCUS, `on_mount`): styled as focused when it is mounted, rather
        # than styled, then focused and styled again (with each of its component classes) before the first paint.
        table.set_reactive(HeldRequestTable.has_focus, True)
        yield table
        yield Static(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.table.mark_of = self.requests.mark_of
        self.table.held_label = self._held_label
        self.debug.connect(self._debug_changed)
        self.table.set_marked(self.requests.compare_mark)
        self.requests.changed.connect(self._changed)
        self.set_focus(self.table)
        self._changed(Change.ROWS | Change.FILTER | Change.STATUS)
        self.set_interval(MARK_INTERVAL, self._mark_visible)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            # Shown for the first time: its widgets were styled as they were mounted, and Textual's handler, which
            # runs after this one, would style every one of them again before the first paint (2-3 ms).
            self._resumed = True
            event.refresh_styles = False
        if self._unseen:
            change, self._unseen = self._unseen, Change(0)
            self._draw(change)

    def _seen(self) -> bool:
        """Whether the list shows: it is on top, or only screens that let it show through are above it."""
        stack = self.app.screen_stack
        if self not in stack:
            return True
        return all(screen.styles.background.a < 1 for screen in stack[stack.index(self) + 1 :])

    def on_unmount(self) -> None:
        self.requests.changed.disconnect(self._changed)
        self.debug.disconnect_receiver(self._debug_changed)

    @property
    def table(self) -> HeldRequestTable:
        """The request list."""
        return self.query_one(HeldRequestTable)

    @property
    def filter_line(self) -> FilterLine:
        """The line the filter is typed in."""
        return self.query_one(FilterLine)

    # Drawing what the model says

    def _changed(self, change: Change) -> None:
        requests = self.requests
        if Change.FILTER in change:
            line = self.filter_line
            if line.value != requests.expression:
                line.value = requests.expression
            line.remove_class("-invalid")
            self._search(restart=True)
        elif Change.TRACES in change and requests.filter is not None and requests.filter.needs_events:
            self._search(restart=False)
        if not self._seen():
            # Under another screen: drawn when it shows again (following, the status changes ten times a second).
            self._unseen |= change
            return
        change, self._unseen = change | self._unseen, Change(0)
        self._draw(change)

    def _draw(self, change: Change) -> None:
        requests, table = self.requests, self.table
        if Change.ROWS in change:
            # Following a file with the cursor on the last row keeps it there, like tail -f.
            tail = Change.ADDED in change and requests.live and table.shown > 0 and table.cursor >= table.shown - 1
            table.sort_key = requests.sort_key
            table.sort_reverse = requests.reverse
            table.set_rows(self._rows(), keep=table.current, workers=requests.workers)
            if tail:
                table.action_last()
        elif Change.CONTENT in change:
            table.refresh()
        table.set_marked(requests.compare_mark)
        self.update_status()

    def update_status(self) -> None:
        """Redraw the status line: counts, scan progress, problems, sort and filter state."""
        requests = self.requests
        total, shown = len(requests.store), len(requests.rows)
        parts = [f"{shown:,} of {total:,} traces" if shown != total else f"{total:,} traces"]
        if requests.scanning:
            filled = int(requests.progress * 10)
            parts.append(f"scanning {requests.progress:4.0%} " + "▰" * filled + "▱" * (10 - filled))
        elif requests.waiting:
            parts.append(f"[b]waiting for {fmt.markup(fmt.line(requests.path))}[/b] (it does not exist yet)")
        elif requests.live:
            parts.append("[b]following[/b]")
        if requests.searching:
            parts.append(f"filtering {requests.search_progress:.0%}")
        if requests.problems:
            count = len(requests.problems)
            parts.append(f"[$text-error]{count} problem{'s' if count != 1 else ''} (p)[/]")
        if requests.cut_line:
            parts.append(f"[$text-warning]line {requests.cut_line} cut off[/]")
        debugging = self.debug.status()
        if debugging:
            parts.append(f"[$text-warning]{fmt.markup(debugging)}[/]" if self.debug.held else fmt.markup(debugging))
        parts.append(f"sort: {requests.sort_key}{' ▼' if requests.reverse else ''}")
        if requests.filter_error:
            parts.append(f"[$text-error]filter: {fmt.markup(requests.filter_error)}[/]")
        elif requests.expression:
            parts.append(f"filter: {fmt.markup(requests.expression)}")
        marked = requests.compare_mark
        if marked is not None:
            parts.append(
                f"[$text-accent]{COMPARE_MARK} {fmt.markup(fmt.line(_title(marked)))} ({marked.protocol.upper()}) marked:[/]"
                " M on another request compares them, m on it unmarks"
            )
        self.query_one("#status", Static).update(" · ".join(parts))
        empty = requests.empty_reason()
        if empty != self.table.empty_text:
            self.table.empty_text = empty
            self.table.refresh()

    # The debugger

    def _rows(self) -> list[TraceSummary]:
        """The list model's rows, then the held requests the file does not show yet."""
        rows = self.requests.rows
        pending = self.debug.pending_rows(lambda trace: self.requests.find(trace) is not None)
        return [*rows, *pending] if pending else rows

    def _held_label(self, summary: TraceSummary) -> str | None:
        held = self.debug.held_for(summary.id)
        return None if held is None else f"{HELD_MARK} {where(held)}"

    def _debug_changed(self) -> None:
        table = self.table
        table.set_rows(self._rows(), keep=table.current, workers=self.requests.workers)
        table.refresh()
        self.update_status()

    @on(TraceSelected)
    def _selected(self, message: TraceSelected) -> None:
        # A held request, or one that is not in the file yet, opens live; the app replays the others.
        held = self.debug.held_for(message.summary.id)
        if held is None and self.requests.find(message.summary.id) is not None:
            return
        message.stop()
        if self.app.screen is not self:
            return
        title = held.title if held is not None else _title(message.summary)
        from .held import HeldScreen

        self.app.push_screen(HeldScreen(self.debug, self.requests, message.summary.id, title))

    def action_add_breakpoint(self) -> None:
        from .breakpoints import BreakpointScreen, add_breakpoint

        def chosen(text: str | None) -> None:
            if text:
                add_breakpoint(self, self.debug, text)

        self.app.push_screen(BreakpointScreen(), chosen)

    def action_breakpoints(self) -> None:
        from .breakpoints import BreakpointsScreen

        self.app.push_screen(BreakpointsScreen(self.debug))

    def continue_all(self) -> None:
        """Let every held request of every attached process run to its end."""
        from .held_keys import continue_all

        continue_all(self, self.debug)

    # Filter

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        editing = self.focused is not None and self.focused.id == "filter"
        if action == "filter":
            return not editing  # "/" and "f" are text while the filter line has the focus.
        if action in ("apply_filter", "leave_filter"):
            return editing  # Elsewhere Enter replays the trace under the cursor.
        if action == "resend":
            return getattr(self.app, "app_url", None) is not None  # Only under tracer run --view.
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
        from .problems import ProblemsScreen

        self.app.push_screen(ProblemsScreen(problems))

    # Acting on requests

    def action_mark(self) -> None:
        summary = self.table.current
        if summary is None:
            return
        if self.requests.toggle_compare_mark(summary):
            self.notify(f"{_title(summary)} ({summary.protocol.upper()}): now M on another request compares them",
                        title="marked", markup=False)

    def action_compare(self) -> None:
        marked, current = self.requests.compare_mark, self.table.current
        if current is None:
            return
        if marked is None:
            self.notify("mark a request with m first, then press M on the one to compare it with",
                        title="compare", severity="warning")
            return
        if marked.number == current.number:
            self.notify("this is the marked request: move to another one and press M", title="compare",
                        severity="warning")
            return
        from .compare import CompareScreen

        self.app.push_screen(CompareScreen(marked, current, self._decoded))

    def action_resend(self) -> None:
        summary, url = self.table.current, getattr(self.app, "app_url", None)
        if summary is None:
            return
        if url is None:
            self.notify("re-send needs tracer run --view", title="re-send", severity="warning")
            return
        self.resend(summary, url)

    @work(thread=True, group="resend", exit_on_error=False)
    def resend(self, old: TraceSummary, url: str) -> None:
        """Send `old` again to the app at `url`, wait for its new trace, then compare the two."""
        import httpx  # only here: the UI starts without it

        from tracer.resend import send_again

        from .compare import CompareScreen

        began = time.time()
        try:
            response = send_again(self._decoded(old), url, timeout=RESEND_TIMEOUT)
        except ValueError as exc:
            self.notify(str(exc), title="re-send", severity="error", markup=False)
            return
        except httpx.HTTPError as exc:
            self.notify(f"{url}: {type(exc).__name__}: {str(exc) or 'no answer'}", title="re-send",
                        severity="error", markup=False)
            return
        worker = get_current_worker()
        deadline = time.monotonic() + RESEND_WAIT
        while not worker.is_cancelled:
            new = _resent(self.requests.store, old, began)  # what the scan handed to the list
            if new is not None:
                self.app.call_from_thread(self.app.push_screen, CompareScreen(old, new, self._decoded))
                return
            if time.monotonic() > deadline:
                self.notify(f"the app answered {response.status_code}, but no new trace of {_title(old)} showed "
                            f"within {RESEND_WAIT:g} s", title="re-send", severity="warning", markup=False)
                return
            time.sleep(0.05)

    def _decoded(self, summary: TraceSummary) -> Trace:
        """A trace's events, read through the list model's cache (from a worker thread too)."""
        return self.requests.load(summary).trace

    def action_copy(self, how: str) -> None:
        summary = self.table.current
        if summary is not None:
            copy_request(self.app, self._decoded(summary), _title(summary), how)

    def action_export(self) -> None:
        requests = self.requests
        if not requests.rows:
            self.notify("no requests to export: the list is empty", title="export", severity="warning")
            return
        selected = self.table.current
        from .export import ExportScreen

        def chosen(choice: ExportChoice | None) -> None:
            if choice is not None:
                rows = [selected] if choice.which == "selected" and selected is not None else list(requests.rows)
                self.export(rows, choice)

        self.app.push_screen(ExportScreen(requests.path, selected, len(requests.rows), requests.expression), chosen)

    @work(thread=True, group="export", exit_on_error=False)
    def export(self, summaries: list[TraceSummary], choice: ExportChoice) -> None:
        """Write `summaries` as `choice` says, off the UI thread, and say where they went."""
        from ..export import EXPORT_FORMATS, write_requests

        what = EXPORT_FORMATS[choice.format][0]
        try:
            count = write_requests(self.requests.index, summaries, choice.path, choice.format)
        except (OSError, ValueError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            self.notify(f"cannot write {choice.path}: {reason}", title="export", severity="error", markup=False)
            return
        skipped = len(summaries) - count
        aside = f" ({skipped} lifespan trace{'s' if skipped != 1 else ''} left out: no request)" if skipped else ""
        self.notify(
            f"{count} request{'s' if count != 1 else ''} written as a {what} to {choice.path} (readable by you only){aside}",
            title="exported", markup=False, timeout=8,
        )


def _resent(summaries: list[TraceSummary], old: TraceSummary, began: float) -> TraceSummary | None:
    """The first complete trace with `old`'s method, path and query that started at `began` or later."""
    for summary in list(summaries):
        if (summary.id != old.id and summary.complete and summary.start >= began - 0.01
                and (summary.method, summary.path, summary.query) == (old.method, old.path, old.query)):
            return summary
    return None


def _title(summary: TraceSummary) -> str:
    return "lifespan" if summary.scope_type == "lifespan" else summary.title


def copy_request(app: App[object], trace: Trace, title: str, how: str) -> None:
    """Put `trace`'s request on the clipboard as a curl command or httpx code, and say what was copied.

    Args:
        app: The app (its clipboard, its notifications).
        trace: The trace.
        title: The request as the list shows it.
        how: ``"curl"`` or ``"httpx"``.
    """
    from ..export import COPY_FORMATS, client_code, copied_message

    name = COPY_FORMATS[how][0]
    try:
        text = client_code(trace, how)
    except ValueError as exc:
        app.notify(f"cannot copy as {name}: {exc}", title="copy", severity="warning", markup=False)
        return
    app.copy_to_clipboard(text)
    app.notify(copied_message(text, title), title=f"copied as {name}", markup=False)
