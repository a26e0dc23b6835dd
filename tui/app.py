"""The Textual app behind `tracer view FILE`.

    from tui.app import make_app
    make_app("traces.jsonl", live=True).run()

`make_app` builds the app for the CLI and for tests; `run_view` is the
``tracer.ui`` entry point the CLI calls.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from tracer.checks import check_trace
from tracer.errors import TraceFileError
from tracer.index import ScanResult, TraceIndex

from .commands import screen_commands
from .listmodel import Checker, RequestList
from .messages import ScanFailed, TraceSelected, TracesScanned
from .screens.help import HelpScreen
from .screens.replay import ReplayScreen
from .screens.requests import RequestsScreen

FOLLOW_INTERVAL = 0.1
"""Seconds between looks at a followed file for new lines."""

MAX_PROBLEM_TOASTS = 3
"""Unreadable lines shown as notifications; the rest are counted (all are listed under p)."""


class TracerApp(App[int]):
    """Browse the requests of one trace file and replay them step by step.

    The app scans the file in a worker and hands what it finds to the list
    model (`requests`), which the request list screen draws.

    Args:
        path: The trace file.
        live: Follow the file as it grows (``tracer view --follow``).
        checker: The protocol checks run on a trace when it is opened.
    """

    TITLE = "tracer"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="app.quit", tooltip="Leave tracer"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="Every key of every screen"),
    ]

    def __init__(self, path: str, *, live: bool = False, checker: Checker = check_trace) -> None:
        super().__init__()
        self.path = path
        self.live = live
        self.index = TraceIndex(path, live=live)
        self.requests = RequestList(self.index, checker=checker, live=live)
        """The request list's state: store, filter, order, marks, loaded traces."""
        self._notified = 0
        self._unnotified = 0

    @property
    def scanning(self) -> bool:
        """The first pass over the file has not finished."""
        return self.requests.scanning

    def get_default_screen(self) -> RequestsScreen:
        return RequestsScreen(self.requests)

    def on_mount(self) -> None:
        self.sub_title = self.path + ("  (following)" if self.live else "")
        self.scan()

    # Scanning

    @work(thread=True, exclusive=True, group="scan")
    def scan(self) -> None:
        """Index the file in the background, posting what is found as it goes."""
        worker = get_current_worker()
        index = self.index
        taken = 0

        def batch(result: ScanResult, done: bool = False) -> None:
            # The scan runs in this thread: the index holds exactly what it has found so far.
            nonlocal taken
            found = index.summaries[taken:]
            taken += len(found)
            progress = index.position / index.size if index.size else 1.0
            self.post_message(TracesScanned(found, result.updated, result.problems, progress, done, index.cut_line))

        try:
            batch(index.scan(on_batch=batch, stop=lambda: worker.is_cancelled), done=True)
            while self.live and not worker.is_cancelled:
                time.sleep(FOLLOW_INTERVAL)
                result = index.scan(stop=lambda: worker.is_cancelled)
                if result.new or result.updated or result.problems:
                    batch(result, done=True)
        except TraceFileError as exc:
            self.post_message(ScanFailed(str(exc)))
        except OSError as exc:
            if not worker.is_cancelled:
                self.post_message(ScanFailed(f"{self.path}: cannot read: {exc.strerror or exc}"))

    def on_traces_scanned(self, message: TracesScanned) -> None:
        self._report(message)
        self.requests.take_scan(
            message.summaries, message.updated, problems=message.problems, progress=message.progress,
            done=message.done, cut_line=message.cut_line,
        )
        # The replay may be under help or the command palette: it still grows.
        for screen in self.screen_stack:
            if isinstance(screen, ReplayScreen) and screen.summary.number in message.updated:
                screen.reload(*self.requests.trace(screen.summary))

    def _report(self, message: TracesScanned) -> None:
        """Toast the first few unreadable lines; after that only a count, once per scan."""
        for problem in message.problems:
            if self._notified < MAX_PROBLEM_TOASTS:
                self._notified += 1
                self.notify(problem.message, severity="error", timeout=8, markup=False)
            else:
                self._unnotified += 1
        if message.done and self._unnotified:
            self.notify(f"{self._unnotified} more unreadable lines (press p to list them)", severity="error")
            self._unnotified = 0

    def on_scan_failed(self, message: ScanFailed) -> None:
        self.notify(message.message, title="cannot read the file", severity="error", timeout=30, markup=False)
        self.requests.scan_failed(message.message)

    # Traces

    def on_trace_selected(self, message: TraceSelected) -> None:
        # Keys typed ahead of the UI (Enter, Esc, Enter) can select twice before the
        # first replay is on screen: only the list opens a replay.
        if self.screen is not self.screen_stack[0]:
            return
        trace, findings = self.requests.trace(message.summary)
        self.push_screen(ReplayScreen(message.summary, trace, findings))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield from screen_commands(self, screen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    def on_unmount(self) -> None:
        self.workers.cancel_group(self, "scan")
        self.index.close()


def make_app(path: str, live: bool = False) -> TracerApp:
    """Build the app for the CLI and for tests.

    Args:
        path: The trace file.
        live: Follow the file as it grows.
    """
    return TracerApp(path, live=live)


def run_view(path: str, *, follow: bool = False) -> int:
    """Run the UI on `path` until the user quits (the ``tracer.ui`` entry point).

    Returns:
        The exit status: 0.
    """
    app = make_app(path, live=follow)
    result = app.run()
    return int(result or 0)
