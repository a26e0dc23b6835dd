"""`tracer resend FILE#TRACE_ID --to URL`: send a recorded request again, over the network.

mitmproxy's ``r``: the recorded method, path, query, headers and body go to
the app at URL with httpx, and the response's status, headers and body are
printed beside what the recording got. A websocket session is played with a
websocket client: the client's messages are sent in the recorded order, each
once the app has answered as often as it had by then. When the app at URL is
traced (``tracer run``), the new exchange lands in its trace file, ready for
``tracer diff``. Exit status: 0 when the app answered, 2 on bad input or when
it cannot be reached.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO, Any
from urllib.parse import urlsplit

from ..compare_ws import WebSocketMessage, websocket_messages
from ..errors import TracerError, UsageError
from ..exporters._http import Exchange, exchange
from ..model import Trace
from ..resend import request_headers, send_again, target_url
from .check import describe
from .replay import parse_headers
from ._trace_ref import load_trace, parse_ref

BODY_CHARS = 2000
"""Characters of a text response body printed (the size is always said)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `resend` subcommand."""
    parser = subparsers.add_parser(
        "resend",
        help="send a recorded request again to a running app (httpx; a websocket client for websockets)",
        description=(
            "Send a recorded request again over the network: method, path, query, headers and body to the app at "
            "--to, then print the response's status, headers and body beside what the recording got. A websocket "
            "session is played message by message. When that app is traced, its trace file gets the new exchange."
        ),
    )
    parser.add_argument("trace", metavar="FILE#TRACE_ID", help="the recorded request (a unique prefix of the id, or its number, will do)")
    parser.add_argument("--to", metavar="URL", required=True, help="where the app listens, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--header", "-H", metavar="'NAME: VALUE'", action="append", default=[],
        help="send this header instead of the recorded one, or besides them: the values the recording redacted (repeatable)",
    )
    parser.add_argument("--timeout", type=float, default=10.0, metavar="S", help="seconds to wait for the app (default: 10)")
    return parser


def run(args: argparse.Namespace) -> int:
    """Send the request and print the response; returns the exit status."""
    ref = parse_ref(args.trace)
    base = _base_url(args.to)
    if args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout:g}: give a number of seconds above 0")
    supplied = parse_headers(args.header)
    trace = load_trace(ref)
    ex = exchange(trace)
    if ex is None:
        raise UsageError(f"trace {trace.id} is a {trace.scope_type} trace: there is no request to send")
    if ex.request_truncated:
        raise UsageError(f"trace {trace.id} kept only part of the request body (max_body_bytes): it cannot be sent again")
    headers = _headers(ex, supplied, websocket=trace.scope_type == "websocket")
    out = sys.stdout
    print(f"recorded  {describe(trace)}", file=out)
    if trace.scope_type == "websocket":
        _websocket(trace, ex, base, headers, args.timeout, out)
    else:
        _http(trace, ex, base, headers, args.timeout, out)
    return 0


def _base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"--to {url!r}: give the app's address as http://HOST:PORT")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _headers(ex: Exchange, supplied: list[tuple[str, str]], *, websocket: bool) -> list[tuple[str, str]]:
    return request_headers(ex, supplied, websocket=websocket, warn=sys.stderr)


def _http(trace: Trace, ex: Exchange, base: str, headers: list[tuple[str, str]], timeout: float, out: IO[str]) -> None:
    try:
        import httpx
    except ImportError:
        raise TracerError("tracer resend needs httpx (pip install httpx)") from None
    url = target_url(ex, base)
    body = bytes(ex.request_body)
    print(f"sent      {ex.method} {url}" + (f" ({len(body)} bytes)" if body else ""), file=out)
    try:
        # The headers are chosen (and the redacted ones warned about) by `run`.
        response = send_again(trace, base, timeout=timeout, headers=headers)
    except httpx.HTTPError as exc:
        raise TracerError(f"{url}: {type(exc).__name__}: {str(exc) or 'no answer'}") from None
    # The bytes as sent, as the trace recorded them (httpx would undo a gzip coding).
    raw = response.extensions["raw_body"]
    print(file=out)
    print(f"{response.http_version} {response.status_code} {response.reason_phrase}", file=out)
    for name, value in response.headers.multi_items():
        print(f"{name}: {value}", file=out)
    print(file=out)
    coding = response.headers.get("content-encoding")
    if coding and coding != "identity":
        print(f"({len(raw)} bytes, content-encoding {coding})", file=out)
    else:
        _body(raw, response.headers.get("content-type"), out)
    print(file=out)
    summary = trace.summary
    recorded = f"{summary.status}, {ex.response_body_size} bytes" if summary.status is not None else "no response"
    kept = bytes(ex.response_body)
    if ex.response_truncated:  # the trace kept the first bytes only
        same = response.status_code == summary.status and len(raw) == ex.response_body_size and raw.startswith(kept)
    else:
        same = (response.status_code, raw) == (summary.status, kept)
    verdict = "the same status and body" if same else "differs"
    print(f"recorded: {recorded}; now: {response.status_code}, {len(raw)} bytes ({verdict})", file=out)


def _body(data: bytes, content_type: str | None, out: IO[str]) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = None
    if not data:
        print("(no body)", file=out)
    elif text is None or "\x00" in text:
        print(f"({len(data)} bytes of {content_type or 'binary data'})", file=out)
    else:
        print(text[:BODY_CHARS].rstrip("\n"), file=out)
        if len(text) > BODY_CHARS:
            print(f"… ({len(data)} bytes in all)", file=out)


def _websocket(trace: Trace, ex: Exchange, base: str, headers: list[tuple[str, str]], timeout: float, out: IO[str]) -> None:
    from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException
    from websockets.sync.client import connect

    url = target_url(ex, base, "wss" if base.startswith("https") else "ws")
    scope = trace.request_info
    subprotocols = [p for p in scope.get("subprotocols") or () if isinstance(p, str)] or None
    print(f"sent      websocket {url}", file=out)
    try:
        connection = connect(url, additional_headers=headers, subprotocols=subprotocols, open_timeout=timeout,
                             close_timeout=timeout, compression=None)
    except InvalidStatus as exc:
        print(f"handshake refused: HTTP {exc.response.status_code} (recorded: {trace.summary.status})", file=out)
        return
    except (OSError, TimeoutError, WebSocketException) as exc:
        raise TracerError(f"{url}: {type(exc).__name__}: {exc}") from None
    with connection:
        closed = _converse(connection, websocket_messages(trace), timeout, out, ConnectionClosed)
        ender, code = _ending(trace)
        if closed is None and ender == "app":
            try:
                extra = connection.recv(timeout=timeout)
                print(f"← {extra!r} (not in the recording)", file=out)
            except TimeoutError:
                print(f"the app did not close within {timeout:g} s (recorded: closed {code})", file=out)
            except ConnectionClosed as exc:
                closed = exc.rcvd.code if exc.rcvd is not None else 1006
        if closed is not None:
            print(f"closed by the app: {closed} (recorded: {trace.summary.close_code})", file=out)
        else:
            sent = code if code is not None and (1000 <= code <= 1003 or 1007 <= code <= 1014 or 3000 <= code <= 4999) else 1000
            connection.close(sent)
            print(f"closed by the client: {sent}" + (f" (recorded: {code})" if ender == "client" else ""), file=out)


def _converse(connection: Any, messages: list[WebSocketMessage], timeout: float, out: IO[str], closed_error: type) -> int | None:
    """Send the client's messages and take the app's, in the recorded order; returns the app's close code if it closed."""
    for message in messages:
        try:
            if message.sender == "client":
                connection.send(message.payload)
                print(f"→ {message.kind} {message.payload!r}", file=out)
                continue
            got = connection.recv(timeout=timeout)
        except TimeoutError:
            print(f"← nothing within {timeout:g} s (recorded: {message.describe()})", file=out)
            return None
        except closed_error as exc:
            return exc.rcvd.code if exc.rcvd is not None else 1006
        kind = "text" if isinstance(got, str) else "bytes"
        same = "" if (kind, got) == (message.kind, message.payload) else f"  (recorded: {message.describe()})"
        print(f"← {kind} {got!r}{same}", file=out)
    return None


def _ending(trace: Trace) -> tuple[str | None, int | None]:
    """Who closed the recorded session (``"app"`` or ``"client"``) and with which code."""
    for event in trace.events:
        message = event.data.get("message")
        if not isinstance(message, dict):
            continue
        if event.kind == "asgi.receive" and message.get("type") == "websocket.disconnect":
            code = message.get("code", 1005)
            return "client", code if isinstance(code, int) else None
        if event.kind == "asgi.send" and message.get("type") == "websocket.close":
            code = message.get("code", 1000)
            return "app", code if isinstance(code, int) else None
    return None, None
