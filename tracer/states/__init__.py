"""The protocols' state machines, as data, and the state of a trace after each of its events.

    from tracer import read_traces
    from tracer.states import states_of

    for trace in read_traces("traces.jsonl"):
        for step in states_of(trace):
            print(step.seq, step.state.label, step.transition and step.transition.says)

Four machines: WSGI (called, status and headers set, headers sent,
iterating, closed), ASGI HTTP (awaiting the request body, body read,
response started, streaming, complete, or disconnected), WebSocket
(connecting, accepted or denied, open, closing, closed) and Lifespan
(starting, started, shutting down, stopped, and the failed ends). The
checks in `tracer.checks` follow every trace through the same machines and
report the mistakes the machines name, so the state shown beside a step
and what `tracer check` says about it cannot disagree. docs/protocols.md
draws them.
"""

from __future__ import annotations

from .framing import Framing
from .http import HTTPState
from .http import MACHINE as HTTP
from .lifespan import MACHINE as LIFESPAN
from .lifespan import LifespanState
from .machine import ANY_RECEIVE, ANY_SEND, Machine, Mistake, State, Transition
from .steps import RequestBody, StateFollower, StepState, follower_for, states_of
from .websocket import MACHINE as WEBSOCKET
from .websocket import WSState
from .wsgi import MACHINE as WSGI
from .wsgi import WSGIState

MACHINES: dict[str, Machine] = {machine.name: machine for machine in (WSGI, HTTP, WEBSOCKET, LIFESPAN)}
"""Every machine, by name: ``"wsgi"``, ``"http"``, ``"websocket"``, ``"lifespan"``."""


def machine_for(protocol: str, scope_type: str) -> Machine | None:
    """The machine of a trace's protocol and scope type, or None."""
    if protocol == "wsgi":
        return WSGI
    if protocol == "asgi":
        return MACHINES.get(scope_type) if scope_type in ("http", "websocket", "lifespan") else None
    return None


__all__ = [
    "ANY_RECEIVE",
    "ANY_SEND",
    "Framing",
    "HTTP",
    "HTTPState",
    "LIFESPAN",
    "LifespanState",
    "MACHINES",
    "Machine",
    "Mistake",
    "RequestBody",
    "State",
    "StateFollower",
    "StepState",
    "Transition",
    "WEBSOCKET",
    "WSGI",
    "WSGIState",
    "WSState",
    "follower_for",
    "machine_for",
    "states_of",
]
