"""`tracer run MODULE:ATTR`: serve an app on a real server and trace every request.

WSGI apps get Werkzeug's threaded development server, ASGI apps get uvicorn
(http, websocket, lifespan). Without ``--view`` the terminal shows an access
log read off the traces; with ``--view`` the server runs in a background
thread and the UI follows the trace file until the user quits, which stops
the server.
"""

from __future__ import annotations

import argparse
import os
import signal
import threading
from typing import Any

from .._options import DEFAULT_TRACE_FILE
from ..access_log import AccessLogSink
from ..detect import app_protocol, trace_app
from ..errors import UsageError
from ..jsonl import JsonlSink
from ..loader import load_app
from ..serve import bind_socket, display_address, make_server


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `run` subcommand."""
    parser = subparsers.add_parser(
        "run",
        help="serve a WSGI or ASGI app and trace every request",
        description=(
            "Import MODULE:ATTR (the current directory is on sys.path), wrap it in the tracer and "
            "serve it: Werkzeug's threaded server for WSGI, uvicorn for ASGI."
        ),
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
    parser.add_argument("--view", action="store_true", help="open the UI on the live trace; quitting it stops the server")
    forced = parser.add_mutually_exclusive_group()
    forced.add_argument("--wsgi", dest="protocol", action="store_const", const="wsgi", help="treat the app as WSGI")
    forced.add_argument("--asgi", dest="protocol", action="store_const", const="asgi", help="treat the app as ASGI")
    return parser


def run(args: argparse.Namespace) -> int:
    """Load, wrap and serve the app; returns the exit status."""
    app = load_app(args.app)
    protocol = args.protocol or _protocol_of(app, args.app)
    sock = bind_socket(args.host, args.port)
    out = args.out or os.environ.get("TRACER_FILE") or DEFAULT_TRACE_FILE
    try:
        jsonl = JsonlSink(out)
    except BaseException:
        sock.close()
        raise
    sink: Any = jsonl if args.view else AccessLogSink(jsonl)
    address = display_address(sock)
    try:
        server = make_server(trace_app(app, sink, protocol=protocol), protocol, sock, quiet=args.view)
    except BaseException:
        sock.close()
        jsonl.close()
        raise
    try:
        if args.view:
            status = _serve_with_view(server, out)
            print(f"tracer: stopped the server on {address}; the trace is in {out}", flush=True)
            return status
        print(f"tracer: serving {args.app} ({protocol.upper()}, {server.description}) on {address}", flush=True)
        print(f"tracer: trace file {out}", flush=True)
        print("tracer: press Ctrl+C to stop", flush=True)
        _serve_until_interrupted(server)
        return 0
    finally:
        sink.close()


def _protocol_of(app: Any, reference: str) -> str:
    try:
        return app_protocol(app)
    except UsageError as exc:
        reason = str(exc)
        why = f": it {reason[reason.index(' takes ') + 1:]}" if " takes " in reason else ""
        raise UsageError(
            f"{reference} is a {type(app).__name__}, not a WSGI or ASGI app{why} (pass --wsgi or --asgi if it is one)"
        ) from None


def _serve_until_interrupted(server: Any) -> None:
    """Serve in this thread until Ctrl+C or SIGTERM, then shut down cleanly."""
    if threading.current_thread() is threading.main_thread():
        # SIGTERM stops the server as Ctrl+C does, so the trace file is complete.
        signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("tracer: stopped", flush=True)


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def _serve_with_view(server: Any, out: str) -> int:
    """Serve from a background thread while the UI follows the trace file."""
    from .view import open_viewer

    server.start_in_thread()
    try:
        return open_viewer(os.fspath(out), follow=True)
    finally:
        server.stop()
