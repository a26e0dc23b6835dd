"""One held event: what it carries, its edit, and the wait until something releases it.

A WSGI request's thread waits on a `threading.Event`; an ASGI request's task
awaits a future of its event loop, so the loop goes on serving the other
connections. Whatever releases a hold (a command from any thread, the hold
timeout, the control connection going away) decides it once: the first
decision wins.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import TracerError
from ..summary import first_event_summary
from .edits import EditError, apply_edit, can_disconnect, describe, disconnect_message, editable

RELEASES = ("next", "continue", "continue-all", "disconnect", "timeout", "detached", "shutdown", "cancelled")
"""What can release a held event, as the trace's ``released`` field says it:

- ``next``: a user let it go on to the request's next event, where it is held again;
- ``continue``: a user let the request run to its end;
- ``continue-all``: a user let every held request run to its end;
- ``disconnect``: a user answered a held ``receive()`` with a disconnect;
- ``timeout``: nobody released it within the hold timeout;
- ``detached``: the last control connection went away (the UI quit, or was lost);
- ``shutdown``: the process is stopping its debugger (the server is stopping);
- ``cancelled``: the request's task was cancelled (or its thread interrupted)
  while held; its event never happened, so only a control client hears of this one.
"""

STEP = "next"
"""The one release after which the request is held again at its next event."""


@dataclass(slots=True)
class Outcome:
    """How a hold ended.

    Attributes:
        how: One of `RELEASES`.
        value: What goes on: the held value, or its edit.
        edited: Whether `value` is an edit (or a disconnect) rather than what the app or server gave.
        held_ns: How long the event was held.
        original: What the app or the server gave (`value` too, unless edited).
    """

    how: str
    value: Any
    edited: bool
    held_ns: int
    original: Any = None


_FIRST_EVENTS = {"wsgi.environ": "environ", "asgi.scope": "scope"}
"""The kinds a request starts with, and the field of its data that holds the value held."""

class Hold:
    """A held event of one request.

    Args:
        hold_id: Unique within the process (the trace id and a counter).
        request: The request's `DebugSession`.
        kind: The event kind about to be recorded (``asgi.send``...).
        value: What the middleware is about to pass on (see `tracer.debug.edits`).
        reason: The breakpoint that caught it, or ``"next"`` for a step.
        encode: Turns a value into the event's data as the trace file keeps it.
        on_decided: Called once, with the hold, when something releases it.
        limit: For a ``readinto``: how many bytes fit in the app's buffer.
        redactor: The tracer's redactor (edits keep the real values of redacted headers).
    """

    def __init__(
        self,
        hold_id: str,
        request: Any,
        kind: str,
        value: Any,
        reason: str,
        encode: Callable[[str, Any], dict[str, Any]],
        on_decided: Callable[[Hold], None],
        *,
        limit: int | None = None,
        redactor: Any = None,
        timeout: float = 60.0,
    ) -> None:
        self.id = hold_id
        self.request = request
        self.kind = kind
        self.message_type = value.get("type") if kind.startswith("asgi.") and isinstance(value, dict) else None
        self.original = value
        self.value = value
        self.edited = False
        self.reason = reason
        self.seq = request.next_seq
        self.since = time.time()
        self.deadline = self.since + timeout
        self.timeout = timeout
        self.fields = editable(kind, value)
        self.can_disconnect = can_disconnect(kind, value)
        self.limit = limit
        self._redactor = redactor
        self._encode = encode
        self._on_decided = on_decided
        summary = request.summary  # Read here, in the request's own thread or task.
        # Held at its first event, the request's summary has not seen it yet: what it names comes from the value.
        named = summary if kind not in _FIRST_EVENTS else first_event_summary(kind, {_FIRST_EVENTS[kind]: value})
        self._about = {
            "title": named.title,
            "protocol": summary.protocol,
            "scope_type": summary.scope_type,
            "method": named.method,
            "path": named.path,
        }
        self._start_ns = time.monotonic_ns()
        self._lock = threading.Lock()
        self._how: str | None = None
        self._event: threading.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._future: asyncio.Future[None] | None = None

    @property
    def decided(self) -> bool:
        """Whether something has released it."""
        return self._how is not None

    def info(self) -> dict[str, Any]:
        """What a control client is told about it, JSON-ready (values encoded as in a trace file)."""
        with self._lock:
            value, edited = self.value, self.edited
        return {
            "hold": self.id,
            "trace": self.request.trace_id,
            "pid": os.getpid(),
            "kind": self.kind,
            "type": self.message_type,
            "seq": self.seq,
            "reason": self.reason,
            "since": self.since,
            "held_for": max(0.0, time.time() - self.since),
            "deadline": self.deadline,
            "data": self._safe_encode(value),
            "original": self._safe_encode(self.original) if edited else None,
            "summary": describe(self.kind, value),
            **self._about,
            "editable": list(self.fields),
            "can_disconnect": self.can_disconnect,
        }

    def _safe_encode(self, value: Any) -> dict[str, Any]:
        try:
            return self._encode(self.kind, value)
        except Exception as exc:  # noqa: BLE001 - a client is told what it can be told
            return {"$error": f"could not encode: {type(exc).__name__}: {exc}"}

    def edit(self, changes: Mapping[str, Any]) -> None:
        """Replace what goes on by the held value with `changes` applied (edits add up).

        Raises:
            EditError: The hold is released already, or the changes do not fit it.
        """
        with self._lock:
            if self._how is not None:
                raise EditError(f"hold {self.id} was released already ({self._how})")
            self.value = apply_edit(self.kind, self.value, changes, limit=self.limit, redactor=self._redactor)
            self.edited = True

    def decide(self, how: str) -> bool:
        """Release it with `how` (one of `RELEASES`); False if something released it first."""
        with self._lock:
            if self._how is not None:
                return False
            if how == "disconnect":
                if not self.can_disconnect:
                    raise EditError(f"hold {self.id} is not a receive() of a connection: nothing to disconnect")
                self.value = disconnect_message(self.original)
                self.edited = True
            self._how = how
            event, loop, future = self._event, self._loop, self._future
        if event is not None:
            event.set()
        if loop is not None and future is not None:
            try:
                loop.call_soon_threadsafe(_settle, future)
            except RuntimeError:  # The loop is closed: nothing waits any more.
                pass
        self._on_decided(self)
        return True

    def _outcome(self) -> Outcome:
        return Outcome(self._how or "timeout", self.value, self.edited, time.monotonic_ns() - self._start_ns, self.original)

    def prepare_thread(self) -> None:
        """Make it waitable from a thread (call before others can see it)."""
        self._event = threading.Event()

    def prepare_loop(self) -> None:
        """Make it waitable from the running event loop's task (call before others can see it).

        Raises:
            TracerError: No asyncio event loop runs (a server on trio, say): the connection cannot be held.
        """
        try:
            self._loop = asyncio.get_running_loop()
        except RuntimeError:
            raise TracerError("holding an ASGI connection needs an asyncio event loop, and none is running") from None
        self._future = self._loop.create_future()

    def wait(self) -> Outcome:
        """Block the calling thread until released or the hold timeout."""
        event = self._event
        assert event is not None, "prepare_thread() first"
        remaining = self.deadline - time.time()
        try:
            if remaining > 0:
                event.wait(remaining)
        except BaseException:
            # Ctrl+C in a single-threaded server: nobody waits for a release any more.
            self.decide("cancelled")
            raise
        self.decide("timeout")
        return self._outcome()

    async def wait_async(self) -> Outcome:
        """Await release or the hold timeout; the event loop serves others meanwhile."""
        future = self._future
        assert future is not None, "prepare_loop() first"
        try:
            remaining = self.deadline - time.time()
            if remaining > 0:
                await asyncio.wait((future,), timeout=remaining)
        except BaseException:
            # Cancelled while held (the server is stopping): nobody waits for a release any more.
            self.decide("cancelled")
            raise
        self.decide("timeout")
        return self._outcome()


def _settle(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


__all__ = ["EditError", "Hold", "Outcome", "RELEASES", "STEP"]
