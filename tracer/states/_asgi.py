"""What the ASGI followers share: the messages they follow, and end and error events."""

from __future__ import annotations

from typing import Any

from ..model import Event
from .machine import Follower

SCOPE = "asgi.scope"
END = "asgi.end"
END_RAISED = "asgi.end (after an exception)"
MAY_RAISED = ("only the end: the app's coroutine is over, so nothing more is sent or received",)
"""What may follow an asgi.error, in every ASGI machine."""


class MessageFollow(Follower):
    """Follows the messages of one ASGI scope: those of its type, as dicts with a str ``type``.

    Messages of another type, or that are not dicts, are left to the checks
    of single messages; they do not move the exchange.

    Attributes:
        scope: The scope the server passed (``{}`` until seen).
        error: The app raised.
    """

    entry_kind = SCOPE
    end_kind = END
    sent_types: frozenset[str] = frozenset()
    received_types: frozenset[str] = frozenset()

    def __init__(self, scope: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.scope: dict[str, Any] = scope or {}
        self.error = False

    def trigger(self, event: Event) -> str | None:
        if event.kind == END:
            return END_RAISED if self.error else END
        message = self.message(event)
        if message is None:
            return None
        return self.trigger_sent(message) if event.kind == "asgi.send" else self.trigger_received(message)

    def message(self, event: Event) -> dict[str, Any] | None:
        """The event's message if this machine follows it."""
        if event.kind not in ("asgi.send", "asgi.receive"):
            return None
        message = event.data.get("message")
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            return None
        known = self.sent_types if event.kind == "asgi.send" else self.received_types
        return message if message["type"] in known else None

    def trigger_sent(self, message: dict[str, Any]) -> str | None:
        """The trigger of a message the app sent."""
        raise NotImplementedError

    def trigger_received(self, message: dict[str, Any]) -> str | None:
        """The trigger of a message the server gave the app."""
        raise NotImplementedError

    def note(self, event: Event, on: str | None) -> None:
        if event.kind == SCOPE:
            scope = event.data.get("scope")
            if isinstance(scope, dict):
                self.scope = scope
        elif event.kind == "asgi.error":
            self.error = True
        elif on is not None and event.kind in ("asgi.send", "asgi.receive"):
            self.noted(event.data["message"], on, event.kind == "asgi.send")

    def noted(self, message: dict[str, Any], on: str, sent: bool) -> None:
        """Keep what later triggers depend on, once a followed message has been followed."""
