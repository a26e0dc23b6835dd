"""`tracer run MODULE:ATTR`: serve an app on a real server and trace every request.

WSGI apps get Werkzeug's threaded development server, ASGI apps get uvicorn
(http, websocket, lifespan). Without ``--view`` the terminal shows an access
log read off the traces; with ``--view`` the server runs in a background
thread and the UI follows the trace file until the user quits, which stops
the server. Ctrl+C, SIGTERM and SIGHUP stop it cleanly in both modes: the
requests in progress finish, the trace file is complete, and the UI puts the
terminal back.
"""

from __future__ import annotations

import argparse
import os
import signal
from typing import Any

from .._options import DEFAULT_TRACE_FILE
from ..access_log import AccessLogSink
from ..detect import app_protocol, trace_app
from ..errors import UsageError
from ..jsonl import JsonlSink
from ..loader import load_app
from ..serve import STOP_SIGNALS, bind_socket, display_address, handling_signals, make_server, stop_signals_as_ctrl_c

_ALL_INTERFACES = ("0.0.0.0", "::", "")


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
    # Accepted only to say why not: users of uvicorn, Flask and Django reach for it.
    parser.add_argument("--reload", action="store_true", help=argparse.SUPPRESS)
    return parser


def run(args: argparse.Namespace) -> int:
    """Load, wrap and serve the app; returns the exit status."""
    if args.reload:
        raise UsageError(
            "tracer run does not reload on code changes; restart it after editing, or wrap the app "
            "in WSGITracer/ASGITracer and use your server's reloader"
        )
    out = args.out or os.environ.get("TRACER_FILE") or DEFAULT_TRACE_FILE
    _check_directory_of(out)
    app = load_app(args.app)
    protocol = args.protocol or _protocol_of(app, args.app)
    sock = bind_socket(args.host, args.port)
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
        with stop_signals_as_ctrl_c():
            if args.view:
                status = _serve_with_view(server, out)
            else:
                print(f"tracer: serving {args.app} ({protocol.upper()}, {server.description}) on {address}", flush=True)
                if args.host in _ALL_INTERFACES:
                    here = f"http://127.0.0.1:{address.rsplit(':', 1)[1]}"
                    print(f"tracer: listening on every interface, so other machines can reach the app too (here: {here})", flush=True)
                print(f"tracer: trace file {out}", flush=True)
                print("tracer: press Ctrl+C to stop", flush=True)
                status = _serve_until_interrupted(server)
    finally:
        _stop(server, sink)
    if args.view:
        print(f"tracer: stopped the server on {address}; the trace is in {out}", flush=True)
    else:
        print("tracer: stopped", flush=True)
    return status


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
    except UsageError as exc:
        reason = str(exc)
        why = f": it {reason[reason.index(' takes ') + 1:]}" if " takes " in reason else ""
        raise UsageError(
            f"{reference} is a {type(app).__name__}, not a WSGI or ASGI app{why} (pass --wsgi or --asgi if it is one)"
        ) from None


def _serve_until_interrupted(server: Any) -> int:
    """Serve in this thread until Ctrl+C (or SIGTERM, SIGHUP); the caller stops the server."""
    try:
        server.serve()
    except KeyboardInterrupt:
        pass
    return 0


def _serve_with_view(server: Any, out: str) -> int:
    """Serve from a background thread while the UI follows the trace file; the caller stops the server."""
    from .view import open_viewer

    try:
        server.start_in_thread()
        return open_viewer(os.fspath(out), follow=True)
    except KeyboardInterrupt:
        # A stop signal before the UI took over the terminal, or after it gave it back.
        return 0
