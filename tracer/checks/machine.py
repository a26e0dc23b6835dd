"""The interface every checker shares: it follows a trace's events and reports what they break."""

from __future__ import annotations

from typing import Protocol

from ..model import Event


class StateMachine(Protocol):
    """A checker of one trace: the WSGI checker, the ASGI one, and the HTTP, WebSocket and Lifespan machines.

    `feed` is given every event it is to judge, in order; `finish` is called once
    more with the end event of a complete trace, for the rules about what never
    happened (no response, no close(), a phase never answered).
    """

    def feed(self, event: Event) -> None:
        """Judge one event and update the state."""

    def finish(self, end: Event) -> None:
        """Report what the app left undone when the trace ended at `end`."""
