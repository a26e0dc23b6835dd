"""Collecting findings for one trace."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .rules import RULES, Severity

if TYPE_CHECKING:
    from . import Finding


class Collector:
    """Builds the findings of one trace; a rule reported twice at one step counts once."""

    __slots__ = ("trace_id", "findings", "_seen")

    def __init__(self, trace_id: str) -> None:
        self.trace_id = trace_id
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int]] = set()

    def add(self, rule_id: str, seq: int, detail: str | None = None, severity: Severity | None = None) -> None:
        """Report `rule_id` at event `seq`.

        `detail` replaces the rule's summary in the message; `severity` overrides
        the rule's own where one rule covers a milder case.
        """
        from . import Finding

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
