"""A stand-in `Connection` for the debugger's UI tests, and held events to feed it."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from tracer.debug.breakpoints import parse_breakpoint
from tracer.debug.edits import describe
from tracer.debug.client import (
    BreakpointInfo,
    BreakpointsChanged,
    ControlError,
    DebugEvent,
    Held,
    HoldEdited,
    RequestHeld,
    RequestReleased,
)


def held_event(
    trace: str = "live-000001",
    *,
    kind: str = "asgi.send",
    message: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    seq: int = 3,
    pid: int = 4242,
    hold: str | None = None,
    since: float | None = None,
    editable: tuple[str, ...] = ("body", "more_body", "message"),
    can_disconnect: bool = False,
    title: str = "GET /stream",
    original: dict[str, Any] | None = None,
) -> Held:
    """A held event as a connection reports it."""
    if data is None:
        data = {"message": message if message is not None else
                {"type": "http.response.body", "body": b"two\n", "more_body": True}}
    msg = data.get("message")
    since = time.time() if since is None else since
    return Held(
        hold=hold or f"{trace}:1", trace=trace, pid=pid, kind=kind,
        type=msg.get("type") if isinstance(msg, dict) else None, seq=seq,
        reason="~u /stream @ http.response.body", since=since, deadline=since + 60.0, data=data, original=original,
        summary=describe(kind, msg if isinstance(msg, dict) else None), title=title, protocol="asgi" if kind.startswith("asgi") else "wsgi",
        scope_type="http", method=title.split()[0], path=title.split()[-1], editable=editable,
        can_disconnect=can_disconnect,
    )


class FakeConnection:
    """Records every call; `emit` plays an event to the subscribers, as a connection's thread would."""

    local = False

    def __init__(self, pid: int = 4242, held: list[Held] | None = None) -> None:
        self.pid = pid
        self.trace_file = "/tmp/traces.jsonl"
        self.hold_timeout = 60.0
        self.closed = False
        self.calls: list[tuple[Any, ...]] = []
        self._held = list(held or [])
        self._breakpoints: list[BreakpointInfo] = []
        self._callbacks: list[Callable[[DebugEvent], None]] = []
        self.refuse: str = ""
        """When set, `add_breakpoint` and `edit` raise this."""

    def subscribe(self, callback: Callable[[DebugEvent], None]) -> Callable[[], None]:
        self._callbacks.append(callback)
        return lambda: self._callbacks.remove(callback)

    def emit(self, event: DebugEvent) -> None:
        for callback in list(self._callbacks):
            callback(event)

    def breakpoints(self) -> list[BreakpointInfo]:
        return list(self._breakpoints)

    def add_breakpoint(self, text: str) -> BreakpointInfo:
        self.calls.append(("add_breakpoint", text))
        if self.refuse:
            raise ControlError(self.refuse)
        parsed = parse_breakpoint(text)
        info = BreakpointInfo(len(self._breakpoints) + 1, parsed.text, parsed.kinds, "you", self.pid)
        self._breakpoints.append(info)
        self.emit(BreakpointsChanged(tuple(self._breakpoints), self.pid))
        return info

    def remove_breakpoint(self, breakpoint: BreakpointInfo | int) -> bool:
        number = breakpoint.id if isinstance(breakpoint, BreakpointInfo) else breakpoint
        self.calls.append(("remove_breakpoint", number))
        before = len(self._breakpoints)
        self._breakpoints = [bp for bp in self._breakpoints if bp.id != number]
        self.emit(BreakpointsChanged(tuple(self._breakpoints), self.pid))
        return len(self._breakpoints) < before

    def held(self) -> list[Held]:
        return list(self._held)

    def hold(self, held: Held) -> None:
        """The process holds `held`."""
        self._held.append(held)
        self.emit(RequestHeld(held))

    def _release(self, hold: Held | str, how: str) -> None:
        hold_id = hold.hold if isinstance(hold, Held) else hold
        self.calls.append((how, hold_id))
        for held in list(self._held):
            if held.hold == hold_id:
                self._held.remove(held)
                self.emit(RequestReleased(held.hold, held.trace, how, held.edited, self.pid))

    def next(self, hold: Held | str) -> None:
        self._release(hold, "next")

    def continue_(self, hold: Held | str) -> None:
        self._release(hold, "continue")

    def disconnect(self, hold: Held | str) -> None:
        self._release(hold, "disconnect")

    def continue_all(self) -> int:
        self.calls.append(("continue_all",))
        count = len(self._held)
        for held in list(self._held):
            self._held.remove(held)
            self.emit(RequestReleased(held.hold, held.trace, "continue-all", held.edited, self.pid))
        return count

    def edit(self, hold: Held | str, changes: Mapping[str, Any]) -> Held:
        hold_id = hold.hold if isinstance(hold, Held) else hold
        self.calls.append(("edit", hold_id, dict(changes)))
        if self.refuse:
            raise ControlError(self.refuse)
        [held] = [h for h in self._held if h.hold == hold_id]
        message = dict(held.message or {})
        message.update(changes)
        edited = replace(held, data={"message": message}, original=held.data)
        self._held[self._held.index(held)] = edited
        self.emit(HoldEdited(edited))
        return edited

    def close(self) -> None:
        self.calls.append(("close",))
        self.closed = True


async def attach_fake(pilot: Any, connection: FakeConnection | None = None) -> FakeConnection:
    """Attach the app to `connection` (a new one by default) as its attach worker does, and wait until it is."""
    from tests.tui.conftest import wait_for
    from tui.messages import DebugEventArrived, DebuggersAttached

    app = pilot.app
    connection = connection if connection is not None else FakeConnection()
    connection.subscribe(lambda event: app.post_message(DebugEventArrived(event)))
    app.post_message(DebuggersAttached([connection]))
    await wait_for(pilot, lambda: app.debugger.connections)
    return connection
