"""The ASGI Lifespan checks: startup and shutdown, each answered exactly once, in the order the Lifespan machine allows."""

from __future__ import annotations

from typing import Any

from ..states.lifespan import LifespanFollow
from ..states.machine import Step
from ._asgi_common import MessageMachine
from .findings import Collector, Severity


class LifespanCheck(MessageMachine):
    """Follows one lifespan scope's messages through the Lifespan machine and reports the rules they break."""

    follow_type = LifespanFollow

    def __init__(self, scope: dict[str, Any], out: Collector) -> None:
        super().__init__(scope, out)
        self.received: dict[str, int] = {}
        self.replies: dict[str, dict[str, int]] = {"startup": {}, "shutdown": {}}

    def receive(self, message: dict[str, Any], seq: int, step: Step) -> None:
        phase = message["type"].rpartition(".")[2]
        twice = phase in self.received
        if step.made:
            self.out.report(step.made, seq, lambda rule: f"the server sent lifespan.{phase} twice" if twice
                        else "the server sent lifespan.shutdown before a successful startup")
        self.received.setdefault(phase, seq)

    def send(self, message: dict[str, Any], seq: int, step: Step) -> None:
        kind = message["type"]
        _, phase, outcome = kind.split(".")
        replies = self.replies[phase]
        if step.made:
            self.out.report(step.made, seq, lambda rule: self._detail(rule, kind, phase, outcome))
        replies.setdefault(outcome, seq)
        if outcome == "failed" and not isinstance(message.get("message", ""), str):
            self.out.add("asgi-message-invalid", seq, f"{kind} has a 'message' that is not a str")

    def _detail(self, rule: str, kind: str, phase: str, outcome: str) -> str | None:
        replies = self.replies[phase]
        if rule == "lifespan-out-of-order":
            if phase not in self.received:
                return f"{kind} was sent before lifespan.{phase} was received"
            return f"{kind} was sent after lifespan.shutdown was received"
        if rule == "lifespan-duplicate" and outcome in replies:
            return f"{kind} was sent twice (first at step {replies[outcome]})"
        if rule == "lifespan-both-outcomes" and replies:
            return f"{kind} was sent after lifespan.{phase}.{next(iter(replies))}"
        return None

    def ended(self, end_seq: int, step: Step) -> None:
        """Report a phase the app never answered."""
        how = "raised" if self.error else "returned"
        self.out.report(step.made, end_seq, lambda rule: self._end_detail(rule, how), self._end_severity)

    def _end_detail(self, rule: str, how: str) -> str | None:
        phase = {"lifespan-startup-no-reply": "startup", "lifespan-shutdown-no-reply": "shutdown"}.get(rule)
        if phase is None:
            return None
        return f"the app {how} during {phase} without sending lifespan.{phase}.complete or .failed"

    def _end_severity(self, rule: str) -> Severity | None:
        # An exception here is how some apps say "startup failed"; servers cope with it.
        return "warning" if rule == "lifespan-startup-no-reply" and self.error else None
