"""`tracer run MODULE:ATTR`: serve an app on a real server and trace every request.

WSGI apps get Werkzeug's threaded development server, ASGI apps get uvicorn
(http, websocket, lifespan). Without ``--view`` the terminal shows an access
log read off the traces; with ``--view`` the server runs in a background
thread and the UI follows the trace file until the user quits, which stops
the server. Ctrl+C, SIGTERM and SIGHUP stop it cleanly in both modes: the
requests in progress get a few seconds to finish, those that do not are cut
short with their traces closed (``"stopped"``) and counted in one line, and
the UI puts the terminal back.

With ``--workers N`` (N > 1) the app is served by N worker processes
instead (uvicorn's for ASGI, gunicorn's for WSGI; `run_workers`), all
appending to the one trace file.

An app that is already a `WSGITracer` or `ASGITracer` is not wrapped again:
its app is traced once, into the trace file, with that tracer's options.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import warnings
from collections.abc import Callable
from typing import Any

from ..defaults import DEFAULT_TRACE_FILE
from .._session import STOPPED_BY_SERVER
from ..access_log import AccessLogSink
from ..app_output import capture_output, release_output
from ..asgi import ASGITracer
from ..debug import enable, parse_breakpoints
from ..debug.options import break_epilog, add_break_options, check_hold_timeout
from ..detect import NotAnApp, app_protocol, retrace, trace_app
from ..django_static import with_static_files
from ..errors import TracerWarning, UsageError
from ..jsonl import JsonlSink
from ..loader import load_app
from ..serve import (
    STOP_SIGNALS,
    bind_socket,
    cut_short_line,
    display_address,
    handling_signals,
    make_server,
    server_log_path,
    say_when_held,
    server_output_to,
    stop_signals_as_ctrl_c,
)
from ..workers import check_gunicorn, parse_workers
from ..wsgi import WSGITracer

_ALL_INTERFACES = ("0.0.0.0", "::", "")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `run` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="serve a WSGI or ASGI app and trace every request",
        description=(
            "Import MODULE:ATTR (the current directory is on sys.path), wrap it in the tracer and "
            "serve it: Werkzeug's threaded server for WSGI, uvicorn for ASGI. Breakpoints are on: "
            "--break holds matching requests for the UI (--view) or for 'tracer view FILE' in another terminal."
        ),
        epilog=break_epilog(hold_timeout=True),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("app", metavar="MODULE:ATTR", help="the app, e.g. myapp:app or mysite.wsgi:application")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default: %(default)s)")
    parser.add_argument(
        "--out",
        default=None,
        metavar="FILE",
        help=f"trace file to append to (default: $TRACER_FILE, else ./{DEFAULT_TRACE_FILE})",
    )
    parser.add_argument(
        "--max-size",
        type=parse_size,
        default=None,
        metavar="SIZE",
        help="rotate the trace file when it reaches SIZE (bytes, or with K, M or G: 100M); default never",
    )
    parser.add_argument(
        "--backups",
        type=int,
        default=5,
        metavar="N",
        help="rotated files to keep with --max-size: FILE.1 … FILE.N (default: %(default)s)",
    )
    parser.add_argument("--view", action="store_true", help="open the UI on the live trace; quitting it stops the server")
    parser.add_argument(
        "--web",
        action="store_true",
        help="serve the UI to browser tabs on 127.0.0.1 instead (a free port, printed; implies --view; "
        "extra: pip install 'tracer[web]')",
    )
    add_break_options(parser, hold_timeout=True)
    parser.add_argument(
        "--workers",
        type=parse_workers,
        default=1,
        metavar="N",
        help="serve with N worker processes, all appending to the one trace file: uvicorn's workers for ASGI, "
        "gunicorn's for WSGI (extra: pip install 'tracer[workers]'); default %(default)s, this process",
    )
    parser.add_argument(
        "--factory",
        action="store_true",
        help="MODULE:ATTR is an app factory: call it with no arguments to get the app (as uvicorn's --factory)",
    )
    forced = parser.add_mutually_exclusive_group()
    forced.add_argument("--wsgi", dest="protocol", action="store_const", const="wsgi", help="treat the app as WSGI")
    forced.add_argument("--asgi", dest="protocol", action="store_const", const="asgi", help="treat the app as ASGI")
    # Accepted only to say why not: users of uvicorn, Flask and Django reach for it.
    parser.add_argument("--reload", action="store_true", help=argparse.SUPPRESS)
    return parser


_SIZE_UNITS = {"": 1, "K": 1024, "M": 1024**2, "G": 1024**3}


def parse_size(text: str) -> int:
    """A size such as ``100M``, ``512K``, ``1G`` or ``1048576`` (bytes), as a positive number of bytes."""
    cleaned = text.strip().upper().removesuffix("B").removesuffix("I")
    unit = cleaned[-1:] if cleaned[-1:] in ("K", "M", "G") else ""
    number = cleaned[: len(cleaned) - len(unit)]
    try:
        size = int(float(number) * _SIZE_UNITS[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 100M, 512K, 1G, or bytes)") from None
    if size <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive size")
    return size


def run(args: argparse.Namespace) -> int:
    """Load, wrap and serve the app; returns the exit status."""
    if args.reload:
        raise UsageError(
            "tracer run does not reload on code changes; restart it after editing, or wrap the app "
            "in WSGITracer/ASGITracer and use your server's reloader"
        )
    out = args.out or os.environ.get("TRACER_FILE") or DEFAULT_TRACE_FILE
    _check_directory_of(out)
    if args.web:
        from .view import load_web_viewer

        load_web_viewer().load_server_class()  # a missing extra is one line before anything starts
        args.view = True
    breakpoints = parse_breakpoints(args.breaks or ())
    hold_timeout = check_hold_timeout(args.hold_timeout)
    app = load_app(args.app, factory=args.factory)
    reference = f"{args.app}()" if args.factory else args.app
    already = isinstance(app, (WSGITracer, ASGITracer))
    if already:
        protocol = _protocol_of_tracer(app, args.protocol)
    else:
        protocol = args.protocol or _protocol_of(app, reference)
    app, static_note = _with_static_files(app)
    if args.workers > 1:
        if protocol == "wsgi":
            check_gunicorn()
        from .run_workers import run_workers

        if already:
            _warn_already_traced(app, reference, out)
        return run_workers(args, protocol, out, breakpoints, hold_timeout, static_note)
    sock = bind_socket(args.host, args.port)
    try:
        jsonl = JsonlSink(out, max_bytes=args.max_size, backups=args.backups)
    except BaseException:
        sock.close()
        raise
    # The terminal UI covers the console; with the UI in a browser, the console keeps its access log.
    sink: Any = jsonl if args.view and not args.web else AccessLogSink(jsonl)
    address = display_address(sock)
    cut: list[tuple[int, float]] = []
    debugger = None
    traced: Any = None
    terminal_ui = args.view and not args.web
    # With the terminal UI on the screen, the server's own output goes to a file beside the trace.
    output = contextlib.ExitStack()
    try:
        if already:
            _warn_already_traced(app, reference, out)
            traced = retrace(app, sink)
        else:
            traced = trace_app(app, sink, protocol=protocol)
        traced._track_open_requests()
        debugger = enable(traced, breakpoints, hold_timeout=hold_timeout)
        # After loading the app, which may have configured logging (Django's settings.LOGGING).
        capture_output(traced)
        log = None
        if terminal_ui:
            log_path = server_log_path(out)
            print(
                f"tracer: the app's output goes into its traces; the server's own output goes to {log_path}",
                flush=True,
            )
            log = output.enter_context(server_output_to(log_path))

        def cut_short(count: int, seconds: float) -> None:
            marked = traced._stop_open_requests(STOPPED_BY_SERVER)
            cut.append((count or marked, seconds))

        server = make_server(traced, protocol, sock, quiet=terminal_ui, log=log, on_cut_short=cut_short)
    except BaseException:
        output.close()
        if traced is not None:
            release_output(traced)
        sock.close()
        jsonl.close()
        if debugger is not None:
            debugger.close()
        raise
    try:
        with stop_signals_as_ctrl_c():
            if terminal_ui:
                if static_note:
                    print(f"tracer: {static_note}", flush=True)
                status = _serve_with_view(server, out, address)
            else:
                # Before serving: a breakpoint may hold the lifespan startup, and the user needs the way to release it.
                if breakpoints:
                    _announce_breakpoints(debugger, breakpoints, out)

                def serving() -> None:
                    announce_serving(args, f"{protocol.upper()}, {server.description}", address, out)
                    if static_note:
                        print(f"tracer: {static_note}", flush=True)
                    if not args.web:
                        print("tracer: press Ctrl+C to stop", flush=True)

                if args.web:
                    status = _serve_with_web_view(server, out, serving)
                else:
                    status = _serve_until_interrupted(server, serving)
    finally:
        # Held requests go on first, so that the server's graceful shutdown can finish them.
        if debugger is not None:
            debugger.close()
        _stop(server, sink)
        output.close()
        release_output(traced)
    if cut and cut[-1][0]:
        print(cut_short_line(*cut[-1]), flush=True)
    if args.view:
        print(f"tracer: stopped the server on {address}; the trace is in {out}", flush=True)
    else:
        print("tracer: stopped", flush=True)
    return status


def announce_serving(args: argparse.Namespace, how: str, address: str, out: str) -> None:
    """The console lines before the first request: what serves the app where, and the trace file.

    Print them once the server is ready (`tracer.serve.Server.serve`'s ``on_ready``): an app whose
    lifespan startup fails is never served.
    """
    print(f"tracer: serving {args.app} ({how}) on {address}", flush=True)
    if args.host in _ALL_INTERFACES:
        port = address.rsplit(":", 1)[1]
        here = f"http://127.0.0.1:{port}"
        lan = lan_address()
        there = f", from other machines: http://{lan}:{port}" if lan else ""
        print(
            f"tracer: listening on every interface, so other machines can reach the app too (here: {here}{there})",
            flush=True,
        )
    print(f"tracer: trace file {out}", flush=True)


def _with_static_files(app: Any) -> tuple[Any, str | None]:
    """The app with Django's static files served where runserver would serve them, and the console's sentence."""
    if isinstance(app, (WSGITracer, ASGITracer)):
        app.app, note = with_static_files(app.app)
        return app, note
    return with_static_files(app)


def lan_address() -> str | None:
    """This machine's address on its local network (the one its default route uses), or None.

    Connecting a UDP socket sends nothing; it only makes the kernel pick the outgoing address.
    """
    import socket

    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.254.254.254", 1))
            address = probe.getsockname()[0]
    except OSError:
        return None
    return None if address.startswith(("127.", "0.")) else address


def _announce_breakpoints(debugger: Any, breakpoints: list[Any], out: str) -> None:
    """Say which breakpoints hold requests, how to release them, and (later) each request held while nobody is attached."""
    listed = ", ".join(repr(bp.text) for bp in breakpoints)
    print(f"tracer: breakpoints {listed}; release held requests with: tracer view {shlex.quote(out)}", flush=True)
    if debugger is not None:
        say_when_held(debugger)


def _stop(server: Any, sink: Any) -> None:
    """Stop the server, then close the trace file; a second Ctrl+C only cuts the wait for requests short."""
    with stop_signals_as_ctrl_c():
        try:
            server.stop()
        except KeyboardInterrupt:
            pass
        # Ctrl+C and the stop signals do nothing here: what is written must be written whole.
        with handling_signals((signal.SIGINT, *STOP_SIGNALS), signal.SIG_IGN):
            sink.close()


def _check_directory_of(out: str) -> None:
    directory = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(directory):
        raise UsageError(f"cannot write the trace file {out!r}: the directory {directory!r} does not exist")


def _protocol_of(app: Any, reference: str) -> str:
    try:
        return app_protocol(app)
    except NotAnApp as exc:
        what = f"{reference} is a {type(app).__name__}, not a WSGI or ASGI app"
        why = "" if exc.reason == "is not callable" else f": it {exc.reason}"
        if exc.factory and not reference.endswith("()"):
            raise UsageError(f"{what}{why}; if calling it returns the app (an app factory), pass --factory") from None
        raise UsageError(f"{what}{why} (pass --wsgi or --asgi if it is one)") from None


def _protocol_of_tracer(tracer: Any, forced: str | None) -> str:
    protocol = "wsgi" if isinstance(tracer, WSGITracer) else "asgi"
    if forced is not None and forced != protocol:
        raise UsageError(f"the app is a {type(tracer).__name__}, so it speaks {protocol.upper()}: drop --{forced}")
    return protocol


def _warn_already_traced(tracer: Any, reference: str, out: str) -> None:
    warnings.warn(
        f"{reference} is already a {type(tracer).__name__}; tracer run traces the app inside it once, "
        f"into {out} with that tracer's options, instead of into its sink {tracer.sink!r}",
        TracerWarning,
        stacklevel=2,
    )


def _serve_until_interrupted(server: Any, on_ready: Callable[[], None]) -> int:
    """Serve in this thread until Ctrl+C (or SIGTERM, SIGHUP); the caller stops the server.

    `on_ready` is called once the server takes requests.
    """
    try:
        server.serve(on_ready)
    except KeyboardInterrupt:
        pass
    return 0


def _serve_with_web_view(server: Any, out: str, on_ready: Callable[[], None]) -> int:
    """Serve the app from a background thread and the UI to browser tabs until Ctrl+C; the caller stops the server.

    `on_ready` is called once the app is served, before the UI is.
    """
    from .view import open_web_viewer

    try:
        server.start_in_thread()
        on_ready()
        return open_web_viewer(os.fspath(out), follow=True)
    except KeyboardInterrupt:
        return 0


def _serve_with_view(server: Any, out: str, app_url: str | None = None) -> int:
    """Serve from a background thread while the UI follows the trace file; the caller stops the server.

    `app_url` (``http://HOST:PORT``) is where the UI re-sends requests to.
    """
    from .view import open_viewer

    try:
        server.start_in_thread()
        return open_viewer(os.fspath(out), follow=True, app_url=app_url)
    except KeyboardInterrupt:
        # A stop signal before the UI took over the terminal, or after it gave it back.
        return 0
