"""`HeldSteps`: a replayed trace's steps, and after them the step the debugger holds.

A held event is written to the trace file only when it goes on, so the
replay of a held request draws the steps the file has (`tui.steps.Steps`)
and then one more, made from what the debugger says (`Held`): the event
as it will be recorded if it goes on now, edits included.

    view = HeldSteps(steps)
    view.hold(session.held_for(trace_id))   # None once it goes on
    view.held_step                          # its place in the diagram, or None
    view.row(view.held_step).arrow          # drawn like any step
"""

from __future__ import annotations

from tracer.debug.client import Held
from tracer.model import Event
from tracer.summary import TraceSummary

from .labels import arrow
from .steps import Row, Steps

SEQ_LOOKBACK = 64
"""Steps looked at, back from the end, for the one with a given seq (a file's gaps are rare and short)."""


def held_event(held: Held, summary: TraceSummary, after_ns: int = 0) -> Event:
    """The event `held` will be recorded as: its seq, kind and data, timed from the trace's start.

    Args:
        held: The held event.
        summary: The trace's summary (its start is the trace's first event).
        after_ns: The last recorded step's time: the held one is not before it.
    """
    since = int((held.since - summary.start) * 1e9) if summary.start else 0
    return Event(held.seq, max(since, after_ns, 0), held.kind, held.data)


class HeldSteps:
    """The steps of a trace for the diagram: those of the file, then the held one (if the request is held).

    Args:
        steps: The trace's steps as the file has them.
    """

    def __init__(self, steps: Steps) -> None:
        self.steps = steps
        self.held: Held | None = None
        """The held event of this request, or None."""
        self._event: Event | None = None
        self._row: Row | None = None

    @property
    def summary(self) -> TraceSummary:
        """The trace's summary."""
        return self.steps.summary

    def hold(self, held: Held | None) -> None:
        """The request is held at `held` (None: not held, or no longer)."""
        self.held = held
        self._event = self._row = None

    @property
    def held_step(self) -> int | None:
        """The held step's place (after the file's steps), or None when nothing is held or the file has it already."""
        held, steps = self.held, self.steps
        if held is None:
            return None
        if steps.count:
            # It went on and its line was read before the debugger said so: the file's step stands.
            at = self.index_of(held.seq, steps.count)
            if at is not None and steps.row(at).kind == held.kind:
                return None
        return steps.count

    @property
    def count(self) -> int:
        """Steps to draw."""
        return self.steps.count + (self.held_step is not None)

    @property
    def complete(self) -> bool:
        """Whether the last step is the trace's end (never while held)."""
        return self.held_step is None and self.steps.complete

    def event(self, step: int) -> Event:
        """The event of `step`: the file's, or the held one."""
        if step == self.held_step:
            if self._event is None:
                assert self.held is not None
                count = self.steps.count
                after = self.steps.row(count - 1).t_ns if count else 0
                self._event = held_event(self.held, self.summary, after)
            return self._event
        return self.steps.event(step)

    def row(self, step: int) -> Row:
        """What the diagram draws for `step`."""
        if step == self.held_step:
            if self._row is None:
                event = self.event(step)
                self._row = Row(event.seq, event.t_ns, event.kind, arrow(event))
            return self._row
        return self.steps.row(step)

    def index_of(self, seq: int, count: int | None = None) -> int | None:
        """The step whose event has `seq` among the first `count` file steps (all by default), if any."""
        count = self.steps.count if count is None else count
        step = min(seq, count - 1)
        for _ in range(SEQ_LOOKBACK):
            if step < 0:
                return None
            found = self.steps.row(step).seq
            if found == seq:
                return step
            if found < seq:
                return None
            step -= 1
        return None


__all__ = ["HeldSteps", "held_event"]
