"""What the state panel says and what `tracer check` reports agree, step by step."""

from __future__ import annotations

from tracer.checks import Finding, check_trace
from tracer.model import END_KINDS, Trace
from tracer.states import MACHINES, StepState, states_of

# asgi-receive-invalid also covers a malformed message from the server, which is no matter of order.
ORDER_RULES = frozenset(m.rule for machine in MACHINES.values() for m in machine.mistakes) - {"asgi-receive-invalid"}
"""The rules the checks report from the state machines alone."""


def followed_in_order(trace: Trace) -> bool:
    """Whether the checks follow the trace's order (not when a message could not be recorded)."""
    return not any("$error" in e.data for e in trace.events if e.kind in ("asgi.send", "asgi.receive"))


def assert_agree(trace: Trace, findings: list[Finding] | None = None) -> list[StepState]:
    """Every order finding is a mistake its step made, and every mistake a step made is reported.

    A mistake the checks report once per trace (a message after a disconnect)
    is reported at the first step that made it. Returns the steps.
    """
    steps = states_of(trace)
    if not steps:  # a protocol or scope type no machine describes
        return steps
    assert [s.seq for s in steps] == [e.seq for e in trace.events]
    if not followed_in_order(trace):
        return steps
    findings = check_trace(trace) if findings is None else findings
    at = {s.seq: s for s in steps}
    for finding in findings:
        if finding.rule in ORDER_RULES:
            step = at[finding.seq]
            assert any(m.rule == finding.rule for m in step.made), (trace.id, finding, step)
            assert step.before in next(m.states for m in step.made if m.rule == finding.rule)
    reported = {(f.rule, f.seq) for f in findings}
    judged_end = trace.complete
    for step, event in zip(steps, trace.events):
        if event.kind in END_KINDS and not judged_end:
            continue
        for mistake in step.made:
            earlier = any(rule == mistake.rule and seq <= step.seq for rule, seq in reported)
            assert (mistake.rule, step.seq) in reported or (mistake.once and earlier), (trace.id, step.seq, mistake)
    return steps
