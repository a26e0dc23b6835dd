"""The protocol state after each step of a replayed trace, worked out in a worker and kept small.

`tracer.states` follows a trace through its protocol's state machine; the
replay shows the state beside every step. A trace of 100,000 events would
make 100,000 `StepState` objects (and as many `RequestBody`), which every
full garbage collection would walk, so the steps are kept as arrays of
indices into the machine, with framing and request body kept only where
they change; `StateTimeline.at` builds a step's `StepState` when it is
shown.

    walk = StateWalk(machine_for("asgi", "http"))     # in a worker thread
    batch = walk.follow(events)                        # list[StepState]
    timeline.add(batch)                                # on the UI thread
    timeline.at(3).state.label                         # 'response started'
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from collections.abc import Iterable
from typing import Generic, TypeVar

from tracer.model import Event
from tracer.states import Framing, Machine, Mistake, RequestBody, StateFollower, StepState

from .steps import UNREADABLE

T = TypeVar("T")


class StateWalk:
    """Follows one trace's events through its machine, as they are decoded (one thread at a time).

    Args:
        protocol: The trace's protocol.
        scope_type: Its scope type.
    """

    def __init__(self, protocol: str, scope_type: str) -> None:
        self._follower = StateFollower(protocol, scope_type)
        self._last: StepState | None = None

    @property
    def machine(self) -> Machine | None:
        """The machine the trace follows, or None for a protocol no machine describes."""
        return self._follower.machine

    def follow(self, events: Iterable[Event]) -> list[StepState]:
        """The state after each of `events`, the next steps of the trace in order.

        A line that no longer decodes, or data the follower cannot read, moves
        nothing: its step keeps the state before it.
        """
        if self.machine is None:
            return []
        states: list[StepState] = []
        for event in events:
            state: StepState | None = None
            if event.kind != UNREADABLE:
                try:
                    state = self._follower.step(event)
                except Exception:  # noqa: BLE001 - odd data moves nothing; the replay goes on
                    state = None
            self._last = state if state is not None else self._stay(event.seq)
            states.append(self._last)
        return states

    def _stay(self, seq: int) -> StepState:
        machine = self._follower.machine
        assert machine is not None
        last = self._last
        if last is None:
            return StepState(seq, machine, machine.initial, None, None, ())
        return StepState(seq, machine, last.state, last.state, None, (), framing=last.framing,
                         request_body=last.request_body)


class StateTimeline:
    """The state after every step followed so far, kept as indices into the machine.

    Args:
        machine: The trace's machine.
    """

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self._state_index = {state: i for i, state in enumerate(machine.states)}
        self._transition_index = {id(t): i for i, t in enumerate(machine.transitions)}
        self._seqs = array("q")
        self._states = array("b")
        self._before = array("b")
        self._transitions = array("h")
        self._made: dict[int, tuple[Mistake, ...]] = {}
        self._framing: _Changes[Framing | None] = _Changes()
        self._body: _Changes[RequestBody | None] = _Changes()
        self.reached: set[int] = set()
        """Indices in `machine.states` of the states some step has been in."""

    @property
    def count(self) -> int:
        """Steps followed so far."""
        return len(self._states)

    def add(self, states: list[StepState]) -> None:
        """Take the states of the next steps."""
        for state in states:
            step = len(self._states)
            index = self._state_index[state.state]
            self._seqs.append(state.seq)
            self._states.append(index)
            self._before.append(self._state_index[state.before] if state.before is not None else -1)
            transition = state.transition
            self._transitions.append(self._transition_index.get(id(transition), -1) if transition else -1)
            if state.made:
                self._made[step] = state.made
            self._framing.add(step, state.framing)
            self._body.add(step, state.request_body)
            self.reached.add(index)

    def at(self, step: int) -> StepState | None:
        """The state after `step`, or None when it has not been followed yet."""
        if not 0 <= step < len(self._states):
            return None
        machine = self.machine
        before = self._before[step]
        transition = self._transitions[step]
        return StepState(
            self._seqs[step],
            machine,
            machine.states[self._states[step]],
            machine.states[before] if before >= 0 else None,
            machine.transitions[transition] if transition >= 0 else None,
            self._made.get(step, ()),
            framing=self._framing.at(step),
            request_body=self._body.at(step),
        )


class _Changes(list[tuple[int, T]], Generic[T]):
    """A value per step, kept only where it changes: (first step, value) pairs."""

    def add(self, step: int, value: T) -> None:
        if not self or self[-1][1] != value:
            self.append((step, value))

    def at(self, step: int) -> T | None:
        found = bisect_right(self, step, key=lambda change: change[0]) - 1
        return self[found][1] if found >= 0 else None
