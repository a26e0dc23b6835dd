"""The ASGI Lifespan state machine: startup and shutdown, each answered exactly once."""

from __future__ import annotations

from typing import Any

from ..model import Event
from ._asgi_common import MessageMachine
from .findings import Collector


class LifespanCheck(MessageMachine):
    """Follows one lifespan scope's messages and reports the rules they break."""

    def __init__(self, scope: dict[str, Any], out: Collector) -> None:
        super().__init__(scope, out)
        self.received: dict[str, int] = {}
        self.replies: dict[str, dict[str, int]] = {"startup": {}, "shutdown": {}}

    def receive(self, message: dict[str, Any], seq: int) -> None:
        phase = message["type"].rpartition(".")[2]
        if phase in self.received:
            self.out.add("asgi-receive-invalid", seq, f"the server sent lifespan.{phase} twice")
        elif phase == "shutdown" and "complete" not in self.replies["startup"]:
            self.out.add("asgi-receive-invalid", seq, "the server sent lifespan.shutdown before a successful startup")
        self.received.setdefault(phase, seq)

    def send(self, message: dict[str, Any], seq: int) -> None:
        _, phase, outcome = message["type"].split(".")
        replies = self.replies[phase]
        kind = message["type"]
        if phase not in self.received:
            self.out.add("lifespan-out-of-order", seq, f"{kind} was sent before lifespan.{phase} was received")
        elif phase == "startup" and "shutdown" in self.received:
            self.out.add("lifespan-out-of-order", seq, f"{kind} was sent after lifespan.shutdown was received")
        if outcome in replies:
            self.out.add("lifespan-duplicate", seq, f"{kind} was sent twice (first at step {replies[outcome]})")
        elif replies:
            self.out.add("lifespan-both-outcomes", seq, f"{kind} was sent after lifespan.{phase}.{next(iter(replies))}")
        replies.setdefault(outcome, seq)
        if outcome == "failed" and not isinstance(message.get("message", ""), str):
            self.out.add("asgi-message-invalid", seq, f"{kind} has a 'message' that is not a str")

    def finish(self, end: Event) -> None:
        """Report a phase the app never answered."""
        end_seq = end.seq
        how = "raised" if self.error else "returned"
        if "startup" in self.received and not self.replies["startup"]:
            self.out.add(
                "lifespan-startup-no-reply",
                end_seq,
                f"the app {how} during startup without sending lifespan.startup.complete or .failed",
                # An exception here is how some apps say "startup failed"; servers cope with it.
                severity="warning" if self.error else None,
            )
        if "shutdown" in self.received and not self.replies["shutdown"]:
            self.out.add(
                "lifespan-shutdown-no-reply",
                end_seq,
                f"the app {how} during shutdown without sending lifespan.shutdown.complete or .failed",
            )
