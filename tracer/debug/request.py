"""One request under the debugger: its summary so far, whether it is stepping, and its holds.

A `DebugSession` is the `TraceSession` of a request when breakpoints are
enabled. It folds each event it records into a `TraceSummary`, so that a
breakpoint's filter can be asked about the request so far, and decides at
each event the middleware may hold whether to hold it:

- a request starts *running*: held where a breakpoint matches;
- after ``next`` (or a disconnect answered to a ``receive()``) it is
  *stepping*: held at its very next event;
- after ``continue``, ``continue all``, the hold timeout or the UI going
  away it is *free*: never held again.

A held event is recorded when it is released, as what actually went on,
with how long it was held (see docs/trace-format.md).
"""

from __future__ import annotations

import time
from dataclasses import fields
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from .._session import BodyBudget, TraceSession
from ..codec import encode
from ..summary import TraceSummary
from .hold import STEP, Outcome

if TYPE_CHECKING:
    from .._options import TracerOptions
    from .debugger import Debugger

RUNNING = 0
STEPPING = 1
FREE = 2

_BODY_KEYS = ("body", "bytes")
_monotonic_ns = time.monotonic_ns


class DebugSession(TraceSession):
    """The recording session of a request that may be held.

    Args:
        debugger: The process's debugger for the tracer's trace file.
        options: The tracer's options.
        protocol: ``"wsgi"`` or ``"asgi"``.
        scope_type: ``"http"``, ``"websocket"`` or ``"lifespan"``.
        hold_timeout: Seconds after which a hold releases itself.
    """

    __slots__ = ("debugger", "_summary", "_pending", "mode", "disconnected", "redactor", "limit", "hold_timeout")

    def __init__(
        self, debugger: Debugger, options: TracerOptions, protocol: str, scope_type: str, hold_timeout: float
    ) -> None:
        super().__init__(options.sink, options.failures, protocol, scope_type, options.max_body_bytes)
        self.debugger = debugger
        self._summary = TraceSummary(self.trace_id, protocol=protocol, scope_type=scope_type, start=time.time())
        self._pending: list[tuple[str, int, dict[str, Any]]] = []
        self.mode = RUNNING
        self.disconnected: dict[str, Any] | None = None
        """The disconnect a user answered a ``receive()`` with: later calls get it again."""
        self.redactor = options.redactor
        self.limit = options.max_body_bytes
        self.hold_timeout = hold_timeout

    @property
    def next_seq(self) -> int:
        """The seq the next recorded event gets."""
        return self._seq

    @property
    def summary(self) -> TraceSummary:
        """The request's summary so far."""
        pending = self._pending
        if pending:
            add = self._summary.add
            for kind, t_ns, data in pending:
                add(kind, t_ns, data)
            pending.clear()
        return self._summary

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        TraceSession.emit(self, kind, data)
        # Folded only when a breakpoint asks (most requests are never asked), or in batches.
        pending = self._pending
        pending.append((kind, _monotonic_ns() - self._t0, data))
        if len(pending) >= _FOLD_BATCH:
            self.summary  # noqa: B018 - folds

    def hold_reason(self, kind: str, value: Any) -> str | None:
        """Why the event about to pass on `value` is held (the breakpoint, or ``"next"``), or None."""
        mode = self.mode
        if mode == FREE:
            return None
        debugger = self.debugger
        if debugger.closed:
            return None
        if mode == STEPPING:
            return STEP
        breakpoints = debugger.breakpoints
        if not breakpoints:
            return None
        message_type = value.get("type") if kind[0] == "a" and type(value) is dict else None
        # A breakpoint without kinds holds requests, not the server's lifespan (its startup would time out).
        lifespan = self._scope_type == "lifespan"
        wanting = [bp for bp in breakpoints if bp.wants(kind, message_type) and not (lifespan and not bp.kinds)]
        if not wanting:
            return None
        # The summary with this event folded in: "~c 500 @ http.response.start" sees the status being sent.
        summary = _copy(self.summary)
        summary.add(kind, _monotonic_ns() - self._t0 if self._seq else 0, fold_data(kind, value))
        for breakpoint in wanting:
            if breakpoint.matches(summary):
                return breakpoint.text
        return None

    def pause(self, kind: str, value: Any, *, limit: int | None = None) -> Outcome | None:
        """Hold the calling thread here if a breakpoint (or a step) says so; None when not held."""
        try:
            reason = self.hold_reason(kind, value)
            if reason is None:
                return None
            hold = self.debugger.hold(self, kind, value, reason, limit=limit, in_loop=False)
        except Exception as exc:  # noqa: BLE001 - the debugger never fails a request
            self.debugger.report_failure(exc)
            return None
        if hold is None:
            return None
        outcome = hold.wait()
        self._released(outcome)
        return outcome

    async def pause_async(self, kind: str, value: Any) -> Outcome | None:
        """Hold the calling task here if a breakpoint (or a step) says so; the loop serves others meanwhile."""
        try:
            reason = self.hold_reason(kind, value)
            if reason is None:
                return None
            hold = self.debugger.hold(self, kind, value, reason, in_loop=True)
        except Exception as exc:  # noqa: BLE001 - the debugger never fails a request
            self.debugger.report_failure(exc)
            return None
        if hold is None:
            return None
        outcome = await hold.wait_async()
        self._released(outcome)
        return outcome

    def _released(self, outcome: Outcome) -> None:
        if outcome.how == STEP:
            self.mode = STEPPING
        elif outcome.how == "disconnect":
            # Step on, to see what the app does now that its client is gone.
            self.mode = STEPPING
            self.disconnected = outcome.value
        else:
            self.mode = FREE

    def annotate(self, kind: str, data: dict[str, Any], outcome: Outcome | None) -> dict[str, Any]:
        """`data` (the event as it went on) with how long it was held and, if edited, the original."""
        if outcome is None:
            return data
        data["held_ns"] = outcome.held_ns
        data["released"] = outcome.how
        if outcome.edited:
            data["original"] = self.encode_value(kind, outcome.original)
        return data

    def encode_value(self, kind: str, value: Any) -> dict[str, Any]:
        """A held value as the event's data keeps it (redacted, bodies cut at ``max_body_bytes``).

        Does not count against the trace's body budget: it is what a control
        client is shown, and the original beside an edit.
        """
        redactor = self.redactor
        if kind == "asgi.send" or kind == "asgi.receive":
            return {"message": redactor.encode_mapping(value, _BODY_KEYS, BodyBudget(self.limit).encode)}
        if kind == "wsgi.start_response":
            status, headers = value
            return {"status": encode(status), "headers": redactor.encode_headers(headers)}
        if kind == "wsgi.environ":
            return {"environ": redactor.encode_environ(value)}
        if kind == "asgi.scope":
            return {"scope": redactor.encode_mapping(value)}
        budget = BodyBudget(self.limit)
        if type(value) is list:
            return {"data": [budget.encode(item) if type(item) is bytes else encode(item) for item in value]}
        return {"data": budget.encode(value) if type(value) is bytes else encode(value)}


_FOLD_BATCH = 64
_FIELDS = tuple(field.name for field in fields(TraceSummary))
_get_fields = attrgetter(*_FIELDS)
_setters = tuple(TraceSummary.__dict__[name].__set__ for name in _FIELDS)


def _copy(summary: TraceSummary) -> TraceSummary:
    """A shallow copy (copy.copy of a slotted dataclass takes longer than the fold it guards)."""
    new = TraceSummary.__new__(TraceSummary)
    for setter, value in zip(_setters, _get_fields(summary)):
        setter(new, value)
    return new


def fold_data(kind: str, value: Any) -> dict[str, Any]:
    """A held value as event data the summary can fold (decoded form)."""
    if kind == "asgi.send" or kind == "asgi.receive":
        return {"message": value}
    if kind == "wsgi.start_response":
        return {"status": value[0], "headers": value[1]}
    if kind == "wsgi.environ":
        return {"environ": value}
    if kind == "asgi.scope":
        return {"scope": value}
    return {"data": value}
