"""Trace Event Format export, for Perfetto (ui.perfetto.dev) and ``chrome://tracing``.

    from tracer import iter_traces
    from tracer.exporters.chrome import write_chrome

    with open("traces.json", "wb") as out:
        write_chrome(iter_traces("traces.jsonl"), out)

Each trace is a complete event (``"ph": "X"``) on a track ("slot"); traces
that overlap in time go on different slots, so concurrency shows as
overlapping tracks and the number of slots is the peak concurrency. Each
protocol event is an instant event (``"ph": "i"``) on the same track with a
short summary of its payload in ``args``; protocol findings are attached to
the instant event where they happened. Timestamps are epoch microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO, Any

import orjson

from ..checks import check_trace
from ..model import Event, Trace, TruncatedBytes

_PID = 1
_LIFESPAN_TID = 1_000_000


class SlotAllocator:
    """Gives each trace a track (slot) that is free for its whole time span.

    A slot remembers the latest end of the traces placed on it, so two traces
    on one slot never overlap, whatever order the traces arrive in. Of the
    free slots it takes the one that became free last (best fit), which keeps
    the earlier-freed slots for traces that start sooner: with traces in
    order of their start or of their end (as `iter_traces` yields them) the
    number of slots stays at, or very near, the peak number of traces in
    flight at once.
    """

    def __init__(self) -> None:
        self._ends: list[float] = []

    def place(self, start: float, end: float) -> int:
        """The slot (1, 2, …) for a trace running from `start` to `end`."""
        best = -1
        for index, busy_until in enumerate(self._ends):
            if busy_until <= start and (best < 0 or busy_until > self._ends[best]):
                best = index
        if best < 0:
            self._ends.append(end)
            return len(self._ends)
        self._ends[best] = max(self._ends[best], end)
        return best + 1

    def __len__(self) -> int:
        return len(self._ends)


def write_chrome(traces: Iterable[Trace], out: IO[bytes], *, name: str = "tracer", findings: bool = True) -> int:
    """Write a Trace Event Format JSON object for `traces` to the binary stream `out`, trace by trace.

    Args:
        traces: Traces in any order.
        out: A binary stream.
        name: The process name shown above the tracks.
        findings: Attach protocol findings (`tracer.checks`) to the events where they happened.

    Returns:
        The number of traces written.
    """
    out.write(b'{"displayTimeUnit":"ms","otherData":{"generator":"tracer"},"traceEvents":[\n')
    out.write(orjson.dumps({"name": "process_name", "ph": "M", "pid": _PID, "tid": 0, "args": {"name": name}}))
    # Lifespan traces last as long as the app: they get tracks of their own, above the request
    # slots, so the slots show only requests in flight.
    slots, lifespans = SlotAllocator(), SlotAllocator()
    count = 0
    for trace in traces:
        start_us = trace.started_at * 1e6
        end_us = start_us + trace.duration_ns / 1000
        lifespan = trace.scope_type == "lifespan"
        allocator = lifespans if lifespan else slots
        known = len(allocator)
        slot = allocator.place(start_us, end_us)
        tid = _LIFESPAN_TID + slot if lifespan else slot
        lines = []
        if slot > known:
            label = ("lifespan" if slot == 1 else f"lifespan {slot}") if lifespan else f"slot {slot}"
            order = -slot if lifespan else slot
            lines.append({"name": "thread_name", "ph": "M", "pid": _PID, "tid": tid, "args": {"name": label}})
            lines.append({"name": "thread_sort_index", "ph": "M", "pid": _PID, "tid": tid, "args": {"sort_index": order}})
        lines.extend(trace_events(trace, tid, findings=findings))
        out.write(b"".join(b",\n" + orjson.dumps(line) for line in lines))
        count += 1
    out.write(b"\n]}\n")
    return count


def trace_events(trace: Trace, tid: int, *, findings: bool = True) -> list[dict[str, Any]]:
    """The complete event and the instant events of one trace, on track `tid`."""
    start_us = trace.started_at * 1e6
    by_seq: dict[int, list[dict[str, str]]] = {}
    if findings:
        for finding in safely(lambda: check_trace(trace)) or ():
            by_seq.setdefault(finding.seq, []).append(
                {"rule": finding.rule, "severity": finding.severity, "message": finding.message}
            )
    meaning = trace.summary
    args: dict[str, Any] = {
        "trace": trace.id,
        "protocol": trace.protocol,
        "scope_type": trace.scope_type,
        "method": meaning.method,
        "path": meaning.path,
        "query": meaning.query,
        "status": meaning.status,
        "close_code": meaning.close_code,
        "complete": meaning.complete,
        "error": meaning.error,
        "findings": sum(len(items) for items in by_seq.values()),
    }
    events: list[dict[str, Any]] = [
        {
            "name": title(trace),
            "cat": f"{trace.protocol}.{trace.scope_type}",
            "ph": "X",
            "ts": start_us,
            "dur": meaning.duration_ns / 1000,
            "pid": _PID,
            "tid": tid,
            "args": args,
        }
    ]
    for event in trace.events:
        instant_args = {"seq": event.seq, **_plain(safely(lambda event=event: summary(event)) or {})}
        if event.seq in by_seq:
            instant_args["findings"] = by_seq[event.seq]
        events.append(
            {
                "name": event_name(event),
                "cat": event.kind.partition(".")[0] + (",finding" if event.seq in by_seq else ""),
                "ph": "i",
                "s": "t",
                "ts": start_us + event.t_ns / 1000,
                "pid": _PID,
                "tid": tid,
                "args": instant_args,
            }
        )
    return events


def title(trace: Trace) -> str:
    """The label of a trace's bar: ``GET /path?query 200`` (``lifespan`` for a lifespan trace)."""
    meaning = trace.summary
    if meaning.scope_type == "lifespan":
        return "lifespan"
    return meaning.title + (f" {meaning.status}" if meaning.status is not None else "")


def safely(get: Any) -> Any:
    """`get()`, or None when a malformed trace makes it fail (a trace file may hold anything)."""
    try:
        return get()
    except Exception:  # noqa: BLE001 - a bad value in one trace must not stop the export
        return None


def _plain(value: Any) -> Any:
    """`value` with bytes and other non-JSON values turned into short text, for ``args``."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, bytes):
        return _preview(value)
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    return str(value)


def event_name(event: Event) -> str:
    """An instant event's label: the event kind, or the ASGI message type."""
    message = event.data.get("message")
    if isinstance(message, dict) and isinstance(message.get("type"), str) and event.kind in ("asgi.send", "asgi.receive"):
        return f"{'send' if event.kind == 'asgi.send' else 'receive'} {message['type']}"
    return event.kind


def _size(value: Any) -> int | None:
    if isinstance(value, TruncatedBytes):
        return value.original_length
    if isinstance(value, (bytes, str)):
        return len(value)
    return None


def _preview(value: Any, limit: int = 80) -> str | None:
    if isinstance(value, bytes):
        value = value[:limit].decode("utf-8", "replace")
    if isinstance(value, str):
        return value if len(value) <= limit else value[: limit - 1] + "…"
    return None


def summary(event: Event) -> dict[str, Any]:
    """A few fields that say what an event carried, small enough for a tooltip."""
    data = event.data
    kind = event.kind
    if kind == "wsgi.environ":
        environ = data.get("environ")
        if not isinstance(environ, dict):
            return {}
        return {key: environ.get(key) for key in ("REQUEST_METHOD", "PATH_INFO", "QUERY_STRING")}
    if kind == "asgi.scope":
        scope = data.get("scope")
        if not isinstance(scope, dict):
            return {}
        return {key: _plain(scope[key]) for key in ("type", "method", "path", "query_string") if key in scope}
    if kind == "wsgi.start_response":
        headers = data.get("headers")
        return {"status": str(data.get("status")), "headers": len(headers) if isinstance(headers, list) else None}
    if kind in ("wsgi.body", "wsgi.write", "wsgi.input", "wsgi.errors"):
        chunk: dict[str, Any] = {"bytes": _size(data.get("data")), "preview": _preview(data.get("data"))}
        if kind == "wsgi.input":
            chunk.update(method=data.get("method"), size=data.get("size"))
        return chunk
    if kind in ("wsgi.error", "asgi.error"):
        return {"type": data.get("type"), "message": _preview(data.get("message"), 200)}
    if kind == "wsgi.end":
        # exhausted is false when the server stopped iterating early (the client went away).
        extra = {key: data[key] for key in ("exhausted", "file_wrapper") if key in data}
        return {"status": data.get("status"), "bytes_sent": data.get("bytes_sent"), **extra}
    message = data.get("message")
    if isinstance(message, dict):
        out: dict[str, Any] = {"type": message.get("type")}
        for key in ("status", "more_body", "code", "reason", "subprotocol"):
            if key in message and isinstance(message[key], (int, str, bool, type(None))):
                out[key] = message[key]
        for key in ("body", "bytes", "text"):
            if message.get(key) is not None:
                out[key] = {"size": _size(message[key]), "preview": _preview(message[key])}
        if isinstance(message.get("headers"), list):
            out["headers"] = len(message["headers"])
        return out
    return {}
