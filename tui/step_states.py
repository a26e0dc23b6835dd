"""The protocol state after each step of a replayed trace, worked out in a worker and kept small.

`tracer.states` follows a trace through its protocol's state machine; the
replay shows the state beside every step. A trace of 100,000 events would
make 100,000 `StepState` objects (and as many `RequestBody`), which every
full garbage collection would walk, so the steps are kept as arrays of
indices into the machine, with framing, request body and phase kept only
where they change; `StateTimeline.at` builds a step's `StepState` when it is
shown.

    walk = StateWalk("asgi", "http")                   # in a worker thread:
    batch = timeline.pack(walk.follow(events), start)  # the next steps' states, packed
    timeline.add(batch)                                # on the UI thread: a few array extends
    timeline.at(3).state.label                         # 'response started'

A step the debugger holds has not happened: `held_state` is where the
exchange waits for it, the state after the last step that did happen.
"""

from __future__ import annotations

import time
from array import array
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TypeVar

from tracer.model import Event
from tracer.states import Framing, Machine, Mistake, RequestBody, State, StateFollower, StepState
from tracer.states.steps import RUNNING

from .steps import UNREADABLE

T = TypeVar("T")

BATCH_EVENTS = 512
"""Events followed between looks at the clock."""
BATCH_SECONDS = 0.1
"""How often `follow_batches` hands over what it has followed, so the panel fills while it works."""


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
                         request_body=last.request_body, phase=last.phase)


@dataclass(slots=True)
class StateBatch:
    """The states of steps `start` on, packed as `StateTimeline` keeps them (made in the worker thread)."""

    start: int
    seqs: array[int]
    states: array[int]
    before: array[int]
    transitions: array[int]
    made: dict[int, tuple[Mistake, ...]]
    framing: list[tuple[int, Framing | None]]
    body: list[tuple[int, RequestBody | None]]
    phase: list[tuple[int, str]]

    def __len__(self) -> int:
        return len(self.states)


class StateTimeline:
    """The state after every step followed so far, kept as indices into the machine.

    Args:
        machine: The trace's machine.
    """

    def __init__(self, machine: Machine) -> None:
        self.machine = machine
        self._state_index = {state: i for i, state in enumerate(machine.states)}
        self._transition_index = {id(t): i for i, t in enumerate(machine.transitions)}
        self._all = self.pack([], 0)

    @property
    def count(self) -> int:
        """Steps followed so far."""
        return len(self._all)

    def pack(self, states: list[StepState], start: int) -> StateBatch:
        """The states of steps `start` on, packed (thread-safe: it reads only the machine's tables)."""
        batch = StateBatch(start, array("q"), array("b"), array("b"), array("h"), {}, [], [], [])
        state_index, transition_index = self._state_index, self._transition_index
        for step, state in enumerate(states, start):
            batch.seqs.append(state.seq)
            batch.states.append(state_index[state.state])
            batch.before.append(state_index[state.before] if state.before is not None else -1)
            transition = state.transition
            batch.transitions.append(transition_index.get(id(transition), -1) if transition is not None else -1)
            if state.made:
                batch.made[step] = state.made
            _change(batch.framing, step, state.framing)
            _change(batch.body, step, state.request_body)
            _change(batch.phase, step, state.phase)
        return batch

    def add(self, batch: StateBatch | list[StepState]) -> None:
        """Take the states of the next steps (a batch must start at `count`)."""
        if isinstance(batch, list):
            batch = self.pack(batch, self.count)
        assert batch.start == self.count
        kept = self._all
        kept.seqs.extend(batch.seqs)
        kept.states.extend(batch.states)
        kept.before.extend(batch.before)
        kept.transitions.extend(batch.transitions)
        kept.made.update(batch.made)
        for step, value in batch.framing:
            _change(kept.framing, step, value)
        for step, value in batch.body:
            _change(kept.body, step, value)
        for step, value in batch.phase:
            _change(kept.phase, step, value)

    @property
    def reached(self) -> set[State]:
        """The states some step followed so far has been in."""
        return {self.machine.states[index] for index in set(self._all.states)}

    def at(self, step: int) -> StepState | None:
        """The state after `step`, or None when it has not been followed yet."""
        kept = self._all
        if not 0 <= step < len(kept.states):
            return None
        machine = self.machine
        before = kept.before[step]
        transition = kept.transitions[step]
        return StepState(
            kept.seqs[step],
            machine,
            machine.states[kept.states[step]],
            machine.states[before] if before >= 0 else None,
            machine.transitions[transition] if transition >= 0 else None,
            kept.made.get(step, ()),
            framing=_at(kept.framing, step),
            request_body=_at(kept.body, step),
            phase=_at(kept.phase, step) or RUNNING,
        )


def held_state(machine: Machine, last: StepState | None, seq: int) -> StepState:
    """The state of the held step `seq`: it has not happened, so the exchange stays where `last` left it.

    Args:
        machine: The trace's machine.
        last: The state after the last step that happened; None when none has (held at the first event).
        seq: The held event's seq.
    """
    if last is None:
        return StepState(seq, machine, machine.initial, None, None, ())
    return StepState(seq, machine, last.state, last.state, None, (), framing=last.framing,
                     request_body=last.request_body, phase=last.phase)


def follow_batches(walk: StateWalk, timeline: StateTimeline, events: Iterable[Event], start: int) -> Iterator[StateBatch]:
    """Follow `events`, the steps from `start` on, in a worker thread: a packed batch every `BATCH_SECONDS`.

    The states are packed here, so the UI thread only extends arrays with them.
    """
    events = iter(events)
    done: list[StepState] = []
    posted = time.monotonic()
    while chunk := list(islice(events, BATCH_EVENTS)):
        done += walk.follow(chunk)
        if time.monotonic() - posted >= BATCH_SECONDS:
            yield timeline.pack(done, start)
            start += len(done)
            done = []
            posted = time.monotonic()
        time.sleep(0)  # Let the UI thread have the GIL between chunks.
    if done:
        yield timeline.pack(done, start)


def _change(changes: list[tuple[int, T]], step: int, value: T) -> None:
    """Keep `value` from `step` on, if it differs from the value before."""
    if not changes or changes[-1][1] != value:
        changes.append((step, value))


def _at(changes: list[tuple[int, T]], step: int) -> T | None:
    found = bisect_right(changes, step, key=lambda change: change[0]) - 1
    return changes[found][1] if found >= 0 else None
