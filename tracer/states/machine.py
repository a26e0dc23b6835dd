"""What every protocol state machine is made of: states, transitions, mistakes, and a follower.

A `Machine` is data: its states in drawing order, the transitions between
them keyed by a trigger (a message type or event kind, refined where the
protocol needs it, e.g. ``"http.response.body (more_body=True)"``), and the
mistakes: which triggers break which check rule in which state. A
`Follower` walks one trace through its machine. The checks in
`tracer.checks` report exactly the mistakes a follower finds, and
`tracer.states.states_of` shows the same steps beside the replay.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, NamedTuple

from ..model import Event

ANY_SEND = "any message the app sends"
"""A mistake's trigger that stands for every message the app sends (ASGI)."""
ANY_RECEIVE = "any message receive() returns"
"""A mistake's trigger that stands for every message the server gives the app (ASGI)."""


class State(enum.Enum):
    """A state of one protocol's exchange; the value is its label, e.g. ``"status and headers set"``."""

    # Members are singletons: hashing by identity is right, and cheaper than Enum's hash of the name.
    __hash__ = object.__hash__

    @property
    def label(self) -> str:
        """The state's name in plain words."""
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Transition:
    """A move the exchange makes on a trigger.

    Attributes:
        source: The states it leaves; empty for the entry (the server calling the app).
        on: The trigger, one of the machine's `triggers`.
        target: The state it reaches; None for a step that leaves the state as it is.
        says: What happens, in one sentence.
    """

    source: tuple[State, ...]
    on: str
    target: State | None
    says: str

    def to(self, state: State) -> State:
        """The state after this transition from `state`."""
        return self.target if self.target is not None else state


@dataclass(frozen=True, slots=True)
class Mistake:
    """A trigger that breaks a check rule in some states.

    Attributes:
        states: The states in which it is a mistake.
        on: The triggers (or `ANY_SEND`, `ANY_RECEIVE`) that make it.
        rule: The id of the rule it breaks, in `tracer.checks.rules.RULES`.
        says: What would be wrong, in one sentence.
        once: Reported once per trace: every later message would break it again.
        by: Whose mistake it is: ``"app"``, or ``"server"`` for the server's side of the contract.
    """

    states: tuple[State, ...]
    on: tuple[str, ...]
    rule: str
    says: str
    once: bool = False
    by: Literal["app", "server"] = "app"


@dataclass(frozen=True, slots=True, eq=False)
class Machine:
    """One protocol's state machine, as data.

    Attributes:
        name: ``"wsgi"``, ``"http"``, ``"websocket"`` or ``"lifespan"``.
        title: The machine's heading, e.g. ``"ASGI HTTP"``.
        states: Every state, in the order to draw them; the first is the initial one.
        triggers: What each trigger is, by trigger.
        transitions: Every transition; the first is the entry into the initial state.
        mistakes: Every mistake: a trigger that breaks a check rule in some states.
        about: What each state means.
        may: What the app may do next, in each state.
        may_raised: What may come next once the app has raised, whatever the state (empty: what `may` says).
        may_ended: What may come next from the end on (nothing).
        sends: The triggers that are messages the app sends (for `ANY_SEND`).
        receives: The triggers that are messages the server gives the app (for `ANY_RECEIVE`).
    """

    name: str
    title: str
    states: tuple[State, ...]
    triggers: Mapping[str, str]
    transitions: tuple[Transition, ...]
    mistakes: tuple[Mistake, ...]
    about: Mapping[State, str]
    may: Mapping[State, tuple[str, ...]]
    may_raised: tuple[str, ...] = ()
    may_ended: tuple[str, ...] = ("nothing: the exchange is over",)
    sends: frozenset[str] = frozenset()
    receives: frozenset[str] = frozenset()
    _table: dict[tuple[State, str], tuple[Transition | None, tuple[Mistake, ...]]] = field(
        default_factory=dict, init=False, repr=False
    )

    @property
    def initial(self) -> State:
        """The state the exchange starts in."""
        return self.states[0]

    @property
    def entry(self) -> Transition:
        """The transition into the initial state: the server calling the app."""
        return self.transitions[0]

    def transition(self, state: State, on: str) -> Transition | None:
        """The transition `on` makes from `state`, or None."""
        return table(self).get((state, on), _NOTHING)[0]

    def mistakes_on(self, state: State, on: str) -> tuple[Mistake, ...]:
        """The mistakes trigger `on` makes in `state`."""
        return table(self).get((state, on), _NOTHING)[1]

    def mistakes_in(self, state: State, by: str | None = None) -> tuple[Mistake, ...]:
        """Every mistake that could be made in `state`; only the app's or the server's with `by`."""
        return tuple(m for m in self.mistakes if state in m.states and (by is None or m.by == by))

    def leaving(self, state: State) -> tuple[Transition, ...]:
        """The transitions out of (or staying in) `state`."""
        return tuple(t for t in self.transitions if state in t.source)


_NOTHING: tuple[Transition | None, tuple[Mistake, ...]] = (None, ())


def table(machine: Machine) -> dict[tuple[State, str], tuple[Transition | None, tuple[Mistake, ...]]]:
    """The transition and the mistakes of every (state, trigger) pair that has either, built once per machine."""
    found = machine._table
    if not found:
        for transition in machine.transitions:
            for state in transition.source:
                found.setdefault((state, transition.on), (transition, ()))
        for state in machine.states:
            for on in machine.triggers:
                wild = ANY_SEND if on in machine.sends else ANY_RECEIVE if on in machine.receives else None
                made = tuple(
                    m for m in machine.mistakes
                    if state in m.states and (on in m.on or (wild is not None and wild in m.on))
                )
                if made:
                    found[(state, on)] = (found.get((state, on), _NOTHING)[0], made)
    return found


def frozen(mapping: dict[Any, Any]) -> Mapping[Any, Any]:
    """A read-only view of `mapping`, for a machine's tables."""
    return MappingProxyType(mapping)


class Step(NamedTuple):
    """What one event did to the exchange.

    Attributes:
        seq: The event's ``seq``.
        before: The state before the event; None for the entry (the server calling the app).
        state: The state after it.
        transition: The transition it made, or None (not part of the machine, or a mistake).
        made: The mistakes it made.
        trigger: Its trigger, or None when the machine does not follow this event.
    """

    seq: int
    before: State | None
    state: State
    transition: Transition | None
    made: tuple[Mistake, ...]
    trigger: str | None

    def broke(self, rule: str) -> bool:
        """Whether this event broke `rule`."""
        return any(m.rule == rule for m in self.made)


class Follower:
    """Walks one trace through a machine, one event at a time.

    Subclasses say which trigger an event is (`trigger`) and keep the facts
    the triggers depend on (`note`); the table decides the rest.
    """

    machine: Machine
    entry_kind: str = ""
    end_kind: str = ""
    """The kind of the event that ends the exchange (nothing may follow it)."""

    def __init__(self) -> None:
        self.state: State = self.machine.initial
        self.previous: State | None = None
        self.entered = False
        self._table = table(self.machine)

    def step(self, event: Event) -> Step:
        """Follow `event`: its trigger, the transition it makes and the mistakes it makes."""
        if not self.entered and event.kind == self.entry_kind:
            self.entered = True
            self.note(event, self.entry_kind)
            return Step(event.seq, None, self.state, self.machine.entry, (), self.entry_kind)
        self.entered = True
        recorded = "$error" not in event.data
        on = self.trigger(event) if recorded else self.unrecorded(event)
        state = self.previous = self.state
        transition, made = self._table.get((state, on), _NOTHING) if on is not None else _NOTHING
        if transition is not None:
            self.state = transition.target or state
        self.note(event, on)
        return Step(event.seq, state, self.state, transition, made if recorded else (), on)

    def trigger(self, event: Event) -> str | None:
        """The event's trigger, or None when the machine does not follow it."""
        raise NotImplementedError

    def unrecorded(self, event: Event) -> str | None:
        """The trigger of an event whose data the tracer could not record (its mistakes are not judged)."""
        return None

    def note(self, event: Event, on: str | None) -> None:
        """Keep what later triggers depend on, once the event has been followed (`previous` is the state before it)."""
