"""One arrow per event: which lifeline talks to which, and a short label.

The replay's sequence diagram and `tracer show` name each step with these
labels, so a step reads the same on screen, in a log and in an issue.

Lifelines: ``server`` and ``app`` for both protocols; for WSGI also the
``start_response`` callable (and the ``write`` it returns) and the returned
``iterable``, whose chunks and ``close()`` travel between it and the server.
What the app logged or printed (``app.log``) is no message between two
lifelines: it is a note on the app's own (source and target ``app``).
An event that went on edited at a breakpoint is marked ``✎ … (edited)``;
the end of a request whose app raised says so (``end: the app raised``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .edited_step import EDITED_MARK
from .model import APP_LOG, END_KINDS, ERROR_KINDS, Event, TruncatedBytes
from .summary import body_size, first_event_summary
from .text import line, size

WSGI_LANES = ("server", "app", "start_response", "iterable")
ASGI_LANES = ("server", "app")
ITERATING_KINDS = frozenset({"wsgi.body", "wsgi.close"})
"""Events that show the server already iterates the response."""


@dataclass(frozen=True, slots=True)
class Arrow:
    """An event drawn as an arrow from one lifeline to another."""

    source: str
    target: str
    label: str


def lanes(protocol: str) -> tuple[str, ...]:
    """The lifelines of a trace of `protocol`."""
    return WSGI_LANES if protocol == "wsgi" else ASGI_LANES


def arrow(event: Event, *, iterating: bool = False, raised: bool = False) -> Arrow:
    """The arrow and label of one event.

    Args:
        event: The event.
        iterating: Whether the server was already iterating the response (a
            chunk or ``close()`` came before): an exception raised then comes
            from the iterable, not from the app call. So does one raised in a
            ``__next__``.
        raised: Whether an exception escaped the app before this event (an
            error event came first): the end event then reads as the app
            having raised, not returned.
    """
    data = event.data
    kind = event.kind
    try:
        if kind.startswith("wsgi."):
            item = _wsgi(kind, data)
        elif kind.startswith("asgi."):
            item = _asgi(kind, data)
        elif kind == APP_LOG:
            item = Arrow("app", "app", app_log_label(data))
        else:
            item = Arrow("server", "app", kind)
    except (AttributeError, TypeError, ValueError, KeyError):
        item = Arrow("server", "app", kind)  # Data not shaped as the format says: still one arrow, named by its kind.
    label = item.label
    if raised and kind in END_KINDS:
        label = "end: the app raised" if kind == "asgi.end" else f"{label} (app raised)"
    if isinstance(data, dict) and "original" in data:
        label = f"{EDITED_MARK} {label} ({'made up' if data['original'] is None else 'edited'})"
    if kind == "wsgi.error" and (iterating or _raised_in_next(data)):
        return Arrow("iterable", "server", line(label))
    return Arrow(item.source, item.target, line(label))


def arrows(events: Iterable[Event]) -> list[Arrow]:
    """The arrows of a trace's events, in order."""
    result = []
    iterating = raised = False
    for event in events:
        result.append(arrow(event, iterating=iterating, raised=raised))
        if event.kind in ITERATING_KINDS:
            iterating = True
        if event.kind in ERROR_KINDS:
            raised = True
    return result


def _raised_in_next(data: Any) -> bool:
    traceback = data.get("traceback") if isinstance(data, dict) else None
    return isinstance(traceback, str) and ", in __next__\n" in traceback


def _wsgi(kind: str, data: dict[str, Any]) -> Arrow:
    if kind == "wsgi.environ":
        return Arrow("server", "app", f"app(environ, start_response)  {first_event_summary(kind, data).title}")
    if kind == "wsgi.input":
        method = data.get("method") or "read"
        arg = "" if data.get("size") is None else str(data.get("size"))
        return Arrow("app", "server", f"wsgi.input.{method}({arg}) → {size(body_size(data.get('data')))}")
    if kind == "wsgi.start_response":
        headers = data.get("headers") or []
        extra = ", exc_info" if data.get("exc_info") else ""
        count = f"{len(headers)} header{'s' if len(headers) != 1 else ''}"
        return Arrow("app", "start_response", f"start_response({data.get('status')!r}, {count}{extra})")
    if kind == "wsgi.write":
        return Arrow("app", "start_response", f"write({size(body_size(data.get('data')))})")
    if kind == "wsgi.errors":
        text = str(data.get("data") or "").strip().replace("\n", " ")
        return Arrow("app", "server", f"wsgi.errors.write({_clip(text, 30)!r})")
    if kind == "wsgi.body":
        return Arrow("iterable", "server", f"yield {size(body_size(data.get('data')))}{_cut(data.get('data'))}")
    if kind == "wsgi.close":
        return Arrow("server", "iterable", "close()")
    if kind == "wsgi.error":
        return Arrow("app", "server", f"raise {_short_type(data.get('type'))}: {_clip(str(data.get('message', '')), 40)}")
    if kind == "wsgi.end":
        status = data.get("status") or "no response"
        # The server stopped before the iterable ran out: the client got a partial body.
        partial = ", iterable not exhausted" if data.get("exhausted") is False else ""
        return Arrow("app", "server", f"end: {status}, {size(data.get('bytes_sent') or 0)} sent{partial}")
    return Arrow("server", "app", kind)


def _asgi(kind: str, data: dict[str, Any]) -> Arrow:
    if kind == "asgi.scope":
        scope = data.get("scope") or {}
        scope_type = scope.get("type", "?")
        if scope_type == "http":
            where = f"http {first_event_summary(kind, data).title}"
        elif scope_type == "websocket":
            where = f"websocket {first_event_summary(kind, data).url}"
        else:
            where = str(scope_type)
        return Arrow("server", "app", f"app(scope, receive, send)  {where}")
    if kind == "asgi.receive":
        return Arrow("server", "app", f"receive() → {message_label(data.get('message') or {})}")
    if kind == "asgi.send":
        return Arrow("app", "server", f"send({message_label(data.get('message') or {})})")
    if kind == "asgi.error":
        return Arrow("app", "server", f"raise {_short_type(data.get('type'))}: {_clip(str(data.get('message', '')), 40)}")
    if kind == "asgi.end":
        return Arrow("app", "server", "return")
    return Arrow("server", "app", kind)


def app_log_label(data: dict[str, Any]) -> str:
    """``app logged: ERROR django.request: Internal Server Error: /x (+ traceback)``, or the line printed."""
    message = str(data.get("message") or "").strip()
    first, _, more = message.partition("\n")
    text = _clip(first, 60) + (" …" if more and len(first) <= 60 else "")
    source = data.get("source")
    if source == "logging":
        where = " ".join(str(part) for part in (data.get("level"), data.get("logger")) if part)
        traceback = " (+ traceback)" if data.get("exception") else ""
        return f"app logged: {where}: {text}{traceback}" if where else f"app logged: {text}{traceback}"
    return f"app logged: {source or 'output'}: {text}"


def message_label(message: dict[str, Any]) -> str:
    """A short description of one ASGI message: its type and what matters in it."""
    return line(_message_label(message))


def _message_label(message: dict[str, Any]) -> str:
    kind = str(message.get("type", "?"))
    if kind in ("http.request", "http.response.body", "websocket.http.response.body"):
        body = message.get("body", b"")
        label = f"{kind} {size(body_size(body))}{_cut(body)}"
        if "more_body" in message or kind == "http.request":
            label += f", more_body={bool(message.get('more_body', False))}"
        return label
    if kind in ("http.response.start", "websocket.http.response.start"):
        headers = message.get("headers") or []
        trailers = ", trailers" if message.get("trailers") else ""
        return f"{kind} {message.get('status')}, {len(headers)} header{'s' if len(headers) != 1 else ''}{trailers}"
    if kind in ("websocket.send", "websocket.receive"):
        if message.get("text") is not None:
            text = message.get("text")
            return f"{kind} {text_preview(text)} ({size(body_size(text))})"
        return f"{kind} bytes {size(body_size(message.get('bytes')))}"
    if kind in ("websocket.close", "websocket.disconnect"):
        reason = message.get("reason")
        return f"{kind} {message.get('code', 1000)}" + (f" {reason!r}" if reason else "")
    if kind == "websocket.accept":
        sub = message.get("subprotocol")
        return kind + (f" {sub!r}" if sub else "")
    if kind.startswith("lifespan.") and message.get("message"):
        return f"{kind} {_clip(str(message.get('message')), 30)!r}"
    return kind


TEXT_PREVIEW = 20
"""Characters of a websocket text message an arrow shows."""


def text_preview(text: Any, width: int = TEXT_PREVIEW) -> str:
    """A text message in quotes on one short line: runs of white space as one space, cut with ``…``."""
    flat = " ".join(str(text).split())
    return f'"{_clip(flat, width)}"'


def _cut(value: Any) -> str:
    return " (cut)" if isinstance(value, TruncatedBytes) else ""


def _short_type(name: Any) -> str:
    return str(name or "Exception").rpartition(".")[2]


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
