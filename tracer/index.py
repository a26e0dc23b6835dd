"""An index of a trace file: line offsets and the summary of each trace.

    index = TraceIndex("traces.jsonl")
    index.scan()                      # what is new since the last scan
    for summary in index.in_start_order():
        trace = index.load(summary.id)

Readers never hold whole traces in memory. `TraceIndex.scan` reads the
file from where it last stopped, parses each event line once to update the
summary of its trace, and keeps only the line's offset and length; a trace's
events are read back by offset (`read_trace`) when it is opened. Scanning
again later picks up lines appended since (following a live file).

Like toolong, the scan runs in a thread and hands out batches as it goes;
it reads 1 MiB blocks with `pread` rather than walking an mmap, which is as
fast with `bytes.split` and lets it yield the GIL between blocks so the UI
thread stays responsive.

A summary the index has handed out (in a batch, or when `scan` returns) is
never changed again by the index: when its trace gains events, the scan
folds them into a copy, which replaces it in `summaries` and is handed out
in its turn (`ScanResult.summaries`). So a thread that is given summaries
(a UI, in messages) reads data no other thread writes, and the scan does
not copy a trace that does not change.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
import warnings
from array import array
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

from .errors import TraceFileError, TracerWarning
from .model import Event, Trace
from .reader import (
    check_header,
    cut_line_warning,
    decode_problem,
    first_record_problem,
    line_problem,
    loads,
    open_problem,
    rotated_predecessors,
    validate_record,
)
from .summary import TraceSummary

_BLOCK = 1024 * 1024
_FIRST_BLOCK = 64 * 1024
"""The first block of a file: enough lines for a screen of rows, read in a few milliseconds."""
_seek_lock = threading.Lock()


def _pread(fd: int, size: int, offset: int) -> bytes:
    """`os.pread` where there is one (POSIX); seek and read under a lock elsewhere."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    with _seek_lock:  # pragma: no cover - Windows
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, size)


# A named tuple and a plain class rather than dataclasses, which take about 0.5 ms each to make: the UI imports this
# module before its first paint.


class Problem(NamedTuple):
    """A line that could not be read.

    Attributes:
        line: Its line number (0: the file as a whole).
        message: ``file:line: reason; line skipped``, for a reader who sees the rest of the file.
        fatal: Nothing more can be read.
        reason: Why, alone (the same words `read_traces` uses in its error).
    """

    line: int
    message: str
    fatal: bool = False
    reason: str = ""

    def error(self, path: str) -> TraceFileError:
        """The error a command that stops at this line raises: ``file:line: reason``."""
        where = f"{path}:{self.line}" if self.line else path
        return TraceFileError(f"{where}: {self.reason or self.message}")


class ScanResult:
    """What one call of `TraceIndex.scan` (or one batch of it) found.

    Attributes:
        new: How many traces appeared.
        updated: Numbers of the traces seen before that gained events.
        problems: Lines that could not be read.
        summaries: The traces that appeared or gained events, as they are now, in number
            order: objects the index will not change again (a later change comes as a new one).
    """

    __slots__ = ("new", "updated", "problems", "summaries")

    def __init__(self) -> None:
        self.new = 0
        self.updated: set[int] = set()
        self.problems: list[Problem] = []
        self.summaries: list[TraceSummary] = []


class TraceIndex:
    """Offsets and summaries of every trace in one trace file.

    Args:
        path: The trace file.
        live: The file is still being written: a line without its newline is
            left for a later scan instead of being read as cut off.
    """

    def __init__(self, path: str, *, live: bool = False) -> None:
        self.path = path
        self.live = live
        self.summaries: list[TraceSummary] = []
        self.by_id: dict[str, TraceSummary] = {}
        self.problems: list[Problem] = []
        self.position = 0
        self.size = 0
        self.line_no = 0
        self.header: dict[str, Any] | None = None
        self.cut_line: int | None = None
        self.truncated = False
        self.waiting = False
        """Followed (`live`), the file does not exist yet: each scan looks for it again, as ``tail -F`` does."""
        self.yield_seconds: float | None = 0.0
        """Pause after each block so a UI thread gets the GIL promptly (0: just yield)."""
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._name = path
        """The file being scanned: `path`, or one of its rotated predecessors."""
        self._base = 0
        """Where the file being scanned starts among the set's offsets."""
        self._segments: list[_Segment] = []
        """Each file of a rotated set read so far, oldest first (one, `path`, when it never rotated)."""
        self._by_start: list[int] = []
        """Numbers of the summaries in start order (a trace's start never changes, its summary object may)."""
        self._open: set[int] = set()
        """Numbers of the summaries being folded since the last hand-out: the only ones the scan may change."""

    # Scanning

    def close(self) -> None:
        """Release the files (after a scan in progress has stopped at its next block); reading reopens them."""
        with self._lock:
            for segment in self._segments:
                segment.close()
            self._fd = None

    def _start_segment(self, name: str) -> None:
        """Begin scanning the next file of a rotated set (each has its own header)."""
        if self._segments:
            self._base += self.size
        segment = _Segment(self._base, name)
        self._fd = segment.open()
        self._segments.append(segment)
        self._name = name
        self.position = self.size = self.line_no = 0
        self.header = None

    def _rotated_since(self) -> bool:
        """Whether `path` is now another file than the one being read (a writer rotated it)."""
        try:
            now = os.stat(self.path)
        except OSError:
            return False
        mine = os.fstat(self._fd) if self._fd is not None else None
        return mine is not None and (now.st_dev, now.st_ino) != (mine.st_dev, mine.st_ino)

    def _rotated_after_current(self) -> list[str]:
        """The rotated files newer than the one being read (the writer rotated more than once since the last scan)."""
        assert self._fd is not None
        mine = os.fstat(self._fd)
        older = rotated_predecessors(self.path)
        for position, name in enumerate(older):
            try:
                stat = os.stat(name)
            except OSError:
                continue
            if (stat.st_dev, stat.st_ino) == (mine.st_dev, mine.st_ino):
                return older[position + 1 :]
        return []

    def read_span(self, offset: int, length: int) -> bytes:
        """The bytes of one line, by its offset and length in `TraceSummary.spans`; any thread may call it."""
        segments = self._segments
        if len(segments) == 1:
            return _pread(segments[0].open(), length, offset)
        if not segments:
            return b""
        index = bisect.bisect_right(segments, offset, key=_segment_base) - 1
        segment = segments[max(index, 0)]
        return _pread(segment.open(), length, offset - segment.base)

    def scan(
        self,
        *,
        on_batch: Callable[[ScanResult], None] | None = None,
        batch_seconds: float = 0.25,
        first_batch_seconds: float = 0.05,
        clock: Callable[[], float] | None = None,
        stop: Callable[[], bool] | None = None,
    ) -> ScanResult:
        """Read what the file gained since the last scan.

        Args:
            on_batch: Called with partial results while scanning a large file,
                first after `first_batch_seconds`, then every `batch_seconds`.
            clock: A monotonic clock (seconds); `time.monotonic` by default.
            stop: Polled between blocks; scanning ends early when it returns True.

        Returns:
            What was found since the last batch was handed to `on_batch`.

        Raises:
            TraceFileError: The file is missing, or its header is not a tracer header.
        """
        now = clock or time.monotonic
        with self._lock:
            result = ScanResult()
            if not self._segments and self._waiting_for_file():
                return result
            if not self._segments:
                # A rotated set (path.N … path.1, path) reads as one file, oldest first.
                for name in [*rotated_predecessors(self.path), self.path]:
                    if name != self.path:
                        self._start_segment(name)
                        result = self._scan_current(result, on_batch, batch_seconds, now, stop)
                self._start_segment(self.path)
            elif self._fd is None:
                self._fd = self._segments[-1].open()
            elif self.live and self._rotated_since():
                # Finish the file the writer rotated away, then the ones it rotated since, then the new one.
                result = self._scan_current(result, on_batch, batch_seconds, now, stop)
                for name in self._rotated_after_current():
                    self._start_segment(name)
                    result = self._scan_current(result, on_batch, batch_seconds, now, stop)
                self._start_segment(self.path)
            result = self._scan_current(result, on_batch, batch_seconds, now, stop, first_batch_seconds)
            self._hand_out(result)
            return result

    def scan_first(self) -> ScanResult:
        """Read the first block of a file not read yet (`_FIRST_BLOCK`, about a screenful of traces), and stop.

        A UI calls it before it draws its list, so that its first paint has rows;
        `scan` then reads on from where it stopped. A rotated set (``path.1``
        and so on beside `path`) is left to `scan`, as is a file read already:
        nothing is read then.

        Raises:
            TraceFileError: The file is missing, or its header is not a tracer header.
        """
        with self._lock:
            result = ScanResult()
            if self._segments or self._waiting_for_file() or rotated_predecessors(self.path):
                return result
            self._start_segment(self.path)
            try:
                result = self._scan_current(result, None, 0.0, time.monotonic, lambda: self.position > 0)
            except BaseException:
                # A bad header, or a failed read, comes before any line is taken in: `scan` starts afresh, and
                # meets it again.
                self._segments.pop().close()
                self._fd = None
                self.position = self.size = self.line_no = 0
                self.header = None
                raise
            self._hand_out(result)
            return result

    def _waiting_for_file(self) -> bool:
        """Whether the file is followed and not there yet (nor rotated away): a scan then finds nothing, and the
        next one looks again. A file not followed is read as it is, and a missing one is an error."""
        self.waiting = self.live and not os.path.exists(self.path) and not rotated_predecessors(self.path)
        return self.waiting

    def _hand_out(self, result: ScanResult) -> None:
        """Close the summaries folded since the last hand-out into `result`: from now on they are read, not written."""
        summaries = self.summaries
        result.summaries = [summaries[number] for number in sorted(self._open)]
        self._open.clear()
        self.problems.extend(result.problems)

    def _scan_current(
        self,
        result: Any,
        on_batch: Callable[[ScanResult], None] | None,
        batch_seconds: float,
        now: Callable[[], float],
        stop: Callable[[], bool] | None,
        first_batch_seconds: float = 0.05,
    ) -> Any:
        fd = self._fd
        assert fd is not None
        size = os.fstat(fd).st_size
        if size < self.position:
            if not self.truncated:
                self.truncated = True
                result.problems.append(self._problem(0, "the file shrank (truncated or replaced); showing what was read before", skipped=False))
            return result
        self.size = size
        next_batch = now() + first_batch_seconds
        while self.position < size:
            if stop is not None and stop():
                break
            block = _pread(fd, min(_FIRST_BLOCK if self.position == 0 else _BLOCK, size - self.position), self.position)
            if not block:
                break
            end = block.rfind(b"\n")
            if end < 0:
                if self.position + len(block) < size:
                    # One line longer than a block: read it whole.
                    block = self._read_long_line(fd, size)
                    end = block.rfind(b"\n")
                if end < 0:
                    self._tail(block, result)
                    break
            self._lines(block[: end + 1], result)
            if self.yield_seconds is not None and not (stop is not None and stop()):
                time.sleep(self.yield_seconds)  # (not when it stops here: `scan_first` on the UI thread, 70 µs)
            if on_batch is not None and self.position < size and now() >= next_batch:  # (the end hands out the rest)
                self._hand_out(result)
                on_batch(result)
                result = ScanResult()
                next_batch = now() + batch_seconds
        return result

    def _read_long_line(self, fd: int, size: int) -> bytes:
        parts = []
        position = self.position
        while position < size:
            chunk = _pread(fd, _BLOCK, position)
            if not chunk:
                break
            parts.append(chunk)
            position += len(chunk)
            if b"\n" in chunk:
                break
        return b"".join(parts)

    def _tail(self, block: bytes, result: ScanResult) -> None:
        """A last line without its newline: still being written, or cut off."""
        if self.live or not block.strip():
            return
        line_no = self.line_no + 1
        if self.header is None:
            self._header(block, result)
            return
        try:
            record = loads(block)
        except (ValueError, RecursionError):
            record = None
        if record is not None and validate_record(record) is None:
            self.line_no = line_no
            self._record(record, self._base + self.position, len(block), line_no, result)
        else:
            self.cut_line = line_no
        self.position += len(block)

    def _lines(self, chunk: bytes, result: ScanResult) -> None:
        base = self._base
        position = self.position
        line_no = self.line_no
        record_fn = self._record
        for line in chunk.split(b"\n")[:-1]:
            line_no += 1
            length = len(line) + 1
            if line_no == 1 and self.header is None:
                self.line_no = line_no
                self._header(line, result)
            elif line.strip():
                record, problem = line_problem(line)
                if record is None:
                    result.problems.append(self._problem(line_no, problem))
                else:
                    record_fn(record, base + position, length, line_no, result)
            position += length
        self.position = position
        self.line_no = line_no

    def _header(self, line: bytes, result: ScanResult) -> None:
        self.header = check_header(line, self._name)
        self.position += len(line) + 1

    def _problem(self, line_no: int, reason: str, fatal: bool = False, *, skipped: bool = True) -> Problem:
        where = f"{self._name}:{line_no}" if line_no else self._name
        return Problem(line_no, f"{where}: {reason}{'; line skipped' if skipped else ''}", fatal, reason)

    def _record(self, record: dict[str, Any], offset: int, length: int, line_no: int, result: ScanResult) -> None:
        trace_id = record["trace"]
        summary = self.by_id.get(trace_id)
        if summary is None:
            problem = first_record_problem(record)
            if problem is not None:
                result.problems.append(self._problem(line_no, problem))
                return
            summary = TraceSummary.begin(record, keep_headers=False)
            summary.number = len(self.summaries)
            summary.line = line_no
            self.by_id[trace_id] = summary
            self.summaries.append(summary)
            self._open.add(summary.number)
            result.new += 1
        else:
            number = summary.number
            if number not in self._open:
                # Handed out already: fold into a copy, so that whoever holds it reads what it was given.
                summary = _copy(summary)
                self.summaries[number] = self.by_id[trace_id] = summary
                self._open.add(number)
            result.updated.add(number)
        summary.spans.append(offset)
        summary.spans.append(length)
        summary.add(record["kind"], record["t_ns"], record["data"])

    # Reading events back

    def in_start_order(self) -> list[TraceSummary]:
        """The summaries sorted by start time (file order among equal starts).

        Several processes, or concurrent requests, write traces in the order
        they complete; this is the order they began in.
        """
        summaries = self.summaries
        if len(self._by_start) != len(summaries):
            self._by_start = sorted(range(len(summaries)), key=lambda number: _start_key(summaries[number]))
        return [summaries[number] for number in self._by_start]

    def load(self, trace_id: str) -> Trace:
        """Read and decode the trace `trace_id` from the file.

        Raises:
            KeyError: No trace of that id has been scanned.
        """
        return self.read_trace(self.by_id[trace_id])

    def traces(self) -> Iterator[Trace]:
        """Every scanned trace, decoded one at a time, in start order."""
        for summary in self.in_start_order():
            yield self.read_trace(summary)

    def read_lines(self, summary: TraceSummary) -> Iterator[bytes]:
        """The raw event lines of one trace, in file order."""
        spans = summary.spans
        read = self.read_span
        for i in range(0, len(spans), 2):
            yield read(spans[i], spans[i + 1])

    def read_trace(self, summary: TraceSummary, *, strict: bool = False) -> Trace:
        """Read and decode one trace's events from the file.

        Args:
            strict: Raise on a line whose data does not decode, instead of
                skipping it (the UI shows what can be shown; commands stop).

        Raises:
            TraceFileError: With `strict`, the ``file:line`` that does not decode.
        """
        if not strict:
            return self.decode_lines(summary, self.read_lines(summary))
        from .codec import decode

        trace = Trace(summary.id, summary.protocol, summary.scope_type, summary.start)
        spans = summary.spans
        for i, line in enumerate(self.read_lines(summary)):
            try:
                record = loads(line)
                trace.events.append(Event(record["seq"], record["t_ns"], record["kind"], decode(record["data"])))
            except Exception as exc:  # noqa: BLE001 - malformed $-encodings
                raise TraceFileError(f"{self.where(spans[2 * i])}: {decode_problem(exc)}") from None
        trace.events.sort(key=lambda event: event.seq)
        return trace

    def where(self, offset: int) -> str:
        """``file:line`` of the line starting at `offset` (counts newlines: for messages only)."""
        index = bisect.bisect_right(self._segments, offset, key=_segment_base) - 1
        segment = self._segments[max(index, 0)]
        fd, offset = segment.open(), offset - segment.base
        count, position = 1, 0
        while position < offset:
            block = _pread(fd, min(_BLOCK, offset - position), position)
            if not block:
                break
            count += block.count(b"\n")
            position += len(block)
        return f"{segment.name}:{count}"

    def decode_lines(self, summary: TraceSummary, lines: Iterable[bytes]) -> Trace:
        """Decode a trace's raw event lines (as `read_lines` gives them), skipping lines that do not decode."""
        from .codec import decode  # Imported with the first trace read: the list paints without it.

        trace = Trace(summary.id, summary.protocol, summary.scope_type, summary.start)
        events = trace.events
        for line in lines:
            try:
                record = loads(line)
                events.append(Event(record["seq"], record["t_ns"], record["kind"], decode(record["data"])))
            except Exception:  # noqa: BLE001 - show what can be shown
                continue
        events.sort(key=lambda event: event.seq)
        return trace


def read_index(path: str, *, skip_bad_lines: bool = False) -> TraceIndex:
    """Scan a whole trace file for a command that reads it once (check, export).

    A last line cut off mid-write warns, as `read_traces` does; any other
    unreadable line stops with its ``file:line: reason``, unless
    `skip_bad_lines`, when it warns and the rest is read.

    Raises:
        TraceFileError: Missing file, bad header, or (without `skip_bad_lines`) a bad line.
    """
    index = TraceIndex(path)
    index.yield_seconds = None
    index.scan()
    for problem in index.problems:
        if not skip_bad_lines:
            raise problem.error(path)
        warnings.warn(problem.message, TracerWarning, stacklevel=2)
    if index.cut_line is not None:
        warnings.warn(cut_line_warning(path, index.cut_line), TracerWarning, stacklevel=2)
    return index


class _Segment:
    """One file of a rotated set: where its lines start among the set's offsets, and its descriptor."""

    __slots__ = ("base", "name", "fd", "_lock")

    def __init__(self, base: int, name: str) -> None:
        self.base = base
        self.name = name
        self.fd: int | None = None
        self._lock = threading.Lock()

    def open(self) -> int:
        if self.fd is None:
            with self._lock:
                if self.fd is None:
                    try:
                        self.fd = os.open(self.name, os.O_RDONLY | getattr(os, "O_BINARY", 0))
                    except OSError as exc:
                        raise TraceFileError(open_problem(self.name, exc)) from None
        return self.fd

    def close(self) -> None:
        with self._lock:
            if self.fd is not None:
                os.close(self.fd)
                self.fd = None


def _segment_base(segment: _Segment) -> int:
    return segment.base


def _start_key(summary: TraceSummary) -> tuple[float, int]:
    return (summary.start, summary.number)


_FIELDS = TraceSummary.__slots__


def _copy(summary: TraceSummary) -> TraceSummary:
    """A copy of `summary` to fold more events into (its spans too: the only field changed in place)."""
    copy = object.__new__(TraceSummary)
    for name in _FIELDS:
        setattr(copy, name, getattr(summary, name))
    copy.spans = array("q", summary.spans)
    return copy
