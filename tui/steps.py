"""`Steps`: the events of one trace for the replay, read and decoded only when looked at.

The trace index keeps the offset and length of each event line
(`TraceSummary.spans`), so the replay never needs a whole trace in memory:
a step's line is read with `os.pread` when the step is drawn or shown, and
kept in a bounded `LRUCache` (toolong's ``LineReader``). A trace still being
written keeps growing the same spans; `Steps.grow` takes the new ones in
place.

    steps = Steps(summary, LineReader(index.path))
    steps.row(0).arrow.label        # what the diagram draws
    steps.event(0).data             # what the step detail shows

Steps are in file order, the order the events were written (a trace's
events are written as they happen). A line that no longer decodes is still
a step, one that says why, so later steps keep their places.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass

from textual.cache import LRUCache

from tracer.codec import decode
from tracer.model import END_KINDS, Event, Trace
from tracer.reader import decode_problem, loads
from tracer.summary import TraceSummary

from .labels import ITERATING_KINDS, Arrow, arrow

ROW_CACHE = 4096
"""Rows (an arrow and its time) kept: small, so enough for many screens of the diagram."""
EVENT_CACHE = 64
"""Decoded events kept: they may hold bodies of a megabyte, so only those near the cursor."""
UNREADABLE = "unreadable line"
"""The kind of a step whose line does not decode."""


@dataclass(frozen=True, slots=True)
class Row:
    """What the sequence diagram draws for one step."""

    seq: int
    t_ns: int
    kind: str
    arrow: Arrow


class LineReader:
    """Reads lines of one file by offset, from any thread (`os.pread` needs no shared position).

    Args:
        path: The trace file.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._fd: int | None = None
        self._closed = False
        self._lock = threading.Lock()

    def read(self, offset: int, length: int) -> bytes:
        """The `length` bytes at `offset` (``b""`` once closed)."""
        # Under the lock: a worker thread may be reading when the screen closes the file.
        with self._lock:
            if self._closed:
                return b""
            if self._fd is None:
                self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            if hasattr(os, "pread"):
                return os.pread(self._fd, length, offset)
            os.lseek(self._fd, offset, os.SEEK_SET)  # pragma: no cover - Windows
            return os.read(self._fd, length)  # pragma: no cover

    def close(self) -> None:
        """Release the file; later reads give ``b""``."""
        with self._lock:
            self._closed = True
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def decode_event(line: bytes, step: int) -> Event:
    """One event line decoded; a line that does not decode becomes a step that says why."""
    seq, t_ns = step, 0
    try:
        record = loads(line)
        seq, t_ns = int(record["seq"]), int(record["t_ns"])
        return Event(seq, t_ns, str(record["kind"]), decode(record["data"]))
    except Exception as exc:  # noqa: BLE001 - malformed lines and $-encodings alike
        return Event(seq, t_ns, UNREADABLE, {"$error": f"step {step}: {decode_problem(exc)}"})


class Steps:
    """The events of one trace, each read and decoded when first looked at.

    Args:
        summary: The trace's summary; its `spans` locate the event lines.
        reader: Reads the lines; without one (or without spans), `events` are the steps.
        events: The decoded events, when there is no file to read them from.
    """

    def __init__(self, summary: TraceSummary, reader: LineReader | None = None, events: list[Event] | None = None) -> None:
        self.summary = summary
        self.reader = reader if reader is not None and (summary.spans or events is None) else None
        self._events = events if self.reader is None else None
        self.count = 0
        """Steps known so far."""
        self._rows: LRUCache[int, Row] = LRUCache(ROW_CACHE)
        self._decoded: LRUCache[int, Event] = LRUCache(EVENT_CACHE)
        self._first_iterating: int | None = None
        self._kinds_scanned = 0
        self.grow()

    @property
    def lazy(self) -> bool:
        """Whether steps are read from the file (rather than given decoded)."""
        return self.reader is not None

    def grow(self) -> int:
        """Take the steps the trace gained since the last call (a live file); returns how many."""
        count = len(self.summary.spans) // 2 if self.reader is not None else len(self._events or ())
        added = count - self.count
        if added <= 0:
            return 0
        self.count = count
        return added

    def take(self, events: list[Event]) -> int:
        """Steps given decoded (no file to read): the new list replaces the old; returns how many were added."""
        if self.reader is not None:
            return self.grow()
        self._events = events
        self._rows.clear()
        self._decoded.clear()
        return self.grow()

    @property
    def complete(self) -> bool:
        """Whether the last known step is the end event."""
        return self.count > 0 and self.row(self.count - 1).kind in END_KINDS

    # One step

    def line(self, step: int) -> bytes:
        """The raw line of `step` (thread-safe: no cache involved)."""
        assert self.reader is not None
        spans = self.summary.spans
        return self.reader.read(spans[2 * step], spans[2 * step + 1])

    def event(self, step: int) -> Event:
        """The decoded event of `step` (cached)."""
        if self._events is not None:
            return self._events[step]
        event = self._decoded.get(step)
        if event is None:
            event = decode_event(self.line(step), step)
            self._decoded.set(step, event)
        return event

    def row(self, step: int) -> Row:
        """The arrow and time of `step` (cached)."""
        row = self._rows.get(step)
        if row is None:
            event = self.event(step)
            row = Row(event.seq, event.t_ns, event.kind, arrow(
                event, iterating=self._iterating_before(step),
                raised=event.kind in END_KINDS and self.summary.error_type is not None,
            ))
            self._rows.set(step, row)
        return row

    def _iterating_before(self, step: int) -> bool:
        """Whether the server was iterating the response before `step` (a chunk or close() came first).

        Only an exception's arrow depends on it, so it is worked out for those alone,
        reading kinds from the start once.
        """
        if self.event(step).kind != "wsgi.error":
            return False
        while self._first_iterating is None and self._kinds_scanned < step:
            if self._kind(self._kinds_scanned) in ITERATING_KINDS:
                self._first_iterating = self._kinds_scanned
            self._kinds_scanned += 1
        return self._first_iterating is not None and self._first_iterating < step

    def _kind(self, step: int) -> str:
        row = self._rows.get(step)
        if row is not None:
            return row.kind
        if self._events is not None:
            return self._events[step].kind
        try:
            return str(loads(self.line(step))["kind"])
        except Exception:  # noqa: BLE001 - an unreadable line is no chunk
            return UNREADABLE

    # Many steps, for a worker thread

    def decoded(self, start: int, stop: int, *, unreadable: bool = False) -> Iterator[Event]:
        """Events `start` to `stop` decoded afresh (thread-safe).

        Lines that do not decode are skipped, or with `unreadable` kept as steps
        that say why, so that each step yields one event.
        """
        events = self._events
        if events is not None:
            yield from events[start:stop]
            return
        for step in range(start, stop):
            event = decode_event(self.line(step), step)
            if unreadable or event.kind != UNREADABLE:
                yield event

    def trace(self) -> Trace:
        """An empty `Trace` with this trace's identity, to decode events into."""
        s = self.summary
        return Trace(s.id, s.protocol, s.scope_type, s.start)
