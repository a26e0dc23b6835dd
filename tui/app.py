"""The Textual app behind `tracer view FILE`.

    from tui.app import make_app
    make_app("traces.jsonl", live=True).run()

`make_app` builds the app for the CLI and for tests; `run_view` is the
``tracer.ui`` entry point the CLI calls.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from functools import partial

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.cache import LRUCache
from textual.screen import Screen
from textual.worker import get_current_worker

from tracer.checks import Finding, check_trace
from tracer.errors import TraceFileError
from tracer.model import Trace

from .commands import screen_commands
from .filters import Deep
from tracer.index import ScanResult, TraceIndex
from tracer.summary import TraceSummary
from .messages import ScanFailed, TraceSelected, TracesScanned
from .screens.help import HelpScreen
from .screens.replay import ReplayScreen
from .screens.requests import RequestsScreen

FOLLOW_INTERVAL = 0.1
"""Seconds between looks at a followed file for new lines."""

MAX_PROBLEM_TOASTS = 3
"""Unreadable lines shown as notifications; the rest are counted (all are listed under p)."""

Checker = Callable[[Trace], "list[Finding]"]


class TracerApp(App[int]):
    """Browse the requests of one trace file and replay them step by step.

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
        self.checker = checker
        self.index = TraceIndex(path, live=live)
        self.scanning = True
        self.progress = 0.0
        self.scan_error = ""
        """Why the file could not be read, if it could not."""
        self._deep: LRUCache[str, Deep] = LRUCache(256)
        self._deep_lock = threading.Lock()
        self._notified = 0
        self._unnotified = 0

    def get_default_screen(self) -> RequestsScreen:
        return RequestsScreen()

    def on_mount(self) -> None:
        self.sub_title = self.path + ("  (following)" if self.live else "")
        self.scan()

    # Scanning

    @work(thread=True, exclusive=True, group="scan")
    def scan(self) -> None:
        """Index the file in the background, posting what is found as it goes."""
        worker = get_current_worker()
        index = self.index

        def batch(result: ScanResult, done: bool = False) -> None:
            progress = index.position / index.size if index.size else 1.0
            self.post_message(TracesScanned(result.new, result.updated, result.problems, progress, done))

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
        self.progress = message.progress
        if message.done:
            self.scanning = False
        self._report(message)
        self.requests_screen.traces_scanned(message)
        # The replay may be under help or the command palette: it still grows.
        for screen in self.screen_stack:
            if isinstance(screen, ReplayScreen) and screen.summary.number in message.updated:
                with self._deep_lock:
                    self._deep.discard(screen.summary.id)
                screen.reload(*self.load(screen.summary))

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
        self.scanning = False
        self.scan_error = message.message
        self.notify(message.message, title="cannot read the file", severity="error", timeout=30, markup=False)
        self.requests_screen.update_status()

    @property
    def requests_screen(self) -> RequestsScreen:
        """The request list (the bottom screen)."""
        screen = self.screen_stack[0]
        assert isinstance(screen, RequestsScreen)
        return screen

    # Traces

    def load(self, summary: TraceSummary) -> tuple[Trace, list[Finding]]:
        """Read a trace's events from the file and run the protocol checks on it.

        This reads on the UI thread, unlike toolong's reader thread: a trace is a
        few preads (0.03 ms measured), less than a placeholder would be on screen.
        """
        deep = self.load_deep(summary)
        return deep.trace, deep.findings

    def load_deep(self, summary: TraceSummary) -> Deep:
        """A trace's events (and findings, on demand), cached; safe to call from a worker thread."""
        # The cache is shared by the UI thread and the filter and marking workers.
        with self._deep_lock:
            deep = self._deep.get(summary.id)
        if deep is None or deep.lines is None or len(deep.lines) != summary.events:
            lines = list(self.index.read_lines(summary))
            deep = Deep(partial(self.index.decode_lines, summary, lines), self.checker, lines)
            with self._deep_lock:
                self._deep.set(summary.id, deep)
        return deep

    def mark(self, summary: TraceSummary) -> None:
        """Run the protocol checks on a complete trace and note its worst finding on the summary."""
        findings = self.load_deep(summary).findings
        severities = {finding.severity for finding in findings}
        summary.marks = "error" if "error" in severities else "warning" if "warning" in severities else ""

    def on_trace_selected(self, message: TraceSelected) -> None:
        # Keys typed ahead of the UI (Enter, Esc, Enter) can select twice before the
        # first replay is on screen: only the list opens a replay.
        if self.screen is not self.requests_screen:
            return
        trace, findings = self.load(message.summary)
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
