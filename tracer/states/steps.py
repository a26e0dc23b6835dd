"""The state of the exchange after every event of a trace, and what follows from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..model import Event, Trace
from ..summary import header_value, text
from .framing import Framing, frame
from .http import HTTPFollow
from .lifespan import LifespanFollow
from .machine import Follower, Machine, Mistake, State, Transition
from .websocket import WSFollow
from .wsgi import WSGIFollow


@dataclass(frozen=True, slots=True)
class RequestBody:
    """How much of the request body the app has had.

    Attributes:
        declared: The request's Content-Length, or None (chunked, or not given).
        read: Bytes the app has read (WSGI) or received (ASGI) so far.
        unread: Bytes still to read by the declared length; 0 once the body's end
            was seen; None when nothing tells.
    """

    declared: int | None
    read: int
    unread: int | None


RUNNING = ""
"""The app runs: what may come next is what its state allows."""
RAISED = "raised"
"""The app raised: only the end (and, in WSGI, the server's close()) may follow."""
ENDED = "ended"
"""The end step, or past it: nothing may follow."""


@dataclass(frozen=True, slots=True)
class StepState:
    """Where the exchange is after one event, and what follows from it.

    Attributes:
        seq: The event's ``seq``.
        machine: The state machine of the trace's protocol (draw its `states` and `transitions`).
        state: The state after the event.
        before: The state before it; None for the first event (the server calling the app).
        transition: The transition the event made, or None.
        made: The mistakes the event made; `tracer check` reports each of them at this step
            (or at an earlier one, for a mistake it reports once).
        framing: How the server will frame the response, once its status and headers are
            set (HTTP requests only).
        request_body: How much of the request body the app has had (HTTP requests only).
        phase: `RUNNING`, `RAISED` once the app raised (an asgi.error or wsgi.error), or
            `ENDED` from the end event on; the state alone does not say, since neither moves it.
    """

    seq: int
    machine: Machine
    state: State
    before: State | None
    transition: Transition | None
    made: tuple[Mistake, ...]
    framing: Framing | None = None
    request_body: RequestBody | None = None
    phase: str = RUNNING

    @property
    def about(self) -> str:
        """What the state means."""
        return self.machine.about[self.state]

    @property
    def may(self) -> tuple[str, ...]:
        """What may come next: what the app may do, or after it raised or ended, what is left."""
        if self.phase == ENDED:
            return self.machine.may_ended
        if self.phase == RAISED and self.machine.may_raised:
            return self.machine.may_raised
        return self.machine.may[self.state]

    @property
    def must_not(self) -> tuple[Mistake, ...]:
        """What would be the app's mistake from here, each with the rule `tracer check` would report.

        None once the app raised or ended: it sends nothing more.
        """
        if self.phase != RUNNING:
            return ()
        return self.machine.mistakes_in(self.state, "app")


def follower_for(protocol: str, scope_type: str) -> Follower | None:
    """A fresh follower for a trace's protocol and scope type, or None for one no machine describes."""
    if protocol == "wsgi":
        return WSGIFollow()
    if protocol == "asgi":
        make = {"http": HTTPFollow, "websocket": WSFollow, "lifespan": LifespanFollow}.get(scope_type)
        return make() if make is not None else None
    return None


class StateFollower:
    """Gives each event of one trace its `StepState`, as the events come.

    For a trace that grows while it is shown (a live file); `states_of` does
    the same for a whole trace at once. Feed every event, in order, once.

    Args:
        protocol: The trace's protocol, ``"wsgi"`` or ``"asgi"``.
        scope_type: Its scope type, ``"http"``, ``"websocket"`` or ``"lifespan"``.
    """

    def __init__(self, protocol: str, scope_type: str) -> None:
        self.follower = follower_for(protocol, scope_type)
        self._framing: Framing | None = None
        self._framed: tuple[Any, ...] = ()
        self._ended = False

    @property
    def machine(self) -> Machine | None:
        """The machine the trace follows, or None for a protocol no machine describes."""
        return self.follower.machine if self.follower is not None else None

    def step(self, event: Event) -> StepState | None:
        """The state after `event`; None for a protocol no machine describes."""
        follower = self.follower
        if follower is None:
            return None
        step = follower.step(event)
        # The framing changes only with the response's status and headers.
        facts = (getattr(follower, "response_changes", 0), getattr(follower, "started", False))
        if facts != self._framed:
            self._framing, self._framed = _framing(follower), facts
        self._ended = self._ended or event.kind == follower.end_kind
        phase = ENDED if self._ended else RAISED if getattr(follower, "error", False) else RUNNING
        return StepState(
            step.seq, follower.machine, step.state, step.before, step.transition, step.made,
            framing=self._framing, request_body=_request_body(follower), phase=phase,
        )


def states_of(trace: Trace) -> list[StepState]:
    """The state after every event of `trace`, in event order.

    The same machines drive `tracer check`: a finding about order (a body
    before the start, a message after the response was complete...) is
    reported at a step whose `made` holds its rule.

    Args:
        trace: A trace read from a file or a `Recorder`.

    Returns:
        One `StepState` per event; an empty list for a protocol no machine describes.
    """
    walk = StateFollower(trace.protocol, trace.scope_type)
    if walk.follower is None:
        return []
    return [walk.step(event) for event in trace.events]  # type: ignore[misc]


def _framing(follower: Follower) -> Framing | None:
    if isinstance(follower, WSGIFollow):
        if not follower.started:
            return None
        environ = follower.environ
        method = environ.get("REQUEST_METHOD")
        return frame(
            protocol="wsgi",
            method=method if isinstance(method, str) else None,
            http_version=text(environ.get("SERVER_PROTOCOL")).removeprefix("HTTP/") or None,
            request_connection=text(environ.get("HTTP_CONNECTION")) or None,
            status=follower.status,
            headers=follower.headers,
        )
    if isinstance(follower, HTTPFollow):
        if not follower.started:
            return None
        scope: dict[str, Any] = follower.scope
        method = scope.get("method")
        version = scope.get("http_version")
        return frame(
            protocol="asgi",
            method=method if isinstance(method, str) else None,
            http_version=version if isinstance(version, str) else None,
            request_connection=header_value(scope.get("headers"), "connection"),
            status=follower.status,
            headers=follower.headers,
        )
    return None


def _request_body(follower: Follower) -> RequestBody | None:
    if isinstance(follower, (WSGIFollow, HTTPFollow)):
        return RequestBody(follower.declared, follower.read, follower.unread)
    return None
