"""What a control client is told: held events, breakpoints, and what happens to them.

`Held` and `BreakpointInfo` describe the state of a debugged process;
`RequestHeld`, `HoldEdited`, `RequestReleased`, `BreakpointsChanged` and
`ConnectionLost` are the events a `tracer.debug.client.Connection` passes to
its subscribers. They are read from the control protocol's JSON
(docs/debugging.md), with values decoded as `tracer.read_traces` decodes them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Union

from ..codec import decode

__all__ = [
    "BreakpointInfo",
    "BreakpointsChanged",
    "ConnectionLost",
    "DebugEvent",
    "Held",
    "HoldEdited",
    "RequestHeld",
    "RequestReleased",
    "event_of",
]


@dataclass(frozen=True, slots=True)
class Held:
    """A held event of a live request.

    Attributes:
        hold: Its id (pass it, or this object, to `Connection.next` and the others).
        trace: The trace id of the request, as in the trace file.
        pid: The process holding it.
        kind: The event kind it will be recorded as (``asgi.send``, ``wsgi.body``...).
        type: The ASGI message type, or None.
        seq: The seq the event will have in the trace (unless another event of the request is recorded first).
        reason: The breakpoint that caught it, as written, or ``"next"`` after a step.
        since: When it was held (epoch seconds).
        deadline: When the hold timeout will release it (epoch seconds).
        data: The event's data as it will be recorded if released now (an edit shows here).
        original: The data as the app or server gave it, when edited; else None.
        summary: One line about the payload: ``http.response.body 12 B, more_body``.
        title: The request: ``GET /stream``.
        protocol: ``"wsgi"`` or ``"asgi"``.
        scope_type: ``"http"``, ``"websocket"`` or ``"lifespan"``.
        method: The request method (``"WS"`` for a websocket), or None.
        path: The request path, or None.
        editable: The fields `Connection.edit` accepts for it (empty: it cannot be edited).
        can_disconnect: Whether `Connection.disconnect` can answer it (a held ``receive()``).
    """

    hold: str
    trace: str
    pid: int
    kind: str
    type: str | None
    seq: int
    reason: str
    since: float
    deadline: float
    data: dict[str, Any]
    original: dict[str, Any] | None
    summary: str
    title: str
    protocol: str
    scope_type: str
    method: str | None
    path: str | None
    editable: tuple[str, ...]
    can_disconnect: bool

    @property
    def held_for(self) -> float:
        """Seconds it has been held."""
        return max(0.0, time.time() - self.since)

    @property
    def edited(self) -> bool:
        """Whether an edit replaces what the app or server gave."""
        return self.original is not None

    @property
    def message(self) -> dict[str, Any] | None:
        """The ASGI message it will pass on, or None for a WSGI event."""
        message = self.data.get("message")
        return message if isinstance(message, dict) else None

    @classmethod
    def from_info(cls, info: Mapping[str, Any]) -> Held:
        """Read the ``held`` object of the control protocol."""
        data = decode(info.get("data"))
        original = info.get("original")
        return cls(
            hold=str(info["hold"]),
            trace=str(info.get("trace", "")),
            pid=int(info.get("pid", 0)),
            kind=str(info.get("kind", "")),
            type=info.get("type") if isinstance(info.get("type"), str) else None,
            seq=int(info.get("seq", 0)),
            reason=str(info.get("reason", "")),
            since=float(info.get("since", 0.0)),
            deadline=float(info.get("deadline", 0.0)),
            data=data if isinstance(data, dict) else {},
            original=decode(original) if isinstance(original, dict) else None,
            summary=str(info.get("summary", "")),
            title=str(info.get("title", "")),
            protocol=str(info.get("protocol", "")),
            scope_type=str(info.get("scope_type", "")),
            method=info.get("method") if isinstance(info.get("method"), str) else None,
            path=info.get("path") if isinstance(info.get("path"), str) else None,
            editable=tuple(info.get("editable") or ()),
            can_disconnect=bool(info.get("can_disconnect", False)),
        )


@dataclass(frozen=True, slots=True)
class BreakpointInfo:
    """A breakpoint set in a process.

    Attributes:
        id: Its id in that process (for `Connection.remove_breakpoint`).
        text: As written.
        kinds: The event kinds after ``@`` (empty: the request's first event).
        owner: ``"you"`` (this connection set it; it goes when the connection closes),
            ``"client"`` (another connection's), or ``"process"`` (``tracer run --break``
            or the middleware's ``breakpoints=[...]``: it stays until removed).
        pid: The process.
    """

    id: int
    text: str
    kinds: tuple[str, ...]
    owner: str
    pid: int

    @classmethod
    def from_info(cls, info: Mapping[str, Any], pid: int) -> BreakpointInfo:
        return cls(int(info["id"]), str(info["text"]), tuple(info.get("kinds") or ()), str(info.get("owner", "")), pid)


@dataclass(frozen=True, slots=True)
class RequestHeld:
    """An event of a request is held (the request waits, and so does its client)."""

    held: Held


@dataclass(frozen=True, slots=True)
class HoldEdited:
    """A held event was edited (by this connection or another); `held` shows the edit."""

    held: Held


@dataclass(frozen=True, slots=True)
class RequestReleased:
    """A held event went on.

    Attributes:
        hold: The hold's id.
        trace: The request's trace id.
        how: What released it: ``next``, ``continue``, ``continue-all``, ``disconnect``,
            ``timeout``, ``detached``, ``shutdown`` or ``cancelled`` (see `tracer.debug.hold.RELEASES`).
        edited: Whether it went on edited.
        pid: The process.
    """

    hold: str
    trace: str
    how: str
    edited: bool
    pid: int


@dataclass(frozen=True, slots=True)
class BreakpointsChanged:
    """The breakpoints of a process changed (any client, or the process itself)."""

    breakpoints: tuple[BreakpointInfo, ...]
    pid: int


@dataclass(frozen=True, slots=True)
class ConnectionLost:
    """The connection ended: the process stopped, or `Connection.close` was called."""

    pid: int
    reason: str


DebugEvent = Union[RequestHeld, HoldEdited, RequestReleased, BreakpointsChanged, ConnectionLost]
"""What a `Connection` subscriber hears."""

Callback = Callable[[DebugEvent], None]
"""What `Connection.subscribe` takes."""


def event_of(raw: Mapping[str, Any], pid: int) -> DebugEvent | None:
    """The event a control protocol message (``{"event": ...}``) stands for, or None for one it does not know."""
    name = raw.get("event")
    if name == "held":
        return RequestHeld(Held.from_info(raw["held"]))
    if name == "edited":
        return HoldEdited(Held.from_info(raw["held"]))
    if name == "released":
        return RequestReleased(str(raw.get("hold")), str(raw.get("trace")), str(raw.get("how")), bool(raw.get("edited")), pid)
    if name == "breakpoints":
        return BreakpointsChanged(tuple(BreakpointInfo.from_info(bp, pid) for bp in raw.get("breakpoints") or ()), pid)
    return None
