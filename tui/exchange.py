"""What a whole trace adds up to: content types and body totals, for the step detail.

A developer asking "who swallowed my request body?" wants the body the client
declared beside what the app actually read; one asking "why did my stream
arrive at once?" wants the number of chunks. `Exchange.of` walks the events
once per trace (not once per step: a trace can have 100,000 events).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracer.model import Trace

from .format import size
from .labels import body_size


@dataclass(slots=True)
class Exchange:
    """Totals of one trace's request and response."""

    request_type: str = ""
    response_type: str = ""
    declared: int | None = None
    """The request body's length as its Content-Length header declared it."""
    read: int = 0
    """Request body bytes the app read (WSGI) or received (ASGI)."""
    reads: int = 0
    sent: int = 0
    """Response body bytes the app produced."""
    chunks: int = 0
    websocket: bool = False

    @classmethod
    def of(cls, trace: Trace) -> Exchange:
        """Add up the events of `trace`; data not shaped as expected is passed over."""
        totals = cls(websocket=trace.scope_type == "websocket")
        for event in trace.events:
            try:
                totals._add(event.kind, event.data)
            except (AttributeError, TypeError, ValueError):
                continue
        return totals

    def _add(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "wsgi.environ":
            environ = _dict(data.get("environ"))
            self.request_type = str(environ.get("CONTENT_TYPE") or "")
            self.declared = _length(environ.get("CONTENT_LENGTH"))
        elif kind == "asgi.scope":
            headers = _dict(data.get("scope")).get("headers")
            self.request_type = _header(headers, "content-type")
            self.declared = _length(_header(headers, "content-length") or None)
        elif kind == "wsgi.start_response":
            self.response_type = _header(data.get("headers"), "content-type")
        elif kind == "wsgi.input":
            self.read += body_size(data.get("data"))
            self.reads += 1
        elif kind in ("wsgi.body", "wsgi.write"):
            self.sent += body_size(data.get("data"))
            self.chunks += 1
        elif kind in ("asgi.receive", "asgi.send"):
            message = _dict(data.get("message"))
            kind_of = message.get("type")
            if kind_of == "http.response.start":
                self.response_type = _header(message.get("headers"), "content-type")
            elif kind_of == "http.request" or kind_of == "websocket.receive":
                self.read += body_size(message.get("body")) + body_size(message.get("bytes")) + body_size(
                    message.get("text"))
                self.reads += 1
            elif kind_of in ("http.response.body", "websocket.send"):
                self.sent += body_size(message.get("body")) + body_size(message.get("bytes")) + body_size(
                    message.get("text"))
                self.chunks += 1

    def rows(self) -> list[tuple[str, str]]:
        """Key/value rows that sum the exchange up, shown on the last step."""
        if self.websocket:
            return [
                ("received", f"{_count(self.reads, 'message')}, {size(self.read)}"),
                ("sent", f"{_count(self.chunks, 'message')}, {size(self.sent)}"),
            ]
        request = f"{size(self.read)} read by the app in {_count(self.reads, 'read')}"
        if self.declared is not None:
            request += f", of {size(self.declared)} declared (Content-Length)"
            if self.read < self.declared:
                request += f": {size(self.declared - self.read)} never read"
        return [("request body", request), ("response body", f"{size(self.sent)} in {_count(self.chunks, 'chunk')}")]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _length(value: Any) -> int | None:
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    if isinstance(text, str) and text.strip().isdigit():
        return int(text)
    return None


def _dict(value: object) -> dict:  # type: ignore[type-arg]
    return value if isinstance(value, dict) else {}


def _header(headers: object, name: str) -> str:
    """The first value of header `name` (lower case) in a list of pairs of str or bytes."""
    if not isinstance(headers, list):
        return ""
    for item in headers:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            key = item[0].decode("latin-1") if isinstance(item[0], bytes) else str(item[0])
            if key.lower() == name:
                value = item[1]
                return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return ""
