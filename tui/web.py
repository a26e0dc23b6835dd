"""`tracer view --web`: the terminal UI served to a browser tab with textual-serve.

Each browser tab that connects gets its own ``tracer view FILE`` process,
started by textual-serve with Textual's web driver, so the tab shows exactly
the terminal UI. The server listens on 127.0.0.1 only: the UI reads the trace
file and can release held requests, which is nobody else's business.

textual-serve (and aiohttp under it) is an optional extra, ``tracer[web]``,
imported only when the browser is asked for.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shlex
import signal
import socket
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from tracer.errors import TracerError
from tracer.serve import STOP_SIGNALS, bind_socket, display_address

WEB_HOST = "127.0.0.1"
"""The only address the browser UI listens on."""

SHUTDOWN_SECONDS = 3.0
"""How long open browser sessions get to close (and their UI processes to quit) after Ctrl+C."""

INSTALL_HINT = "pip install 'tracer[web]'"


def view_command(path: str, *, follow: bool = False, breakpoints: Sequence[str] = ()) -> str:
    """The shell command textual-serve runs for each browser session: this Python's ``tracer view``.

    ``sys.executable -m tracer.cli`` rather than ``tracer`` so that it works
    from a virtual environment that is not on ``PATH``.
    """
    argv = [sys.executable, "-m", "tracer.cli", "view", os.path.abspath(path)]
    if follow:
        argv.append("--follow")
    for breakpoint in breakpoints:
        argv += ["--break", breakpoint]
    return shlex.join(argv)


def load_server_class() -> type:
    """textual-serve's ``Server``.

    Raises:
        TracerError: textual-serve is not installed.
    """
    try:
        from textual_serve.server import Server
    except ImportError:
        raise TracerError(f"the browser UI needs textual-serve: {INSTALL_HINT}") from None
    return Server


def serve_viewer(
    path: str,
    *,
    follow: bool = False,
    breakpoints: Sequence[str] = (),
    port: int = 0,
    announce: Callable[[str], None] | None = None,
) -> int:
    """Serve the UI on `path` to browsers at ``http://127.0.0.1:PORT`` until Ctrl+C (or SIGTERM, SIGHUP).

    Args:
        path: The trace file.
        follow: Each session keeps reading the file as it grows.
        breakpoints: Breakpoints (already checked) each session sets on the processes it attaches to.
        port: The port; 0 picks a free one.
        announce: Prints a line; ``print`` (flushed) by default.

    Returns:
        The exit status: 0.

    Raises:
        TracerError: textual-serve is missing; UsageError: the port is taken or not allowed.
    """
    say = announce or _say
    server_class = load_server_class()
    sock = bind_socket(WEB_HOST, port)
    sock.set_inheritable(False)
    address = display_address(sock)
    try:
        command = view_command(path, follow=follow, breakpoints=breakpoints)
        server = _make_server(server_class, command, f"tracer view {os.path.basename(path)}", address, say)
        _run(server, sock)
    finally:
        sock.close()
    say(f"tracer: stopped serving the UI on {address}")
    return 0


def _say(line: str) -> None:
    print(line, flush=True)


def _make_server(server_class: type, command: str, title: str, address: str, say: Callable[[str], None]) -> Any:
    port = int(address.rsplit(":", 1)[1])

    class TracerServer(server_class):  # type: ignore[misc, valid-type]
        """textual-serve's server, quiet but for tracer's own lines."""

        def initialize_logging(self) -> None:
            logger = logging.getLogger("textual-serve")
            if not logger.handlers:
                handler = logging.StreamHandler(sys.stderr)
                handler.setFormatter(logging.Formatter("tracer: web: %(message)s"))
                logger.addHandler(handler)
            logger.setLevel(logging.WARNING)
            logger.propagate = False

        async def on_startup(self, app: Any) -> None:
            say(f"tracer: open {address} in a browser")
            say("tracer: press Ctrl+C to stop")

        async def handle_websocket(self, request: Any) -> Any:
            task = asyncio.current_task()
            sessions.add(task)
            try:
                return await super().handle_websocket(request)
            finally:
                sessions.discard(task)

        async def on_shutdown(self, app: Any) -> None:
            # Without this, aiohttp waits its whole shutdown timeout for open tabs.
            # Cancelled, a session tells its UI process to quit and waits for it.
            for task in list(sessions):
                if task is not None:
                    task.cancel()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + SHUTDOWN_SECONDS
            while sessions and loop.time() < deadline:
                await asyncio.sleep(0.02)

    sessions: set[asyncio.Task[Any] | None] = set()

    return TracerServer(command, host=WEB_HOST, port=port, title=title, public_url=address)


def _run(server: Any, sock: socket.socket) -> None:
    """Run textual-serve's aiohttp app on our own socket and event loop until a stop signal."""
    from aiohttp import web

    server.initialize_logging()
    loop = asyncio.new_event_loop()
    with _signals_stop(loop, server.request_exit):
        web.run_app(
            server._make_app(),
            sock=sock,
            handle_signals=False,
            loop=loop,
            print=None,
            access_log=None,
            shutdown_timeout=SHUTDOWN_SECONDS,
        )


@contextmanager
def _signals_stop(loop: asyncio.AbstractEventLoop, stop: Callable[[], None]) -> Iterator[None]:
    """Ctrl+C and the stop signals call `stop` inside `loop`; the previous handlers come back after."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    signums = (signal.SIGINT, *STOP_SIGNALS)
    previous = {signum: signal.getsignal(signum) for signum in signums}
    for signum in signums:
        loop.add_signal_handler(signum, stop)
    try:
        yield
    finally:
        for signum in signums:
            if not loop.is_closed():
                loop.remove_signal_handler(signum)
            if previous[signum] is not None:
                signal.signal(signum, previous[signum])
