"""The messages of two websocket sessions, compared in order.

A websocket trace is one long exchange of messages both ways; two sessions
are the same when the client and the app said the same things in the same
order. Messages are matched with `difflib.SequenceMatcher`, so one extra
message shows as one added message, not as every later one changed.
"""

from __future__ import annotations

import difflib
from typing import Any, NamedTuple

from .model import Trace

MAX_REPORTED = 20
"""Message differences listed one by one; the rest are counted in one more."""


class WebSocketMessage(NamedTuple):
    """One message of a websocket session.

    Attributes:
        sender: ``"client"`` (``websocket.receive``) or ``"app"`` (``websocket.send``).
        kind: ``"text"`` or ``"bytes"``.
        payload: The text, or the bytes.
    """

    sender: str
    kind: str
    payload: Any

    def describe(self) -> str:
        """``client text 'hello'``: the message in a few words."""
        payload = self.payload
        shown = repr(payload if len(payload) <= 60 else payload[:57]) + ("…" if len(payload) > 60 else "")
        return f"{self.sender} {self.kind} {shown}"


def websocket_messages(trace: Trace) -> list[WebSocketMessage]:
    """The text and bytes messages of a websocket trace, both ways, in order."""
    found = []
    for event in trace.events:
        if event.kind not in ("asgi.receive", "asgi.send"):
            continue
        message = event.data.get("message")
        if not isinstance(message, dict) or message.get("type") not in ("websocket.receive", "websocket.send"):
            continue
        sender = "client" if event.kind == "asgi.receive" else "app"
        text = message.get("text")
        if isinstance(text, str):
            found.append(WebSocketMessage(sender, "text", text))
        else:
            data = message.get("bytes")
            found.append(WebSocketMessage(sender, "bytes", bytes(data) if isinstance(data, bytes) else b""))
    return found


MessageDifference = tuple[str, Any, Any]
"""One line saying what differs, then each side's message as JSON-ready values (None for none)."""


def message_differences(
    a: list[WebSocketMessage], b: list[WebSocketMessage], labels: tuple[str, str]
) -> list[MessageDifference]:
    """What differs between two sessions' messages: changed, added and removed messages, each with its number."""
    found: list[MessageDifference] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        paired = min(i2 - i1, j2 - j1) if tag == "replace" else 0
        for offset in range(paired):
            x, y = a[i1 + offset], b[j1 + offset]
            message = f"message {i1 + offset + 1}: {x.describe()} → {y.describe()}"
            found.append((message, _json(x), _json(y)))
        for index in range(i1 + paired, i2):
            message = f"message {index + 1} only in {labels[0]}: {a[index].describe()}"
            found.append((message, _json(a[index]), None))
        for index in range(j1 + paired, j2):
            message = f"message {index + 1} only in {labels[1]}: {b[index].describe()}"
            found.append((message, None, _json(b[index])))
    if len(found) > MAX_REPORTED:
        more = len(found) - MAX_REPORTED
        found = found[:MAX_REPORTED]
        found.append((f"… and {more} more message differences", len(a), len(b)))
    return found


def _json(message: WebSocketMessage) -> dict[str, Any]:
    payload = message.payload
    if isinstance(payload, bytes):
        payload = payload.decode("latin-1")
    return {"sender": message.sender, "kind": message.kind, "payload": payload}
