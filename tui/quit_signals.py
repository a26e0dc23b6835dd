"""SIGTERM and SIGHUP (the terminal closed) quit the UI as `q` does.

Python's default for both ends the process at once: a terminal still open is
left in the UI's mode (alternate screen, mouse reporting) and nothing after
the UI runs. So while the app runs, the event loop handles both signals and
asks the app to exit, which puts the terminal back; the handlers there before
(`tracer run --view`'s, the demo's: each stops its servers once the UI has
returned) come back when it stops.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from typing import Any

QUIT_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))


class QuitOnSignals:
    """While installed, `QUIT_SIGNALS` call `quit` on the running event loop (main thread only).

    Args:
        quit: What `q` does (the app's ``exit``).
    """

    def __init__(self, quit: Callable[[], Any]) -> None:
        self._quit = quit
        self._previous: dict[int, Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def install(self) -> None:
        """Handle the signals on the running loop; elsewhere than the main thread, do nothing."""
        if threading.current_thread() is not threading.main_thread() or self._loop is not None:
            return
        loop = asyncio.get_running_loop()
        for signum in QUIT_SIGNALS:
            previous = signal.getsignal(signum)
            try:
                loop.add_signal_handler(signum, self._quit)
            except (NotImplementedError, RuntimeError, ValueError):
                continue
            self._previous[signum] = previous
        self._loop = loop

    def remove(self) -> None:
        """Give the signals back to the handlers they had before `install`."""
        loop, self._loop = self._loop, None
        for signum, previous in self._previous.items():
            if loop is not None and not loop.is_closed():
                loop.remove_signal_handler(signum)
            signal.signal(signum, previous if previous is not None else signal.SIG_DFL)
        self._previous.clear()
