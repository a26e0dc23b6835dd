"""What the exporters need from a trace: request line, headers, bodies and times."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from http import HTTPStatus
from urllib.parse import quote

from ..model import Event, Trace, TruncatedBytes
from ..summary import TraceSummary, header_pairs, text


@dataclass(slots=True)
class Exchange:
    """One HTTP request and its response, as read from a trace.

    Times are nanoseconds since the trace's first event.
    """

    method: str
    url: str
    http_version: str
    request_headers: list[tuple[str, str]]
    query_string: str
    request_body: bytearray = field(default_factory=bytearray)
    request_body_size: int = 0
    request_truncated: bool = False
    status: int = 0
    status_text: str = ""
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    response_body: bytearray = field(default_factory=bytearray)
    response_body_size: int = 0
    response_truncated: bool = False
    response_body_known: bool = True
    last_request_read_ns: int | None = None
    response_start_ns: int | None = None
    first_chunk_ns: int | None = None
    last_chunk_ns: int | None = None
    error: str | None = None


def _add(buffer: bytearray, data: Any) -> tuple[int, bool]:
    """Append body bytes; returns (real length, whether the kept bytes were cut)."""
    if isinstance(data, list):
        total, cut = 0, False
        for item in data:
            length, item_cut = _add(buffer, item)
            total, cut = total + length, cut or item_cut
        return total, cut
    if not isinstance(data, bytes):
        return 0, False
    buffer += data
    if isinstance(data, TruncatedBytes):
        return data.original_length, True
    return len(data), False


def exchange(trace: Trace) -> Exchange | None:
    """The request and response of an http or websocket trace, or None (lifespan, or no first event)."""
    if not trace.events:
        return None
    if trace.protocol == "wsgi":
        return _wsgi(trace)
    if trace.scope_type in ("http", "websocket"):
        return _asgi(trace)
    return None


def _wsgi(trace: Trace) -> Exchange | None:
    environ = trace.request_info
    if not isinstance(environ, dict) or not environ:
        return None
    summary = trace.summary
    scheme = environ.get("wsgi.url_scheme") or "http"
    host = environ.get("HTTP_HOST")
    if not host:
        host = str(environ.get("SERVER_NAME") or "localhost")
        port = str(environ.get("SERVER_PORT") or "")
        if port and port != ("443" if scheme == "https" else "80"):
            host += ":" + port
    query = summary.query
    url = f"{scheme}://{host}{_quote_path(summary.path or '/')}" + (f"?{_quote_query(query)}" if query else "")
    ex = _exchange(summary, url, str(environ.get("SERVER_PROTOCOL") or "HTTP/1.1"))
    for event in trace.events:
        kind, data = event.kind, event.data
        if kind == "wsgi.input":
            length, cut = _add(ex.request_body, data.get("data"))
            ex.request_body_size += length
            ex.request_truncated |= cut
            ex.last_request_read_ns = event.t_ns
        elif kind in ("wsgi.body", "wsgi.write"):
            _chunk(ex, event, data.get("data"))
        elif kind == "wsgi.end" and "file_wrapper" in data:
            ex.response_body_known = False
            ex.response_body_size = 0
    return ex


def _exchange(summary: TraceSummary, url: str, http_version: str) -> Exchange:
    """The parts of an exchange the trace's summary decides: request line, status, headers, error."""
    status = summary.status or 0
    return Exchange(
        method="GET" if summary.scope_type == "websocket" else (summary.method or "GET"),
        url=url,
        http_version=http_version,
        request_headers=list(summary.request_headers),
        query_string=summary.query,
        status=status,
        status_text=summary.reason if summary.reason is not None else _reason(status),
        response_headers=list(summary.response_headers),
        response_start_ns=summary.response_start_ns,
        error=f"{summary.error_type}: {summary.error_message or ''}" if summary.error_type else None,
    )


def _chunk(ex: Exchange, event: Event, data: Any) -> None:
    length, cut = _add(ex.response_body, data)
    if not length:
        return
    ex.response_body_size += length
    ex.response_truncated |= cut
    if ex.first_chunk_ns is None:
        ex.first_chunk_ns = event.t_ns
    ex.last_chunk_ns = event.t_ns


def _asgi(trace: Trace) -> Exchange | None:
    scope = trace.request_info
    if not isinstance(scope, dict) or not scope:
        return None
    summary = trace.summary
    websocket = trace.scope_type == "websocket"
    scheme = scope.get("scheme") or ("ws" if websocket else "http")
    host = next((value for name, value in summary.request_headers if name.lower() == "host"), None)
    if not host:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if isinstance(server, list) and len(server) == 2 else "localhost"
    raw_path = scope.get("raw_path")
    path = raw_path.decode("latin-1") if isinstance(raw_path, bytes) else _quote_path(summary.path or "/")
    query = summary.query
    ex = _exchange(summary, f"{scheme}://{host}{path}" + (f"?{_quote_query(query)}" if query else ""),
                   f"HTTP/{scope.get('http_version') or '1.1'}")
    for event in trace.events:
        message = event.data.get("message")
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        if kind == "http.request":
            length, cut = _add(ex.request_body, message.get("body"))
            ex.request_body_size += length
            ex.request_truncated |= cut
            ex.last_request_read_ns = event.t_ns
        elif kind in ("http.response.body", "websocket.http.response.body"):
            _chunk(ex, event, message.get("body"))
        elif kind in ("http.response.pathsend", "http.response.zerocopysend"):
            ex.response_body_known = False
    return ex


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _quote_query(query: str) -> str:
    """A query string as a URL holds it: what is already percent-encoded stays, spaces and the like are encoded."""
    try:
        raw = query.encode("latin-1")
    except UnicodeEncodeError:
        raw = query.encode("utf-8")
    return quote(raw, safe="/:@!$&'()*+,;=-._~?%")


def _quote_path(path: str) -> str:
    try:
        raw = path.encode("latin-1")
    except UnicodeEncodeError:
        raw = path.encode("utf-8")
    return quote(raw, safe="/:@!$&'()*+,;=-._~")
