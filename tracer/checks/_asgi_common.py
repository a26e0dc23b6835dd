"""What the ASGI checks share: the message types of each scope, extensions, and the machines' base."""

from __future__ import annotations

from typing import Any

from ..model import Event
from .findings import Collector

SEND_TYPES = {
    "http": frozenset({"http.response.start", "http.response.body", "http.response.trailers"}),
    "websocket": frozenset(
        {"websocket.accept", "websocket.send", "websocket.close", "websocket.http.response.start",
         "websocket.http.response.body"}
    ),
    "lifespan": frozenset(
        {"lifespan.startup.complete", "lifespan.startup.failed", "lifespan.shutdown.complete",
         "lifespan.shutdown.failed"}
    ),
}
"""The messages an app sends, by scope type."""

RECEIVE_TYPES = {
    "http": frozenset({"http.request", "http.disconnect"}),
    "websocket": frozenset({"websocket.connect", "websocket.receive", "websocket.disconnect"}),
    "lifespan": frozenset({"lifespan.startup", "lifespan.shutdown"}),
}
"""The messages a server sends the app, by scope type."""

EXTENSION_TYPES = frozenset(
    {"http.response.push", "http.response.zerocopysend", "http.response.pathsend", "http.response.early_hint",
     "http.response.debug"}
)
"""The HTTP extension messages an app may send when ``scope["extensions"]`` offers them."""

OBJECT_MESSAGES = frozenset({"http.response.zerocopysend"})
"""Extension messages that carry objects on purpose (an open file)."""


def extension_offered(scope: dict[str, Any], name: str) -> bool:
    """Whether the server listed `name` in ``scope["extensions"]``."""
    extensions = scope.get("extensions")
    return isinstance(extensions, dict) and name in extensions


class MessageMachine:
    """The base of the HTTP, WebSocket and Lifespan machines: events in, `send` and `receive` calls out.

    It is fed only ``asgi.error`` events and the messages that passed the general
    checks (dicts with a known ``type``), in order.
    """

    def __init__(self, scope: dict[str, Any], out: Collector) -> None:
        self.scope = scope
        self.out = out
        self.error = False

    def feed(self, event: Event) -> None:
        """Note an exception, or pass a message on to `send` or `receive`."""
        if event.kind == "asgi.error":
            self.error = True
        elif event.kind == "asgi.send":
            self.send(event.data["message"], event.seq)
        elif event.kind == "asgi.receive":
            self.receive(event.data["message"], event.seq)

    def send(self, message: dict[str, Any], seq: int) -> None:
        """Judge a message the app sent."""
        raise NotImplementedError

    def receive(self, message: dict[str, Any], seq: int) -> None:
        """Judge a message the server gave the app."""
        raise NotImplementedError

    def finish(self, end: Event) -> None:
        """Report what the app left undone when it returned."""
        raise NotImplementedError
