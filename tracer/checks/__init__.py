"""Protocol checks: find where an app broke the WSGI or ASGI rules in a trace.

    from tracer import read_traces
    from tracer.checks import check_trace

    for trace in read_traces("traces.jsonl"):
        for finding in check_trace(trace):
            print(finding.seq, finding.severity, finding.rule, finding.message)

The checks read a finished trace, so they never slow the app. Rules and
their ids are listed in `tracer.checks.rules.RULES` and in docs/checks.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..model import Trace

Severity = Literal["error", "warning", "info"]

__all__ = ["Finding", "Severity", "check_trace"]


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
    """Every finding of one trace, in event order.

    Checks that need the whole request (a missing ``close()``, a response
    left unfinished) run only on complete traces, so a trace still being
    recorded gets no findings it might yet disprove.

    Args:
        trace: A trace read from a file or a `Recorder`.

    Returns:
        The findings, ordered by event ``seq`` (stable within one event).
    """
    from ._collect import Collector
    from .asgi import check_asgi
    from .wsgi import check_wsgi

    out = Collector(trace.id)
    if trace.protocol == "wsgi":
        check_wsgi(trace, out)
    elif trace.protocol == "asgi":
        check_asgi(trace, out)
    return sorted(out.findings, key=lambda finding: finding.seq)
