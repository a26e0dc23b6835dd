"""The client's side of a recorded exchange, rebuilt to be played to an app again.

A trace holds everything the server handed the app: the environ and the
bytes each ``wsgi.input`` read returned, or the scope and every message
``receive()`` returned. `client_side` takes those back out of a trace, and
`wsgi_request` / `asgi_request` give them in the protocol of the app that
is to get them, translating where the recording was made in the other one::

    side = client_side(trace, headers=[("Authorization", "Bearer …")])
    environ, pieces, stop_after = wsgi_request(side)     # for a WSGI app
    scope, arrivals = asgi_request(side)                 # for an ASGI app

Header values the recording redacted cannot be sent again; they are left out
and named in `ClientSide.missing_headers`, unless `headers` supplies them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .errors import UsageError
from .model import ReprValue, Trace, TruncatedBytes
from .redact import REDACTED, REDACTED_BYTES
from .summary import header_value

_WSGI_OWN = frozenset({"wsgi.input", "wsgi.errors", "wsgi.file_wrapper"})
_BODY_MESSAGES = frozenset({"http.response.body"})


class ReplayError(UsageError):
    """A trace that cannot be played again (a lifespan trace, a body the trace kept only part of)."""


@dataclass(frozen=True, slots=True)
class Arrival:
    """One message for the app's ``receive()``, and when to hand it over.

    Attributes:
        message: The message, as recorded.
        after_sends: Handed over once the app has sent this many messages, as it had in the recording.
    """

    message: dict[str, Any]
    after_sends: int = 0


@dataclass(slots=True)
class ClientSide:
    """What the client (and server) gave the app in a recorded exchange.

    Attributes:
        trace_id: The recorded trace.
        protocol: The protocol it was recorded in.
        scope_type: ``"http"`` or ``"websocket"``.
        environ: The WSGI environ (without its streams), for a WSGI recording.
        scope: The ASGI scope, for an ASGI recording.
        pieces: The request body in the pieces the app got it (non-empty reads or ``http.request`` bodies).
        arrivals: An ASGI recording's ``receive()`` messages, in order.
        read_methods: The ``wsgi.input`` methods the recorded app used (``readinto``, ``read1``...).
        client_left_after: The response chunks the client took before it went away, or None
            when it took the whole response.
        missing_headers: Headers the recording redacted and nobody supplied.
    """

    trace_id: str
    protocol: str
    scope_type: str
    environ: dict[str, Any] | None = None
    scope: dict[str, Any] | None = None
    pieces: list[bytes] = field(default_factory=list)
    arrivals: list[Arrival] = field(default_factory=list)
    read_methods: frozenset[str] = frozenset()
    client_left_after: int | None = None
    missing_headers: list[str] = field(default_factory=list)


def client_side(trace: Trace, headers: Iterable[tuple[str, str]] = ()) -> ClientSide:
    """Rebuild the client's side of a recorded http or websocket exchange.

    Args:
        trace: The recorded trace.
        headers: ``(name, value)`` request headers sent instead of the recorded ones of
            that name (values the recording redacted); a request recorded without
            that header is replayed without it.

    Raises:
        ReplayError: A lifespan trace, a trace without its first event, or a request
            body the trace kept only part of.
    """
    if trace.scope_type == "lifespan":
        raise ReplayError(f"trace {trace.id} is a lifespan trace: there is no request to replay")
    info = trace.request_info
    if not info:
        raise ReplayError(f"trace {trace.id} has no environ or scope to replay")
    supplied = [(name.strip(), value.strip()) for name, value in headers]
    side = ClientSide(trace.id, trace.protocol, trace.scope_type)
    if trace.protocol == "wsgi":
        side.environ = _environ(info, supplied, side.missing_headers)
        _wsgi_events(trace, side)
    else:
        side.scope = _scope(info, supplied, side.missing_headers)
        _asgi_events(trace, side)
    return side


def _environ(recorded: dict[str, Any], supplied: list[tuple[str, str]], missing: list[str]) -> dict[str, Any]:
    environ: dict[str, Any] = {}
    for key, value in recorded.items():
        if not isinstance(key, str) or key in _WSGI_OWN or isinstance(value, ReprValue):
            continue
        if value == REDACTED:
            if key.startswith("HTTP_"):
                missing.append(key[5:].replace("_", "-").title())
            continue  # a header the trace hid, or a variable of the server's process environment
        environ[key] = tuple(value) if key == "wsgi.version" and isinstance(value, list) else value
    for name, value in supplied:
        key = _environ_key(name)
        if key in recorded:
            environ[key] = value
            missing[:] = [m for m in missing if _environ_key(m) != key]
    return environ


def _environ_key(name: str) -> str:
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key


def _scope(recorded: dict[str, Any], supplied: list[tuple[str, str]], missing: list[str]) -> dict[str, Any]:
    scope: dict[str, Any] = {}
    for key, value in recorded.items():
        if isinstance(value, ReprValue) or key == "state":
            continue
        if key in ("client", "server") and isinstance(value, list):
            value = tuple(value)
        scope[key] = value
    values = {name.lower().encode("latin-1"): value.encode("latin-1") for name, value in supplied}
    used: set[bytes] = set()
    headers = []
    for item in recorded.get("headers") or ():
        name, value = _bytes(item[0]), _bytes(item[1])
        key = name.lower()
        if key in values:
            if key not in used:  # one supplied value stands for every recorded one
                used.add(key)
                headers.append((name, values[key]))
        elif value == REDACTED_BYTES:
            missing.append(name.decode("latin-1").title())
        else:
            headers.append((name, value))
    scope["headers"] = headers
    return scope


def _bytes(value: Any) -> bytes:
    return value.encode("latin-1") if isinstance(value, str) else bytes(value)


def _data(value: Any, trace_id: str) -> bytes:
    if isinstance(value, TruncatedBytes):
        raise ReplayError(
            f"trace {trace_id} kept only {len(value)} of {value.original_length} request body bytes "
            "(max_body_bytes): the rest cannot be replayed"
        )
    return bytes(value) if isinstance(value, bytes) else b""


def _wsgi_events(trace: Trace, side: ClientSide) -> None:
    methods = set()
    chunks = 0
    end: dict[str, Any] = {}
    for event in trace.events:
        data = event.data
        if event.kind == "wsgi.input":
            methods.add(str(data.get("method")))
            values = data.get("data")
            for value in values if isinstance(values, list) else [values]:
                piece = _data(value, trace.id)
                if piece:
                    side.pieces.append(piece)
        elif event.kind == "wsgi.body":
            chunks += 1
        elif event.kind == "wsgi.end":
            end = data
    side.read_methods = frozenset(methods)
    summary = trace.summary
    if end.get("exhausted") is False and "file_wrapper" not in end and not summary.error and not summary.stopped:
        declared = header_value(list(summary.response_headers), "content-length")
        if not (declared and declared.isdigit() and summary.response_bytes >= int(declared)):
            side.client_left_after = chunks  # the server stopped iterating: the client went away


def _asgi_events(trace: Trace, side: ClientSide) -> None:
    sends = chunks = 0
    response_end = trace.summary.response_end_ns
    for event in trace.events:
        message = event.data.get("message")
        if not isinstance(message, dict):
            continue
        if event.kind == "asgi.send":
            sends += 1
            chunks += message.get("type") in _BODY_MESSAGES and bool(message.get("body"))
            continue
        if event.kind != "asgi.receive":
            continue
        copy = dict(message)
        for key in ("body", "bytes"):
            if key in copy and copy[key] is not None:
                copy[key] = _data(copy[key], trace.id)
        if copy.get("type") == "http.request" and copy.get("body"):
            side.pieces.append(copy["body"])
        if copy.get("type") == "http.disconnect" and side.client_left_after is None:
            if response_end is None or event.t_ns < response_end:
                side.client_left_after = chunks
        side.arrivals.append(Arrival(copy, sends))


def wsgi_request(side: ClientSide) -> dict[str, Any]:
    """The environ (without ``wsgi.input`` and ``wsgi.errors``) for a WSGI app.

    Raises:
        ReplayError: A websocket recording (WSGI has no websockets).
    """
    if side.scope_type != "http":
        raise ReplayError(f"trace {side.trace_id} is a websocket session: a WSGI app cannot take it")
    if side.environ is not None:
        return dict(side.environ)
    assert side.scope is not None
    return scope_to_environ(side.scope)


def asgi_request(side: ClientSide) -> tuple[dict[str, Any], list[Arrival]]:
    """The scope and the ``receive()`` messages for an ASGI app."""
    if side.scope is not None:
        return dict(side.scope), list(side.arrivals)
    assert side.environ is not None
    scope = environ_to_scope(side.environ)
    arrivals = [
        Arrival({"type": "http.request", "body": piece, "more_body": index < len(side.pieces) - 1})
        for index, piece in enumerate(side.pieces)
    ] or [Arrival({"type": "http.request", "body": b"", "more_body": False})]
    if side.client_left_after is not None:
        arrivals.append(Arrival({"type": "http.disconnect"}, after_sends=1 + side.client_left_after))
    return scope, arrivals


def environ_to_scope(environ: dict[str, Any]) -> dict[str, Any]:
    """An ASGI http scope for the request a WSGI environ describes (header names in lower case, order kept)."""
    script, path_info = str(environ.get("SCRIPT_NAME") or ""), str(environ.get("PATH_INFO") or "")
    raw_uri = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    raw_path = raw_uri.split("?", 1)[0].encode("latin-1") if isinstance(raw_uri, str) else quote(script + path_info, safe="/:@!$&'()*+,;=-._~%").encode("latin-1")
    headers = []
    for key, value in environ.items():
        if isinstance(key, str) and isinstance(value, str) and (key.startswith("HTTP_") or (key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value)):
            name = key[5:] if key.startswith("HTTP_") else key
            headers.append((name.replace("_", "-").lower().encode("latin-1"), value.encode("latin-1")))
    protocol = str(environ.get("SERVER_PROTOCOL") or "HTTP/1.1")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": protocol.partition("/")[2] or "1.1",
        "method": str(environ.get("REQUEST_METHOD") or "GET"),
        "scheme": str(environ.get("wsgi.url_scheme") or "http"),
        "path": _wsgi_text(script + path_info) or "/",
        "raw_path": raw_path,
        "query_string": str(environ.get("QUERY_STRING") or "").encode("latin-1"),
        "root_path": _wsgi_text(script),
        "headers": headers,
        "server": (str(environ.get("SERVER_NAME") or "localhost"), _port(environ.get("SERVER_PORT"), 80)),
    }
    if environ.get("REMOTE_ADDR"):
        scope["client"] = (str(environ["REMOTE_ADDR"]), _port(environ.get("REMOTE_PORT"), 0))
    return scope


def scope_to_environ(scope: dict[str, Any]) -> dict[str, Any]:
    """A WSGI environ (without its streams) for the request an ASGI http scope describes."""
    root, path = str(scope.get("root_path") or ""), str(scope.get("path") or "/")
    path_info = path[len(root):] if root and path.startswith(root) else path
    server = scope.get("server") or ("localhost", 80)
    query = scope.get("query_string") or b""
    environ: dict[str, Any] = {
        "REQUEST_METHOD": str(scope.get("method") or "GET"),
        "SCRIPT_NAME": _as_wsgi(root),
        "PATH_INFO": _as_wsgi(path_info),
        "QUERY_STRING": query.decode("latin-1") if isinstance(query, bytes) else str(query),
        "SERVER_NAME": str(server[0] or "localhost"),
        "SERVER_PORT": str(server[1] or 80),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version') or '1.1'}",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": str(scope.get("scheme") or "http"),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    client = scope.get("client")
    if client:
        environ["REMOTE_ADDR"], environ["REMOTE_PORT"] = str(client[0]), str(client[1])
    if not any(name.lower() == b"content-length" for name, _ in scope.get("headers") or ()):
        environ["wsgi.input_terminated"] = True  # a body without a length (chunked) is read to its end
    for name, value in scope.get("headers") or ():
        key = name.decode("latin-1").upper().replace("-", "_")
        key = key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else "HTTP_" + key
        text = value.decode("latin-1")
        environ[key] = f"{environ[key]}{'; ' if key == 'HTTP_COOKIE' else ','}{text}" if key in environ else text
    return environ


def _wsgi_text(value: str) -> str:
    """A WSGI "bytes as latin-1" path as the text ASGI gives (UTF-8 where it is)."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return value


def _as_wsgi(value: str) -> str:
    return value.encode("utf-8").decode("latin-1")


def _port(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default
