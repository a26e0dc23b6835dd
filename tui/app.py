"""The Textual app behind `tracer view FILE`.

    from tui.app import make_app
    make_app("traces.jsonl", live=True).run()

`make_app` builds the app for the CLI and for tests; `run_view` is the
``tracer.ui`` entry point the CLI calls.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from textual import events, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.driver import Driver
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import get_current_worker

from tracer.errors import TraceFileError
from tracer.index import ScanResult, TraceIndex

from . import format as fmt
from .collections_policy import IDLE_CHECK, GarbagePolicy
from .debugger import DebugSession, watch_processes
from .listmodel import Checker, RequestList, check_trace
from .messages import DebugEventArrived, DebuggersAttached, ScanFailed, TraceSelected, TracesScanned
from .quit_signals import QuitOnSignals
from .screens.requests import RequestsScreen
from .widgets.request_table import RequestTable

if TYPE_CHECKING:
    from .tour_guide import TourGuide

# Only the request list is imported at start: the other screens, the checks, the exporters and the
# palette's commands are imported where they are first used, so the list paints sooner.

FOLLOW_INTERVAL = 0.1
"""Seconds between looks at a followed file for new lines."""

MAX_PROBLEM_TOASTS = 3
"""Unreadable lines shown as notifications; the rest are counted (all are listed under p)."""

SCREENS_CSS = "screens.tcss"
"""The layout of the screens the list opens, read after the list's first paint (`TracerApp.load_screens_css`)."""

FIRST_PAINT_WAIT = 0.5
"""Seconds the scan waits, at most, for its first rows to be painted before it reads on."""

SWITCH_INTERVAL = 0.001
"""Seconds a busy worker thread keeps the GIL while the UI thread waits for it, while the UI runs.

Python's default is 5 ms. The UI thread lets go of the GIL at every turn of
its event loop, and a keypress takes several turns before it is painted: with
a worker decoding or checking a long trace, each turn could wait 5 ms.
"""


class TracerApp(App[int]):
    """Browse the requests of one trace file and replay them step by step.

    The app scans the file in a worker and hands what it finds to the list
    model (`requests`), which the request list screen draws.

    Args:
        path: The trace file.
        live: Follow the file as it grows (``tracer view --follow``).
        checker: The protocol checks run on a trace when it is opened.
        breakpoints: Breakpoints to set on every live process of the file it attaches to.
        tour: Start the guided tour of WSGI and ASGI (`tui.tour`) once the file is read.
        app_url: Where the traced app listens (``tracer run --view``), for ``R`` to re-send requests to.
    """

    TITLE = "tracer"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        # Ctrl+C quits, as in other terminal tools; with text selected it copies it (the focused
        # widget's and the screen's bindings come first, and pass it on when nothing is selected).
        Binding("q,ctrl+c", "quit", "Quit", id="app.quit", tooltip="Leave tracer"),
        Binding("question_mark,f1", "help", "Help", id="app.help", tooltip="Every key of every screen"),
        Binding("t", "toggle_utc", "UTC/local", id="app.utc", show=False,
                tooltip="Show times in UTC or in local time"),
        # The tour's keys work on every screen that shows its panel, and only while it is on.
        Binding("full_stop", "tour_next", "Tour: next", key_display=".", id="app.tour-next", priority=True,
                tooltip="Guided tour (tracer learn): on to the next stop"),
        Binding("comma", "tour_back", "Tour: back", key_display=",", id="app.tour-back", priority=True,
                tooltip="Guided tour: back to the previous stop"),
        Binding("escape", "tour_leave", "Leave tour", id="app.tour-leave", show=False, priority=True,
                tooltip="Guided tour: leave it, staying where it is"),
    ]

    utc: reactive[bool] = reactive(False, init=False)
    """Times are shown in UTC; in local time otherwise, as a terminal user expects."""

    def __init__(
        self, path: str, *, live: bool = False, checker: Checker = check_trace, breakpoints: Sequence[str] = (),
        tour: bool = False, app_url: str | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.live = live
        self.app_url = app_url
        """Where the traced app listens (``tracer run --view``), for ``R`` to re-send requests to; None otherwise."""
        self.index = TraceIndex(path, live=live)
        self.requests = RequestList(self.index, checker=checker, live=live)
        """The request list's state: store, filter, order, marks, loaded traces."""
        self.debugger = DebugSession(breakpoints)
        """The live processes of the file attached to: their held requests and breakpoints."""
        self.guide: TourGuide | None = None
        if tour:
            from .tour_guide import TourGuide

            self.guide = TourGuide(self)
        """The guided tour, if the app was opened with it."""
        self._notified = 0
        self._unnotified = 0
        self.garbage = GarbagePolicy()
        """When Python's full garbage collections run while the UI is up (idle moments)."""
        self._quit_signals = QuitOnSignals(self.exit)
        self._first_rows = threading.Event()
        """Set once the first batch of rows is painted (or waited for long enough): the scan goes on."""
        self._switch_interval = sys.getswitchinterval()
        self._follow_lock = threading.Lock()
        self._scanner_running = True
        """The scan worker runs, or is about to: it starts at mount, or once the first rows are painted
        (`_start_workers`). `follow` starts it again once it has stopped."""
        self._screens_css = False
        self._first_block_read = False
        self._workers_started = False

    @property
    def scanning(self) -> bool:
        """The first pass over the file has not finished."""
        return self.requests.scanning

    def get_default_screen(self) -> RequestsScreen:
        return RequestsScreen(self.requests, self.debugger)

    def _sub_title(self) -> str:
        """The file, whether it is followed, and where the app serves (``tracer run --view``, port 0 included)."""
        return self.path + ("  (following)" if self.live else "") + (f"  ·  app on {self.app_url}" if self.app_url else "")

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver for this terminal; on Linux and macOS, one that quits when the terminal goes away."""
        from .terminal_driver import driver_for

        return driver_for(super().get_driver_class())

    def on_load(self) -> None:
        self.garbage.hold()  # until the first rows are painted (`_painted_first_rows`)

    def on_mount(self) -> None:
        self.sub_title = self._sub_title()
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(min(self._switch_interval, SWITCH_INTERVAL))
        self.garbage.start()
        self.set_timer(FIRST_PAINT_WAIT, self.garbage.release)  # rows or not, collections come back
        self.set_interval(IDLE_CHECK, self.garbage.when_idle)
        self._quit_signals.install()
        self._scan_first_rows()
        if self._first_block_read:
            # Its rows are painted first: the scan reads on, and the live processes are looked for, only then
            # (`_start_workers`): their threads are not started while the list is drawn.
            self.set_timer(FIRST_PAINT_WAIT, self._start_workers)
        else:
            self._start_workers()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self.garbage.input_seen()
        await super().on_event(event)

    # Scanning

    def _scan_first_rows(self) -> None:
        """Index the file's first block (about a screenful of traces) here, before the list is drawn.

        Its rows are then in the list's first paint: from the scan worker, which
        competes with the UI thread for the GIL while the list is mounted, they
        could come just after it and wait for the next screen update. The
        worker reads on once they are painted.
        """
        index = self.index
        try:
            result = index.scan_first()
        except (TraceFileError, OSError):
            return  # The scan worker meets it again, and reports it.
        if index.position:
            self._first_block_read = True
            # A small file is read whole here: its first paint says so, as when the worker read it in one go.
            self.on_traces_scanned(self._scanned(result, done=index.position >= index.size))

    def _start_workers(self) -> None:
        """Start the scan worker and the debugger's (once)."""
        if not self._workers_started:
            self._workers_started = True
            self.scan()
            self.attach_debuggers()

    def _wait_for_first_paint(self) -> None:
        """Paint first, then scan: the rest of the file waits until the first rows are on screen (or long enough)."""
        if not self._first_rows.is_set():
            self._first_rows.wait(FIRST_PAINT_WAIT)
            self._first_rows.set()

    def _scanned(self, result: ScanResult, done: bool = False) -> TracesScanned:
        """What a scan found, as the message that hands it to the UI thread (the summaries are the index's no more)."""
        index = self.index
        progress = index.position / index.size if index.size else 1.0
        return TracesScanned(result.summaries, result.problems, progress, done, index.cut_line, index.waiting)

    @work(thread=True, exclusive=True, group="scan")
    def scan(self) -> None:
        """Index the file in the background, posting what is found as it goes."""
        worker = get_current_worker()
        index = self.index

        def batch(result: ScanResult, done: bool = False) -> None:
            self.post_message(self._scanned(result, done))
            self._wait_for_first_paint()

        try:
            # With the first block read before the list was drawn (`_scan_first_rows`), this worker starts once
            # its rows are painted (`_start_workers`); otherwise the first batch is the first block, a screenful.
            batch(index.scan(on_batch=batch, first_batch_seconds=0, stop=lambda: worker.is_cancelled), done=True)
            while not worker.is_cancelled:
                with self._follow_lock:
                    if not self.live:
                        return
                time.sleep(FOLLOW_INTERVAL)
                waiting = index.waiting
                result = index.scan(stop=lambda: worker.is_cancelled)
                if result.new or result.updated or result.problems or index.waiting != waiting:
                    batch(result, done=True)
        except TraceFileError as exc:
            self.post_message(ScanFailed(str(exc)))
        except OSError as exc:
            if not worker.is_cancelled:
                self.post_message(ScanFailed(f"{self.path}: cannot read: {exc.strerror or exc}"))
        finally:
            with self._follow_lock:
                self._scanner_running = False

    def on_traces_scanned(self, message: TracesScanned) -> None:
        self._report(message)
        self.requests.take_scan(
            message.summaries, problems=message.problems, progress=message.progress, done=message.done,
            cut_line=message.cut_line, waiting=message.waiting,
        )
        if not self._first_rows.is_set():
            self.call_after_refresh(self._painted_first_rows)
        if message.done:
            # What exists once the file is read (Textual, the list, a large file's summaries) lives as long as
            # the app: keep it out of the full garbage collections, which stop the UI thread while they walk
            # every object (100-200 ms for a replay's 200,000 objects, measured; next to nothing after this).
            self.garbage.freeze()
        if message.done and self.guide is not None and not self.guide.started:
            self.guide.started = True
            self.call_after_refresh(self.guide.start)  # on the list drawn (the first rows may come before it is)
        # An open replay grows by itself: it polls the index for its trace's new lines.

    def _painted_first_rows(self) -> None:
        self.garbage.release()
        self._first_rows.set()
        self._start_workers()
        self.load_screens_css()
        self._prefetch()

    @work(thread=True, exclusive=True, group="prefetch")
    def _prefetch(self) -> None:
        """Import what opening a replay needs while the user reads the list, so that Enter does not wait for it."""
        import tracer.checks  # noqa: F401
        import tracer.filters  # noqa: F401
        from .screens import replay  # noqa: F401

    def load_screens_css(self) -> None:
        """Read the layout of the screens the list opens (`SCREENS_CSS`), once.

        The list paints its first rows without it (parsing it took about 2 ms);
        then it is read, or before a screen is pushed, if that comes first. Its
        rules match no widget of the list, so nothing on screen is restyled.
        """
        if self._screens_css:
            return
        self._screens_css = True
        self.stylesheet.read(os.path.join(os.path.dirname(__file__), SCREENS_CSS))
        self.stylesheet.parse()

    def push_screen(self, *args: Any, **kwargs: Any) -> Any:
        self.load_screens_css()
        return super().push_screen(*args, **kwargs)

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
        self.garbage.release()
        self._first_rows.set()  # No rows are coming: what waits for them goes on.
        self.notify(message.message, title="cannot read the file", severity="error", timeout=30, markup=False)
        self.requests.scan_failed(message.message)

    # The debugger

    @work(thread=True, exclusive=True, group="debug")
    def attach_debuggers(self) -> None:
        """Attach to the file's live processes, now and as they start; their events come back as messages."""
        worker = get_current_worker()
        # Paint first: the debugger's client is imported, and the live processes looked for, once the first rows
        # are on screen (or the scan has waited for them long enough), as the rest of the scan is.
        self._first_rows.wait(FIRST_PAINT_WAIT)
        if worker.is_cancelled:
            return
        watch_processes(
            self.path,
            lambda connections, first: self.post_message(DebuggersAttached(list(connections), first)),
            lambda event: self.post_message(DebugEventArrived(event)),
            stop=lambda: worker.is_cancelled,
        )

    def on_debuggers_attached(self, message: DebuggersAttached) -> None:
        errors = self.debugger.add_connections(message.connections)  # type: ignore[arg-type]
        for error in errors:
            self.notify(error, title="breakpoint", severity="error", markup=False)
        count = len(message.connections)
        # The debugger's tour, on or about to start, says a debugger holds requests: no note over its panel.
        touring = self.guide is not None and (self.guide.active or not self.guide.started)
        if count and not touring:
            self.notify(f"attached to {count} live process{'es' if count != 1 else ''} of this file: "
                        "b sets a breakpoint, B lists them", title="debugger", markup=False)
        if count:
            # A process writing the file is alive: what it records next belongs in the list, as with --follow.
            self.follow()

    def follow(self) -> None:
        """Follow the file as it grows from now on (``--follow``, or a live process of the file attached to)."""
        with self._follow_lock:
            if self.live:
                return
            self.live = self.index.live = self.requests.live = True
            # A scanner still running sees `live` at its next look; one that has stopped is started again.
            restart = not self._scanner_running
            self._scanner_running = True
        self.sub_title = self._sub_title()
        if restart:
            self.scan()

    def on_debug_event_arrived(self, message: DebugEventArrived) -> None:
        self.debugger.take(message.event)  # type: ignore[arg-type]

    # Traces

    def on_trace_selected(self, message: TraceSelected) -> None:
        # Keys typed ahead of the UI (Enter, Esc, Enter) can select twice before the
        # first replay is on screen: only the list opens a replay.
        if self.screen is not self.screen_stack[0]:
            return
        from .screens.replay import ReplayScreen

        # The replay reads its steps from the file as they are drawn: opening it decodes nothing.
        self.push_screen(ReplayScreen(message.summary))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        from .commands import screen_commands

        for command in super().get_system_commands(screen):
            if command.title != "Screenshot":  # Textual's writes to ~/Downloads, which may not exist.
                yield command
        # After a delay, so the palette has closed and the screen is what the user sees.
        yield SystemCommand("Screenshot", "Save an SVG picture of the screen beside the trace file",
                            lambda: self.set_timer(0.1, self.action_screenshot))
        other = "local time" if self.utc else "UTC"
        yield SystemCommand(f"Times in {other}", f"Show the times of day in {other}", self.action_toggle_utc)
        yield from screen_commands(self, screen)
        if isinstance(screen, RequestsScreen):
            table = screen.query_one(RequestTable)
            zoom_help = "To the request under the cursor (again on other rows to take them in)"
            yield SystemCommand("Zoom the waterfall", zoom_help, table.action_zoom)
            if table.zoomed:
                yield SystemCommand("Unzoom the waterfall", "Back to the requests on screen", table.action_unzoom)

    # The guided tour

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action.startswith("tour_"):
            # Off the tour, and while text is typed or a dialog is up, the keys are the screen's.
            guide = self.guide
            if guide is None or not guide.active or isinstance(self.focused, Input):
                return False
            # Only on a screen that shows the tour's panel: on one the reader opened from a stop
            # (Enter on a row), "." would end the tour unseen and leave them where the stop's keys
            # are not; there the keys are the screen's, and going back finds the tour again.
            return guide.shown_on(self.screen)
        return True

    async def action_tour_next(self) -> None:
        if self.guide is not None:
            await self.guide.next()

    async def action_tour_back(self) -> None:
        if self.guide is not None:
            await self.guide.back()

    def action_tour_leave(self) -> None:
        if self.guide is not None:
            self.guide.leave()

    def action_help(self) -> None:
        from .screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

    # Output of an app traced in this process (tracer run --view)

    def _print(self, text: str, stderr: bool = False) -> None:
        """Textual's sys.stdout/sys.stderr stand-ins call this with what is written, in the writing thread.

        An app traced in this process prints there too: pass it on to tracer's
        captured streams, in this same thread, so that a line printed during a
        request lands in its trace (and in the server log file) as it does
        without the UI. (``begin_capture_print`` would bring the text to the
        UI thread as `events.Print`, away from the request it belongs to.)
        """
        from tracer.app_output import ui_write

        super()._print(text, stderr)
        writer = sys._getframe(1)
        while writer is not None and writer.f_globals.get("__name__", "").partition(".")[0] == "textual":
            writer = writer.f_back  # past Textual's stand-in, to the code that printed
        ui_write(text, stderr, writer)

    # Times

    def action_toggle_utc(self) -> None:
        self.utc = not self.utc

    def watch_utc(self, utc: bool) -> None:
        for screen in self.screen_stack:
            for table in screen.query(RequestTable):
                table.utc = utc
        self.notify(f"times of day in {fmt.zone(utc=utc) if utc else 'local time (' + fmt.zone() + ')'}",
                    title="Times", markup=False)

    # Screenshots

    def screenshot_directories(self) -> list[str]:
        """Where a screenshot is saved: beside the trace file, else in the current directory."""
        directories = [os.path.dirname(os.path.abspath(self.path))]
        try:
            directories.append(os.getcwd())
        except OSError:
            pass  # The current directory was removed.
        return list(dict.fromkeys(directories))

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """Save an SVG picture of the screen and say where it went, or why it could not be saved.

        Args:
            filename: The file's name; by default the trace file's, with the date and time.
            path: The directory; by default beside the trace file (the current one if that fails).
        """
        stem = os.path.splitext(os.path.basename(self.path))[0] or "tracer"
        name = filename or f"{stem}-screenshot-{time.strftime('%Y%m%d-%H%M%S')}.svg"
        picture = self.export_screenshot()
        failures: list[str] = []
        for directory in [path] if path else self.screenshot_directories():
            try:
                target = _write_new(directory, name, picture)
            except OSError as exc:
                failures.append(f"{os.path.join(directory, name)}: {exc.strerror or exc}")
                continue
            self.notify(f"saved to {target}", title="Screenshot", markup=False)
            return
        self.notify("cannot save a screenshot: " + "; ".join(failures), title="Screenshot", severity="error",
                    timeout=10, markup=False)

    def on_unmount(self) -> None:
        sys.setswitchinterval(self._switch_interval)
        self.garbage.stop()
        self._quit_signals.remove()
        self._first_rows.set()
        self.workers.cancel_group(self, "scan")
        self.workers.cancel_group(self, "debug")
        self.debugger.close()
        self.index.close()


def _write_new(directory: str, name: str, text: str) -> str:
    """Write `text` to a new file `name` in `directory` (``name-2.svg`` and so on if it exists); returns its path."""
    stem, ext = os.path.splitext(name)
    for n in range(1, 100):
        target = os.path.join(directory, name if n == 1 else f"{stem}-{n}{ext}")
        try:
            with open(target, "x", encoding="utf-8") as out:
                out.write(text)
        except FileExistsError:
            continue
        return target
    raise FileExistsError(f"{os.path.join(directory, name)} and 98 more exist")


def make_app(
    path: str, live: bool = False, breakpoints: Sequence[str] = (), tour: bool = False, app_url: str | None = None,
) -> TracerApp:
    """Build the app for the CLI and for tests.

    Args:
        path: The trace file.
        live: Follow the file as it grows.
        breakpoints: Breakpoints to set on every live process of the file (``tracer view --break``).
        tour: Open on the guided tour of WSGI and ASGI (``tracer learn``, ``make demo``).
        app_url: Where the traced app listens (``tracer run --view``): ``R`` re-sends requests there.
    """
    return TracerApp(path, live=live, breakpoints=breakpoints, tour=tour, app_url=app_url)


def run_view(
    path: str, *, follow: bool = False, breakpoints: Sequence[str] = (), tour: bool = False, app_url: str | None = None,
) -> int:
    """Run the UI on `path` until the user quits (the ``tracer.ui`` entry point).

    It attaches to the live processes recording into `path` that have
    breakpoints on, sets `breakpoints` on each, and closes the connections
    when it quits (which lets their held requests go on). With `tour` it
    opens on the guided tour of WSGI and ASGI. With `app_url` (``tracer run
    --view``), ``R`` re-sends the selected request to the app there.

    Returns:
        The exit status: 0.
    """
    app = make_app(path, live=follow, breakpoints=breakpoints, tour=tour, app_url=app_url)
    result = app.run()
    return int(result or 0)
