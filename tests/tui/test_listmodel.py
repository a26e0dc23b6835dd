"""The request list's model: store, filter, start order, search through events, marks, cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tui.conftest import fixed_checker, fixture
from tracer.index import TraceIndex
from tui.listmodel import Change, RequestList


def trace_lines(trace_id: str, start: float, *, path: str = "/", status: int = 200, end_ns: int = 1000) -> list[str]:
    """The lines of a small complete ASGI http trace."""
    records = [
        {"trace": trace_id, "seq": 0, "t_ns": 0, "kind": "asgi.scope", "protocol": "asgi", "scope_type": "http",
         "start": start, "data": {"scope": {"type": "http", "method": "GET", "path": path}}},
        {"trace": trace_id, "seq": 1, "t_ns": 10, "kind": "asgi.send",
         "data": {"message": {"type": "http.response.start", "status": status, "headers": []}}},
        {"trace": trace_id, "seq": 2, "t_ns": end_ns, "kind": "asgi.end", "data": {}},
    ]
    return [json.dumps(record) + "\n" for record in records]


HEADER = '{"format": "tracer", "version": 1}\n'


def write(path: Path, *traces: list[str], mode: str = "w") -> None:
    with open(path, mode, encoding="utf-8") as out:
        if mode == "w":
            out.write(HEADER)
        for lines in traces:
            out.writelines(lines)


def model(path: Path | str, **options) -> tuple[RequestList, TraceIndex, list[Change]]:  # type: ignore[no-untyped-def]
    index = TraceIndex(str(path))
    requests = RequestList(index, checker=fixed_checker, **options)
    changes: list[Change] = []
    requests.changed.connect(changes.append)
    return requests, index, changes


def scan(requests: RequestList, index: TraceIndex) -> None:
    """What the app does with a scan: hand the new and grown summaries to the model."""
    result = index.scan()
    requests.take_scan(result.summaries, problems=result.problems, done=True)


def ids(requests: RequestList) -> list[str]:
    return [s.id for s in requests.rows]


def test_the_model_and_the_filters_never_import_textual() -> None:
    code = (
        "import sys, tui.listmodel, tui.filters\n"
        "bad = [m for m in sys.modules if m.split('.')[0] == 'textual']\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_time_order_is_start_order_not_the_order_traces_were_written(tmp_path: Path) -> None:
    # Written as they completed: the slow request that started first comes last in the file.
    path = tmp_path / "t.jsonl"
    write(path, trace_lines("second", 2.0), trace_lines("third", 3.0), trace_lines("first", 1.0, end_ns=5000),
          trace_lines("tie", 2.0))
    requests, index, changes = model(path)
    scan(requests, index)
    assert [s.id for s in requests.store] == ["second", "third", "first", "tie"]
    assert ids(requests) == ["first", "second", "tie", "third"]  # equal starts: file order
    requests.set_order(reverse=True)
    assert ids(requests) == ["third", "second", "tie", "first"]  # reversed; a tie stays in file order
    requests.set_order("duration", reverse=False)
    assert ids(requests)[-1] == "first"
    requests.sort_by_column("duration")
    assert requests.reverse and ids(requests)[0] == "first"
    requests.sort_by_column("time")
    assert (requests.sort_key, requests.reverse) == ("time", False)  # another column: ascending first
    requests.next_order()
    assert requests.sort_key == "duration"
    with pytest.raises(ValueError, match="cannot sort by 'size'"):
        requests.set_order("size")
    assert Change.ROWS in changes[-1]


def test_traces_appended_later_take_their_place_in_start_order(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    write(path, trace_lines("b", 2.0), trace_lines("d", 4.0))
    requests, index, changes = model(path, live=True)
    scan(requests, index)
    before = requests.rows
    write(path, trace_lines("e", 5.0), trace_lines("a", 1.0), trace_lines("c", 3.0), mode="a")
    scan(requests, index)
    assert ids(requests) == ["a", "b", "c", "d", "e"]
    assert [s.id for s in before] == ["b", "d"]  # a new list: the one drawn is never changed under it
    assert changes[-1] == Change.ROWS | Change.ADDED | Change.TRACES | Change.STATUS
    # Many at once (a first scan of a big file) go through the same order.
    write(path, *[trace_lines(f"x{n:03}", 10.0 - n / 1000) for n in range(100)], mode="a")
    scan(requests, index)
    starts = [s.start for s in requests.rows]
    assert starts == sorted(starts) and len(starts) == 105


def test_a_trace_that_grows_moves_when_sorted_by_duration(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    long, short = trace_lines("long", 1.0, end_ns=5000), trace_lines("short", 2.0, end_ns=100)
    write(path, long[:2], short)
    requests, index, changes = model(path, live=True)
    scan(requests, index)
    requests.set_order("duration", reverse=True)
    assert ids(requests) == ["short", "long"]
    write(path, long[2:], mode="a")
    scan(requests, index)
    assert ids(requests) == ["long", "short"]


def test_filters_applied_and_refused(tmp_path: Path) -> None:
    requests, index, changes = model(fixture("mixed.jsonl"))
    scan(requests, index)
    assert len(requests.rows) == 11 and requests.empty_reason() == "no requests in this file"
    changes.clear()
    assert requests.set_filter(" ~m POST ")
    assert ids(requests) == ["wsgi-post-json", "asgi-stream"]
    assert requests.expression == "~m POST"
    assert changes == [Change.FILTER | Change.ROWS | Change.STATUS]
    rows = requests.rows
    assert not requests.set_filter("~c teapot")
    assert requests.rows is rows and requests.expression == "~m POST"
    assert requests.filter_error.startswith("~c wants a status")
    assert changes[-1] == Change.STATUS
    assert requests.check_expression("~m") == "~m needs a value, e.g. ~m POST"
    assert requests.check_expression("~m GET") == "" == requests.filter_error
    requests.set_filter("nothing-like-this")
    assert requests.rows == [] and requests.empty_reason() == "no trace matches the filter (c clears it)"
    requests.set_filter("")
    assert len(requests.rows) == 11 and requests.filter is None


def test_a_filter_that_reads_events_fills_the_list_from_search_results() -> None:
    requests, index, changes = model(fixture("mixed.jsonl"))
    scan(requests, index)
    requests.set_filter("~b widget")
    assert requests.rows == [] and requests.searching
    assert requests.empty_reason() == "searching the traces…"
    job = requests.search()
    assert job is not None and len(job.todo) == 11
    reports: list[tuple[dict[int, tuple[int, bool]], float]] = []
    job.run(requests.load, lambda results, progress: reports.append((dict(results), progress)))
    assert reports[-1][1] == 1.0
    for results, progress in reports:
        requests.take_matches(job.generation, results, progress)
    assert ids(requests) == ["wsgi-post-json"] and not requests.searching
    assert requests.search() is None  # every trace read, none grew
    # A newer filter makes the old results stale.
    requests.set_filter("~b echo")
    requests.take_matches(job.generation, reports[-1][0], 1.0)
    assert requests.rows == []
    job = requests.search()
    assert job is not None
    job.run(requests.load, lambda results, progress: requests.take_matches(job.generation, results, progress))
    assert ids(requests) == ["asgi-ws"]
    # A pass that is stopped reports nothing more.
    requests.set_filter("~violation")
    job = requests.search()
    assert job is not None
    job.run(requests.load, lambda results, progress: reports.append(({}, -1.0)), stop=lambda: True)
    assert reports[-1][1] != -1.0


def test_marks_are_the_worst_finding_until_the_trace_grows(tmp_path: Path) -> None:
    requests, index, changes = model(fixture("mixed.jsonl"))
    scan(requests, index)
    stream = next(s for s in requests.store if s.id == "wsgi-stream")
    hello = next(s for s in requests.store if s.id == "wsgi-hello")
    assert requests.unmarked([stream, hello]) == [stream, hello]
    assert requests.mark_of(stream) is None
    marks = {s.number: requests.check(s) for s in (stream, hello)}
    assert marks[stream.number] == (stream.events, "warning")
    requests.take_marks(marks)
    assert changes[-1] == Change.CONTENT
    assert (requests.mark_of(stream), requests.mark_of(hello)) == ("warning", "")
    assert requests.unmarked([stream, hello]) == []
    stream.events += 1  # as a followed file's scan does when the trace gains an event
    assert requests.mark_of(stream) is None and requests.unmarked([stream]) == [stream]


def test_loaded_traces_are_cached_and_the_cache_is_bounded() -> None:
    requests, index, _ = model(fixture("mixed.jsonl"), cache_size=2)
    scan(requests, index)
    first, second, third = requests.store[1:4]
    deep = requests.load(first)
    assert requests.load(first) is deep
    trace, findings = requests.trace(first)
    assert trace is deep.trace and trace.id == "wsgi-hello" and findings == []
    requests.load(second)
    requests.load(third)
    assert requests.load(first) is not deep  # pushed out by the two since


def test_scan_state_problems_and_failure(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(HEADER + "not json\n" + "".join(trace_lines("a", 1.0)))
    requests, index, changes = model(path, live=True)
    assert requests.scanning and requests.empty_reason() == "reading the file…"
    scan(requests, index)
    assert not requests.scanning and len(requests.problems) == 1
    assert changes[-1] == Change.ROWS | Change.ADDED | Change.TRACES | Change.STATUS
    requests.scan_failed("t.jsonl: no such file")
    assert requests.scan_error == requests.empty_reason() == "t.jsonl: no such file"
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    requests, index, _ = model(empty, live=True)
    scan(requests, index)
    assert requests.empty_reason().startswith("no requests yet: waiting for the app to write to")


def test_a_summary_taken_twice_is_stored_once(tmp_path: Path) -> None:
    requests, index, _ = model(fixture("mixed.jsonl"))
    index.scan()
    requests.take_scan(index.summaries[:5])
    requests.take_scan(index.summaries[3:])
    assert [s.number for s in requests.store] == list(range(11))


def test_a_trace_that_grows_is_taken_in_by_the_summary_the_list_holds(tmp_path: Path) -> None:
    # The scan hands over a new summary for a grown trace; the list copies it into the one it
    # holds, so rows and an open replay holding that object see the trace as it is now.
    path = tmp_path / "t.jsonl"
    lines = trace_lines("grows", 1.0, end_ns=5000)
    write(path, lines[:1])
    requests, index, changes = model(path, live=True)
    scan(requests, index)
    [held] = requests.store
    assert held.events == 1 and not held.complete and len(held.spans) == 2
    write(path, lines[1:], mode="a")
    result = index.scan()
    [grown] = result.summaries
    assert grown is not held and held.events == 1  # the scan did not touch what the list holds
    changes.clear()
    requests.take_scan(result.summaries)
    assert requests.store == [held] and requests.rows == [held] and requests.find("grows") is held
    assert (held.events, held.complete, held.status, held.duration_ns, len(held.spans)) == (3, True, 200, 5000, 6)
    assert changes == [Change.STATUS | Change.TRACES | Change.CONTENT]
    # Taking the same summary again changes nothing.
    changes.clear()
    requests.take_scan(result.summaries)
    assert changes == [Change.STATUS]
