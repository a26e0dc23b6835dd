"""What the exporters need from a trace: request line, headers, bodies and times."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from ..model import Event, Trace, TruncatedBytes


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


def text(value: Any) -> str:
    """A header name or value as text (bytes as latin-1)."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else str(value)


def header_pairs(headers: Any) -> list[tuple[str, str]]:
    """Recorded headers as (name, value) text pairs, skipping malformed items."""
    if not isinstance(headers, list):
        return []
    return [(text(item[0]), text(item[1])) for item in headers if isinstance(item, list) and len(item) == 2]


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
    scheme = environ.get("wsgi.url_scheme") or "http"
    host = environ.get("HTTP_HOST")
    if not host:
        host = str(environ.get("SERVER_NAME") or "localhost")
        port = str(environ.get("SERVER_PORT") or "")
        if port and port != ("443" if scheme == "https" else "80"):
            host += ":" + port
    path = f"{environ.get('SCRIPT_NAME') or ''}{environ.get('PATH_INFO') or ''}" or "/"
    query = str(environ.get("QUERY_STRING") or "")
    url = f"{scheme}://{host}{_quote_path(path)}" + (f"?{query}" if query else "")
    headers = []
    for key, value in environ.items():
        if isinstance(key, str) and key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), text(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").title(), text(value)))
    ex = Exchange(
        method=str(environ.get("REQUEST_METHOD") or "GET"),
        url=url,
        http_version=str(environ.get("SERVER_PROTOCOL") or "HTTP/1.1"),
        request_headers=headers,
        query_string=query,
    )
    for event in trace.events:
        kind, data = event.kind, event.data
        if kind == "wsgi.input":
            length, cut = _add(ex.request_body, data.get("data"))
            ex.request_body_size += length
            ex.request_truncated |= cut
            ex.last_request_read_ns = event.t_ns
        elif kind == "wsgi.start_response":
            status = data.get("status")
            if isinstance(status, str):
                code, _, reason = status.partition(" ")
                ex.status = int(code) if code.isdigit() else 0
                ex.status_text = reason
            ex.response_headers = header_pairs(data.get("headers"))
            ex.response_start_ns = event.t_ns
        elif kind in ("wsgi.body", "wsgi.write"):
            _chunk(ex, event, data.get("data"))
        elif kind == "wsgi.error":
            ex.error = f"{data.get('type')}: {data.get('message')}"
        elif kind == "wsgi.end" and "file_wrapper" in data:
            ex.response_body_known = False
            ex.response_body_size = 0
    return ex


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
    websocket = trace.scope_type == "websocket"
    scheme = scope.get("scheme") or ("ws" if websocket else "http")
    headers = header_pairs(scope.get("headers"))
    host = next((value for name, value in headers if name.lower() == "host"), None)
    if not host:
        server = scope.get("server")
        host = f"{server[0]}:{server[1]}" if isinstance(server, list) and len(server) == 2 else "localhost"
    raw_path = scope.get("raw_path")
    path = (
        raw_path.decode("latin-1")
        if isinstance(raw_path, bytes)
        else _quote_path(f"{scope.get('root_path') or ''}{scope.get('path') or '/'}")
    )
    query = text(scope.get("query_string") or b"")
    http_version = str(scope.get("http_version") or "1.1")
    ex = Exchange(
        method="GET" if websocket else str(scope.get("method") or "GET"),
        url=f"{scheme}://{host}{path}" + (f"?{query}" if query else ""),
        http_version=f"HTTP/{http_version}",
        request_headers=headers,
        query_string=query,
    )
    for event in trace.events:
        if event.kind == "asgi.error":
            ex.error = f"{event.data.get('type')}: {event.data.get('message')}"
            continue
        message = event.data.get("message")
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        if kind == "http.request":
            length, cut = _add(ex.request_body, message.get("body"))
            ex.request_body_size += length
            ex.request_truncated |= cut
            ex.last_request_read_ns = event.t_ns
        elif kind in ("http.response.start", "websocket.http.response.start"):
            status = message.get("status")
            ex.status = status if isinstance(status, int) else 0
            ex.status_text = _reason(ex.status)
            ex.response_headers = header_pairs(message.get("headers"))
            ex.response_start_ns = event.t_ns
        elif kind in ("http.response.body", "websocket.http.response.body"):
            _chunk(ex, event, message.get("body"))
        elif kind in ("http.response.pathsend", "http.response.zerocopysend"):
            ex.response_body_known = False
        elif kind == "websocket.accept" and ex.response_start_ns is None:
            ex.status, ex.status_text = 101, "Switching Protocols"
            ex.response_headers = header_pairs(message.get("headers"))
            ex.response_start_ns = event.t_ns
        elif kind == "websocket.close" and ex.response_start_ns is None:
            ex.status, ex.status_text = 403, "Forbidden"
            ex.response_start_ns = event.t_ns
    return ex


def _reason(status: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _quote_path(path: str) -> str:
    try:
        raw = path.encode("latin-1")
    except UnicodeEncodeError:
        raw = path.encode("utf-8")
    return quote(raw, safe="/:@!$&'()*+,;=-._~")
