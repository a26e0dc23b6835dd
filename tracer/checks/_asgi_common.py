"""What the ASGI checks share: the message types of each scope, extensions, and the machines' base."""

from __future__ import annotations

from typing import Any

from ..model import Event
from ..states import http, lifespan, websocket
from ..states._asgi import MessageFollow
from ..states.machine import Step
from .findings import Collector

SEND_TYPES = {"http": http.SENDS, "websocket": websocket.SENDS, "lifespan": lifespan.SENDS}
"""The messages an app sends, by scope type."""

RECEIVE_TYPES = {"http": http.RECEIVES, "websocket": websocket.RECEIVES, "lifespan": lifespan.RECEIVES}
"""The messages a server sends the app, by scope type."""

EXTENSION_TYPES = http.EXTENSIONS
"""The HTTP extension messages an app may send when ``scope["extensions"]`` offers them."""

OBJECT_MESSAGES = frozenset({"http.response.zerocopysend"})
"""Extension messages that carry objects on purpose (an open file)."""


def extension_offered(scope: dict[str, Any], name: str) -> bool:
    """Whether the server listed `name` in ``scope["extensions"]``."""
    extensions = scope.get("extensions")
    return isinstance(extensions, dict) and name in extensions


class MessageMachine:
    """The base of the HTTP, WebSocket and Lifespan checkers: events in, `send` and `receive` calls out.

    Each keeps a follower of its scope type's state machine (`tracer.states`):
    the follower decides the state and which mistakes a message makes, and the
    checker reports exactly those, with the details it knows, besides its
    checks of the message's own fields. It is fed only ``asgi.error`` events
    and the messages that passed the general checks (dicts with a known
    ``type``), in order.
    """

    follow_type: type[MessageFollow]

    def __init__(self, scope: dict[str, Any], out: Collector) -> None:
        self.scope = scope
        self.out = out
        self.follow = self.follow_type(scope)

    @property
    def error(self) -> bool:
        """Whether the app raised."""
        return self.follow.error

    def feed(self, event: Event) -> None:
        """Follow the event, then judge a message with `send` or `receive`."""
        step = self.follow.step(event)
        if event.kind == "asgi.send":
            self.send(event.data["message"], event.seq, step)
        elif event.kind == "asgi.receive":
            self.receive(event.data["message"], event.seq, step)

    def finish(self, end: Event) -> None:
        """Follow the end event and report what the app left undone."""
        self.ended(end.seq, self.follow.step(end))

    def send(self, message: dict[str, Any], seq: int, step: Step) -> None:
        """Judge a message the app sent."""
        raise NotImplementedError

    def receive(self, message: dict[str, Any], seq: int, step: Step) -> None:
        """Judge a message the server gave the app."""
        raise NotImplementedError

    def ended(self, end_seq: int, step: Step) -> None:
        """Report what the app left undone when it returned."""
        self.out.report(step.made, end_seq)
