"""`DebugSession`: the UI's side of the debugger, kept without Textual.

It holds the connections to the live processes of a trace file
(`tracer.debug.client`), what they hold and their breakpoints, and acts on
them. The app feeds it the connections a worker found (`add_connections`)
and the events their subscribers heard (`take`, on the UI thread); screens
read its state and call its actions; it announces each change through
`DebugSession.changed`.

    session = DebugSession(wanted=["~u /stream @ http.response.body"])
    errors = session.add_connections(attach("traces.jsonl"))   # sets the wanted breakpoints on each
    session.take(event)                                           # RequestHeld, RequestReleased, ...
    held = session.held_for("5f3a9c21-000004")
    session.next(held)                                            # or continue_, disconnect, edit

A held event is written to the trace file only when it goes on, so a
request held at its first event has no line in the file yet: `pending_rows`
makes list rows for those from what the debugger says about them.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from tracer.errors import TracerError
from tracer.summary import TraceSummary

if TYPE_CHECKING:
    from tracer.debug.client import Connection
    from tracer.debug.events import BreakpointInfo, DebugEvent, Held

# The debugger's events (`tracer.debug.events`) are imported when the first one comes in: a file with no live
# process never needs them, and the request list paints without them.

HELD_MARK = "⏸"
"""Drawn beside a held request, before where it is held."""


FIRST_KINDS = ("asgi.scope", "wsgi.environ")
"""A request held at one of these has not reached the app yet."""


def where(held: Held) -> str:
    """Where a request is held, as the list shows it: the ASGI message type, else the event kind."""
    if held.kind in FIRST_KINDS:
        return held.kind  # The scope's type ("http") is no message type.
    return held.type or held.kind


def method_and_path(held: Held) -> tuple[str | None, str | None]:
    """The held request's method and path; read from its scope or environ when held at its first event."""
    if held.method is not None or held.kind not in FIRST_KINDS:
        return held.method, held.path
    data = held.data.get("scope") if held.kind == "asgi.scope" else held.data.get("environ")
    if not isinstance(data, dict):
        return held.method, held.path
    if held.kind == "asgi.scope":
        method = "WS" if data.get("type") == "websocket" else data.get("method")
        path = f"{data.get('root_path') or ''}{data.get('path') or ''}"
    else:
        method = data.get("REQUEST_METHOD")
        path = f"{data.get('SCRIPT_NAME') or ''}{data.get('PATH_INFO') or ''}"
    return (method if isinstance(method, str) else None), (path or None)


def check_breakpoint(text: str) -> str:
    """Why `text` is not a breakpoint, or "" when it is one."""
    from tracer.debug.breakpoints import BreakpointError, parse_breakpoint

    try:
        parse_breakpoint(text)
    except BreakpointError as exc:
        return str(exc)
    return ""


class DebugSession:
    """The held requests and breakpoints of every process attached to, and the actions on them.

    Args:
        wanted: Breakpoints to set on every process attached to, now and later.
    """

    def __init__(self, wanted: Iterable[str] = ()) -> None:
        self.wanted: list[str] = list(dict.fromkeys(text.strip() for text in wanted if text.strip()))
        """Breakpoints this UI sets on each process it attaches to."""
        self.connections: dict[int, Connection] = {}
        """Process id -> its connection."""
        self.held: dict[str, Held] = {}
        """Hold id -> the held event, oldest first."""
        self.breakpoints: dict[int, tuple[BreakpointInfo, ...]] = {}
        """Process id -> its breakpoints."""
        self.released: dict[str, str] = {}
        """Trace id -> how its last hold went on (``next``, ``continue``, ``timeout``...)."""
        self.attached = False
        """A first look for live processes was made."""
        self._receivers: list[Callable[[], None]] = []

    # Announcing changes

    def connect(self, receiver: Callable[[], None]) -> None:
        """Call `receiver()` after every change."""
        self._receivers.append(receiver)

    def disconnect_receiver(self, receiver: Callable[[], None]) -> None:
        """Stop calling `receiver`."""
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def _changed(self) -> None:
        for receiver in list(self._receivers):
            receiver()

    # Taking in connections and events (UI thread)

    def add_connections(self, connections: Sequence[Connection]) -> list[str]:
        """Take in newly attached connections: set the wanted breakpoints on each, read what they hold.

        Returns:
            One line per breakpoint a process refused, or a process that stopped answering.
        """
        errors: list[str] = []
        self.attached = True
        for connection in connections:
            if connection.pid in self.connections:
                continue
            self.connections[connection.pid] = connection
            for text in self.wanted:
                try:
                    connection.add_breakpoint(text)
                except TracerError as exc:
                    errors.append(str(exc))
            try:
                self.breakpoints[connection.pid] = tuple(connection.breakpoints())
                for held in connection.held():
                    self.held[held.hold] = held
            except TracerError as exc:
                errors.append(f"process {connection.pid}: {exc}")
        self._changed()
        return errors

    def take(self, event: DebugEvent) -> None:
        """Take in what a connection heard."""
        from tracer.debug.events import BreakpointsChanged, ConnectionLost, HoldEdited, RequestHeld, RequestReleased

        if isinstance(event, (RequestHeld, HoldEdited)):
            if isinstance(event, HoldEdited) and event.held.hold not in self.held:
                return  # Edited, then released before this arrived.
            self.held[event.held.hold] = event.held
            self.released.pop(event.held.trace, None)
        elif isinstance(event, RequestReleased):
            gone = self.held.pop(event.hold, None)
            self.released[event.trace] = event.how
            if gone is None and not event.trace:
                return
        elif isinstance(event, BreakpointsChanged):
            self.breakpoints[event.pid] = event.breakpoints
        elif isinstance(event, ConnectionLost):
            self.connections.pop(event.pid, None)
            self.breakpoints.pop(event.pid, None)
            for hold, held in list(self.held.items()):
                if held.pid == event.pid:
                    del self.held[hold]
                    self.released[held.trace] = "detached"
        self._changed()

    # Reading

    @property
    def pids(self) -> set[int]:
        """The processes attached to."""
        return set(self.connections)

    def held_for(self, trace: str) -> Held | None:
        """The held event of request `trace`, if it is held."""
        for held in self.held.values():
            if held.trace == trace:
                return held
        return None

    def held_for_any(self) -> Held | None:
        """The oldest held event, if any."""
        return next(iter(self.held.values()), None)

    def held_traces(self) -> dict[str, Held]:
        """Trace id -> its held event."""
        return {held.trace: held for held in self.held.values()}

    def all_breakpoints(self) -> list[BreakpointInfo]:
        """Every breakpoint of every process, by process then id."""
        return [bp for pid in sorted(self.breakpoints) for bp in self.breakpoints[pid]]

    def pending_rows(self, known: Callable[[str], bool]) -> list[TraceSummary]:
        """List rows for held requests that the trace file does not show yet.

        Args:
            known: Whether the list has a trace of that id.
        """
        rows: list[TraceSummary] = []
        for number, held in enumerate(self.held_traces().values()):
            if known(held.trace):
                continue
            method, path = method_and_path(held)
            rows.append(TraceSummary(
                id=held.trace, protocol=held.protocol or "wsgi", scope_type=held.scope_type or "http",
                start=held.since, method=method, path=path, number=-1 - number,
            ))
        return rows

    def status(self) -> str:
        """One line for the list's status line: processes attached, requests held."""
        if not self.attached:
            return ""
        count = len(self.connections)
        if not count:
            return "debugger: no live process"
        parts = [f"debugger: {count} process{'es' if count != 1 else ''}"]
        if self.held:
            parts.append(f"{HELD_MARK} {len(self.held)} held")
        return " ".join(parts)

    # Acting (UI thread; each raises TracerError with a one-line message)

    def _connection(self, held: Held) -> Connection:
        connection = self.connections.get(held.pid)
        if connection is None:
            raise TracerError(f"process {held.pid} is no longer attached")
        return connection

    def next(self, held: Held) -> None:
        """Let it go on to its next protocol event, and hold it there."""
        self._connection(held).next(held)

    def continue_(self, held: Held) -> None:
        """Let it go on to its end."""
        self._connection(held).continue_(held)

    def disconnect(self, held: Held) -> None:
        """Answer a held ``receive()`` with a disconnect."""
        self._connection(held).disconnect(held)

    def continue_all(self) -> int:
        """Let every held request of every process go on to its end; how many were held."""
        return sum(connection.continue_all() for connection in list(self.connections.values()))

    def edit(self, held: Held, changes: Mapping[str, Any]) -> Held:
        """Replace what the held event passes on; returns it as edited."""
        edited = self._connection(held).edit(held, changes)
        if edited.hold in self.held:
            self.held[edited.hold] = edited
            self._changed()
        return edited

    def add_breakpoint(self, text: str) -> list[str]:
        """Set a breakpoint on every process attached to (and on those attached later).

        Returns:
            One line per process that refused it.

        Raises:
            BreakpointError: It does not parse.
        """
        from tracer.debug.breakpoints import parse_breakpoint

        parse_breakpoint(text)
        text = text.strip()
        if text not in self.wanted:
            self.wanted.append(text)
        errors = []
        for connection in list(self.connections.values()):
            try:
                connection.add_breakpoint(text)
                self.breakpoints[connection.pid] = tuple(connection.breakpoints())
            except TracerError as exc:
                errors.append(str(exc))
        self._changed()
        return errors

    def remove_breakpoint(self, breakpoint: BreakpointInfo) -> bool:
        """Remove a breakpoint from its process (and from those attached later)."""
        if breakpoint.text in self.wanted:
            self.wanted.remove(breakpoint.text)
        connection = self.connections.get(breakpoint.pid)
        if connection is None:
            return False
        removed = connection.remove_breakpoint(breakpoint)
        self.breakpoints[breakpoint.pid] = tuple(
            bp for bp in self.breakpoints.get(breakpoint.pid, ()) if bp.id != breakpoint.id
        )
        self._changed()
        return removed

    def close(self) -> None:
        """Close every connection (the last client leaving a process releases what it holds)."""
        for connection in list(self.connections.values()):
            try:
                connection.close()
            except Exception:  # noqa: BLE001 - closing the others matters more
                pass
        self.connections.clear()


ATTACH_INTERVAL = 3.0
"""Seconds between looks for processes of the trace file that started since."""


def watch_processes(
    path: str,
    found: Callable[[list[Connection], bool], None],
    heard: Callable[[DebugEvent], None],
    stop: Callable[[], bool],
    every: float = ATTACH_INTERVAL,
) -> None:
    """Attach to the live processes of `path`, now and every `every` seconds, until `stop()` (in a worker thread).

    Args:
        path: The trace file.
        found: Called with the new connections (already subscribed to `heard`), and whether this was the first look.
        heard: Subscribed to each connection; called on background threads.
        stop: Polled; the watch ends when it returns True.
    """
    from tracer.debug.client import attach

    seen: set[int] = set()
    first = True
    while not stop():
        try:
            connections = attach(path, skip=seen)
        except (OSError, TracerError):
            connections = []
        for connection in connections:
            seen.add(connection.pid)
            connection.subscribe(heard)
        if stop():
            for connection in connections:
                connection.close()
            return
        if connections or first:
            found(connections, first)
        first = False
        deadline = time.monotonic() + every
        while time.monotonic() < deadline and not stop():
            time.sleep(0.05)


# Editing: the editable fields as JSON, and back

def _to_json(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        try:
            return bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            return {"$base64": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, (list, tuple)):
        return [_to_json(item) for item in value]
    if isinstance(value, dict):
        return {str(k): _to_json(v) for k, v in value.items()}
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"$base64"}:
            return base64.b64decode(value["$base64"])
        return {k: _from_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_json(item) for item in value]
    return value


def editable_values(held: Held) -> dict[str, Any]:
    """The fields an edit of `held` may set, with their values now, as JSON values.

    Bytes that are UTF-8 become text (an edit encodes text back), other bytes
    ``{"$base64": ...}``; a websocket message has both ``text`` and ``bytes``.
    """
    source = held.message if held.message is not None else held.data
    values: dict[str, Any] = {}
    for name in held.editable:
        if name == "message":
            continue
        if name in source:
            values[name] = _to_json(source[name])
        elif name in ("text", "bytes") and held.message is not None:
            values[name] = None
    return values


def edit_text(held: Held) -> str:
    """`editable_values` as the JSON text a dialog or ``$EDITOR`` shows."""
    return json.dumps(editable_values(held), indent=2, ensure_ascii=False)


def changes_from(held: Held, text: str) -> dict[str, Any]:
    """The `changes` for `Connection.edit` from edited JSON text: the fields whose values differ.

    Raises:
        ValueError: The text is not a JSON object, or names a field the event does not have.
    """
    try:
        edited = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    if not isinstance(edited, dict):
        raise ValueError("give a JSON object of the fields to change")
    before = editable_values(held)
    changes: dict[str, Any] = {}
    for name, value in edited.items():
        if name not in held.editable:
            raise ValueError(f"{name!r} is not a field of this {where(held)}; it has {', '.join(held.editable)}")
        if name in before and before[name] == value:
            continue
        if name in ("text", "bytes") and value is None:
            continue
        changes[name] = _from_json(value)
    if "text" in changes and "bytes" in changes:
        raise ValueError("a websocket message has text or bytes, not both: set one to null")
    return changes


__all__ = [
    "ATTACH_INTERVAL",
    "HELD_MARK",
    "DebugSession",
    "changes_from",
    "check_breakpoint",
    "edit_text",
    "editable_values",
    "method_and_path",
    "watch_processes",
    "where",
]
