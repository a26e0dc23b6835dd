"""The debugger of one process and trace file: breakpoints, held events, and who hears about them.

    debugger = tracer.debugger            # a WSGITracer / ASGITracer made with breakpoints=True
    debugger.add_breakpoint("~u /stream @ http.response.body")
    for hold in debugger.held():
        debugger.edit(hold.id, {"body": b"changed"})
        debugger.next(hold.id)

Every method is thread-safe. The control socket (`tracer.debug.control`)
and the in-process client (`tracer.debug.client.LocalConnection`) are two
ways of calling these methods; both hear what happens through `subscribe`.

Tracers of one process that write the same trace file share one debugger
(`debugger_for`), and so one control socket.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import warnings
import weakref
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .._failsafe import logger
from ..errors import TracerError, TracerWarning
from ..defaults import DEFAULT_HOLD_TIMEOUT
from .breakpoints import Breakpoint, parse_breakpoint
from .hold import Hold


Subscriber = Callable[[dict[str, Any]], None]
"""Hears each debugger event as a JSON-ready dict (see `Debugger.subscribe`)."""


class ControlError(TracerError):
    """A debugger command that cannot be done (an unknown hold, a bad edit, a lost connection)."""


class Debugger:
    """Breakpoints and held events of the requests one process records into one trace file.

    Args:
        trace_file: The trace file's absolute path, or None for a sink without a file.
        hold_timeout: The hold timeout the control clients are told (each tracer passes its own to its requests).
    """

    def __init__(self, trace_file: str | None, hold_timeout: float = DEFAULT_HOLD_TIMEOUT) -> None:
        self.trace_file = trace_file
        self.hold_timeout = hold_timeout
        self.breakpoints: tuple[Breakpoint, ...] = ()
        """The breakpoints, replaced whole on each change (requests read it without a lock)."""
        self.closed = False
        self.pid = os.getpid()
        self.control: Any = None
        """The `ControlServer`, once the socket is open."""
        self._owners: dict[int, Any] = {}
        self._holds: dict[str, Hold] = {}
        self._clients: set[Any] = set()
        self._subscribers: list[Subscriber] = []
        self._lock = threading.RLock()
        self._ids = itertools.count(1)
        self._reported = False

    def __repr__(self) -> str:
        return f"<Debugger {self.trace_file!r} pid {self.pid}: {len(self.breakpoints)} breakpoints, {len(self._holds)} held>"

    # Breakpoints

    def add_breakpoint(self, breakpoint: str | Breakpoint, owner: Any = None) -> Breakpoint:
        """Add a breakpoint (parsed if given as text); returns it, with its id.

        Args:
            breakpoint: ``[FILTER] [@ KIND[,KIND...]]``, or a parsed `Breakpoint`.
            owner: The control client that set it (removed when that client goes), or None for the process.

        Raises:
            BreakpointError: The text does not parse.
        """
        parsed = parse_breakpoint(breakpoint) if isinstance(breakpoint, str) else breakpoint
        with self._lock:
            self.breakpoints = (*self.breakpoints, parsed)
            self._owners[parsed.id] = owner
            listing = self._breakpoint_list()
        self._notify({"event": "breakpoints", "breakpoints": listing})
        return parsed

    def remove_breakpoint(self, breakpoint_id: int) -> bool:
        """Remove the breakpoint with `breakpoint_id`; False if there was none."""
        with self._lock:
            kept = tuple(bp for bp in self.breakpoints if bp.id != breakpoint_id)
            if len(kept) == len(self.breakpoints):
                return False
            self.breakpoints = kept
            self._owners.pop(breakpoint_id, None)
            listing = self._breakpoint_list()
        self._notify({"event": "breakpoints", "breakpoints": listing})
        return True

    def breakpoint_list(self, client: Any = None) -> list[dict[str, Any]]:
        """The breakpoints as dicts: ``id``, ``text``, ``kinds``, ``owner`` (``"process"``, ``"you"`` for `client`'s, ``"client"``)."""
        with self._lock:
            return self._breakpoint_list(client)

    def _breakpoint_list(self, client: Any = None) -> list[dict[str, Any]]:
        out = []
        for bp in self.breakpoints:
            owner = self._owners.get(bp.id)
            who = "process" if owner is None else "you" if client is not None and owner is client else "client"
            out.append({"id": bp.id, "text": bp.text, "kinds": list(bp.kinds), "owner": who})
        return out

    # Holds

    def hold(self, request: Any, kind: str, value: Any, reason: str, *, limit: int | None = None, in_loop: bool) -> Hold | None:
        """Register a held event of `request` and tell the subscribers; None when the debugger is closed.

        `in_loop` says the caller is a task of the running event loop (ASGI),
        else a thread that will block (WSGI).
        """
        hold = Hold(
            f"{request.trace_id}:{next(self._ids)}",
            request,
            kind,
            value,
            reason,
            request.encode_value,
            self._decided,
            limit=limit,
            redactor=request.redactor,
            timeout=request.hold_timeout,
        )
        if in_loop:
            hold.prepare_loop()
        else:
            hold.prepare_thread()
        with self._lock:
            if self.closed:
                return None
            self._holds[hold.id] = hold
        self._notify({"event": "held", "held": hold.info()})
        return hold

    def _decided(self, hold: Hold) -> None:
        with self._lock:
            self._holds.pop(hold.id, None)
        self._notify({
            "event": "released",
            "hold": hold.id,
            "trace": hold.request.trace_id,
            "how": hold._how,
            "edited": hold.edited,
        })

    def held(self) -> list[Hold]:
        """The held events, oldest first."""
        with self._lock:
            return list(self._holds.values())

    def get(self, hold_id: str) -> Hold:
        """The held event `hold_id`.

        Raises:
            ControlError: Nothing is held under that id (any more).
        """
        with self._lock:
            hold = self._holds.get(hold_id)
        if hold is None:
            raise ControlError(f"no held event {hold_id!r} (it was released, or never held here)")
        return hold

    def next(self, hold_id: str) -> None:
        """Let the held event go on, and hold its request again at its next event."""
        self._release(hold_id, "next")

    def continue_(self, hold_id: str) -> None:
        """Let the held event go on, and its request run to its end without holding again."""
        self._release(hold_id, "continue")

    def disconnect(self, hold_id: str) -> None:
        """Answer a held ``receive()`` with a disconnect instead of its message (the client "went away").

        Raises:
            ControlError: Not a held ``receive()`` of an http or websocket connection.
        """
        self._release(hold_id, "disconnect")

    def continue_all(self) -> int:
        """Let every held request run to its end; returns how many were held."""
        return self.release_all("continue-all")

    def release_all(self, how: str) -> int:
        """Release every held event with `how` (one of `tracer.debug.hold.RELEASES`); returns how many."""
        count = 0
        for hold in self.held():
            count += hold.decide(how)
        return count

    def _release(self, hold_id: str, how: str) -> None:
        hold = self.get(hold_id)
        try:
            if not hold.decide(how):
                raise ControlError(f"held event {hold_id!r} was released already")
        except ControlError:
            raise
        except TracerError as exc:
            raise ControlError(str(exc)) from None

    def edit(self, hold_id: str, changes: Mapping[str, Any]) -> Hold:
        """Change what the held event passes on when it is released (edits add up); returns the hold.

        See `tracer.debug.edits` for the fields of each kind of event.

        Raises:
            ControlError: No such hold, or the changes do not fit it.
        """
        hold = self.get(hold_id)
        try:
            hold.edit(changes)
        except TracerError as exc:
            raise ControlError(str(exc)) from None
        self._notify({"event": "edited", "held": hold.info()})
        return hold

    # Who hears about it

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call `subscriber(event)` for each event; returns the function that stops it.

        Events are JSON-ready dicts: ``{"event": "held", "held": {...}}``,
        ``{"event": "edited", "held": {...}}``, ``{"event": "released", "hold", "trace",
        "how", "edited"}``, ``{"event": "breakpoints", "breakpoints": [...]}``. The
        subscriber is called from whichever thread caused the event (a request's
        thread, the event loop's, the control socket's): it must be quick and
        thread-safe.
        """
        with self._lock:
            self._subscribers = [*self._subscribers, subscriber]

        def unsubscribe() -> None:
            with self._lock:
                self._subscribers = [s for s in self._subscribers if s is not subscriber]

        return unsubscribe

    def _notify(self, event: dict[str, Any]) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception as exc:  # noqa: BLE001 - a client's mistake never reaches a request
                self.report_failure(exc)

    def report_failure(self, exc: BaseException) -> None:
        """Say once (`TracerWarning` and the ``tracer`` logger) that the debugger failed; requests go on unheld."""
        with self._lock:
            if self._reported:
                return
            self._reported = True
        _warn(
            f"tracer: the debugger failed ({type(exc).__name__}: {exc}); requests go on without being held. "
            "Further failures are not reported."
        )

    def client_attached(self, client: Any) -> None:
        """A control client (a socket connection, or an in-process one) is attached."""
        with self._lock:
            self._clients.add(client)

    def client_detached(self, client: Any) -> None:
        """A control client went away: its breakpoints go; if it was the last one, every held request runs on."""
        with self._lock:
            self._clients.discard(client)
            mine = [bp_id for bp_id, owner in self._owners.items() if owner is client]
            last = not self._clients
        for bp_id in mine:
            self.remove_breakpoint(bp_id)
        if last:
            self.release_all("detached")

    @property
    def clients(self) -> int:
        """How many control clients are attached."""
        return len(self._clients)

    # Lifecycle

    def start_control(self) -> str | None:
        """Open the control socket if it is not open; returns its path, or None without a trace file.

        Raises:
            OSError: The socket or its directory could not be made (the caller reports it).
        """
        from .control import ControlServer

        with self._lock:
            if self.control is not None or self.closed:
                return self.control.path if self.control is not None else None
            self.control = ControlServer(self)
        try:
            self.control.start()
        except BaseException:
            with self._lock:
                self.control = None
            raise
        return self.control.path

    def close(self) -> None:
        """Release every held event (``shutdown``), drop the breakpoints, close the control socket. Idempotent."""
        with self._lock:
            if self.closed:
                return
            self.closed = True
            self.breakpoints = ()
            self._owners.clear()
            control, self.control = self.control, None
        self.release_all("shutdown")
        if control is not None:
            control.stop()
        _forget(self)

    def _after_fork(self) -> None:
        """In a forked child: nothing of the parent's holds, clients or socket is ours."""
        self._lock = threading.RLock()
        self._holds = {}
        self._clients = set()
        self._subscribers = []
        if self.control is not None:
            self.control.abandon()
        self.control = None
        kept = tuple(bp for bp in self.breakpoints if self._owners.get(bp.id) is None)
        self._owners = {bp.id: None for bp in kept}
        self.breakpoints = kept
        self.pid = os.getpid()

    def ensure_running(self) -> None:
        """After a fork, open this process's own control socket (at its first request)."""
        if self.pid != os.getpid():
            with _registry_lock:
                if self.pid != os.getpid():
                    self._after_fork()
            _start_reporting(self)


# One debugger per process and trace file.

_registry: dict[str, Debugger] = {}
_registry_lock = threading.Lock()
_memory_keys = weakref.WeakKeyDictionary()  # type: ignore[var-annotated]


def trace_file_of(sink: Any) -> str | None:
    """The absolute, resolved path of the trace file `sink` writes (through wrapping sinks), or None."""
    for _ in range(5):
        path = getattr(sink, "path", None)
        if isinstance(path, (str, os.PathLike)):
            return os.path.realpath(os.fspath(path))
        sink = getattr(sink, "inner", None)
        if sink is None:
            return None
    return None


def debugger_for(sink: Any, *, hold_timeout: float = DEFAULT_HOLD_TIMEOUT, breakpoints: Iterable[str | Breakpoint] = ()) -> Debugger:
    """The debugger of this process for `sink`'s trace file, made (and its control socket opened) on first use.

    A failure to open the control socket is reported once as a `TracerWarning`;
    the debugger still works in-process.

    Args:
        sink: The tracer's sink.
        hold_timeout: Told to control clients.
        breakpoints: Added as the process's own (they stay until removed).
    """
    trace_file = trace_file_of(sink)
    if trace_file is not None:
        key = trace_file
    else:
        try:
            key = _memory_keys.setdefault(sink, f"memory-{id(sink)}")
        except TypeError:
            key = f"memory-{id(sink)}"
    with _registry_lock:
        debugger = _registry.get(key)
        fresh = debugger is None or debugger.closed
        if fresh:
            debugger = _registry[key] = Debugger(trace_file, hold_timeout)
        else:
            debugger.hold_timeout = hold_timeout
    assert debugger is not None
    for text in breakpoints:
        debugger.add_breakpoint(text)
    if fresh:
        _start_reporting(debugger)
    return debugger


def local_debugger(trace_file: str | os.PathLike[str]) -> Debugger | None:
    """This process's own debugger for `trace_file`, if a tracer here has breakpoints enabled."""
    key = os.path.realpath(os.fspath(trace_file))
    with _registry_lock:
        debugger = _registry.get(key)
    if debugger is None or debugger.closed or debugger.pid != os.getpid():
        return None
    return debugger


def _start_reporting(debugger: Debugger) -> None:
    try:
        debugger.start_control()
    except Exception as exc:  # noqa: BLE001 - breakpoints still work in this process
        where = f"for {debugger.trace_file}" if debugger.trace_file else "of this process"
        _warn(
            f"tracer: could not open the debugger's control socket {where} ({type(exc).__name__}: {exc}); "
            "requests are unaffected, and breakpoints can be set only from this process"
        )


def _warn(message: str) -> None:
    logger.error(message)
    try:
        warnings.warn(message, TracerWarning, stacklevel=3)
    except Exception:  # noqa: BLE001 - warnings configured as errors must not fail a request
        pass


def _forget(debugger: Debugger) -> None:
    with _registry_lock:
        for key, known in list(_registry.items()):
            if known is debugger:
                del _registry[key]


def close_all() -> None:
    """Close every debugger of this process (at exit: held requests go on, sockets are removed)."""
    with _registry_lock:
        debuggers = list(_registry.values())
    for debugger in debuggers:
        if debugger.pid == os.getpid():
            debugger.close()


def _after_fork_in_child() -> None:
    global _registry_lock
    _registry_lock = threading.Lock()
    for debugger in _registry.values():
        debugger.pid = -1  # ensure_running() starts it afresh in this process


atexit.register(close_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
