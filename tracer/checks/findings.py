"""Findings, and the collector every check reports them into."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .rules import RULES, Severity

if TYPE_CHECKING:
    from ..states.machine import Mistake

__all__ = ["Collector", "Finding", "Severity", "kind_of"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule, at the event where it happened.

    Attributes:
        trace: The trace id.
        seq: The `seq` of the event where the rule was broken.
        rule: A stable rule id, e.g. ``"wsgi-body-before-start"``.
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        message: One sentence with a hint (and, when `cause` is set, a sentence naming it).
        cause: The framework or server that most likely broke the rule, not the app's own
            code (``"Django"``, ``"granian"``, ``"the server (gunicorn/23.0.0)"``), or None;
            see `tracer.checks.causes`.
    """

    trace: str
    seq: int
    rule: str
    severity: Severity
    message: str
    cause: str | None = None


class Collector:
    """Builds the findings of one trace; a rule reported twice at one step counts once."""

    __slots__ = ("_once", "_seen", "findings", "trace_id")

    def __init__(self, trace_id: str) -> None:
        self.trace_id = trace_id
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int]] = set()
        self._once: set[str] = set()

    def add(self, rule_id: str, seq: int, detail: str | None = None, severity: Severity | None = None) -> None:
        """Report `rule_id` at event `seq`.

        `detail` replaces the rule's summary in the message; `severity` overrides
        the rule's own where one rule covers a milder case.
        """
        key = (rule_id, seq)
        if key in self._seen:
            return
        self._seen.add(key)
        rule = RULES[rule_id]
        text = detail or rule.summary
        first = text.split(" ", 1)[0]
        if first.isalpha() and first.islower():  # leave code such as close() or http.disconnect as written
            text = text[:1].upper() + text[1:]
        message = f"{text}; {rule.hint}."
        self.findings.append(Finding(self.trace_id, seq, rule_id, severity or rule.severity, message))

    def once(self, rule_id: str, seq: int, detail: str | None = None) -> None:
        """Report `rule_id` at `seq` unless an earlier `once` call reported it.

        For a state that every later message would break again (sending after a
        disconnect, before an accept): the first message says it all.
        """
        if rule_id not in self._once:
            self._once.add(rule_id)
            self.add(rule_id, seq, detail)


    def report(
        self,
        made: Iterable[Mistake],
        seq: int,
        detail: Callable[[str], str | None] | None = None,
        severity: Callable[[str], Severity | None] | None = None,
    ) -> None:
        """Report the mistakes a state machine found in the event at `seq`.

        Args:
            made: The mistakes (`tracer.states.machine.Step.made`).
            seq: The event.
            detail: Says more of a rule than its summary, or None.
            severity: Overrides a rule's severity, or None.
        """
        for mistake in made:
            text = detail(mistake.rule) if detail is not None else None
            if mistake.once:
                self.once(mistake.rule, seq, text)
            else:
                self.add(mistake.rule, seq, text, severity(mistake.rule) if severity is not None else None)


def kind_of(value: Any) -> str:
    """A value's type for a message: 'None', 'bytes', 'a str', 'an int', 'a dict object' (for a recorded repr)."""
    if value is None:
        return "None"
    repr_type = getattr(value, "type", None)
    if isinstance(repr_type, str) and hasattr(value, "repr"):  # tracer.model.ReprValue
        return f"a {repr_type.removeprefix('builtins.')} object"
    name = type(value).__name__
    if name in ("bytes", "bytearray"):
        return name
    return f"{'an' if name[:1] in 'aeiou' else 'a'} {name}"
