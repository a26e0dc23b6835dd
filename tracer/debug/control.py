"""The control socket: a `Debugger` reached from another process, one JSON object per line.

A Unix domain socket (never TCP), mode 0600 in a directory of mode 0700
(`tracer.debug.paths`), served by one thread that never blocks a request.
Where the system says who connected (Linux ``SO_PEERCRED``), a peer of
another user is turned away as well.

Requests carry an ``id`` the reply repeats; values are encoded as in a
trace file (``{"$bytes": ...}``)::

    -> {"id": 1, "cmd": "hello"}
    <- {"id": 1, "ok": true, "result": {"pid": 4242, "trace_file": "/srv/traces.jsonl", "hold_timeout": 60.0,
                                        "breakpoints": [...], "held": [...], "version": 1}}
    -> {"id": 2, "cmd": "add_breakpoint", "text": "~u /stream @ http.response.body"}
    <- {"id": 2, "ok": true, "result": {"breakpoint": {"id": 3, "text": "...", "kinds": [...], "owner": "you"}}}
    <- {"event": "held", "held": {"hold": "5f3a9c21-000004:1", "trace": "5f3a9c21-000004", "kind": "asgi.send", ...}}
    -> {"id": 3, "cmd": "edit", "hold": "5f3a9c21-000004:1", "changes": {"body": {"$bytes": "changed"}}}
    -> {"id": 4, "cmd": "next", "hold": "5f3a9c21-000004:1"}
    <- {"event": "released", "hold": "5f3a9c21-000004:1", "trace": "5f3a9c21-000004", "how": "next", "edited": true}
    -> {"id": 5, "cmd": "bogus"}
    <- {"id": 5, "ok": false, "error": "unknown command 'bogus' (one of hello, breakpoints, ...)"}

Commands: ``hello``, ``breakpoints``, ``add_breakpoint`` (``text``),
``remove_breakpoint`` (``breakpoint``: its id), ``held``, ``next``,
``continue``, ``disconnect`` (each with ``hold``), ``continue_all``, ``edit``
(``hold``, ``changes``). Events: ``held``, ``edited``, ``released``,
``breakpoints``. A client's breakpoints go when it disconnects; when the last
client goes, every held request runs on.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import selectors
import socket
import struct
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from ..__about__ import __version__
from ..codec import decode
from ..errors import TracerError
from .paths import private_dir, socket_path

if TYPE_CHECKING:
    from .debugger import Debugger

PROTOCOL_VERSION = 1
"""The control protocol's version, in ``hello``'s answer."""

MAX_LINE = 16 * 1024 * 1024
"""The longest request line a client may send; a longer one closes its connection."""

MAX_PENDING = 64 * 1024 * 1024
"""Bytes waiting for a client that does not read; beyond it the client is dropped."""

_memory_numbers = itertools.count(1)


class ControlServer:
    """Serves one debugger's control socket from a background thread.

    Args:
        debugger: The debugger the commands go to.
    """

    def __init__(self, debugger: Debugger) -> None:
        self.debugger = debugger
        self.path: str | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._clients: dict[socket.socket, _Client] = {}
        self._clients_lock = threading.Lock()
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._stopping = False
        self._unsubscribe: Callable[[], None] | None = None
        self._identity: tuple[int, int] | None = None

    def start(self) -> None:
        """Bind the socket (owner-only) and start serving it.

        Raises:
            OSError: The socket could not be made (including `SocketDirectoryError`).
        """
        directory = private_dir()
        number = 0 if self.debugger.trace_file is not None else next(_memory_numbers)
        path = socket_path(self.debugger.trace_file, os.getpid(), number)
        assert path.parent == directory
        with contextlib.suppress(FileNotFoundError):
            # A socket with our pid is a leftover of an earlier process that had it.
            os.unlink(path)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            listener.bind(os.fspath(path))
            os.chmod(path, 0o600)
            listener.listen(16)
            listener.setblocking(False)
            info = os.stat(path)
        except BaseException:
            listener.close()
            raise
        self._identity = (info.st_dev, info.st_ino)
        self._listener = listener
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self.path = os.fspath(path)
        self._unsubscribe = self.debugger.subscribe(self._broadcast)
        self._thread = threading.Thread(target=self._serve, name="tracer-debug-control", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        """Stop serving, close every connection and remove the socket file. Idempotent."""
        if self._stopping:
            return
        self._stopping = True
        if self._unsubscribe is not None:
            self._unsubscribe()
        self._wake()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._remove_file()
        self._close_all()

    def abandon(self) -> None:
        """In a forked child: close the inherited descriptors, leaving the parent's socket file alone."""
        self._stopping = True
        for sock in [self._listener, self._wake_r, self._wake_w, *self._clients]:
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()
        self._clients = {}

    def _remove_file(self) -> None:
        if self.path is None or self._identity is None:
            return
        try:
            info = os.stat(self.path)
            if (info.st_dev, info.st_ino) == self._identity:
                os.unlink(self.path)
        except OSError:
            pass

    def _close_all(self) -> None:
        with self._clients_lock:
            clients = list(self._clients.values())
            self._clients.clear()
        for client in clients:
            client.close()
        for sock in (self._listener, self._wake_r, self._wake_w):
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.close()

    # The serving thread

    def _serve(self) -> None:
        selector = selectors.DefaultSelector()
        assert self._listener is not None
        selector.register(self._listener, selectors.EVENT_READ, "accept")
        selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        try:
            while not self._stopping:
                for key, mask in selector.select(timeout=1.0):
                    if key.data == "accept":
                        self._accept(selector)
                    elif key.data == "wake":
                        with contextlib.suppress(OSError):
                            while self._wake_r.recv(4096):  # type: ignore[union-attr]
                                pass
                    else:
                        client = key.data
                        if mask & selectors.EVENT_READ:
                            self._read(selector, client)
                        if mask & selectors.EVENT_WRITE and not client.closed:
                            self._flush(selector, client)
                self._flush_all(selector)
        except Exception as exc:  # noqa: BLE001 - the socket stops; requests go on
            self.debugger.report_failure(exc)
        finally:
            for client in list(self._clients.values()):
                self._drop(selector, client)
            selector.close()

    def _accept(self, selector: selectors.BaseSelector) -> None:
        assert self._listener is not None
        while True:
            try:
                sock, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            if not _same_user(sock):
                sock.close()
                continue
            sock.setblocking(False)
            client = _Client(sock, self._wake)
            with self._clients_lock:
                self._clients[sock] = client
            selector.register(sock, selectors.EVENT_READ, client)
            self.debugger.client_attached(client)

    def _read(self, selector: selectors.BaseSelector, client: _Client) -> None:
        try:
            data = client.sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        if not data:
            self._drop(selector, client)
            return
        client.inbuf += data
        while True:
            end = client.inbuf.find(b"\n")
            if end < 0:
                if len(client.inbuf) > MAX_LINE:
                    self._drop(selector, client)
                return
            line = bytes(client.inbuf[:end])
            del client.inbuf[: end + 1]
            if line.strip():
                client.send(self._answer(client, line))

    def _flush_all(self, selector: selectors.BaseSelector) -> None:
        for client in list(self._clients.values()):
            if client.pending and not client.closed:
                self._flush(selector, client)

    def _flush(self, selector: selectors.BaseSelector, client: _Client) -> None:
        status = client.flush()
        if status is None:
            self._drop(selector, client)
            return
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if status else 0)
        with contextlib.suppress(KeyError, ValueError):
            selector.modify(client.sock, events, client)

    def _drop(self, selector: selectors.BaseSelector, client: _Client) -> None:
        with self._clients_lock:
            known = self._clients.pop(client.sock, None)
        with contextlib.suppress(KeyError, ValueError, OSError):
            selector.unregister(client.sock)
        client.close()
        if known is not None:
            self.debugger.client_detached(client)

    def _wake(self) -> None:
        if self._wake_w is not None:
            with contextlib.suppress(OSError):
                self._wake_w.send(b"\0")

    def _broadcast(self, event: dict[str, Any]) -> None:
        with self._clients_lock:
            clients = list(self._clients.values())
        if not clients:
            return
        if event.get("event") == "breakpoints":
            for client in clients:
                client.send({"event": "breakpoints", "breakpoints": self.debugger.breakpoint_list(client)})
            return
        line = _dump(event)
        for client in clients:
            client.send_line(line)

    # Commands

    def _answer(self, client: _Client, line: bytes) -> dict[str, Any]:
        request_id: Any = None
        try:
            request = orjson.loads(line)
            if not isinstance(request, dict):
                raise TracerError("a request must be a JSON object")
            request_id = request.get("id")
            result = self._run(client, request)
        except orjson.JSONDecodeError as exc:
            return {"id": request_id, "ok": False, "error": f"not JSON: {exc}"}
        except TracerError as exc:
            return {"id": request_id, "ok": False, "error": str(exc), "type": type(exc).__name__}
        except Exception as exc:  # noqa: BLE001 - a bad request never stops the socket
            return {"id": request_id, "ok": False, "error": f"{type(exc).__name__}: {exc}"}
        return {"id": request_id, "ok": True, "result": result}

    def _run(self, client: _Client, request: dict[str, Any]) -> dict[str, Any]:
        debugger = self.debugger
        command = request.get("cmd")
        if command == "hello":
            return {
                "version": PROTOCOL_VERSION,
                "tracer": __version__,
                "pid": os.getpid(),
                "trace_file": debugger.trace_file,
                "hold_timeout": debugger.hold_timeout,
                "breakpoints": debugger.breakpoint_list(client),
                "held": [hold.info() for hold in debugger.held()],
            }
        if command == "breakpoints":
            return {"breakpoints": debugger.breakpoint_list(client)}
        if command == "add_breakpoint":
            text = request.get("text")
            if not isinstance(text, str):
                raise TracerError("add_breakpoint needs 'text', the breakpoint as written")
            added = debugger.add_breakpoint(text, owner=client)
            listed = [bp for bp in debugger.breakpoint_list(client) if bp["id"] == added.id]
            return {"breakpoint": listed[0] if listed else {"id": added.id, "text": added.text}}
        if command == "remove_breakpoint":
            breakpoint_id = request.get("breakpoint")
            if not isinstance(breakpoint_id, int):
                raise TracerError("remove_breakpoint needs 'breakpoint', a breakpoint's id")
            return {"removed": debugger.remove_breakpoint(breakpoint_id)}
        if command == "held":
            return {"held": [hold.info() for hold in debugger.held()]}
        if command == "continue_all":
            return {"released": debugger.continue_all()}
        if command in ("next", "continue", "disconnect", "edit"):
            hold_id = request.get("hold")
            if not isinstance(hold_id, str):
                raise TracerError(f"{command} needs 'hold', a held event's id")
            if command == "next":
                debugger.next(hold_id)
            elif command == "continue":
                debugger.continue_(hold_id)
            elif command == "disconnect":
                debugger.disconnect(hold_id)
            else:
                changes = decode(request.get("changes"))
                if not isinstance(changes, dict):
                    raise TracerError("edit needs 'changes', an object of fields and their new values")
                return {"held": debugger.edit(hold_id, changes).info()}
            return {}
        raise TracerError(f"unknown command {command!r} (one of {', '.join(COMMANDS)})")


COMMANDS = ("hello", "breakpoints", "add_breakpoint", "remove_breakpoint", "held", "next", "continue",
            "disconnect", "continue_all", "edit")
"""The commands a control client may send."""


class _Client:
    """One connection: what it sent that is not a line yet, and what waits to go out to it."""

    __slots__ = ("sock", "inbuf", "_out", "_lock", "_wake", "closed")

    def __init__(self, sock: socket.socket, wake: Callable[[], None]) -> None:
        self.sock = sock
        self.inbuf = bytearray()
        self._out = bytearray()
        self._lock = threading.Lock()
        self._wake = wake
        self.closed = False

    @property
    def pending(self) -> bool:
        return bool(self._out)

    def send(self, message: dict[str, Any]) -> None:
        self.send_line(_dump(message))

    def send_line(self, line: bytes) -> None:
        """Queue `line` (from any thread); the serving thread writes it."""
        with self._lock:
            if self.closed:
                return
            if len(self._out) + len(line) > MAX_PENDING:
                self.closed = True  # Not reading: the serving thread drops it.
            else:
                self._out += line
        self._wake()

    def flush(self) -> bool | None:
        """Write what it can: True if some is left, False if all went, None if the connection is gone."""
        with self._lock:
            if self.closed:
                return None
            if not self._out:
                return False
            try:
                sent = self.sock.send(self._out)
            except (BlockingIOError, InterruptedError):
                return True
            except OSError:
                return None
            del self._out[:sent]
            return bool(self._out)

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._out.clear()
        with contextlib.suppress(OSError):
            self.sock.close()


def _dump(message: dict[str, Any]) -> bytes:
    return orjson.dumps(message, option=orjson.OPT_APPEND_NEWLINE)


_PEERCRED = getattr(socket, "SO_PEERCRED", None)


def _same_user(sock: socket.socket) -> bool:
    """Whether the peer runs as this user (True where the system cannot say: the directory already keeps others out)."""
    if _PEERCRED is None:
        return True
    try:
        raw = sock.getsockopt(socket.SOL_SOCKET, _PEERCRED, struct.calcsize("3i"))
        _pid, uid, _gid = struct.unpack("3i", raw)
    except OSError:
        return True
    return uid == os.getuid()
