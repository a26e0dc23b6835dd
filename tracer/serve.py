"""Real servers for `tracer run`: Werkzeug's threaded dev server for WSGI, uvicorn for ASGI.

    sock = bind_socket("127.0.0.1", 0)
    server = make_server(app, "wsgi", sock)
    server.start_in_thread()            # or server.serve(on_ready) to block
    ...
    server.stop()

We bind the listening socket ourselves and hand it to the server, so that a
port in use is one clear `UsageError` (Werkzeug would print and call
``sys.exit``), port 0 picks a free port, and the real address is known
before the first request.

Both servers let the requests in progress finish when they stop (for at most
`GRACEFUL_SHUTDOWN_SECONDS`), so that their traces end in the trace file.
Requests still running after that are cut short: the server calls
``on_cut_short(count, seconds)`` first, so that their traces can say so, and
leaves no traceback on the terminal for them.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import socket
import threading
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any, Literal, Protocol

from .errors import TracerError, UsageError

GRACEFUL_SHUTDOWN_SECONDS = 3
"""How long requests in progress (streams, websockets) may take to finish when the server stops."""

CutShort = Callable[[int, float], None]
"""``on_cut_short(count, seconds)``: `count` requests were still running `seconds` after the server began stopping."""

OnReady = Callable[[], None]
"""``on_ready()``: the server takes requests now (an ASGI app's lifespan startup is over); none was handled yet."""

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name))
"""Signals that stop a server the way Ctrl+C does: `kill`, and the terminal closing."""


def stop_signals_as_ctrl_c() -> contextlib.AbstractContextManager[None]:
    """Inside the block, `STOP_SIGNALS` do what Ctrl+C does.

    They call whichever SIGINT handler is current when they arrive: Python's
    (``KeyboardInterrupt``), uvicorn's (a graceful shutdown), or the one
    ``asyncio.run`` installs, which cancels the main task so that a terminal
    UI running in it puts the terminal back on its way out. The previous
    handlers come back at the end of the block.
    """
    return handling_signals(STOP_SIGNALS, _like_ctrl_c)


@contextlib.contextmanager
def handling_signals(signums: tuple[int, ...], handler: Any) -> Iterator[None]:
    """Inside the block, `handler` handles `signums`; the previous handlers come back after it.

    Only the main thread can handle signals; elsewhere this does nothing.

    Args:
        signums: The signals.
        handler: A ``handler(signum, frame)`` function, or ``signal.SIG_IGN``.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {signum: signal.signal(signum, handler) for signum in signums}
    try:
        yield
    finally:
        for signum, old_handler in previous.items():
            signal.signal(signum, old_handler)


def _like_ctrl_c(signum: int, frame: Any) -> None:
    handler = signal.getsignal(signal.SIGINT)
    if callable(handler):
        handler(signal.SIGINT, frame)
    else:
        # SIGINT is ignored (a background job): stopping must still work.
        raise KeyboardInterrupt


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host`:`port` (port 0: a free port).

    Raises:
        UsageError: The port is in use, not allowed, or the host does not resolve.
    """
    if not 0 <= port <= 65535:
        raise UsageError(f"port {port} is out of range (0-65535)")
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"cannot listen on {host!r}: {exc.strerror}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        where = f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"{where} is already in use; stop the other server or pick another --port") from None
        if exc.errno == errno.EACCES:
            raise UsageError(f"{where}: permission denied (ports below 1024 need privileges)") from None
        raise UsageError(f"cannot listen on {where}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def display_address(sock: socket.socket) -> str:
    """``http://host:port`` for the socket's bound address."""
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def cut_short_line(count: int, seconds: float) -> str:
    """One line for requests that outlived the graceful shutdown; their tracebacks are in the trace only."""
    after = f"{seconds:.1f}".rstrip("0").rstrip(".")
    if count == 1:
        return f"tracer: 1 request was still running after {after} s and was cut short; its trace is marked stopped"
    return f"tracer: {count} requests were still running after {after} s and were cut short; their traces are marked stopped"


class Server(Protocol):
    """What `tracer run` needs of a server, whichever protocol it speaks."""

    description: str

    def serve(self, on_ready: OnReady | None = None) -> None:
        """Serve until `stop()` (or Ctrl-C, in the main thread); returns after a clean shutdown.

        `on_ready` is called once the server takes requests: for ASGI, after the app's lifespan
        startup completed or the app turned out not to support lifespan; never when it failed.
        """

    def start_in_thread(self, timeout: float = 10.0) -> None:
        """Serve from a background thread; return once it accepts requests."""

    def stop(self, timeout: float = 10.0) -> None:
        """Stop serving and wait for the shutdown to finish. Idempotent."""


def make_server(
    app: Any,
    protocol: Literal["wsgi", "asgi"],
    sock: socket.socket,
    *,
    quiet: bool = False,
    log: IO[str] | None = None,
    on_cut_short: CutShort | None = None,
) -> Server:
    """A server for `app` on the already bound `sock`.

    Args:
        app: The (traced) WSGI or ASGI application.
        protocol: Which of the two it speaks.
        sock: From `bind_socket`; the server takes it over.
        quiet: No server log output on the terminal (for when a UI owns it).
        log: With `quiet`, where the server's warnings and errors go instead (`server_output_to`).
        on_cut_short: Called when the server stops with requests still running, before they are
            abandoned (WSGI: their threads die with the process) or cancelled (ASGI).
    """
    if protocol == "wsgi":
        return WerkzeugServer(app, sock, quiet=quiet, log=log, on_cut_short=on_cut_short)
    return UvicornServer(app, sock, quiet=quiet, log=log, on_cut_short=on_cut_short)


class WerkzeugServer:
    """Werkzeug's threaded development server (one thread per request)."""

    description = "Werkzeug threaded server"

    def __init__(
        self,
        app: Any,
        sock: socket.socket,
        *,
        quiet: bool = False,
        log: IO[str] | None = None,
        on_cut_short: CutShort | None = None,
    ) -> None:
        from werkzeug.serving import make_server as werkzeug_server

        _quiet_logger("werkzeug", quiet, log)
        host, port = sock.getsockname()[:2]
        self._in_flight = _InFlight()
        handler = _handler_class(self._in_flight)
        # Werkzeug dups the descriptor; the server owns the copy, we close ours.
        self._server = werkzeug_server(host, port, app, threaded=True, request_handler=handler, fd=sock.fileno())
        sock.close()
        self._thread: threading.Thread | None = None
        self._stopped = False
        self._on_cut_short = on_cut_short

    def serve(self, on_ready: OnReady | None = None) -> None:
        # The socket listens already and WSGI has no startup: connections wait in its backlog.
        if on_ready is not None:
            on_ready()
        self._server.serve_forever(poll_interval=0.2)

    def start_in_thread(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self.serve, name="tracer-wsgi-server", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        if self._stopped:
            return
        self._stopped = True
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout)
        self._server.server_close()
        # Werkzeug's request threads are daemons that die with the process: give
        # the requests in progress a moment to finish, as uvicorn does.
        began = time.monotonic()
        idle = False
        try:
            idle = self._in_flight.wait_until_idle(min(timeout, GRACEFUL_SHUTDOWN_SECONDS))
        except KeyboardInterrupt:
            pass  # A second Ctrl+C: stop waiting.
        running = self._in_flight.count
        if not idle and running and self._on_cut_short is not None:
            self._on_cut_short(running, time.monotonic() - began)


class _InFlight:
    """How many requests are inside the app right now."""

    def __init__(self) -> None:
        self._count = 0
        self._changed = threading.Condition()

    def __enter__(self) -> None:
        with self._changed:
            self._count += 1

    def __exit__(self, *exc_info: object) -> None:
        with self._changed:
            self._count -= 1
            self._changed.notify_all()

    @property
    def count(self) -> int:
        """How many requests are inside the app."""
        return self._count

    def wait_until_idle(self, timeout: float) -> bool:
        with self._changed:
            return self._changed.wait_for(lambda: self._count == 0, timeout)


def _handler_class(in_flight: _InFlight) -> type:
    from werkzeug.serving import WSGIRequestHandler

    class QuietRequestHandler(WSGIRequestHandler):
        """Counts the requests in progress; leaves the access log to `AccessLogSink` (errors are still logged)."""

        def run_wsgi(self) -> None:
            # Only requests count: an idle keep-alive connection must not hold up a shutdown.
            with in_flight:
                super().run_wsgi()

        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            pass

    return QuietRequestHandler


class UvicornServer:
    """uvicorn with http, websocket and lifespan."""

    description = "uvicorn"

    def __init__(
        self,
        app: Any,
        sock: socket.socket,
        *,
        quiet: bool = False,
        log: IO[str] | None = None,
        on_cut_short: CutShort | None = None,
    ) -> None:
        import uvicorn

        for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
            _quiet_logger(name, quiet, log)
        config = uvicorn.Config(
            app,
            # "auto" runs the lifespan protocol and still serves apps that reject it (Django's ASGIHandler).
            lifespan="auto",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        self._cut_short = _CutShortFilter(on_cut_short)
        self._server = _uvicorn_server(config, self._cut_short)
        self._sock = sock
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    def serve(self, on_ready: OnReady | None = None) -> None:
        error_log = logging.getLogger("uvicorn.error")
        error_log.addFilter(self._cut_short)
        self._server.on_ready = on_ready
        try:
            self._server.run(sockets=[self._sock])
        except SystemExit:
            # uvicorn exits the process when the app's lifespan startup fails; we report it instead.
            pass
        finally:
            error_log.removeFilter(self._cut_short)
            self._sock.close()
        if not self._server.started:
            raise TracerError("the app's lifespan startup failed, so the server did not start (the trace file has its message)")

    def start_in_thread(self, timeout: float = 10.0) -> None:
        self._thread = threading.Thread(target=self._serve_in_thread, name="tracer-asgi-server", daemon=True)
        self._thread.start()
        waited = 0.0
        while not self._server.started and waited < timeout:
            if not self._thread.is_alive():
                break
            self._thread.join(0.02)
            waited += 0.02
        if not self._server.started:
            self.stop()
            if self._failure is not None:
                raise self._failure
            raise TracerError(f"the ASGI server did not start within {timeout:g} s")

    def _serve_in_thread(self) -> None:
        try:
            self.serve()
        except BaseException as exc:  # noqa: BLE001 - handed to the thread that waits
            self._failure = exc

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread is not None and self._thread is not threading.current_thread():
            try:
                self._thread.join(timeout)
            except KeyboardInterrupt:
                pass  # A second Ctrl+C: hurry, as uvicorn itself does.
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)


def _uvicorn_server(config: Any, cut_short: _CutShortFilter) -> Any:
    """A ``uvicorn.Server`` that says when it is ready, and reports the requests a second Ctrl+C abandons."""
    import uvicorn

    class Server(uvicorn.Server):  # type: ignore[misc]
        on_ready: OnReady | None = None

        async def startup(self, sockets: Any = None) -> None:
            # uvicorn sets `started` once the lifespan startup is over and the socket is served (it
            # exits instead when the startup failed); the loop has taken no connection yet.
            await super().startup(sockets)
            if self.started and self.on_ready is not None:
                self.on_ready()

        async def shutdown(self, sockets: Any = None) -> None:
            began = time.monotonic()
            await super().shutdown(sockets)
            if self.force_exit:
                # uvicorn stopped waiting and leaves the requests to asyncio.run, which cancels them next.
                running = [task for task in getattr(self.server_state, "tasks", ()) if not task.done()]
                if running:
                    cut_short.cut(len(running), time.monotonic() - began)

    return Server(config)


class _CutShortFilter(logging.Filter):
    """Hears uvicorn cancel the requests that outlived its graceful shutdown, and keeps it quiet.

    uvicorn logs "Cancel N running task(s), timeout graceful shutdown
    exceeded" on ``uvicorn.error`` right before it cancels them; this filter
    turns that record into one ``on_cut_short`` call (in the event loop's
    thread, so before the cancellation reaches the app) and drops it, and
    drops the "Exception in ASGI application" tracebacks of the
    cancellations that follow: each is in its request's trace.
    """

    def __init__(self, on_cut_short: CutShort | None) -> None:
        super().__init__()
        self._on_cut_short = on_cut_short
        self.cutting = False

    def cut(self, count: int, seconds: float) -> None:
        """`count` requests are about to be cancelled, `seconds` after the shutdown began (once)."""
        if self.cutting:
            return
        self.cutting = True
        if self._on_cut_short is not None:
            try:
                self._on_cut_short(count, seconds)
            except Exception:  # noqa: BLE001 - the server's shutdown must go on
                logging.getLogger("tracer").exception("while cutting requests short")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith("Cancel %s running task"):
            args = record.args
            count = args[0] if isinstance(args, tuple) and args and isinstance(args[0], int) else 0
            self.cut(count, GRACEFUL_SHUTDOWN_SECONDS)
            return False
        if self.cutting and record.exc_info and isinstance(record.exc_info[1], asyncio.CancelledError):
            return False
        return True


def _quiet_logger(name: str, quiet: bool, log: IO[str] | None = None) -> None:
    """Server messages: warnings and errors on stderr, or in `log`, or nothing at all when `quiet` without one."""
    logger = logging.getLogger(name)
    if quiet and log is not None:
        handler = logging.StreamHandler(log)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s: %(message)s"))
        logger.handlers[:] = [handler]
        logger.propagate = False
        if logger.level == logging.NOTSET or logger.level < logging.WARNING:
            logger.setLevel(logging.WARNING)
        return
    if quiet:
        logger.handlers[:] = [logging.NullHandler()]
        logger.propagate = False
        # Errors are still made into records (and dropped): `_CutShortFilter` must hear them.
        logger.setLevel(logging.ERROR)
        return
    if name in ("uvicorn", "werkzeug") and not logger.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    if logger.level == logging.NOTSET or logger.level < logging.WARNING:
        logger.setLevel(logging.WARNING)


def server_log_path(trace_file: str) -> str:
    """The file beside `trace_file` that the server's own output goes to while a terminal UI runs."""
    return os.fspath(trace_file) + ".log"


@contextlib.contextmanager
def server_output_to(path: str) -> Iterator[IO[str]]:
    """Inside the block, the process's console output goes to the file at `path` (appended, owner-only).

    For ``tracer run --view``, whose UI owns the terminal: what is written to
    stdout and stderr (once `tracer.app_output.capture_output` has put its
    streams there; lines written during a request still go into its trace
    too), and the log handlers that write to the console, go to the file.
    Pass the yielded file to `make_server` as ``log`` for the server's own
    messages. Everything goes back at the end of the block.

    Raises:
        UsageError: The file cannot be opened.
    """
    from .app_output import redirect_streams

    log = open_server_log(path)
    moved = _console_handlers()
    for handler in moved:
        handler.setStream(log)
    redirect_streams(log)
    try:
        yield log
    finally:
        redirect_streams(None)
        for handler, stream in moved.items():
            handler.setStream(stream)
        log.close()


def open_server_log(path: str) -> IO[str]:
    """The server log at `path`, opened for appending (owner-only), with a line that says who writes from here on.

    Raises:
        UsageError: It cannot be opened.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot write the server log {path!r}: {exc.strerror or exc}") from None
    log = os.fdopen(fd, "a", encoding="utf-8", errors="backslashreplace", buffering=1)
    log.write(f"--- {time.strftime('%Y-%m-%d %H:%M:%S')} tracer run, pid {os.getpid()}\n")
    log.flush()
    return log


def say_when_held(debugger: Any, prefix: str = "tracer: ") -> None:
    """Print a line each time a request is held at a breakpoint while no viewer is attached to release it."""

    def held(event: dict[str, Any]) -> None:
        if event.get("event") != "held" or debugger.clients:
            return
        info = event["held"]
        where = info.get("type") or info.get("kind")
        print(
            f"{prefix}held {info.get('title')} at {where} (no viewer attached; it goes on by itself after "
            f"{debugger.hold_timeout:g} s)",
            flush=True,
        )

    debugger.subscribe(held)


def _console_handlers() -> dict[logging.StreamHandler[Any], Any]:
    """The log handlers that write to the terminal, with the stream each writes to."""
    console = {id(stream) for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__) if stream is not None}
    for name in ("stdout", "stderr"):
        inner = getattr(getattr(sys, name), "stream", None)
        if inner is not None:
            console.add(id(inner))
    loggers = [logging.getLogger()] + [
        logger for logger in list(logging.Logger.manager.loggerDict.values()) if isinstance(logger, logging.Logger)
    ]
    found: dict[logging.StreamHandler[Any], Any] = {}
    for logger in loggers:
        for handler in list(logger.handlers):
            if type(handler) is logging.StreamHandler and id(handler.stream) in console:
                found[handler] = handler.stream
    return found
