"""Reading a trace with events edited in the debugger: what was exchanged, and what was given.

An event that went on edited keeps what was exchanged in its data (what the
client or the app got; every reader sees that), and in ``original`` the
values the app or the server gave; ``original`` is null for a message the
debugger made up (a disconnect repeated to a later ``receive()``).

    edited_steps(trace)                 # seqs of the edited events
    given = as_given(trace)             # the trace as the app and the server gave it
    caused_by_edits(trace, check_trace) # the findings an edit caused

Nothing here imports the checks: they are passed in, so that the checks can
use this module without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..model import Event, Trace

_DEBUG_KEYS = ("held_ns", "released", "original")


def edited_steps(trace: Trace) -> list[int]:
    """The seqs of `trace`'s events that went on edited (or were made up) in the debugger."""
    return [event.seq for event in trace.events if isinstance(event.data, dict) and "original" in event.data]


def original_data(event: Event) -> dict[str, Any] | None:
    """An edited event's data as the app or the server gave it; None for one the debugger made up.

    An event that was not edited is returned as it is.
    """
    data = event.data
    if not isinstance(data, dict) or "original" not in data:
        return data
    original = data["original"]
    if not isinstance(original, dict):
        return None
    given = {key: value for key, value in data.items() if key not in _DEBUG_KEYS}
    given.update(original)
    return given


def as_given(trace: Trace) -> Trace:
    """A copy of `trace` with each edited event as the app or server gave it, and made-up events left out."""
    events = []
    for event in trace.events:
        data = original_data(event)
        if data is None:
            continue
        events.append(event if data is event.data else Event(event.seq, event.t_ns, event.kind, data))
    return Trace(trace.id, trace.protocol, trace.scope_type, trace.started_at, events)


def caused_by_edits(trace: Trace, check: Callable[..., Sequence[Any]], findings: Sequence[Any] | None = None) -> list[Any]:
    """The findings of `trace` that an edit caused: those the trace as given does not have.

    Args:
        trace: A trace, as read.
        check: The checks, e.g. `tracer.checks.check_trace` (anything taking a trace
            and returning findings with ``rule`` and ``seq``).
        findings: `check(trace)`, if already known.

    Returns:
        The findings of `trace` whose rule and step the unedited trace does not
        have; empty when nothing was edited.
    """
    if not edited_steps(trace):
        return []
    found = list(check(trace) if findings is None else findings)
    before = {(finding.rule, finding.seq) for finding in check(as_given(trace))}
    return [finding for finding in found if (finding.rule, finding.seq) not in before]


def edit_note(trace: Trace, finding: Any) -> str:
    """The sentence a finding that an edit caused gets, naming the edited steps up to it.

    ``Caused by an edit in the debugger at step 2.``
    """
    steps = [seq for seq in edited_steps(trace) if seq <= finding.seq] or edited_steps(trace)
    if len(steps) == 1:
        return f"Caused by an edit in the debugger at step {steps[0]}."
    return f"Caused by edits in the debugger at steps {', '.join(str(seq) for seq in steps)}."
