"""What one step carries, as rows of text: the environ's or scope's key facts, headers, bodies.

`tracer show` prints these rows under each step; they are the plain-text
counterpart of the replay's step pane. A row is ``(key, text)``; the text
may run over several lines (a body, a traceback). Everything that came from
the trace is made safe to print (`tracer.text.line` / `block`), bodies are
cut to a preview, and binary data shows as a short hex dump.

    for key, text in payload(event, max_body=1024):
        print(key, text)
"""

from __future__ import annotations

import json
from typing import Any

from .app_frames import EXCEPTION, HEADING, read_traceback
from .model import APP_LOG, Event, ReprValue, TruncatedBytes
from .text import block, line, looks_binary, size

Row = tuple[str, str]

MAX_BODY = 1024
"""Bytes of a text body a preview shows by default."""
MAX_LINES = 40
"""Lines of a text body (or a traceback) a preview shows at most."""
HEX_BYTES = 64
"""Bytes of a binary body shown as hex."""
INLINE_WIDTH = 80
"""A one-line text body up to this many characters is shown on its row's line, as it is."""
VALUE_WIDTH = 200
"""Characters of one value (a list, a repr) shown before it is cut."""

ENVIRON_KEYS = (
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
    "SERVER_PROTOCOL", "SERVER_NAME", "SERVER_PORT", "REMOTE_ADDR", "wsgi.url_scheme", "wsgi.input_terminated",
    "wsgi.multithread", "wsgi.multiprocess",
)
"""The environ keys a step shows by value; the others are named only."""
SCOPE_KEYS = (
    "type", "asgi", "http_version", "method", "scheme", "path", "raw_path", "query_string", "root_path",
    "client", "server", "subprotocols",
)
"""The scope keys a step shows by value; the others (state, extensions…) are named only."""
_MESSAGE_PAYLOAD = ("type", "headers", "body", "bytes", "text")


def payload(event: Event, *, request_type: str = "", response_type: str = "", max_body: int = MAX_BODY) -> list[Row]:
    """The rows that show what `event` carries; data not shaped as the format says is shown raw.

    Args:
        event: The step.
        request_type: The request's content type (JSON bodies are shown indented).
        response_type: The response's content type.
        max_body: Bytes of each text body to show.
    """
    try:
        return _payload(event, request_type, response_type, max_body)
    except (AttributeError, TypeError, ValueError, KeyError):
        return [("data", _clip(line(repr(event.data)), VALUE_WIDTH))]


def _payload(event: Event, request_type: str, response_type: str, max_body: int) -> list[Row]:
    data = event.data
    kind = event.kind
    rows: list[Row]
    if kind == "wsgi.environ":
        rows = _environ(data.get("environ") or {})
    elif kind == "asgi.scope":
        rows = _scope(data.get("scope") or {})
    elif kind == "wsgi.start_response":
        rows = [("status", value_text(data.get("status")))]
        if data.get("exc_info"):
            rows.append(("exc_info", value_text(data.get("exc_info"))))
        rows += _headers(data.get("headers"))
    elif kind == "wsgi.input":
        rows = [body_row("read", data.get("data"), request_type, max_body)]
    elif kind in ("wsgi.body", "wsgi.write"):
        rows = [body_row("chunk" if kind == "wsgi.body" else "data", data.get("data"), response_type, max_body)]
    elif kind == "wsgi.errors":
        rows = [("text", _lines(block(str(data.get("data", ""))).rstrip("\n"), MAX_LINES))]
    elif kind in ("wsgi.error", "asgi.error"):
        rows = [("exception", line(f"{data.get('type', '')}: {data.get('message', '')}"))]
        rows += traceback_rows(data.get("traceback"))
    elif kind in ("asgi.receive", "asgi.send"):
        content_type = request_type if kind == "asgi.receive" else response_type
        rows = _message(data.get("message") or {}, content_type, max_body)
    elif kind == APP_LOG:
        rows = [(line(str(key)), value_text(value)) for key, value in data.items() if key not in ("message", "exception")]
        raised = exception_line(data.get("exception"))
        if raised:
            # First, as for an error event: what was raised, then where.
            rows.insert(0, ("exception", raised))
        rows.append(("message", _lines(block(str(data.get("message", ""))).rstrip("\n"), MAX_LINES)))
        rows += traceback_rows(data.get("exception"))
    else:
        # wsgi.end, wsgi.close, asgi.end and kinds this version does not know: every field.
        return [(line(str(key)), value_text(value)) for key, value in data.items()]
    if "$error" in data:
        rows.append(("$error", block(str(data["$error"]))))
    return rows


def traceback_rows(traceback: Any) -> list[Row]:
    """A recorded traceback as rows: the app's own innermost frame first (``your code``), then the
    traceback's last lines with tracer's frames left out, the exception last."""
    text = str(traceback or "").rstrip("\n")
    if not text:
        return []
    read = read_traceback(text)
    rows: list[Row] = []
    if read.yours is not None:
        rows.append(("your code", line(read.yours.where) + (f"\n{line(read.yours.code)}" if read.yours.code else "")))
    shown = "\n".join(item.text for item in read.lines)
    rows.append(("traceback", _last_lines(block(shown), MAX_LINES)))
    return rows


def exception_line(traceback: Any) -> str:
    """The line of a formatted traceback that names the exception raised in the end (``IndexError: …``); "" if none.

    A chained traceback names several: the last one is what was raised. A
    message of several lines gives its first.
    """
    text = str(traceback or "").rstrip("\n")
    if not text:
        return ""
    found = ""
    after_exception = False
    for item in read_traceback(text).lines:
        if item.role == EXCEPTION:
            if not after_exception:
                found = item.text
            after_exception = True
        elif item.frame is not None or item.role == HEADING:
            after_exception = False
    return line(found)


def _environ(environ: dict[str, Any]) -> list[Row]:
    facts = [(key, environ[key]) for key in ENVIRON_KEYS if key in environ]
    rows: list[Row] = [("environ", _table(facts))]
    headers = [(_header_name(key[5:]), value) for key, value in environ.items() if str(key).startswith("HTTP_")]
    if headers:
        rows.append((f"headers ({len(headers)})", "\n".join(line(f"{name}: {text_of(value)}") for name, value in headers)))
    others = sorted(str(key) for key in environ if key not in ENVIRON_KEYS and not str(key).startswith("HTTP_"))
    if others:
        rows.append(("other keys", _named(others)))
    return rows


def _scope(scope: dict[str, Any]) -> list[Row]:
    facts = [(key, scope[key]) for key in SCOPE_KEYS if key in scope]
    rows: list[Row] = [("scope", _table(facts))]
    rows += _headers(scope.get("headers"))
    others = sorted(str(key) for key in scope if key not in SCOPE_KEYS and key != "headers")
    if others:
        rows.append(("other keys", _named(others)))
    return rows


def _message(message: dict[str, Any], content_type: str, max_body: int) -> list[Row]:
    rows = [(line(str(key)), value_text(value)) for key, value in message.items() if key not in _MESSAGE_PAYLOAD]
    if "headers" in message:
        rows += _headers(message.get("headers"))
    if "body" in message:
        rows.append(body_row("body", message.get("body"), content_type, max_body))
    if message.get("bytes") is not None:
        rows.append(body_row("bytes", message.get("bytes"), "application/octet-stream", max_body))
    if message.get("text") is not None:
        rows.append(body_row("text", message.get("text"), "text/plain", max_body))
    return rows


def _headers(headers: Any) -> list[Row]:
    if not isinstance(headers, (list, tuple)):
        return []
    pairs = []
    for item in headers:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            pairs.append(line(f"{text_of(item[0])}: {text_of(item[1])}"))
        else:
            pairs.append(value_text(item))
    return [(f"headers ({len(pairs)})", "\n".join(pairs) if pairs else "none")]


def _header_name(cgi: str) -> str:
    return "-".join(part.capitalize() for part in cgi.split("_"))


def _table(pairs: list[tuple[str, Any]]) -> str:
    if not pairs:
        return "(none of the usual keys)"
    width = max(len(key) for key, _ in pairs)
    return "\n".join(f"{key:<{width}}  {value_text(value)}" for key, value in pairs)


def _named(keys: list[str], shown: int = 12) -> str:
    names = ", ".join(line(key) for key in keys[:shown])
    return names + (f" and {len(keys) - shown} more" if len(keys) > shown else "")


def body_row(what: str, value: Any, content_type: str = "", max_body: int = MAX_BODY) -> Row:
    """One body value as a row: its size (and any cut by ``max_body_bytes``), then a preview.

    Args:
        what: The row's key (``body``, ``chunk``, ``read``...).
        value: bytes (maybe `TruncatedBytes`), str, a list of bytes (``readlines``) or None.
        content_type: The content type that applies; JSON is shown indented.
        max_body: Bytes of text to show; binary data shows `HEX_BYTES` as hex.
    """
    if isinstance(value, list):
        if not all(isinstance(item, (bytes, str)) for item in value):
            return (what, _clip(value_text(value), VALUE_WIDTH))
        joined = b"".join(item if isinstance(item, bytes) else item.encode("utf-8", "surrogatepass") for item in value)
        cut = any(isinstance(item, TruncatedBytes) for item in value)
        key, text = body_row(what, joined, content_type, max_body)
        lines = f"{len(value)} line{'s' if len(value) != 1 else ''}"
        return (key, f"{lines}, {text}" + (" (cut)" if cut and "cut" not in text else ""))
    if value is None:
        return (what, "None")
    if isinstance(value, ReprValue):
        return (what, line(value.repr))
    if isinstance(value, str):
        raw, is_str = value.encode("utf-8", "surrogatepass"), True
    elif isinstance(value, (bytes, bytearray)):
        raw, is_str = bytes(value), False
    else:
        return (what, "not bytes: " + _clip(line(repr(value)), VALUE_WIDTH))
    if isinstance(value, TruncatedBytes):
        heading = f"{size(value.original_length)}, cut by max_body_bytes: {len(raw):,} of {value.original_length:,} bytes kept"
    else:
        heading = size(len(raw))
    if not raw:
        return (what, heading + ", empty")
    shown = raw[:max_body]
    cut = len(shown) < len(raw) or isinstance(value, TruncatedBytes)
    text = body_text(shown, is_str, cut=cut)
    if text is None:
        dump = hex_dump(raw[:HEX_BYTES])
        more = f"\n… {len(raw) - HEX_BYTES:,} more bytes" if len(raw) > HEX_BYTES else ""
        return (what, f"{heading}, binary:\n{dump}{more}")
    if "\n" not in text.removesuffix("\n") and len(text) <= INLINE_WIDTH and not cut:
        return (what, f"{heading}: {line(text)}")  # a final line break shows as ␊
    text = text.removesuffix("\n")
    if "json" in content_type.lower() and not cut:
        try:
            text = block(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
        except ValueError:
            pass
    preview = _lines(text, MAX_LINES)
    if len(raw) > len(shown):
        preview += f"\n… {len(raw) - len(shown):,} more bytes"
    return (what, f"{heading}:\n{preview}")


def body_text(raw: bytes, is_str: bool, *, cut: bool = False) -> str | None:
    """The bytes as printable text, or None when they look binary: not UTF-8, or holding controls text does not.

    A str value (a websocket text frame) is text whatever it holds. Bytes cut
    off (here or by ``max_body_bytes``) may end inside a character: that
    partial character is left out.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if is_str:
            text = raw.decode("utf-8", "replace")
        elif cut and exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            text = raw[: exc.start].decode("utf-8", "replace")
        else:
            return None
    if not is_str and looks_binary(text):
        return None
    return block(text)


def hex_dump(data: bytes, per_row: int = 16) -> str:
    """A classic hex dump: offset, the bytes in hex, the printable ASCII beside."""
    return "\n".join(hex_row(data, start, per_row) for start in range(0, len(data), per_row))


def hex_row(data: bytes, start: int, per_row: int = 16) -> str:
    """One row of a hex dump: the offset, `per_row` bytes from `start` in hex, their printable ASCII."""
    row = data[start : start + per_row]
    hexes = " ".join(f"{b:02x}" for b in row)
    ascii_ = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
    return f"{start:08x}  {hexes:<{per_row * 3 - 1}}  {ascii_}"


def text_of(value: Any) -> str:
    """A header name or value as text: bytes read as latin-1 (as HTTP does), anything else as str."""
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("latin-1")
    return str(value)


def value_text(value: Any) -> str:
    """One value on one line: a str as it is (``''`` when empty), bytes as their repr, containers cut short."""
    if isinstance(value, ReprValue):
        return line(value.repr)
    if isinstance(value, TruncatedBytes):
        return _clip(line(repr(bytes(value))), VALUE_WIDTH) + f" (cut, {value.original_length:,} bytes in all)"
    if isinstance(value, str):
        return line(value) if value else "''"
    if isinstance(value, (bytes, bytearray, list, tuple, dict)):
        return _clip(line(repr(plain(value))), VALUE_WIDTH)
    return line(str(value))


def plain(value: Any) -> Any:
    """`value` with kept reprs shown bare and cut bytes as bytes, for a readable ``repr()`` of a container."""
    if isinstance(value, ReprValue):
        return _Raw(value.repr)
    if isinstance(value, TruncatedBytes):
        return bytes(value)
    if isinstance(value, (list, tuple)):
        return type(value)(plain(item) for item in value)
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    return value


class _Raw:
    """Shows an object kept as its repr without quotes, inside a container's repr."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _lines(text: str, limit: int) -> str:
    lines = text.split("\n")
    if len(lines) <= limit:
        return text
    return "\n".join(lines[:limit]) + f"\n… {len(lines) - limit:,} more lines"


def _last_lines(text: str, limit: int) -> str:
    lines = text.split("\n")
    if len(lines) <= limit:
        return text
    return f"… {len(lines) - limit:,} earlier lines\n" + "\n".join(lines[-limit:])


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
