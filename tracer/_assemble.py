"""Grouping of event records (trace file lines) into `Trace` objects."""

from __future__ import annotations

from typing import Any

from .codec import decode
from .model import END_KINDS, Event, Trace
from .summary import epoch


class TraceAssembler:
    """Collects records of interleaved traces and builds decoded `Trace` objects.

    Records must already be validated (see ``reader.validate_record`` and ``reader.first_record_problem``).
    """

    def __init__(self) -> None:
        self._open: dict[str, Trace] = {}

    def add(self, record: dict[str, Any]) -> Trace | None:
        """Add one record; return its trace when this record completed it."""
        trace_id = record["trace"]
        trace = self._open.get(trace_id)
        if trace is None:
            trace = Trace(
                id=trace_id,
                protocol=record.get("protocol") or record["kind"].partition(".")[0],
                scope_type=record.get("scope_type") or "http",
                started_at=epoch(record.get("start")),
            )
            self._open[trace_id] = trace
        event = Event(record["seq"], record["t_ns"], record["kind"], decode(record["data"]))
        events = trace.events
        if events and events[-1].seq > event.seq:
            events.append(event)
            events.sort(key=lambda e: e.seq)
        else:
            events.append(event)
        if event.kind in END_KINDS:
            return trace
        return None

    def __contains__(self, trace_id: object) -> bool:
        return trace_id in self._open

    def pop(self, trace_id: str) -> Trace | None:
        """Forget a trace (once it has been handed out) and return it."""
        return self._open.pop(trace_id, None)

    def traces(self) -> list[Trace]:
        """Every trace seen, complete or not, in order of first appearance."""
        return list(self._open.values())
