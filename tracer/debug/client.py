"""Talking to the debuggers of a trace file: in this process, or in others through their control sockets.

    from tracer.debug.client import RequestHeld, attach

    connections = attach("traces.jsonl")          # one per live process writing the file
    for connection in connections:
        connection.subscribe(on_event)             # called from a background thread
        connection.add_breakpoint("~u /stream @ http.response.body")
    ...
    held = connections[0].held()[0]
    connections[0].edit(held, {"body": b"changed"})
    connections[0].next(held)                      # or continue_(held), disconnect(held)
    for connection in connections:
        connection.close()                         # the last client leaving releases every hold

Every method of a `Connection` is thread-safe and returns once the process
has done it, or raises `ControlError` (`BreakpointError` for a breakpoint
that does not parse); both are `TracerError` with a one-line message.
Values are Python values, as `tracer.read_traces` gives them: bodies are
bytes, headers lists of pairs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import socket
import threading
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from ..codec import encode
from .breakpoints import BreakpointError
from .debugger import ControlError, Debugger, local_debugger
from .events import (
    BreakpointInfo,
    Callback,
    BreakpointsChanged,
    ConnectionLost,
    DebugEvent,
    Held,
    HoldEdited,
    RequestHeld,
    RequestReleased,
    event_of,
)
from .paths import pid_alive, sockets_for

__all__ = [
    "BreakpointInfo",
    "BreakpointsChanged",
    "Connection",
    "ConnectionLost",
    "ControlError",
    "DebugEvent",
    "Held",
    "HoldEdited",
    "LocalConnection",
    "RequestHeld",
    "RequestReleased",
    "SocketConnection",
    "attach",
]


def _hold_id(hold: Held | str) -> str:
    return hold.hold if isinstance(hold, Held) else str(hold)


class Connection:
    """A debugger of one process, reached in-process or through its control socket.

    Attributes:
        pid: The process.
        trace_file: The trace file it records into (absolute), or None.
        hold_timeout: Its hold timeout, seconds.
        local: Whether it is this process's own debugger (no socket in between).
    """

    pid: int
    trace_file: str | None
    hold_timeout: float
    local: bool

    def __init__(self) -> None:
        self._callbacks: list[Callback] = []
        self._callbacks_lock = threading.Lock()
        self.closed = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} pid {self.pid} {self.trace_file!r}{' closed' if self.closed else ''}>"

    def subscribe(self, callback: Callback) -> Callable[[], None]:
        """Call `callback(event)` for each `DebugEvent`; returns the function that stops it.

        The callback runs on a background thread (the connection's reader, or
        whichever thread caused the event in-process): keep it short and
        thread-safe, e.g. Textual's ``App.post_message`` or ``call_from_thread``.
        """
        with self._callbacks_lock:
            self._callbacks = [*self._callbacks, callback]

        def unsubscribe() -> None:
            with self._callbacks_lock:
                self._callbacks = [c for c in self._callbacks if c is not callback]

        return unsubscribe

    def _emit(self, event: DebugEvent | None) -> None:
        if event is None:
            return
        for callback in self._callbacks:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - a subscriber's bug must not stop the others
                pass

    def breakpoints(self) -> list[BreakpointInfo]:
        """The process's breakpoints."""
        raise NotImplementedError

    def add_breakpoint(self, text: str) -> BreakpointInfo:
        """Add a breakpoint, owned by this connection (it goes when the connection closes).

        Raises:
            BreakpointError: It does not parse.
        """
        raise NotImplementedError

    def remove_breakpoint(self, breakpoint: BreakpointInfo | int) -> bool:
        """Remove a breakpoint (anyone's); False if it was gone already."""
        raise NotImplementedError

    def held(self) -> list[Held]:
        """The held events of the process, oldest first."""
        raise NotImplementedError

    def next(self, hold: Held | str) -> None:
        """Let the held event go on, and hold its request again at its next protocol event."""
        raise NotImplementedError

    def continue_(self, hold: Held | str) -> None:
        """Let the held event go on, and its request run to its end."""
        raise NotImplementedError

    def continue_all(self) -> int:
        """Let every held request of the process run to its end; returns how many were held."""
        raise NotImplementedError

    def disconnect(self, hold: Held | str) -> None:
        """Answer a held ``receive()`` with a disconnect (``http.disconnect``, or ``websocket.disconnect``
        with code 1001) instead of its message; the request then holds at its next event."""
        raise NotImplementedError

    def edit(self, hold: Held | str, changes: Mapping[str, Any]) -> Held:
        """Replace what the held event passes on when released; returns it as edited (edits add up).

        Fields by event (`Held.editable` lists them):

        - ``asgi.send`` / ``asgi.receive``: by message type, ``status``, ``headers``
          (pairs of bytes or latin-1 text), ``body`` and ``more_body``, ``text`` or
          ``bytes`` of a websocket message, ``code`` and ``reason`` of a close...;
          or ``message``, a whole new message dict.
        - ``wsgi.start_response``: ``status`` (``"404 Not Found"``, or 404), ``headers``.
        - ``wsgi.body``, ``wsgi.write``, ``wsgi.input``: ``data`` (bytes; text is UTF-8 encoded).

        Raises:
            ControlError: The hold is gone, or the changes do not fit it.
        """
        raise NotImplementedError

    def close(self) -> None:
        """Stop talking to the process: this connection's breakpoints go, and if no other
        client is attached there, every held request runs on. Idempotent."""
        raise NotImplementedError


class LocalConnection(Connection):
    """This process's own debugger, called directly (``tracer run --view``: the UI and the server share a process)."""

    local = True

    def __init__(self, debugger: Debugger) -> None:
        super().__init__()
        self._debugger = debugger
        self.pid = debugger.pid
        self.trace_file = debugger.trace_file
        self.hold_timeout = debugger.hold_timeout
        debugger.client_attached(self)
        self._unsubscribe = debugger.subscribe(self._heard)

    def _heard(self, raw: dict[str, Any]) -> None:
        if raw.get("event") == "breakpoints":
            raw = {"event": "breakpoints", "breakpoints": self._debugger.breakpoint_list(self)}
        self._emit(event_of(raw, self.pid))

    def _open(self) -> Debugger:
        if self.closed or self._debugger.closed:
            raise ControlError(f"the debugger of process {self.pid} is closed")
        return self._debugger

    def breakpoints(self) -> list[BreakpointInfo]:
        return [BreakpointInfo.from_info(bp, self.pid) for bp in self._open().breakpoint_list(self)]

    def add_breakpoint(self, text: str) -> BreakpointInfo:
        added = self._open().add_breakpoint(text, owner=self)
        return next(bp for bp in self.breakpoints() if bp.id == added.id)

    def remove_breakpoint(self, breakpoint: BreakpointInfo | int) -> bool:
        return self._open().remove_breakpoint(breakpoint.id if isinstance(breakpoint, BreakpointInfo) else int(breakpoint))

    def held(self) -> list[Held]:
        return [Held.from_info(hold.info()) for hold in self._open().held()]

    def next(self, hold: Held | str) -> None:
        self._open().next(_hold_id(hold))

    def continue_(self, hold: Held | str) -> None:
        self._open().continue_(_hold_id(hold))

    def continue_all(self) -> int:
        return self._open().continue_all()

    def disconnect(self, hold: Held | str) -> None:
        self._open().disconnect(_hold_id(hold))

    def edit(self, hold: Held | str, changes: Mapping[str, Any]) -> Held:
        return Held.from_info(self._open().edit(_hold_id(hold), dict(changes)).info())

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._unsubscribe()
        self._debugger.client_detached(self)
        self._emit(ConnectionLost(self.pid, "closed"))


class SocketConnection(Connection):
    """Another process's debugger, through its control socket.

    Args:
        path: The control socket.
        timeout: Seconds to wait for the process to answer a command.

    Raises:
        ControlError: Nothing answers there.
    """

    local = False

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = 5.0) -> None:
        super().__init__()
        self.path = os.fspath(path)
        self.timeout = timeout
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._sock.settimeout(timeout)
        try:
            self._sock.connect(self.path)
        except OSError as exc:
            self._sock.close()
            raise ControlError(f"cannot reach the control socket {self.path}: {exc.strerror or exc}") from None
        self._sock.settimeout(None)
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._waiting: dict[int, list[Any]] = {}
        self._waiting_lock = threading.Lock()
        self.pid = _pid_of(self.path)
        self.trace_file = None
        self.hold_timeout = 0.0
        self._reader = threading.Thread(target=self._read, name="tracer-debug-client", daemon=True)
        self._reader.start()
        try:
            hello = self._call("hello")
        except BaseException:
            self.close()
            raise
        self.pid = int(hello.get("pid", 0))
        self.trace_file = hello.get("trace_file")
        self.hold_timeout = float(hello.get("hold_timeout", 0.0))

    def _read(self) -> None:
        buffer = bytearray()
        reason = "the process closed the connection"
        try:
            while True:
                data = self._sock.recv(65536)
                if not data:
                    break
                buffer += data
                while (end := buffer.find(b"\n")) >= 0:
                    line = bytes(buffer[:end])
                    del buffer[: end + 1]
                    self._dispatch(orjson.loads(line))
        except (OSError, ValueError) as exc:
            if not self.closed:
                reason = f"the connection broke: {exc}"
        finally:
            was_closed = self.closed
            self.closed = True
            with self._waiting_lock:
                waiting = list(self._waiting.values())
                self._waiting.clear()
            for slot in waiting:
                slot[1] = {"ok": False, "error": f"lost the connection to process {self.pid}"}
                slot[0].set()
            self._emit(ConnectionLost(self.pid, "closed" if was_closed else reason))

    def _dispatch(self, message: Any) -> None:
        if not isinstance(message, dict):
            return
        if "event" in message:
            self._emit(event_of(message, self.pid))
            return
        with self._waiting_lock:
            slot = self._waiting.pop(message.get("id"), None)  # type: ignore[arg-type]
        if slot is not None:
            slot[1] = message
            slot[0].set()

    def _call(self, command: str, **params: Any) -> dict[str, Any]:
        if self.closed:
            raise ControlError(f"the connection to process {self.pid or self.path} is closed")
        request_id = next(self._ids)
        slot: list[Any] = [threading.Event(), None]
        with self._waiting_lock:
            self._waiting[request_id] = slot
        line = orjson.dumps({"id": request_id, "cmd": command, **params}, option=orjson.OPT_APPEND_NEWLINE)
        try:
            with self._send_lock:
                self._sock.sendall(line)
        except OSError as exc:
            with self._waiting_lock:
                self._waiting.pop(request_id, None)
            raise ControlError(f"lost the connection to process {self.pid or self.path}: {exc}") from None
        if not slot[0].wait(self.timeout):
            with self._waiting_lock:
                self._waiting.pop(request_id, None)
            raise ControlError(f"process {self.pid or self.path} did not answer {command!r} within {self.timeout:g} s")
        reply = slot[1]
        if not reply.get("ok"):
            error = str(reply.get("error", "failed"))
            if reply.get("type") == "BreakpointError":
                raise BreakpointError(error)
            raise ControlError(error)
        result = reply.get("result")
        return result if isinstance(result, dict) else {}

    def breakpoints(self) -> list[BreakpointInfo]:
        return [BreakpointInfo.from_info(bp, self.pid) for bp in self._call("breakpoints")["breakpoints"]]

    def add_breakpoint(self, text: str) -> BreakpointInfo:
        return BreakpointInfo.from_info(self._call("add_breakpoint", text=text)["breakpoint"], self.pid)

    def remove_breakpoint(self, breakpoint: BreakpointInfo | int) -> bool:
        number = breakpoint.id if isinstance(breakpoint, BreakpointInfo) else int(breakpoint)
        return bool(self._call("remove_breakpoint", breakpoint=number).get("removed"))

    def held(self) -> list[Held]:
        return [Held.from_info(info) for info in self._call("held")["held"]]

    def next(self, hold: Held | str) -> None:
        self._call("next", hold=_hold_id(hold))

    def continue_(self, hold: Held | str) -> None:
        self._call("continue", hold=_hold_id(hold))

    def continue_all(self) -> int:
        return int(self._call("continue_all").get("released", 0))

    def disconnect(self, hold: Held | str) -> None:
        self._call("disconnect", hold=_hold_id(hold))

    def edit(self, hold: Held | str, changes: Mapping[str, Any]) -> Held:
        return Held.from_info(self._call("edit", hold=_hold_id(hold), changes=encode(dict(changes)))["held"])

    def close(self) -> None:
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            self._sock.close()
        if self._reader is not threading.current_thread():
            self._reader.join(2.0)


def _pid_of(path: str) -> int:
    """The pid a socket's name gives (``<key>-<pid>.sock``), 0 if it gives none."""
    stem = os.path.basename(path).removesuffix(".sock")
    tail = stem.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0


def attach(trace_file: str | os.PathLike[str], *, skip: Iterable[int] = (), timeout: float = 5.0) -> list[Connection]:
    """Connect to every live debugger of `trace_file`: this process's own, and each other process's socket.

    Sockets left behind by processes that are gone are removed. Call it again
    later (with `skip` set to the pids already attached) to find processes
    that started since.

    Args:
        trace_file: The trace file the processes record into.
        skip: Processes not to connect to.
        timeout: Seconds to wait for each process to answer.

    Returns:
        The connections, this process's first; empty when nothing is live.
    """
    skipped = set(skip)
    connections: list[Connection] = []
    own = local_debugger(trace_file)
    if own is not None and os.getpid() not in skipped:
        connections.append(LocalConnection(own))
    for pid, path in sockets_for(trace_file):
        if pid in skipped or pid == os.getpid():
            continue
        try:
            connections.append(SocketConnection(path, timeout=timeout))
        except ControlError:
            if not pid_alive(pid):
                with contextlib.suppress(OSError):
                    Path(path).unlink()
    return connections
