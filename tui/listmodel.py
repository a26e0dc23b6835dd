"""`RequestList`: what the request list shows, kept without Textual.

It keeps the store of trace summaries that the scan found, and maintains a
filtered, ordered view onto it (mitmproxy's ``addons/view.py``), with what
goes with it: the filter and its search through events, the sort order,
the protocol marks of the rows, the request marked for comparing, and a
cache of loaded traces. Screens and palette commands call its methods; it
announces each change through `RequestList.changed`, and the screen redraws
from it.

    requests = RequestList(index, checker=check_trace)
    requests.changed.connect(lambda change: print(change))
    requests.take_scan(index.scan().summaries, progress=1.0, done=True)
    requests.set_filter("~m POST")    # False (and `filter_error`) for a bad expression
    requests.set_order("duration")
    requests.rows                     # the summaries to show, in order

Every method that changes state runs on the UI thread, and so does every
change to the summaries it holds: the scan hands over new summaries, never
changing one it has handed over, and `take_scan` copies a grown trace's
state into the summary the list already holds. Work that reads trace files
(the search through events, the protocol checks) runs in worker threads
through the thread-safe `load`, `check` and `Search.run`; their
results come back as data, in messages, and are taken in on the UI thread
by `take_matches` and `take_marks`.
"""

from __future__ import annotations

import enum
import threading
import time
from bisect import insort
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

from tracer.index import Problem, TraceIndex
from tracer.model import Trace
from tracer.summary import TraceSummary

from . import format as fmt

if TYPE_CHECKING:
    from .filters import Deep, Filter

# The filter language is imported with the first expression typed (or trace read), not before the list paints.

SORT_KEYS = ("time", "duration", "status")
"""Orders of the list: ``time`` is the start time (ties in file order)."""
COLUMN_SORT_KEYS = (*SORT_KEYS, "worker")
"""Orders a click on a column's heading can choose: also ``worker``, a column only files of several processes have."""

CACHE_SIZE = 256
"""Loaded traces kept in memory."""

Checker = Callable[[Trace], "list[Any]"]
SortKey = Callable[[TraceSummary], tuple[float, ...]]


class Change(enum.Flag):
    """What changed in a `RequestList`, as its `changed` signal says."""

    ROWS = enum.auto()
    """Rows were added, removed or reordered (`rows` may be a new list)."""
    ADDED = enum.auto()
    """Some of those rows are new traces from the scan (a followed list keeps its tail)."""
    CONTENT = enum.auto()
    """What rows show changed, not their order: marks, traces that grew."""
    TRACES = enum.auto()
    """The store gained traces, or traces gained events (a filter that reads events has more to read)."""
    FILTER = enum.auto()
    """A new filter was applied (`expression`)."""
    STATUS = enum.auto()
    """Counts, progress, problems, or the filter's error."""


class Signal:
    """A list of receivers called in order with what changed."""

    def __init__(self) -> None:
        self._receivers: list[Callable[[Change], None]] = []

    def connect(self, receiver: Callable[[Change], None]) -> None:
        """Call `receiver` on every change."""
        self._receivers.append(receiver)

    def disconnect(self, receiver: Callable[[Change], None]) -> None:
        """Stop calling `receiver`."""
        if receiver in self._receivers:
            self._receivers.remove(receiver)

    def send(self, change: Change) -> None:
        """Call every receiver with `change`."""
        for receiver in list(self._receivers):
            receiver(change)


def check_trace(trace: Trace, *, live: bool = False) -> list[Any]:
    """`tracer.checks.check_trace`, imported when first called: the list paints before the checks load."""
    from tracer.checks import check_trace as check

    return check(trace, live=live)


def _sort_key(name: str, reverse: bool) -> SortKey:
    """A key that puts the rows in display order, ascending (so new rows can be inserted by bisection).

    Reversing reverses the order of the sort key; rows that tie on it stay in
    start order (then file order) either way.
    """
    primary: Callable[[TraceSummary], tuple[float, ...]]
    if name == "duration":
        primary = lambda s: (s.duration_ns,)  # noqa: E731
    elif name == "status":
        primary = lambda s: (s.status is None, s.status or 0)  # noqa: E731
    elif name == "worker":
        # A tag is 8 hex digits: as a number it sorts as its text does, and reverses by negation.
        primary = lambda s: (int(s.worker, 16) if s.worker else -1,)  # noqa: E731
    else:
        primary = lambda s: (s.start,)  # noqa: E731
    if reverse:
        return lambda s: (*(-part for part in primary(s)), s.start, s.number)
    return lambda s: (*primary(s), s.start, s.number)


class Search:
    """One pass of a filter that reads events over the traces it has not read yet.

    Attributes:
        generation: Which filter (a newer one makes the results stale).
        filter: The compiled filter.
        todo: The traces to read, with how many events each had when the pass began.
    """

    # Plain classes (this and `_Scan`): making a dataclass costs about 0.4 ms, and this module is imported before
    # the list paints its first rows.
    __slots__ = ("generation", "filter", "todo")

    def __init__(self, generation: int, filter: Filter, todo: list[tuple[TraceSummary, int]]) -> None:
        self.generation = generation
        self.filter = filter
        self.todo = todo

    def run(
        self,
        load: Callable[[TraceSummary], Deep],
        report: Callable[[dict[int, tuple[int, bool]], float], None],
        stop: Callable[[], bool] = lambda: False,
        every: float = 0.25,
    ) -> None:
        """Test every trace of `todo` (in a worker thread), reporting results every `every` seconds.

        Args:
            load: Reads a trace's events (`RequestList.load`).
            report: Called with trace number -> (events it had, whether it matches), and progress 0 to 1.
            stop: Polled between traces; the pass ends early when it returns True.
        """
        results: dict[int, tuple[int, bool]] = {}
        next_report = time.monotonic() + every
        total = len(self.todo)
        for i, (summary, events) in enumerate(self.todo):
            if stop():
                return
            try:
                matched = self.filter.matches(summary, partial(load, summary))
            except Exception:  # noqa: BLE001 - one odd trace must not end the search
                matched = False
            results[summary.number] = (events, matched)
            if time.monotonic() >= next_report:
                report(results, (i + 1) / total)
                results = {}
                next_report = time.monotonic() + every
        report(results, 1.0)


class _Scan:
    __slots__ = ("scanning", "progress", "error", "problems", "cut_line", "waiting")

    def __init__(self) -> None:
        self.scanning = True
        self.progress = 0.0
        self.error = ""
        self.problems: list[Problem] = []
        self.cut_line: int | None = None
        self.waiting = False


class _Cache:
    """A small thread-safe LRU cache of loaded traces, by trace id."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[str, Deep] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> Deep | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def set(self, key: str, value: Deep) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class RequestList:
    """The store of trace summaries and a filtered, ordered view onto it.

    Args:
        index: The trace file's index (read for trace events, never for its list).
        checker: The protocol checks, for `~violation` and the rows' marks.
        live: The file is followed as it grows.
        cache_size: How many loaded traces to keep.
    """

    def __init__(self, index: TraceIndex, *, checker: Checker, live: bool = False, cache_size: int = CACHE_SIZE) -> None:
        self.index = index
        self.path = index.path
        self.live = live
        self.checker = checker
        self.changed = Signal()
        """Sent with a `Change` after every change, on the UI thread."""
        self.store: list[TraceSummary] = []
        """Every trace taken from the scan, in order of first appearance (`summary.number` is its place)."""
        self.workers: set[str] = set()
        """The worker tags (`TraceSummary.worker`) of the traces in the store: more than one, several processes wrote the file."""
        self._by_id: dict[str, TraceSummary] = {}
        self.rows: list[TraceSummary] = []
        """The traces that pass the filter, in the current order (a new list at each change, never changed in place)."""
        self.expression = ""
        self.filter: Filter | None = None
        self.filter_error = ""
        """Why the last expression typed or applied is not valid ("" when it is)."""
        self.sort_key = "time"
        self.reverse = False
        self._key = _sort_key("time", False)
        self.matches: set[int] = set()
        """Numbers of the traces that match a filter that reads events."""
        self.search_progress = 1.0
        self._checked: dict[int, int] = {}
        """Trace number -> how many events it had when the filter read it."""
        self._generation = 0
        self._marks: dict[int, tuple[int, str]] = {}
        """Trace number -> (events it had when checked, worst finding)."""
        self._scan = _Scan()
        self._cache = _Cache(cache_size)
        self._compare_mark: TraceSummary | None = None

    # What the status line and the empty list say.

    @property
    def scanning(self) -> bool:
        """The first pass over the file has not finished."""
        return self._scan.scanning

    @property
    def progress(self) -> float:
        """How much of the file the first pass has read, 0 to 1."""
        return self._scan.progress

    @property
    def scan_error(self) -> str:
        """Why the file could not be read, if it could not."""
        return self._scan.error

    @property
    def problems(self) -> list[Problem]:
        """Lines of the file that could not be read."""
        return self._scan.problems

    @property
    def cut_line(self) -> int | None:
        """The last line, when it was cut off mid-write."""
        return self._scan.cut_line

    @property
    def waiting(self) -> bool:
        """The file is followed and does not exist yet: the scan looks for it again and again."""
        return self._scan.waiting

    @property
    def generation(self) -> int:
        """Counts the filters applied: a search's results for an older one are stale."""
        return self._generation

    @property
    def searching(self) -> bool:
        """A filter that reads events is still reading them."""
        return self.filter is not None and self.filter.needs_events and self.search_progress < 1

    def empty_reason(self) -> str:
        """What an empty list says, so it never looks broken."""
        if self._scan.error:
            return self._scan.error
        if self.store and self.filter is not None:
            return "searching the traces…" if self.searching else "no trace matches the filter (c clears it)"
        if self._scan.scanning:
            return "reading the file…"
        if self._scan.waiting:
            return f"no requests yet: waiting for {fmt.line(self.path)} to be created"
        if self.live:
            return f"no requests yet: waiting for the app to write to {fmt.line(self.path)}"
        return "no requests in this file"

    # Taking in what the scan found.

    def take_scan(
        self,
        summaries: Iterable[TraceSummary] = (),
        *,
        problems: Iterable[Problem] = (),
        progress: float = 1.0,
        done: bool = False,
        cut_line: int | None = None,
        waiting: bool = False,
    ) -> None:
        """Take in the traces a scan found or that grew.

        A trace seen before comes as a new summary (the scan never changes one
        it has handed out); its state is copied into the summary the list
        holds, here on the UI thread, so rows, the open replay and anything
        else holding it see the trace as it is now.

        Args:
            summaries: New traces and grown ones, as they are now, in order of first appearance.
            problems: Lines that could not be read.
            progress: How much of the file has been read, 0 to 1.
            done: The first full pass over the file has finished.
            cut_line: The last line, if it was cut off mid-write.
            waiting: The file is followed and does not exist yet.
        """
        store = self.store
        known = len(store)
        fresh: list[TraceSummary] = []
        updated: set[int] = set()
        for summary in summaries:
            number = summary.number
            if number < known:
                held = store[number]
                if summary.events > held.events:  # newer than what the list holds (a message may come twice)
                    _take_state(held, summary)
                    updated.add(number)
            elif number == len(store):
                store.append(summary)
                fresh.append(summary)
                self.workers.add(summary.worker)
                self._by_id.setdefault(summary.id, summary)
        self._scan.problems.extend(problems)
        self._scan.progress = progress
        self._scan.cut_line = cut_line
        self._scan.waiting = waiting
        if done:
            self._scan.scanning = False
        change = Change.STATUS
        if fresh or updated:
            change |= Change.TRACES
        if self.filter is not None and self.filter.needs_events:
            if fresh or updated:
                change |= Change.CONTENT  # The search reads them; rows change when it reports.
        elif updated and (self.filter is not None or self.sort_key != "time"):
            self._rebuild()  # A trace that grew may now pass, or sort elsewhere.
            change |= Change.ROWS | Change.ADDED
        else:
            if self._insert(fresh):
                change |= Change.ROWS | Change.ADDED
            if updated:
                change |= Change.CONTENT
        self.changed.send(change)

    def find(self, trace_id: str) -> TraceSummary | None:
        """The trace of that id, if the scan has found it."""
        return self._by_id.get(trace_id)

    def scan_failed(self, message: str) -> None:
        """The file could not be read at all."""
        self._scan.scanning = False
        self._scan.error = message
        self.changed.send(Change.STATUS)

    def _passes(self, summary: TraceSummary) -> bool:
        if self.filter is None:
            return True
        if self.filter.needs_events:
            return summary.number in self.matches
        return self.filter.matches(summary, _no_events)

    def _rebuild(self) -> None:
        rows = [s for s in self.store if self._passes(s)] if self.filter is not None else list(self.store)
        rows.sort(key=self._key)
        self.rows = rows

    def _insert(self, summaries: Sequence[TraceSummary]) -> bool:
        """Put `summaries` in their places; whether any was shown."""
        new = [s for s in summaries if self._passes(s)]
        if not new:
            return False
        key, rows = self._key, list(self.rows)
        if len(new) <= 64:
            for summary in new:
                if not rows or key(summary) >= key(rows[-1]):
                    rows.append(summary)
                else:
                    insort(rows, summary, key=key)
        else:
            in_order = all(key(a) <= key(b) for a, b in zip(new, new[1:]))
            tail = not rows or key(new[0]) >= key(rows[-1])
            rows.extend(new)
            if not (in_order and tail):
                rows.sort(key=key)
        self.rows = rows
        return True

    # Filter

    def check_expression(self, expression: str) -> str:
        """Note whether `expression` (being typed) is valid, for the status line; returns its error or ""."""
        from .filters import FilterError, parse

        try:
            parse(expression)
        except FilterError as exc:
            error = str(exc)
        else:
            error = ""
        if error != self.filter_error:
            self.filter_error = error
            self.changed.send(Change.STATUS)
        return error

    def set_filter(self, expression: str) -> bool:
        """Filter the list by `expression`; a bad one leaves the list as it was.

        Returns:
            Whether the expression was valid (if not, `filter_error` says why).
        """
        from .filters import FilterError, parse

        try:
            compiled = parse(expression)
        except FilterError as exc:
            self.filter_error = str(exc)
            self.changed.send(Change.STATUS)
            return False
        self.filter_error = ""
        self.filter = compiled
        self.expression = expression.strip()
        self._generation += 1
        self.matches = set()
        self._checked = {}
        self.search_progress = 0.0 if compiled is not None and compiled.needs_events else 1.0
        self._rebuild()
        self.changed.send(Change.FILTER | Change.ROWS | Change.STATUS)
        return True

    def search(self) -> Search | None:
        """The next pass a filter that reads events needs: the traces it has not read, or that grew since.

        None when there is nothing to read (then `search_progress` is 1).
        """
        if self.filter is None or not self.filter.needs_events:
            return None
        checked = self._checked
        todo = [(s, s.events) for s in self.store if checked.get(s.number) != s.events]
        if not todo:
            self.search_progress = 1.0
            return None
        return Search(self._generation, self.filter, todo)

    def take_matches(self, generation: int, results: dict[int, tuple[int, bool]], progress: float) -> None:
        """Take in what a search pass found (stale results, of an older filter, are ignored)."""
        if generation != self._generation:
            return
        for number, (events, matched) in results.items():
            self._checked[number] = events
            if matched:
                self.matches.add(number)
            else:
                self.matches.discard(number)
        self.search_progress = progress
        self._rebuild()
        self.changed.send(Change.ROWS | Change.STATUS)

    # Order

    def set_order(self, key: str | None = None, reverse: bool | None = None) -> None:
        """Sort by `key` (one of `COLUMN_SORT_KEYS`), reversed or not; None keeps that part as it is."""
        if key is not None:
            if key not in COLUMN_SORT_KEYS:
                raise ValueError(f"cannot sort by {key!r}: one of {', '.join(COLUMN_SORT_KEYS)}")
            self.sort_key = key
        if reverse is not None:
            self.reverse = reverse
        self._key = _sort_key(self.sort_key, self.reverse)
        self.rows = sorted(self.rows, key=self._key)
        self.changed.send(Change.ROWS | Change.STATUS)

    def next_order(self) -> None:
        """Sort by the next of `SORT_KEYS` (from ``worker``, back to the first)."""
        at = SORT_KEYS.index(self.sort_key) if self.sort_key in SORT_KEYS else -1
        self.set_order(SORT_KEYS[(at + 1) % len(SORT_KEYS)])

    def sort_by_column(self, column: str) -> None:
        """A click on a column heading: sort by it (ascending first), or reverse when it is the order already."""
        if column not in COLUMN_SORT_KEYS:
            return
        if column == self.sort_key:
            self.set_order(reverse=not self.reverse)
        else:
            self.set_order(column, reverse=False)

    # Loaded traces, marks

    def load(self, summary: TraceSummary) -> Deep:
        """A trace's lines and events (and findings, on demand), cached; safe to call from a worker thread."""
        deep = self._cache.get(summary.id)
        if deep is None or deep.lines is None or len(deep.lines) != summary.events:
            from .filters import Deep

            lines = list(self.index.read_lines(summary))
            deep = Deep(partial(self.index.decode_lines, summary, lines), self.checker, lines)
            self._cache.set(summary.id, deep)
        return deep

    def trace(self, summary: TraceSummary) -> tuple[Trace, list[Any]]:
        """A trace's events and its protocol findings, as the replay shows them.

        This reads on the UI thread: a trace is a few preads (0.03 ms measured).
        """
        deep = self.load(summary)
        return deep.trace, deep.findings

    def check(self, summary: TraceSummary) -> tuple[int, str]:
        """Run the protocol checks on a trace (in a worker thread).

        Returns:
            How many events it had, and its worst finding: ``"error"``, ``"warning"`` or ``""``.
        """
        events = summary.events
        try:
            severities = {finding.severity for finding in self.load(summary).findings}
        except Exception:  # noqa: BLE001 - an unreadable trace just shows no mark
            return events, ""
        return events, "error" if "error" in severities else "warning" if "warning" in severities else ""

    def mark_of(self, summary: TraceSummary) -> str | None:
        """The row's mark: ``"error"``, ``"warning"``, ``""`` for none, None until checked (again)."""
        mark = self._marks.get(summary.number)
        if mark is None or mark[0] != summary.events:
            return None
        return mark[1]

    def unmarked(self, summaries: Iterable[TraceSummary]) -> list[TraceSummary]:
        """The complete traces of `summaries` whose marks are not known (or that grew since)."""
        return [s for s in summaries if s.complete and self.mark_of(s) is None]

    def take_marks(self, marks: dict[int, tuple[int, str]]) -> None:
        """Take in what `check` found: trace number -> (events, worst finding)."""
        self._marks.update(marks)
        self.changed.send(Change.CONTENT)


    # The request marked for comparing

    @property
    def compare_mark(self) -> TraceSummary | None:
        """The request marked to compare others against (``m`` in the list), if any."""
        return self._compare_mark

    def is_compare_marked(self, summary: TraceSummary) -> bool:
        """Whether `summary` is the request marked for comparing."""
        marked = self._compare_mark
        return marked is not None and marked.number == summary.number

    def toggle_compare_mark(self, summary: TraceSummary) -> bool:
        """Mark `summary` for comparing, or unmark it if it is the marked one; one request is marked at a time.

        Returns:
            Whether `summary` is marked now.
        """
        marked = not self.is_compare_marked(summary)
        self._compare_mark = summary if marked else None
        self.changed.send(Change.CONTENT | Change.STATUS)
        return marked


_FIELDS = TraceSummary.__slots__


def _take_state(held: TraceSummary, new: TraceSummary) -> None:
    """Make `held` say what `new` says (its spans become `new`'s, which no one changes any more)."""
    for name in _FIELDS:
        setattr(held, name, getattr(new, name))


def _no_events() -> Deep:
    raise RuntimeError("this filter does not read events")


__all__ = ["CACHE_SIZE", "SORT_KEYS", "Change", "RequestList", "Search", "Signal"]
