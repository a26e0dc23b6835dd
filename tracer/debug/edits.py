"""What a held event carries, what of it can be edited, and the edited value.

A held event's value is what the middleware is about to pass on:

| kind | value | editable |
|---|---|---|
| ``asgi.send``, ``asgi.receive`` | the message dict | by message type: ``status``, ``headers``, ``body``, ``more_body``, ``text``, ``bytes``... (`FIELDS`), or ``message`` (a whole new one) |
| ``wsgi.start_response`` | ``(status, headers)`` | ``status`` (str, or an int given its reason phrase), ``headers`` |
| ``wsgi.body``, ``wsgi.write`` | the chunk (bytes) | ``data`` |
| ``wsgi.input`` | what the read returned (bytes; a list of bytes for ``readlines``) | ``data`` |
| ``wsgi.environ``, ``asgi.scope`` | the environ or scope | nothing |

An edit never changes the app's or the server's objects: it builds a new
message (or tuple, or bytes) from the old one and the changes. Text given
where bytes go is encoded as UTF-8 (header names and values as latin-1, as
HTTP has them). A header whose value is left as the trace's ``[redacted]``
keeps its real value, so editing a held message's headers never sends the
redaction marker by mistake.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from ..errors import TracerError
from ..redact import REDACTED, REDACTED_BYTES

FIELDS: Mapping[str, tuple[str, ...]] = {
    "http.response.start": ("status", "headers", "trailers"),
    "http.response.body": ("body", "more_body"),
    "http.request": ("body", "more_body"),
    "http.response.trailers": ("headers", "more_trailers"),
    "websocket.accept": ("subprotocol", "headers"),
    "websocket.send": ("text", "bytes"),
    "websocket.receive": ("text", "bytes"),
    "websocket.close": ("code", "reason"),
    "websocket.http.response.start": ("status", "headers"),
    "websocket.http.response.body": ("body", "more_body"),
}
"""The fields of each ASGI message type an edit may set (any message can also be replaced whole: ``message``)."""

_WSGI_FIELDS: Mapping[str, tuple[str, ...]] = {
    "wsgi.start_response": ("status", "headers"),
    "wsgi.body": ("data",),
    "wsgi.write": ("data",),
    "wsgi.input": ("data",),
}


class EditError(TracerError):
    """An edit that does not fit the held event; the message says why in one line."""


def editable(kind: str, value: Any) -> tuple[str, ...]:
    """The fields an edit of a held `kind` event with `value` may set (empty: not editable)."""
    if kind == "asgi.send" or kind == "asgi.receive":
        message_type = value.get("type") if isinstance(value, dict) else None
        return (*FIELDS.get(message_type, ()), "message") if isinstance(message_type, str) else ("message",)
    return _WSGI_FIELDS.get(kind, ())


def can_disconnect(kind: str, value: Any) -> bool:
    """Whether a held event can be answered with a disconnect instead: a ``receive()`` of an http or websocket connection."""
    if kind != "asgi.receive" or not isinstance(value, dict):
        return False
    message_type = value.get("type")
    return isinstance(message_type, str) and message_type.startswith(("http.", "websocket."))


def disconnect_message(value: Any) -> dict[str, Any]:
    """The message a client that went away would have made ``receive()`` return instead of `value`."""
    message_type = value.get("type") if isinstance(value, dict) else None
    if isinstance(message_type, str) and message_type.startswith("websocket."):
        # 1001, "going away": what a browser sends when its page is closed.
        return {"type": "websocket.disconnect", "code": 1001}
    return {"type": "http.disconnect"}


def apply_edit(kind: str, value: Any, changes: Mapping[str, Any], *, limit: int | None = None, redactor: Any = None) -> Any:
    """A new value for a held event: `value` with `changes` applied; `value` itself is not touched.

    Args:
        kind: The held event's kind.
        value: What the middleware was about to pass on (see the module docstring).
        changes: Field names (from `editable`) and their new values.
        limit: The most bytes a ``wsgi.input`` edit may hold (a ``readinto`` buffer's size).
        redactor: The tracer's `Redactor`: headers left ``[redacted]`` keep their real values.

    Raises:
        EditError: A field the event does not have, or a value of the wrong kind.
    """
    if not isinstance(changes, Mapping) or not changes:
        raise EditError("an edit needs at least one field to change")
    allowed = editable(kind, value)
    if not allowed:
        raise EditError(f"a held {kind} cannot be edited")
    for name in changes:
        if name not in allowed:
            raise EditError(f"{name!r} is not a field of this {_what(kind, value)}; it has {', '.join(allowed)}")
    if kind == "asgi.send" or kind == "asgi.receive":
        return _edit_message(value, changes, redactor)
    if kind == "wsgi.start_response":
        status, headers = value
        if "status" in changes:
            status = _wsgi_status(changes["status"])
        if "headers" in changes:
            headers = _keep_secrets(_wsgi_headers(changes["headers"]), headers, redactor)
        return status, headers
    data = changes["data"]
    if kind == "wsgi.input" and isinstance(value, list):
        if not isinstance(data, (list, tuple)):
            raise EditError("this readlines() returned a list of lines: give data as a list of bytes")
        return [_bytes(line, "data") for line in data]
    data = _bytes(data, "data")
    if limit is not None and len(data) > limit:
        raise EditError(f"this readinto() fills a buffer of {limit} bytes: give at most {limit} bytes, not {len(data)}")
    return data


def _what(kind: str, value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("type"), str):
        return f"{value['type']} message"
    return kind


def _edit_message(message: Any, changes: Mapping[str, Any], redactor: Any) -> dict[str, Any]:
    if "message" in changes:
        whole = changes["message"]
        if not isinstance(whole, Mapping) or not isinstance(whole.get("type"), str):
            raise EditError("a whole message must be a dict with a str 'type'")
        if len(changes) > 1:
            raise EditError("give either a whole 'message' or fields to change, not both")
        return dict(whole)
    edited = dict(message)
    for name, new in changes.items():
        if name == "headers":
            edited[name] = _keep_secrets(_asgi_headers(new), message.get("headers"), redactor)
        elif name in ("body", "bytes"):
            edited[name] = None if new is None and name == "bytes" else _bytes(new, name)
        elif name in ("status", "code"):
            edited[name] = _int(new, name)
        elif name in ("more_body", "trailers", "more_trailers"):
            if not isinstance(new, bool):
                raise EditError(f"{name} must be true or false, not {new!r}")
            edited[name] = new
        elif name in ("text", "reason", "subprotocol"):
            if new is not None and not isinstance(new, str):
                raise EditError(f"{name} must be text, not {type(new).__name__}")
            edited[name] = new
    message_type = message.get("type")
    if message_type in ("websocket.send", "websocket.receive") and ("text" in changes) != ("bytes" in changes):
        # A websocket message carries text or bytes: setting one clears the other.
        given, other = ("text", "bytes") if "text" in changes else ("bytes", "text")
        if edited.get(given) is not None and other in edited:
            edited[other] = None
    return edited


def _bytes(value: Any, name: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, (bytearray, memoryview)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8")
    raise EditError(f"{name} must be bytes or text, not {type(value).__name__}")


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise EditError(f"{name} must be a number, not {value!r}")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    raise EditError(f"{name} must be a number, not {value!r}")


def _pairs(headers: Any) -> list[tuple[Any, Any]]:
    if isinstance(headers, Mapping):
        headers = list(headers.items())
    if not isinstance(headers, (list, tuple)):
        raise EditError("headers must be a list of [name, value] pairs")
    pairs = []
    for item in headers:
        if not isinstance(item, (list, tuple)) or len(item) != 2:
            raise EditError(f"a header must be a [name, value] pair, not {item!r}")
        pairs.append((item[0], item[1]))
    return pairs


def _asgi_headers(headers: Any) -> list[tuple[bytes, bytes]]:
    out = []
    for name, value in _pairs(headers):
        out.append((_latin1(name, "a header name"), _latin1(value, "a header value")))
    return out


def _latin1(value: Any, what: str) -> bytes:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        try:
            return value.encode("latin-1")
        except UnicodeEncodeError:
            raise EditError(f"{what} must be latin-1 text, not {value!r}") from None
    raise EditError(f"{what} must be text or bytes, not {type(value).__name__}")


def _wsgi_headers(headers: Any) -> list[tuple[str, str]]:
    out = []
    for name, value in _pairs(headers):
        out.append((_native(name, "a header name"), _native(value, "a header value")))
    return out


def _native(value: Any, what: str) -> str:
    """A WSGI "native string": bytes are read as latin-1, as PEP 3333 has them."""
    if isinstance(value, str):
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise EditError(f"{what} must be latin-1 text, not {value!r}") from None
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    raise EditError(f"{what} must be text, not {type(value).__name__}")


def _wsgi_status(status: Any) -> str:
    if isinstance(status, int) and not isinstance(status, bool):
        try:
            return f"{status} {HTTPStatus(status).phrase}"
        except ValueError:
            return f"{status} Unknown"
    if isinstance(status, bytes):
        status = status.decode("latin-1")
    if isinstance(status, str) and len(status) >= 3 and status[:3].isdigit():
        if len(status) == 3:
            return _wsgi_status(int(status))
        return status
    raise EditError(f"status must be a status line like '404 Not Found' or a number, not {status!r}")


def _keep_secrets(new: list[tuple[Any, Any]], old: Any, redactor: Any) -> list[tuple[Any, Any]]:
    """Headers left as the trace's redaction marker take the real value of the same header in `old`."""
    if redactor is None or not isinstance(old, (list, tuple)):
        return new
    real: dict[Any, list[Any]] = {}
    for item in old:
        try:
            name, value = item
            if redactor.is_secret(name):
                real.setdefault(_lower(name), []).append(value)
        except (TypeError, ValueError):
            continue
    out = []
    for name, value in new:
        if value in (REDACTED, REDACTED_BYTES) and real.get(_lower(name)):
            value = real[_lower(name)].pop(0)
        out.append((name, value))
    return out


def _lower(name: Any) -> str:
    if isinstance(name, bytes):
        return name.decode("latin-1").lower()
    return str(name).lower()


def describe(kind: str, value: Any) -> str:
    """One line saying what a held event is about to pass on: ``http.response.body 12 B, more_body``."""
    try:
        return _describe(kind, value)
    except Exception:  # noqa: BLE001 - odd values still get a line
        return kind


def _describe(kind: str, value: Any) -> str:
    if kind == "asgi.send" or kind == "asgi.receive":
        if not isinstance(value, dict):
            return kind
        message_type = str(value.get("type", "?"))
        parts = []
        if "status" in value:
            parts.append(str(value["status"]))
        if isinstance(value.get("headers"), (list, tuple)):
            parts.append(_count(len(value["headers"]), "header"))
        for key in ("body", "bytes"):
            if isinstance(value.get(key), (bytes, bytearray)):
                parts.append(f"{len(value[key])} B")
        if isinstance(value.get("text"), str):
            parts.append(_count(len(value["text"]), "char"))
        if value.get("more_body"):
            parts.append("more_body")
        if "code" in value:
            parts.append(f"code {value['code']}")
        return f"{message_type} {', '.join(parts)}".rstrip()
    if kind == "wsgi.start_response":
        status, headers = value
        count = len(headers) if isinstance(headers, (list, tuple)) else 0
        return f"start_response {status}, {_count(count, 'header')}"
    if kind in ("wsgi.body", "wsgi.write"):
        size = len(value) if isinstance(value, (bytes, bytearray)) else 0
        return f"{'body chunk' if kind == 'wsgi.body' else 'write()'} {size} B"
    if kind == "wsgi.input":
        if isinstance(value, list):
            return f"wsgi.input {_count(len(value), 'line')}, {sum(len(v) for v in value if isinstance(v, bytes))} B"
        size = len(value) if isinstance(value, (bytes, bytearray)) else 0
        return f"wsgi.input read {size} B"
    if kind == "wsgi.environ" and isinstance(value, dict):
        path = f"{value.get('SCRIPT_NAME', '')}{value.get('PATH_INFO', '')}"
        return f"wsgi.environ {value.get('REQUEST_METHOD', '?')} {path or '/'}"
    if kind == "asgi.scope" and isinstance(value, dict):
        scope_type = value.get("type", "?")
        if scope_type == "lifespan":
            return "asgi.scope lifespan"
        method = "WS" if scope_type == "websocket" else value.get("method", "?")
        return f"asgi.scope {method} {value.get('path', '?')}"
    return kind


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
