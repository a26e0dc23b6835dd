"""Protocol checks: find where an app broke the WSGI or ASGI rules in a trace.

    from tracer import read_traces
    from tracer.checks import check_trace

    for trace in read_traces("traces.jsonl"):
        for finding in check_trace(trace):
            print(finding.seq, finding.severity, finding.rule, finding.message)

The checks read a recorded trace, so they never slow the app. Rules, their
ids and a broken example of each are in `tracer.checks.rules.RULES`, and
listed in docs/checks.md. Each checker follows the trace through its
protocol's state machine (`tracer.states`) and reports the mistakes the
machine names, so `tracer.states.states_of` shows the same story step by
step; `tracer.spec.RULES` gives the spec behind every rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..model import END_KINDS, Trace
from .asgi import ASGICheck
from .causes import with_causes
from .findings import Collector, Finding, Severity
from .machine import StateMachine
from .wsgi import WSGICheck

__all__ = ["Finding", "Severity", "check_trace"]

_CHECKERS: dict[str, Callable[[Trace, Collector], StateMachine]] = {"wsgi": WSGICheck, "asgi": ASGICheck}


def check_trace(trace: Trace, *, live: bool = False) -> list[Finding]:
    """Every finding of one trace, in event order.

    Checks that need the whole request (a missing ``close()``, a response
    left unfinished) run only on complete traces that the server did not
    cut short (an end event with ``stopped``) and that lack no step (a line
    of the file that could not be read may hold the very call they look for). A trace with no end event
    gets ``trace-incomplete`` instead, unless `live` says it may still be
    being recorded.

    Args:
        trace: A trace read from a file or a `Recorder`.
        live: The trace may still be in progress (a file being written), so a
            missing end is not a finding.

    A finding that a framework or the server most likely caused, as the trace
    shows (`tracer.checks.causes`), names it in `Finding.cause` and in one more
    sentence of its message.

    Returns:
        The findings, ordered by event ``seq`` (stable within one event).
    """
    make = _CHECKERS.get(trace.protocol)
    if make is None:
        return []
    out = Collector(trace.id)
    checker = make(trace, out)
    for event in trace.events:
        checker.feed(event)
    if trace.complete:
        end = trace.events[-1]
        # A request the server cut short (Ctrl+C, a shutdown) did not end by the app's doing:
        # what it left undone is not the app's mistake. Nor is what unreadable lines hide.
        stopped = isinstance(end.data, dict) and end.data.get("stopped")
        if not stopped and not trace.missing_steps:
            checker.finish(end)
    elif trace.events and not live and not any(event.kind in END_KINDS for event in trace.events):
        out.add("trace-incomplete", trace.events[-1].seq)
    findings = with_causes(trace, sorted(out.findings, key=lambda finding: finding.seq))
    if findings and any("original" in event.data for event in trace.events if isinstance(event.data, dict)):
        findings = _note_edits(trace, findings, live)
    return findings


def _note_edits(trace: Trace, findings: list[Finding], live: bool) -> list[Finding]:
    """The checks read what was exchanged; a finding that an edit in the debugger caused says so."""
    from ..debug.exchanged import caused_by_edits, edit_note

    caused = {id(finding) for finding in caused_by_edits(trace, lambda given: check_trace(given, live=live), findings)}
    return [
        replace(finding, message=f"{finding.message} {edit_note(trace, finding)}") if id(finding) in caused else finding
        for finding in findings
    ]
