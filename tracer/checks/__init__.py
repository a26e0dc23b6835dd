"""Protocol checks: find where an app broke the WSGI or ASGI rules in a trace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..model import Trace

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Finding:
    """One broken rule, at the event where it happened.

    Attributes:
        trace: The trace id.
        seq: The `seq` of the event where the rule was broken.
        rule: A stable rule id, e.g. ``"wsgi-body-before-start"``.
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        message: One sentence with a hint.
    """

    trace: str
    seq: int
    rule: str
    severity: Severity
    message: str


def check_trace(trace: Trace) -> list[Finding]:
    """Every finding of one trace, in event order."""
    return []
