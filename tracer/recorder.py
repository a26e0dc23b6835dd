"""`Recorder`: an in-memory sink, for tests and for looking at traces from code."""

from __future__ import annotations

from typing import Any

from ._assemble import TraceAssembler
from .model import Trace


class Recorder:
    """Keeps every event in memory; thread- and task-safe.

    Example:
        rec = Recorder()
        app = WSGITracer(app, sink=rec)
        ...
        for trace in rec.traces():
            print(trace.method, trace.path, trace.status)
    """

    def __init__(self) -> None:
        self._records: dict[str, list[dict[str, Any]]] = {}

    def write(self, record: dict[str, Any]) -> None:
        """Accept one event record (the sink protocol)."""
        # dict.setdefault and list.append are each atomic, so no lock is needed.
        self._records.setdefault(record["trace"], []).append(record)

    def close(self) -> None:
        """Nothing to release; present for the sink protocol."""

    def clear(self) -> None:
        """Forget every recorded trace."""
        self._records = {}

    def traces(self) -> list[Trace]:
        """Every trace so far, in start order, including traces still in progress.

        Returns:
            New `Trace` objects with decoded event data (bytes as bytes).
        """
        assembler = TraceAssembler()
        for records in list(self._records.values()):
            for record in list(records):
                assembler.add(record)
        return assembler.traces()

    def __len__(self) -> int:
        return len(self._records)
