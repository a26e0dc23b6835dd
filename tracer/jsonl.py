"""Writing trace files: JSON Lines, one header line then one event per line.

`JsonlSink` encodes each event as it happens and writes whole lines when a
trace ends or 16 KiB are pending; a background thread writes whatever is
left every `flush_interval` seconds, so a request still in progress can be
followed live. Reading is `tracer.reader`'s (re-exported here: `read_traces`,
`iter_traces`).
"""

from __future__ import annotations

import atexit
import collections
import contextlib
import datetime
import json
import math
import os
import threading
import time
import warnings
import weakref
from collections.abc import Iterator
from typing import Any, Final

import orjson

from . import __about__
from ._compiled import mypyc_attr
from ._failsafe import FailureReporter
from .errors import TraceFileError, TracerWarning, UsageError
from .model import END_KINDS
from .reader import FORMAT, VERSION, check_header, iter_traces, read_traces

__all__ = ["FORMAT", "VERSION", "JsonlSink", "dumps_record", "header_line", "iter_traces", "read_traces"]

_OPT: Final = orjson.OPT_APPEND_NEWLINE
_orjson_dumps: Final = orjson.dumps
_BATCH_BYTES: Final = 16 * 1024
_QUEUE_LIMIT: Final = 256
"""Ended traces queued (for the writer thread, or while another thread writes) before the ending thread writes."""
_QUEUE_BYTES = 32 * 1024  # not Final: the tests replace it (compiled, a Final is read once, at import)
"""Bytes of ended traces queued before the ending thread writes them itself (or waits to, `_QUEUE_WAIT`).

A busy process fills the queue between two rounds of the writer thread, so this is resident memory
held all the time: 32 KiB still makes a write of many hello traces, and keeps the high-water mark
under the 0.1 MiB `bench/rss.py` allows (256 KiB moved it by up to 0.26 MiB)."""
_QUEUE_WAIT = 0.5
"""Seconds the ending thread waits, at most, for the write lock once `_QUEUE_LIMIT` traces or `_QUEUE_BYTES` are queued."""
_LOOK_SECONDS = 1.0
_monotonic: Final = time.monotonic


def header_line() -> bytes:
    """The first line of a new trace file."""
    created = datetime.datetime.now(datetime.timezone.utc).astimezone().isoformat(timespec="seconds")
    header = {"format": FORMAT, "version": VERSION, "created": created, "tracer": __about__.__version__}
    return orjson.dumps(header, option=_OPT)


def dumps_record(record: dict[str, Any]) -> bytes:
    """One record as a JSON line (with its newline)."""
    try:
        return _orjson_dumps(record, option=_OPT)
    except (TypeError, orjson.JSONEncodeError):
        return _stdlib_line(record)


def _stdlib_line(record: dict[str, Any]) -> bytes:
    # orjson refuses lone surrogates; the stdlib escapes them instead.
    return json.dumps(record, ensure_ascii=True, separators=(",", ":")).encode("ascii") + b"\n"


class _TraceFile:
    """The file a `JsonlSink` appends to, and the lines waiting for it.

    Everything a request does to the file happens here. Compiled, this is a
    native class, whose attributes and methods are reached directly; the sink
    around it stays a regular class, which can be weakly referenced
    (`_live_sinks`) and subclassed.
    """

    def __init__(self, path: str, max_bytes: int | None, backups: int, failures: FailureReporter) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self.backups = backups
        self.failures = failures
        self.identity: tuple[int, int] = (0, 0)
        self.next_look = 0.0
        # Lines of ended traces (one bytes each) and of single events, in order.
        self.queue: collections.deque[bytes] = collections.deque()
        self.queued = 0  # bytes of ended traces in the queue
        # The lines of traces in progress, each in its own list: the writer thread
        # takes what they hold every flush_interval.
        self.live: dict[Any, list[bytes]] = {}
        self.pending = 0
        self.write_lock = threading.Lock()
        # Held while a trace's lines are taken from its list: by a flush taking what a trace in progress
        # holds so far, and by a trace that ended while another thread writes, to queue the rest.
        self.taking_lock = threading.Lock()
        self.started = False
        """The sink's writer thread has been started (it starts with the first event)."""
        self.warned_moved = False
        self.needs_header = False
        self.carry = b""  # the unwritten rest of a line cut short by a failed write
        self.fd = -1
        self.fd = self.open()

    def open(self) -> int:
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0), 0o600)
        except OSError as exc:
            raise TraceFileError(f"{self.path}: cannot open for writing: {exc.strerror or exc}") from None
        try:
            # Several worker processes may create the file at once: one header only.
            with _exclusive(fd):
                if os.fstat(fd).st_size == 0:
                    try:
                        _write_all(fd, header_line())
                    except OSError as exc:
                        # A full disk must not stop the app: report it, and write the
                        # header with the first lines that can be written.
                        self.needs_header = True
                        self.failures.report(exc)
                else:
                    _check_existing_header(self.path)
        except (OSError, TraceFileError) as exc:
            os.close(fd)
            if isinstance(exc, TraceFileError):
                raise
            raise TraceFileError(f"{self.path}: cannot read it back: {exc.strerror or exc}") from None
        stat = os.fstat(fd)
        self.identity = (stat.st_dev, stat.st_ino)
        return fd

    def follow_path(self) -> None:
        """Write to the file now at `path` if ours was deleted, replaced or rotated by another process."""
        try:
            stat = os.stat(self.path)
            same = (stat.st_dev, stat.st_ino) == self.identity
        except FileNotFoundError:
            same = False
        if same:
            return
        # Under load a writer can miss several rotations by other processes: ours may be any backup by now.
        rotated = self.max_bytes is not None and any(
            _identity(f"{self.path}.{number}") == self.identity for number in range(1, self.backups + 1)
        )
        try:
            fd = self.open()
        except TraceFileError as exc:
            self.failures.report(OSError(str(exc)))
            return
        os.close(self.fd)
        self.fd = fd
        if not rotated and not self.warned_moved:
            # Another process's rotation is expected; a file deleted under a running server is worth one line.
            self.warned_moved = True
            warnings.warn(
                f"{self.path} was deleted or replaced while tracer was writing to it; writing to a new file there",
                TracerWarning,
                stacklevel=2,
            )

    def rotate(self) -> None:
        """Rename the full file to ``.1`` (shifting older ones) and start a new one, unless another process just did."""
        with _exclusive(self.fd):
            try:
                stat: os.stat_result | None = os.stat(self.path)
            except FileNotFoundError:
                stat = None
            if stat is not None and (stat.st_dev, stat.st_ino) == self.identity and stat.st_size >= (self.max_bytes or 0):
                for number in range(self.backups - 1, 0, -1):
                    older = f"{self.path}.{number}"
                    if os.path.exists(older):
                        os.replace(older, f"{self.path}.{number + 1}")
                os.replace(self.path, f"{self.path}.1")
        fd = self.open()
        os.close(self.fd)
        self.fd = fd

    def add_line(self, line: bytes, ends_trace: bool) -> None:
        """Queue the line of an event recorded outside a trace's own list (`JsonlSink.write`)."""
        self.queue.append(line)
        self.pending += len(line)
        if self.pending >= _BATCH_BYTES or ends_trace:
            self.flush(False, True)

    def begin_trace(self, session: Any) -> list[bytes]:
        """A new list for the lines of `session`'s trace, followed until `end_trace`."""
        lines: list[bytes] = []
        self.live[session] = lines
        return lines

    def end_trace(self, session: Any, defer: bool) -> None:
        """Write a trace's lines, now complete, after what is queued; or queue them for the writer thread.

        They are queued with `defer` (a request served by one of many threads, or by an event loop:
        a write here would hand the GIL to another request and wait to take it back, and the writer
        thread writes a whole batch at once within ``flush_interval``), and when another thread is
        writing; either way up to `_QUEUE_LIMIT` traces and `_QUEUE_BYTES`.
        """
        lines = self.live.pop(session, None)
        if defer and lines and self.has_room():
            self.queue_trace(lines)
            return
        lock = self.write_lock
        if not lock.acquire(blocking=False):
            if lines is None:
                return
            # The thread writing is behind (a busy process can keep it off the GIL for a while): past
            # the limit, wait for it rather than hold ever more traces in memory. The wait is bounded:
            # this very thread may hold the lock (a response collected by the garbage collector while
            # it writes ends its trace here), and an ASGI server's event loop waits with it.
            if self.has_room() or not lock.acquire(timeout=_QUEUE_WAIT):
                self.queue_trace(lines)
                return
        try:
            self.flush_locked(False, lines)
        finally:
            lock.release()

    def has_room(self) -> bool:
        """Whether the queue takes another ended trace (`_QUEUE_LIMIT` traces, `_QUEUE_BYTES`)."""
        return len(self.queue) < _QUEUE_LIMIT and self.queued < _QUEUE_BYTES

    def queue_trace(self, lines: list[bytes]) -> None:
        """Queue an ended trace's lines as one bytes of their size.

        Each line orjson makes holds a buffer of at least 4 KiB (15-20 times a short line),
        which a backlog would keep, and the allocator's heap after it.
        """
        with self.taking_lock:  # a flush may be taking the first lines of this trace
            joined = b"".join(lines)
        self.queue.append(joined)
        self.queued += len(joined)

    def flush(self, wait: bool, live: bool) -> None:
        """Write what is queued (and with `live`, what traces in progress hold); unless `wait`, not if another thread writes."""
        if not self.write_lock.acquire(blocking=wait):
            return
        try:
            self.flush_locked(live, None)
        finally:
            self.write_lock.release()

    def flush_locked(self, live: bool, last: list[bytes] | None) -> None:
        """`flush`'s work, with the write lock held; `last`: an ended trace's lines, written after the queue's."""
        queue = self.queue
        self.pending = 0
        self.queued = 0
        if self.fd < 0:
            queue.clear()  # closed: nothing can be written any more
            return
        if not queue and not self.carry and not (live and self.live):
            # The common case, a trace ending with nothing else waiting: its own list, as it is.
            lines = last
            if not lines:
                return
        else:
            lines = [self.carry] if self.carry else []
            if live and self.live:
                # Only appends happen to these lists meanwhile, so their first `count`
                # lines stay put; a trace that ends now queues what is left after them,
                # written after these lines (this thread holds the write lock).
                with self.taking_lock:
                    for held in list(self.live.values()):
                        count = len(held)
                        if count:
                            lines += held[:count]
                            del held[:count]
            popleft = queue.popleft
            try:
                while True:
                    lines.append(popleft())
            except IndexError:
                pass
            if last:
                lines += last
            if not lines:
                return
        self.write_out(lines)

    def write_out(self, lines: list[bytes]) -> None:
        """Write `lines` (with the write lock held), after a look at the path and before a rotation if due."""
        now = _monotonic()
        if now >= self.next_look:
            # At most once a second: a stat per request would cost every request a system call.
            self.next_look = now + _LOOK_SECONDS
            self.follow_path()
        if self.needs_header and os.fstat(self.fd).st_size == 0:
            lines.insert(0, header_line())
        try:
            fd = self.fd
            if len(lines) > _IOV_MAX:
                _write_lines(fd, lines)
            else:
                # The usual case, one call for all of them; _write_lines goes on after a short write.
                written = os.writev(fd, lines)
                if written != sum(map(len, lines)):
                    _write_lines(fd, lines, written)
        except OSError as exc:
            # Keep the rest of a line cut short, so that the file never holds a torn line.
            self.carry = getattr(exc, "unwritten_tail", b"")
            self.failures.report(exc)
        else:
            self.carry = b""
            self.needs_header = False
            if self.max_bytes is not None and os.fstat(self.fd).st_size >= self.max_bytes:
                try:
                    self.rotate()
                except OSError as exc:
                    self.failures.report(exc)

    def close(self) -> None:
        """Close the file (with the write lock held by the caller or by no one)."""
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def after_fork(self) -> None:
        # The parent's lines are the parent's to write; the lock may have been held by a thread that is gone.
        self.started = False
        self.write_lock = threading.Lock()
        self.taking_lock = threading.Lock()
        self.queue.clear()
        self.queued = 0
        self.live = {}


# A regular class with compiled methods: a native one cannot be weakly referenced (_live_sinks).
@mypyc_attr(native_class=False)
class JsonlSink:
    """Appends events to a trace file as JSON Lines.

    The file is created with mode 0600 (owner only) and gets a header when it
    is new or empty; an existing trace file is appended to. Each event is
    encoded when it happens; lines are written whole when their trace ends,
    and at most `flush_interval` seconds after the event otherwise, so the
    file can be followed while the app runs. Requests served by one of many
    threads (``wsgi.multithread``) or by an ASGI event loop leave the write to
    the sink's own thread, which writes them in batches within `flush_interval`:
    a write in the request's thread would hand the GIL to another request and
    wait to take it back. A failed write (a full disk) is reported once as a
    `TracerWarning` and never reaches the app.

    A server left running for days: if the file is deleted or replaced
    (logrotate, a user clearing it), the sink notices within a second, as
    `logging.handlers.WatchedFileHandler` does, warns once and writes to a new
    file at `path`. With `max_bytes`, it rotates the file itself: ``traces.jsonl``
    becomes ``traces.jsonl.1`` (and ``.1`` becomes ``.2``…, keeping `backups`
    old files), and readers open the set as one file.

    Args:
        path: The trace file.
        flush_interval: Longest time in seconds an event waits before it is written.
        max_bytes: Rotate once the file reaches this size; None never rotates.
        backups: How many rotated files to keep (the oldest is deleted).

    Raises:
        TraceFileError: The file cannot be opened, or is not a trace file.
        UsageError: `flush_interval`, `max_bytes` or `backups` is not a positive number (finite, int for the last two).
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        # Any: compiled, float and int would be checked at the call, before the one-line UsageErrors below.
        flush_interval: Any = 0.05,
        max_bytes: Any = None,
        backups: Any = 5,
    ) -> None:
        if isinstance(flush_interval, bool) or not isinstance(flush_interval, (int, float)) or not 0 < flush_interval < math.inf:
            raise UsageError(f"flush_interval must be a positive number of seconds, not {flush_interval!r}")
        if max_bytes is not None and (not isinstance(max_bytes, int) or isinstance(max_bytes, bool) or max_bytes <= 0):
            raise UsageError(f"max_bytes must be a positive int or None, not {max_bytes!r}")
        if not isinstance(backups, int) or isinstance(backups, bool) or backups < 1:
            raise UsageError(f"backups must be a positive int, not {backups!r}")
        self.path = os.fspath(path)
        self.flush_interval = flush_interval
        self.max_bytes = max_bytes
        self.backups = backups
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        self._failures = FailureReporter(f"writing trace file {self.path!r}")
        self._file = _TraceFile(self.path, max_bytes, backups, self._failures)
        _live_sinks.add(self)

    @property
    def _queue(self) -> collections.deque[bytes]:
        """Lines of ended traces (one bytes each) and of single events, in order, waiting to be written."""
        return self._file.queue

    @property
    def _write_lock(self) -> threading.Lock:
        """Held by the thread writing to the file."""
        return self._file.write_lock

    def write(self, record: dict[str, Any]) -> None:
        """Accept one event record (the sink protocol); it reaches the file within `flush_interval`."""
        if not self._file.started:
            self._start()
        # Encoding here, while the record is fresh in the cache, and writing when a
        # trace ends (or _BATCH_BYTES are pending) keeps memory small and reused.
        try:
            line = _orjson_dumps(record, option=_OPT)
        except (TypeError, orjson.JSONEncodeError):
            line = _stdlib_line(record)
        self._file.add_line(line, record["kind"] in END_KINDS)

    def _trace_file(self) -> _TraceFile:
        """Where a `LineSession` puts its trace's lines (starting the writer thread with the first trace)."""
        if not self._file.started:
            self._start()
        return self._file

    def _start(self) -> None:
        with self._start_lock:
            if self._closed:
                raise TraceFileError(f"{self.path}: the sink is closed")
            if self._thread is None:
                thread = threading.Thread(target=self._run, name="tracer-jsonl-writer", daemon=True)
                thread.start()
                self._thread = thread
                self._file.started = True

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval):
            self.flush()

    # Any, not bool: compiled, a bool annotation would refuse the 0 and 1 pure Python takes.
    def flush(self, wait: Any = True, live: Any = True) -> None:
        """Write every queued event now, from the calling thread.

        Args:
            wait: If false and another thread is writing, return at once.
            live: Also write what the traces in progress hold so far.
        """
        self._file.flush(bool(wait), bool(live))

    def close(self) -> None:
        """Write what is queued, stop the writer thread and close the file. Idempotent."""
        with self._start_lock:
            if self._closed:
                return
            self._closed = True
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self.flush()
        with self._file.write_lock:
            self._file.close()
        _live_sinks.discard(self)

    def __enter__(self) -> JsonlSink:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"JsonlSink({self.path!r})"

    def _after_fork(self) -> None:
        # The writer thread does not survive fork(); the child starts its own.
        self._thread = None
        self._start_lock = threading.Lock()
        self._stop = threading.Event()
        self._file.after_fork()


_live_sinks: weakref.WeakSet[JsonlSink] = weakref.WeakSet()


def _close_live_sinks() -> None:
    for sink in list(_live_sinks):
        try:
            sink.close()
        except Exception:  # noqa: BLE001 - never fail interpreter exit
            pass


def _reset_after_fork() -> None:
    for sink in list(_live_sinks):
        sink._after_fork()


atexit.register(_close_live_sinks)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_after_fork)


_IOV_MAX: Final = 1024


def _write_lines(fd: int, lines: list[bytes], written: int = 0) -> None:
    """Write whole lines with as few system calls (and copies) as possible; the first `written` bytes are out already.

    Raises:
        OSError: With ``unwritten_tail``: the rest of a line the failure cut short (or b"").
    """
    index, offset, count = 0, 0, len(lines)
    while index < count:
        if written:
            while written and index < count:
                left_in_line = len(lines[index]) - offset
                if written >= left_in_line:
                    written -= left_in_line
                    index += 1
                    offset = 0
                else:
                    offset += written
                    written = 0
            continue
        if index or offset or count > _IOV_MAX:
            group = lines[index : index + _IOV_MAX]
            if offset:
                group[0] = group[0][offset:]
        else:
            group = lines  # the usual case: one call for all of them, without a copy of the list
        try:
            written = os.writev(fd, group)
        except OSError as exc:
            exc.unwritten_tail = lines[index][offset:] if offset else b""  # type: ignore[attr-defined]
            raise
        if written == sum(map(len, group)):
            index += len(group)
            offset = 0
            written = 0


@contextlib.contextmanager
def _exclusive(fd: int) -> Iterator[None]:
    """Hold an advisory lock on the file (where the platform has one)."""
    try:
        import fcntl
    except ImportError:  # not POSIX
        yield
        return
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _identity(path: str) -> tuple[int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_dev, stat.st_ino)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _check_existing_header(path: str) -> None:
    with open(path, "rb") as handle:
        first = handle.readline()
    check_header(first, path)
