"""Textual's terminal driver, except that a terminal that goes away ends the app.

A closed terminal usually sends SIGHUP, which quits the UI (`quit_signals`).
But not always: under `make demo` in a tmux pane, make is the session
leader, gets the SIGHUP and does not pass it on; a dropped ssh connection
may send none. Textual's driver then writes to a terminal that is gone: its
output thread dies on the first failed write, and 30 screen updates later
the app blocks for ever on the full queue (its input thread meanwhile spins
on the end of input), so the demo never stops its servers. Here a failed
write, or a look once a second that finds the terminal gone, asks the app to
exit as `q` does; writes after that are dropped.
"""

from __future__ import annotations

import os
import threading
from typing import IO, Any

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

LOOK_SECONDS = 1.0


class TerminalOutput:
    """The file the driver's output thread writes to: `file`, until a write fails."""

    def __init__(self, file: IO[str], gone: Any) -> None:
        self._file = file
        self._gone = gone
        self.closed_terminal = False

    def write(self, text: str) -> int:
        if self.closed_terminal:
            return len(text)
        try:
            return self._file.write(text)
        except OSError:
            self._lost()
            return len(text)

    def flush(self) -> None:
        if self.closed_terminal:
            return
        try:
            self._file.flush()
        except OSError:
            self._lost()

    def fileno(self) -> int:
        return self._file.fileno()

    def _lost(self) -> None:
        self.closed_terminal = True
        self._gone()


class HangupAwareDriver(LinuxDriver):
    """`LinuxDriver` that ends the app when its terminal goes away."""

    def __init__(self, app: App[Any], *, debug: bool = False, mouse: bool = True,
                 size: tuple[int, int] | None = None) -> None:
        super().__init__(app, debug=debug, mouse=mouse, size=size)
        self._output = TerminalOutput(self._file, self._terminal_gone)
        self._file = self._output
        self._ended = threading.Event()
        self._exit_asked = threading.Lock()

    def start_application_mode(self) -> None:
        self._ended.clear()
        super().start_application_mode()
        if self.input_tty:
            threading.Thread(target=self._look_at_terminal, name="tracer-terminal-look", daemon=True).start()

    def stop_application_mode(self) -> None:
        self._ended.set()
        super().stop_application_mode()

    def _look_at_terminal(self) -> None:
        """Once a second: is standard input still a terminal? A hung-up one no longer is."""
        while not self._ended.wait(LOOK_SECONDS):
            if not os.isatty(self.fileno):
                self._output.closed_terminal = True
                self._terminal_gone()
                return

    def _terminal_gone(self) -> None:
        """Ask the app to exit, once (from the output thread or the look's)."""
        if not self._exit_asked.acquire(blocking=False):
            return
        try:
            self._loop.call_soon_threadsafe(self._app.exit)
        except RuntimeError:
            pass  # the event loop has already closed: the app has ended


def driver_for(app_driver_class: type[Any]) -> type[Any]:
    """The driver to run with: ours instead of Textual's `LinuxDriver`, any other as it is."""
    return HangupAwareDriver if app_driver_class is LinuxDriver else app_driver_class
