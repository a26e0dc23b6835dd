"""A body as a person reads it: its Content-Encoding undone, a form as its fields.

A step carries one piece of a body (a read of ``wsgi.input``, an
``http.response.body`` message, a chunk the iterable yields). Whether that
piece is gzip or a form is said by a header sent earlier, and a gzip stream
or a multipart form only makes sense from its start. So `body_upto` reads a
trace's events up to the step: the headers of the step's direction, then its
body pieces so far, joined (at most `MAX_JOINED` bytes); `readable` turns
them into what to show. The replay's step pane and `tracer show` share them.

    body = body_upto(trace.events[: i + 1])
    shown = readable(body) if body is not None else None
    shown.note, shown.data, shown.form
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .content_coding import MAX_DECODED, Decoded, coding_of, decode
from .forms import FORM_TYPES, FormField, parse_form
from .model import Event, TruncatedBytes
from .summary import header_value, text

MAX_JOINED = MAX_DECODED
"""Bytes of a body's pieces joined at most to decode it."""
REQUEST, RESPONSE = "request", "response"
_RESPONSE_BODY = ("http.response.body", "websocket.http.response.body")
_RESPONSE_START = ("http.response.start", "websocket.http.response.start")


@dataclass(slots=True)
class Body:
    """One direction's body as far as a step: its headers' say, and its pieces joined.

    Attributes:
        direction: ``request`` or ``response``.
        content_type: Its Content-Type (``""`` when not sent).
        coding: Its Content-Encoding, lower case (``""`` when not sent).
        data: The pieces up to the step, joined (empty when neither coding nor form asks for them).
        pieces: How many pieces were joined.
        cut: Bytes are missing: cut by ``max_body_bytes``, or more than `MAX_JOINED`.
        more: The step is not the body's last piece (more may follow).
        length: The Content-Length its headers declared (None: not declared), which tells
            a WSGI body complete before the read or chunk that would say so.
        received: Bytes of its pieces up to the step, counted whole (a cut piece by its real length).
    """

    direction: str
    content_type: str = ""
    coding: str = ""
    data: bytes = b""
    pieces: int = 0
    cut: bool = False
    more: bool = False
    length: int | None = None
    received: int = 0
    _parts: list[bytes] = field(default_factory=list, repr=False)
    _joined: int = field(default=0, repr=False)

    @property
    def is_form(self) -> bool:
        """Whether the content type is an HTML form's."""
        return self.content_type.split(";", 1)[0].strip().lower() in FORM_TYPES

    @property
    def wanted(self) -> bool:
        """Whether the body reads differently from its bytes (a coding to undo, a form to read)."""
        return bool(self.coding) and self.coding != "identity" or self.is_form


@dataclass(frozen=True, slots=True)
class Readable:
    """What to show of a body instead of its bytes as sent.

    Attributes:
        data: The body decoded (or as sent when there was no coding, or it could not be undone).
        note: One line saying what was done: ``gzip-decoded, 342 → 3,412 bytes``, or why not.
        decoded: The decoding's outcome (None: no coding).
        form: The form's fields (None: not a form, or not readable yet).
        pieces: How many pieces of the body it was put together from.
        more: More pieces may follow the step this was read at.
    """

    data: bytes
    note: str
    decoded: Decoded | None = None
    form: list[FormField] | None = None
    pieces: int = 1
    more: bool = False


def body_piece(event: Event) -> tuple[str, Any] | None:
    """``(direction, value)`` when `event` carries a piece of the HTTP request or response body, else None.

    The value is what the event holds: bytes (maybe `TruncatedBytes`), a list of bytes (``readlines``) or None.
    """
    data = event.data if isinstance(event.data, dict) else {}
    kind = event.kind
    if kind == "wsgi.input":
        return (REQUEST, data.get("data"))
    if kind in ("wsgi.body", "wsgi.write"):
        return (RESPONSE, data.get("data"))
    if kind in ("asgi.receive", "asgi.send"):
        message = data.get("message")
        if isinstance(message, dict):
            if kind == "asgi.receive" and message.get("type") == "http.request":
                return (REQUEST, message.get("body"))
            if kind == "asgi.send" and message.get("type") in _RESPONSE_BODY:
                return (RESPONSE, message.get("body"))
    return None


def body_headers(event: Event) -> tuple[str, str, str] | None:
    """``(direction, content type, content coding)`` when `event` carries a body's headers, else None."""
    data = event.data if isinstance(event.data, dict) else {}
    kind = event.kind
    if kind == "wsgi.environ":
        environ = data.get("environ")
        if isinstance(environ, dict):
            return (REQUEST, text(environ.get("CONTENT_TYPE")), text(environ.get("HTTP_CONTENT_ENCODING")).strip().lower())
    elif kind == "asgi.scope":
        scope = data.get("scope")
        if isinstance(scope, dict) and scope.get("type") == "http":
            headers = scope.get("headers")
            return (REQUEST, (header_value(headers, "content-type") or ""), coding_of(headers))
    elif kind == "wsgi.start_response":
        headers = data.get("headers")
        return (RESPONSE, (header_value(headers, "content-type") or ""), coding_of(headers))
    elif kind == "asgi.send":
        message = data.get("message")
        if isinstance(message, dict) and message.get("type") in _RESPONSE_START:
            headers = message.get("headers")
            return (RESPONSE, (header_value(headers, "content-type") or ""), coding_of(headers))
    return None


def body_upto(events: Iterable[Event], *, max_bytes: int = MAX_JOINED, direction: str | None = None) -> Body | None:
    """The body the last of `events` carries a piece of, joined from its first piece to that one.

    Args:
        events: A trace's events from its first up to the step (in order).
        max_bytes: Bytes joined at most; a body beyond them is marked cut.
        direction: The direction of the last event's piece, when the caller knows it: once that
            body's headers say it reads as sent, the rest of `events` is not read.

    Returns:
        None when the last event carries no body piece. The pieces are joined
        only when the body reads differently from its bytes (`Body.wanted`).
    """
    bodies = {REQUEST: Body(REQUEST), RESPONSE: Body(RESPONSE)}
    last: tuple[str, Any] | None = None
    for event in events:
        headers = body_headers(event)
        if headers is not None:
            side, content_type, coding = headers
            bodies[side] = Body(side, content_type, coding, length=declared_length(event))
            if side == direction and not bodies[side].wanted:
                return bodies[side]  # It reads as sent: its pieces are not needed.
            last = None
            continue
        last = body_piece(event)
        if last is None:
            continue
        body = bodies[last[0]]
        body.pieces += 1
        body.received += _length(last[1])
        if body.wanted:
            _add(body, last[1], max_bytes)
        body.more = _more_follows(event, body)
    if last is None:
        return None
    body = bodies[last[0]]
    body.data = b"".join(body._parts)
    body._parts = []
    return body


def readable(body: Body) -> Readable | None:
    """What to show of `body` instead of its bytes: decoded, and a form's fields; None when it reads as sent."""
    if not body.wanted:
        return None
    data = body.data
    partial = body.cut or body.more
    decoded = decode(data, body.coding, partial=partial) if body.coding else None
    note = ""
    if decoded is not None:
        note = decoded.note
        if decoded.data is not None:
            data = decoded.data
    if body.pieces > 1:
        so_far = "so far" if body.more else "in all"
        note = (note + "; " if note else "") + f"{body.pieces} pieces {so_far}"
    if body.cut and (decoded is None or decoded.data is not None):
        note = (note + "; " if note else "") + "bytes missing (max_body_bytes)"
    form = None
    if body.is_form and (decoded is None or decoded.data is not None):
        form = parse_form(body.content_type, data)
        if form is not None:
            fields = f"{len(form)} form field{'s' if len(form) != 1 else ''}"
            note = (note + "; " if note else "") + fields + (" so far" if partial else "")
    if not note:
        return None
    return Readable(data, note, decoded, form, max(body.pieces, 1), body.more)


def _add(body: Body, value: Any, max_bytes: int) -> None:
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, str):
            item = item.encode("utf-8", "surrogatepass")
        if not isinstance(item, (bytes, bytearray)):
            continue
        if isinstance(item, TruncatedBytes):
            body.cut = True
        room = max_bytes - body._joined
        if room <= 0:
            body.cut = body.cut or bool(item)
            return
        if len(item) > room:
            body.cut = True
        body._parts.append(bytes(item[:room]))
        body._joined += min(len(item), room)


def declared_length(event: Event) -> int | None:
    """The Content-Length of the body whose headers `event` carries, when declared and a whole number."""
    data = event.data if isinstance(event.data, dict) else {}
    if event.kind == "wsgi.environ":
        environ = data.get("environ")
        value = text(environ.get("CONTENT_LENGTH")) if isinstance(environ, dict) else ""
    elif event.kind == "asgi.scope":
        scope = data.get("scope")
        value = (header_value(scope.get("headers"), "content-length") or "") if isinstance(scope, dict) else ""
    elif event.kind == "wsgi.start_response":
        value = header_value(data.get("headers"), "content-length") or ""
    else:
        message = data.get("message")
        value = (header_value(message.get("headers"), "content-length") or "") if isinstance(message, dict) else ""
    value = value.strip()
    return int(value) if value.isdigit() else None


def _length(value: Any) -> int:
    """Bytes of one piece, counted whole (a cut piece by its real length)."""
    items = value if isinstance(value, list) else [value]
    total = 0
    for item in items:
        if isinstance(item, TruncatedBytes):
            total += item.original_length
        elif isinstance(item, (bytes, bytearray)):
            total += len(item)
        elif isinstance(item, str):
            total += len(item.encode("utf-8", "surrogatepass"))
    return total


def _more_follows(event: Event, body: Body) -> bool:
    """Whether more body may follow this piece.

    ASGI says so (``more_body``). For WSGI a body is complete once its declared
    Content-Length has arrived, or the app read the input to its end (``read()``
    or ``readlines()`` without a size, or an empty read); otherwise only the end tells.
    """
    data: Any = event.data if isinstance(event.data, dict) else {}
    if event.kind.startswith("asgi."):
        message = data.get("message")
        return bool(isinstance(message, dict) and message.get("more_body", False))
    if body.length is not None and body.received >= body.length:
        return False
    if event.kind == "wsgi.input":
        size = data.get("size")
        whole = data.get("method") in ("read", "readlines") and (size is None or isinstance(size, int) and size < 0)
        return bool(data.get("data")) and not whole  # The empty read at the end says the body is over.
    return True
