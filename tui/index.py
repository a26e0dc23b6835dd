"""An index of a trace file: line offsets and a small summary per trace.

The UI never holds whole traces in memory. `TraceIndex.scan` reads the
file from where it last stopped, parses each event line once to update the
summary of its trace, and keeps only the line's offset and length; a trace's
events are read back by offset (`read_trace`) when it is opened. Scanning
again later picks up lines appended since (following a live file).

Like toolong, the scan runs in a thread and hands out batches as it goes;
it reads 1 MiB blocks with `pread` rather than walking an mmap, which is as
fast with `bytes.split` and lets it yield the GIL between blocks so the UI
thread stays responsive.
"""

from __future__ import annotations

import os
import threading
import time
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from tracer.codec import decode
from tracer.errors import TraceFileError
from tracer.jsonl import check_header, loads, validate_record
from tracer.model import END_KINDS, ERROR_KINDS, Event, Trace

_BLOCK = 1024 * 1024
_seek_lock = threading.Lock()


def _pread(fd: int, size: int, offset: int) -> bytes:
    """`os.pread` where there is one (POSIX); seek and read under a lock elsewhere."""
    if hasattr(os, "pread"):
        return os.pread(fd, size, offset)
    with _seek_lock:  # pragma: no cover - Windows
        os.lseek(fd, offset, os.SEEK_SET)
        return os.read(fd, size)


@dataclass(slots=True)
class TraceSummary:
    """What the request list needs of one trace, without its events.

    Attributes:
        id: The trace id.
        number: Order of first appearance in the file, from 0.
        protocol: ``"wsgi"`` or ``"asgi"``.
        scope_type: ``"http"``, ``"websocket"`` or ``"lifespan"``.
        start: Wall-clock start, epoch seconds.
        method: Request method, ``"WS"`` for websockets, None for lifespan.
        path: Request path, None for lifespan.
        query: Query string (may be empty).
        status: Response status code, or None while it has not started.
        duration_ns: Offset of the latest event.
        events: Number of events seen.
        request_bytes: Body bytes the app read or received.
        response_bytes: Body bytes the app sent.
        error: Whether the app raised.
        complete: Whether the end event has been seen.
        content_type: The response's content type, if any.
        line: Line number of the trace's first event.
        spans: ``offset, length`` pairs of the trace's event lines.
        marks: The worst protocol finding, ``"error"`` or ``"warning"``; ``""``
            for none; None until the checks have run (the UI runs them on the
            rows on screen).
    """

    id: str
    number: int
    protocol: str = "wsgi"
    scope_type: str = "http"
    start: float = 0.0
    method: str | None = None
    path: str | None = None
    query: str = ""
    status: int | None = None
    duration_ns: int = 0
    events: int = 0
    request_bytes: int = 0
    response_bytes: int = 0
    error: bool = False
    complete: bool = False
    content_type: str = ""
    line: int = 0
    spans: array = field(default_factory=lambda: array("q"))
    marks: str | None = None

    @property
    def url(self) -> str:
        """Path and query string as requested (``/items?page=2``); empty for lifespan."""
        path = self.path or ""
        return f"{path}?{self.query}" if self.query else path

    @property
    def end(self) -> float:
        """Wall-clock time of the latest event, epoch seconds."""
        return self.start + self.duration_ns / 1e9


@dataclass(frozen=True, slots=True)
class Problem:
    """A line that could not be read, with a message naming file and line."""

    line: int
    message: str
    fatal: bool = False


@dataclass(slots=True)
class ScanResult:
    """What one call of `TraceIndex.scan` found."""

    new: int = 0
    updated: set[int] = field(default_factory=set)
    problems: list[Problem] = field(default_factory=list)


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
        self.yield_seconds: float | None = 0.0
        """Pause after each block so a UI thread gets the GIL promptly (0: just yield)."""
        self._lock = threading.Lock()
        self._fd: int | None = None

    # Scanning

    def _open(self) -> int:
        if self._fd is None:
            try:
                self._fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            except FileNotFoundError:
                raise TraceFileError(f"{self.path}: no such file") from None
            except IsADirectoryError:
                raise TraceFileError(f"{self.path}: is a directory, not a trace file") from None
            except OSError as exc:
                raise TraceFileError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
        return self._fd

    def close(self) -> None:
        """Release the file (after a scan in progress has stopped at its next block)."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

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
            fd = self._open()
            result = ScanResult()
            size = os.fstat(fd).st_size
            if size < self.position:
                if not self.truncated:
                    self.truncated = True
                    result.problems.append(self._problem(0, "the file shrank (truncated or replaced); showing what was read before"))
                    self.problems.extend(result.problems)
                return result
            self.size = size
            next_batch = now() + first_batch_seconds
            while self.position < size:
                if stop is not None and stop():
                    break
                block = _pread(fd, min(_BLOCK, size - self.position), self.position)
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
                if self.yield_seconds is not None:
                    time.sleep(self.yield_seconds)
                if on_batch is not None and now() >= next_batch:
                    on_batch(result)
                    result = ScanResult()
                    next_batch = now() + batch_seconds
            self.problems.extend(result.problems)
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
            self._record(record, self.position, len(block), line_no, result)
        else:
            self.cut_line = line_no
        self.position += len(block)

    def _lines(self, chunk: bytes, result: ScanResult) -> None:
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
                try:
                    record = loads(line)
                except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
                    message = str(exc).splitlines()[0][:80]
                    result.problems.append(self._problem(line_no, f"not valid JSON ({message}); line skipped"))
                else:
                    problem = validate_record(record)
                    if problem is None:
                        record_fn(record, position, length, line_no, result)
                    else:
                        result.problems.append(self._problem(line_no, f"{problem}; line skipped"))
            position += length
        self.position = position
        self.line_no = line_no

    def _header(self, line: bytes, result: ScanResult) -> None:
        self.header = check_header(line, self.path)
        self.position += len(line) + 1

    def _problem(self, line_no: int, message: str, fatal: bool = False) -> Problem:
        where = f"{self.path}:{line_no}" if line_no else self.path
        return Problem(line_no, f"{where}: {message}", fatal)

    def _record(self, record: dict[str, Any], offset: int, length: int, line_no: int, result: ScanResult) -> None:
        trace_id = record["trace"]
        summary = self.by_id.get(trace_id)
        if summary is None:
            summary = TraceSummary(trace_id, len(self.summaries), line=line_no)
            summary.protocol = _str(record.get("protocol")) or record["kind"].partition(".")[0]
            summary.scope_type = _str(record.get("scope_type")) or "http"
            start = record.get("start")
            summary.start = _epoch(start)
            self.by_id[trace_id] = summary
            self.summaries.append(summary)
            result.new += 1
        else:
            result.updated.add(summary.number)
            summary.marks = None
        summary.spans.append(offset)
        summary.spans.append(length)
        summary.events += 1
        if record["t_ns"] > summary.duration_ns:
            summary.duration_ns = record["t_ns"]
        try:
            _summarize(summary, record["kind"], record["data"])
        except (AttributeError, TypeError, ValueError, KeyError):
            pass  # Odd data shows in the replay; the summary just stays sparse.

    # Reading events back

    def read_lines(self, summary: TraceSummary) -> Iterator[bytes]:
        """The raw event lines of one trace, in file order."""
        fd = self._open()
        spans = summary.spans
        for i in range(0, len(spans), 2):
            yield _pread(fd, spans[i + 1], spans[i])

    def read_trace(self, summary: TraceSummary) -> Trace:
        """Read and decode one trace's events from the file.

        Lines that no longer parse (the file changed underneath) are skipped.
        """
        return self.decode_lines(summary, self.read_lines(summary))

    def decode_lines(self, summary: TraceSummary, lines: Iterable[bytes]) -> Trace:
        """Decode a trace's raw event lines (as `read_lines` gives them)."""
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


def _epoch(value: Any) -> float:
    """A start time the clock can show: finite and within years 1970 to 9999, else 0 (unknown)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 253402300800:
        return float(value)
    return 0.0  # NaN fails the comparison too


def _size(value: Any) -> int:
    """Length in bytes of an encoded bytes value (its original length when cut)."""
    if isinstance(value, dict):
        cut = value.get("$truncated")
        if isinstance(cut, int):
            return cut
        if "$bytes" in value:
            text = value["$bytes"]
            return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))
        if "$base64" in value:
            text = value["$base64"]
            return len(text) * 3 // 4 - text[-2:].count("=")
    elif isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, list):
        return sum(_size(item) for item in value)
    return 0


def _str(value: Any) -> str | None:
    """`value` if it is a str (odd data may put a number where a method or path goes), else None."""
    return value if isinstance(value, str) else None


def _text(value: Any) -> str:
    if isinstance(value, dict) and "$bytes" in value:
        return str(value["$bytes"])
    return value if isinstance(value, str) else ""


def _header_value(headers: Any, name: bytes | str) -> str:
    if not isinstance(headers, list):
        return ""
    for item in headers:
        if isinstance(item, list) and len(item) == 2 and _text(item[0]).lower() == name:
            return _text(item[1])
    return ""


def _summarize(summary: TraceSummary, kind: str, data: dict[str, Any]) -> None:
    if kind == "wsgi.body" or kind == "wsgi.write":
        summary.response_bytes += _size(data.get("data"))
    elif kind == "asgi.send" or kind == "asgi.receive":
        _message(summary, kind == "asgi.send", data.get("message") or {})
    elif kind == "wsgi.input":
        summary.request_bytes += _size(data.get("data"))
    elif kind == "wsgi.environ":
        environ = data.get("environ") or {}
        summary.method = _str(environ.get("REQUEST_METHOD"))
        summary.path = ((_str(environ.get("SCRIPT_NAME")) or "") + (_str(environ.get("PATH_INFO")) or "")) or "/"
        summary.query = _str(environ.get("QUERY_STRING")) or ""
    elif kind == "asgi.scope":
        scope = data.get("scope") or {}
        if summary.scope_type == "websocket":
            summary.method = "WS"
        elif summary.scope_type == "http":
            summary.method = _str(scope.get("method"))
        if summary.scope_type != "lifespan":
            summary.path = _str(scope.get("path"))
            summary.query = _text(scope.get("query_string"))
    elif kind == "wsgi.start_response":
        status = data.get("status")
        if isinstance(status, str) and status[:3].isdigit():
            summary.status = int(status[:3])
        summary.content_type = _header_value(data.get("headers"), "content-type")
    elif kind in END_KINDS:
        summary.complete = True
    elif kind in ERROR_KINDS:
        summary.error = True


def _message(summary: TraceSummary, sent: bool, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind == "http.response.body" or kind == "websocket.http.response.body":
        summary.response_bytes += _size(message.get("body"))
    elif kind == "http.request":
        summary.request_bytes += _size(message.get("body"))
    elif kind == "http.response.start" or kind == "websocket.http.response.start":
        status = message.get("status")
        summary.status = status if isinstance(status, int) else None
        summary.content_type = _header_value(message.get("headers"), "content-type")
    elif kind == "websocket.send" or kind == "websocket.receive":
        size = _size(message.get("bytes")) + _size(message.get("text"))
        if sent:
            summary.response_bytes += size
        else:
            summary.request_bytes += size
    elif kind == "websocket.accept":
        if summary.status is None:
            summary.status = 101
    elif kind == "websocket.close" and sent:
        if summary.status is None:
            summary.status = 403
