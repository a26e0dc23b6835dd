"""Per-request recording state shared by the WSGI and ASGI middlewares."""

from __future__ import annotations

import itertools
import json
import os
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, Protocol

import orjson

from ._compiled import mypyc_attr
from ._failsafe import FailureReporter
from .codec import encode_bytes
from .errors import TracerWarning
from .sink import Sink

if TYPE_CHECKING:
    from .jsonl import _TraceFile

TRACED_KEY: Final = "tracer.traced"
"""The environ / scope key a tracer sets, after recording it, to the id of the trace it records.

A tracer that finds it passes the request through unrecorded, so nested
tracers (a middleware in the app, and `tracer run` around it) record one
trace: the outer one's.
"""

STOPPED_BY_SERVER = "server shutdown"
"""The end event's ``stopped`` value for a request the server cut short when it stopped."""

class RequestOutput(Protocol):
    """What a request's session holds while the app's own output is captured (`tracer.app_output`)."""

    def close(self) -> None:
        """The request's recording ends: record what is still pending, and stop being the current request."""


_output_for: Final[dict[FailureReporter, Callable[[TraceSession], RequestOutput]]] = {}
"""The tracers whose requests capture the app's output, by their options' `FailureReporter` (one per tracer).

Sessions get only the sink and the reporter from their tracer, so the reporter
names the tracer here; `tracer.app_output.capture_output` fills this in.
"""


def capture_output_for(failures: FailureReporter, start: Callable[[TraceSession], RequestOutput] | None) -> None:
    """Sessions recording with `failures` call `start(session)` as they begin (None: no longer)."""
    if start is None:
        _output_for.pop(failures, None)
    else:
        _output_for[failures] = start


# Not Final: the tests replace the clock (a compiled Final would be read once, at import).
_monotonic_ns = time.monotonic_ns
_OPT: Final = orjson.OPT_APPEND_NEWLINE
_dumps: Final = orjson.dumps
_BATCH_BYTES: Final = 16 * 1024
_PROCESS_TAG = os.urandom(4).hex()
_counter = itertools.count(1)


def new_trace_id() -> str:
    """A trace id unique across processes appending to one file (random tag + counter)."""
    return f"{_PROCESS_TAG}-{next(_counter):06d}"


def process_tag() -> str:
    """The tag this process's trace ids begin with (``a1b2c3d4`` of ``a1b2c3d4-000001``)."""
    return _PROCESS_TAG


def _reset_after_fork() -> None:
    global _PROCESS_TAG, _counter
    _PROCESS_TAG = os.urandom(4).hex()
    _counter = itertools.count(1)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


_UNLIMITED: Final = 1 << 62
"""The budget of a trace that keeps every body byte: more than any request sends."""


class BodyBudget:
    """Counts body bytes kept in a trace for one direction, cutting at the limit."""

    __slots__ = ("remaining",)

    def __init__(self, limit: int | None) -> None:
        self.remaining = _UNLIMITED if limit is None else limit

    def encode(self, data: bytes) -> dict[str, Any]:
        """Encode `data`, cut (and marked) where the budget runs out."""
        left = self.remaining - len(data)
        if left < 0:
            return self._cut(data)
        self.remaining = left
        try:
            return {"$bytes": data.decode()}
        except UnicodeDecodeError:
            return encode_bytes(data)

    def _cut(self, data: bytes) -> dict[str, Any]:
        remaining = self.remaining
        self.remaining = 0
        return encode_bytes(data[:remaining], len(data))


# The debugger's DebugSession (not compiled) subclasses it.
@mypyc_attr(allow_interpreted_subclasses=True)
class TraceSession:
    """Numbers, timestamps and hands one trace's events to the sink, fenced."""

    __slots__ = (
        "trace_id",
        "_seq",
        "_t0",
        "_write",
        "_failures",
        "_protocol",
        "_scope_type",
        "request_body",
        "response_body",
        "_sink",
        "_lines",
        "_pending",
        "_output",
    )

    def __init__(
        self,
        sink: Sink,
        failures: FailureReporter,
        protocol: str,
        scope_type: str,
        max_body_bytes: int | None,
    ) -> None:
        self.trace_id = new_trace_id()
        self._seq = 0
        self._t0 = 0
        self._write = sink.write
        self._failures = failures
        self._protocol = protocol
        self._scope_type = scope_type
        self.request_body = BodyBudget(max_body_bytes)
        self.response_body = BodyBudget(max_body_bytes)
        self._output: RequestOutput | None = None
        if _output_for:
            start = _output_for.get(failures)
            if start is not None:
                try:
                    self._output = start(self)
                except Exception as exc:  # noqa: BLE001 - recording never fails a request
                    failures.report(exc)

    @property
    def scope_type(self) -> str:
        """``"http"``, ``"websocket"`` or ``"lifespan"``."""
        return self._scope_type

    def _record(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        """The next event's record: numbered and timed, the first one also naming protocol, scope type and start."""
        now = _monotonic_ns()
        seq = self._seq
        self._seq = seq + 1
        if seq:
            return {"trace": self.trace_id, "seq": seq, "t_ns": now - self._t0, "kind": kind, "data": data}
        self._t0 = now
        return {
            "trace": self.trace_id,
            "seq": 0,
            "t_ns": 0,
            "kind": kind,
            "data": data,
            "protocol": self._protocol,
            "scope_type": self._scope_type,
            "start": time.time(),
        }

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        """Record one event whose `data` is already encoded."""
        record = self._record(kind, data)
        try:
            self._write(record)
        except Exception as exc:  # noqa: BLE001 - recording never fails a request
            self._failures.report(exc)

    def emit_last(self, kind: str, data: dict[str, Any]) -> None:
        """Record the trace's last event and drop whatever the app does after it.

        For a request cut short by the server stopping, whose thread may still
        be running: its later events would read as a server that went on
        after the end.
        """
        if self._output is not None:
            self._end_output()
        if self._seq == 0:
            self.emit(kind, data)
            self._write = _dropped
            return
        write = self._write
        self._write = _dropped
        record = self._record(kind, data)
        try:
            write(record)
        except Exception as exc:  # noqa: BLE001 - recording never fails a request
            self._failures.report(exc)

    def finish(self, kind: str, data: dict[str, Any]) -> None:
        """Record the trace's end event."""
        if self._output is not None:
            self._end_output()
        self.emit(kind, data)

    def _end_output(self) -> None:
        """Record the app's pending output and stop capturing it for this request (before the end event)."""
        output = self._output
        self._output = None
        try:
            output.close()  # type: ignore[union-attr]
        except Exception as exc:  # noqa: BLE001 - recording never fails a request
            self._failures.report(exc)

    def fenced(self, kind: str, build: Any, *args: Any) -> None:
        """Build an event's data with `build(*args)` and record it; a failure to build is reported."""
        try:
            data = build(*args)
        except Exception as exc:  # noqa: BLE001 - a value we cannot encode never fails a request
            self._failures.report(exc)
            data = unrecordable(exc)
        self.emit(kind, data)


class LineSession(TraceSession):
    """A `TraceSession` for a sink that takes whole lines (`JsonlSink`): one call per event.

    Each event is encoded here and kept in the trace's own list, which the
    sink writes at the trace's end (and, for a trace still running, every
    ``flush_interval``). A sink that cannot take a trace now (closed) makes
    this an ordinary `TraceSession`, whose writes report the failure.
    """

    __slots__ = ("_file", "_defer")

    def __init__(
        self,
        file: _TraceFile,
        sink: Any,
        failures: FailureReporter,
        protocol: str,
        scope_type: str,
        max_body_bytes: int | None,
        defer: bool,
    ) -> None:
        TraceSession.__init__(self, sink, failures, protocol, scope_type, max_body_bytes)
        # Leave the writes to the sink's writer thread: a request served by one of many threads, or by an event loop.
        self._defer = defer
        self._sink = sink
        self._pending = 0
        self._lines: list[bytes] | None = None
        # The sink's file itself, not the sink: compiled, its methods are called directly.
        self._file: _TraceFile | None = None
        try:
            if not file.started:
                # The first trace starts the sink's writer thread; a closed sink refuses it.
                file = sink._trace_file()
            self._lines = file.begin_trace(self)
            self._file = file
        except Exception:  # noqa: BLE001 - the sink reports it at each write
            pass

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        lines = self._lines
        if lines is None:
            # Ended, or the sink could not take the trace: an ordinary `TraceSession` from here on.
            TraceSession.emit(self, kind, data)
            return
        seq = self._seq
        if seq:
            # `_record` inlined: this runs for every event of every request.
            self._seq = seq + 1
            record = {"trace": self.trace_id, "seq": seq, "t_ns": _monotonic_ns() - self._t0, "kind": kind, "data": data}
        else:
            record = self._record(kind, data)
        try:
            line = _dumps(record, option=_OPT)
        except Exception:  # noqa: BLE001 - recording never fails a request
            slow = self._slow_line(record)
            if slow is None:
                return
            line = slow
        lines.append(line)
        pending = self._pending + len(line)
        if pending >= _BATCH_BYTES and not self._defer:
            self._pending = 0
            # Write what every trace holds, unless a write is under way. This trace's lines stay in its
            # one list until written, so they reach the file in order.
            file = self._file
            if file is not None:
                file.flush(False, True)
        else:
            self._pending = pending

    def _slow_line(self, record: dict[str, Any]) -> bytes | None:
        try:
            # orjson refuses lone surrogates; the stdlib escapes them instead.
            return json.dumps(record, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"
        except Exception as exc:  # noqa: BLE001
            self._failures.report(exc)
            return None

    def finish(self, kind: str, data: dict[str, Any]) -> None:
        if self._lines is None:
            TraceSession.finish(self, kind, data)
            return
        if self._output is not None:
            self._end_output()
        self.emit(kind, data)
        # `_end(self._sink.write)` inlined: this runs for every request.
        self._lines = None
        self._write = self._sink.write
        file = self._file
        try:
            if file is not None:
                file.end_trace(self, self._defer)
        except Exception as exc:  # noqa: BLE001 - recording never fails a request
            self._failures.report(exc)

    def emit_last(self, kind: str, data: dict[str, Any]) -> None:
        if self._lines is None:
            TraceSession.emit_last(self, kind, data)
            return
        if self._output is not None:
            self._end_output()
        self.emit(kind, data)
        self._end(_dropped)

    def _end(self, later: Any) -> None:
        """Hand the trace's lines to the sink; whatever comes after goes to `later`, as with any sink."""
        self._lines = None
        self._write = later
        file = self._file
        try:
            if file is not None:
                file.end_trace(self, self._defer)
        except Exception as exc:  # noqa: BLE001 - recording never fails a request
            self._failures.report(exc)


def line_file(sink: Any) -> _TraceFile | None:
    """The file of a sink that takes whole lines (`JsonlSink`), whose traces `LineSession`s record; else None."""
    if callable(getattr(sink, "_trace_file", None)):
        return sink._file  # type: ignore[no-any-return]
    return None


def new_session(
    file: _TraceFile | None,
    sink: Any,
    failures: FailureReporter,
    protocol: str,
    scope_type: str,
    max_body_bytes: int | None,
    defer: bool,
) -> TraceSession:
    """A new trace's session: a `LineSession` writing to `file` (the sink's `line_file`), else a `TraceSession`.

    With `defer`, the `LineSession` leaves its writes to the sink's writer thread (`_TraceFile.end_trace`).

    Each class is named here, not held in a variable: compiled, a class in a
    variable is called through Python's type call (argument parsing and all)
    rather than its native constructor, on every request.
    """
    if file is not None:
        return LineSession(file, sink, failures, protocol, scope_type, max_body_bytes, defer)
    return TraceSession(sink, failures, protocol, scope_type, max_body_bytes)


_nested_lock = threading.Lock()


def warn_nested(tracer: Any) -> None:
    """Warn, once per `tracer`, that it is inside another tracer of its kind and records nothing."""
    with _nested_lock:
        if tracer._nested_warned:
            return
        tracer._nested_warned = True
    name = type(tracer).__name__
    message = (
        f"tracer: this {name} (sink {tracer.sink!r}) is inside another {name}; the outer one "
        "records each request, so this one passes requests through unrecorded"
    )
    try:
        warnings.warn(message, TracerWarning, stacklevel=3)
    except Exception:  # noqa: BLE001 - warnings configured as errors must not fail a request
        pass


def _dropped(record: dict[str, Any]) -> None:
    """The sink of a trace that has ended for good."""


def unrecordable(exc: BaseException) -> dict[str, str]:
    """The data of an event whose payload could not be recorded."""
    return {"$error": f"could not record: {type(exc).__name__}: {_safe_str(exc)}"}


def describe_exception(exc: BaseException) -> dict[str, str]:
    """The data of a ``*.error`` event: type, message and formatted traceback."""
    kind = type(exc)
    return {
        "type": f"{kind.__module__}.{kind.__qualname__}" if kind.__module__ != "builtins" else kind.__qualname__,
        "message": _safe_str(exc),
        "traceback": "".join(traceback.format_exception(kind, exc, exc.__traceback__)),
    }


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # noqa: BLE001
        return f"<unprintable {type(exc).__name__}>"
