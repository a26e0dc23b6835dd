"""The trace file index: summaries, offsets, problems, following a growing file."""

from __future__ import annotations

import json
import re
import os

import pytest

from tests.tui.conftest import fixture
from tracer import read_traces
from tracer.errors import TraceFileError, UnsupportedFormatError
from tracer import index as index_module
from tracer.index import TraceIndex

HEADER = b'{"format":"tracer","version":1,"created":"2023-11-14T22:13:20+00:00"}\n'


def scan(path: str, live: bool = False) -> TraceIndex:
    index = TraceIndex(path, live=live)
    index.scan()
    return index


def test_summaries_agree_with_read_traces() -> None:
    path = fixture("mixed.jsonl")
    index = scan(path)
    traces = read_traces(path)
    assert [s.id for s in index.summaries] == [t.id for t in traces]
    for summary, trace in zip(index.summaries, traces):
        assert (summary.method, summary.path, summary.status) == (trace.method, trace.path, trace.status)
        assert (summary.duration_ns, summary.events, summary.error) == (trace.duration_ns, len(trace.events), trace.error)
        assert summary.complete == trace.complete
        assert index.read_trace(summary) == trace
    assert index.problems == []


def test_body_sizes_count_original_lengths_of_cut_bodies() -> None:
    by_id = scan(fixture("mixed.jsonl")).by_id
    assert by_id["wsgi-post-json"].request_bytes == 18
    assert by_id["wsgi-cut"].response_bytes == 80  # 50 kept, but 80 sent
    assert by_id["wsgi-binary"].response_bytes == 38
    assert by_id["asgi-stream"].request_bytes == 17


def test_malformed_line_in_the_middle_is_reported_and_the_rest_read() -> None:
    path = fixture("malformed_middle.jsonl")
    index = scan(path)
    assert len(index.summaries) == 11
    assert len(index.problems) == 1
    problem = index.problems[0]
    assert problem.message.startswith(f"{path}:{problem.line}: not valid JSON")
    with open(path, "rb") as handle:
        assert b'"oops"' in handle.readlines()[problem.line - 1]


def test_cut_last_line_leaves_its_trace_in_progress() -> None:
    index = scan(fixture("cut_last_line.jsonl"))
    (summary,) = index.summaries
    assert not summary.complete and summary.events == 4
    assert index.cut_line == 6
    assert index.problems == []


@pytest.mark.parametrize(
    ("name", "error", "message"),
    [
        ("newer_version.jsonl", UnsupportedFormatError, "newer_version.jsonl:1: trace format version 99 is newer"),
        ("not_a_trace.jsonl", TraceFileError, "not_a_trace.jsonl:1: not a tracer trace file"),
        ("no_such_file.jsonl", TraceFileError, "no_such_file.jsonl: no such file"),
    ],
)
def test_bad_files_raise_one_line_naming_the_file(name: str, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        scan(fixture(name))


def test_live_scan_waits_for_the_end_of_a_line(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "live.jsonl"
    with open(fixture("mixed.jsonl"), "rb") as handle:
        lines = handle.read().splitlines(keepends=True)
    path.write_bytes(lines[0] + lines[1] + lines[2][:20])
    index = TraceIndex(str(path), live=True)
    first = index.scan()
    assert first.new == 1 and index.summaries[0].events == 1
    with open(path, "ab") as out:
        out.write(lines[2][20:] + lines[3])
    second = index.scan()
    assert second.new == 0 and second.updated == {0}
    assert index.summaries[0].events == 3
    assert index.problems == []


def test_a_summary_handed_out_is_never_changed_again(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A UI reads the summaries it was given while the scan goes on in another thread:
    # a trace that grows comes back as a new summary, the one handed out stays as it was.
    with open(fixture("mixed.jsonl"), "rb") as handle:
        lines = handle.read().splitlines(keepends=True)
    path = tmp_path / "live.jsonl"
    path.write_bytes(b"".join(lines[:3]))
    index = TraceIndex(str(path), live=True)
    first = index.scan()
    [given] = first.summaries
    assert given is index.summaries[0] and given.events == 2
    spans = list(given.spans)
    with open(path, "ab") as out:
        out.write(b"".join(lines[3:]))
    second = index.scan()
    assert given.events == 2 and list(given.spans) == spans  # untouched
    grown = second.summaries[0]
    assert grown is not given and grown.id == given.id and grown.number == 0 and grown.events > 2
    assert index.summaries[0] is grown and index.by_id[given.id] is grown
    assert [s.number for s in second.summaries] == list(range(len(index.summaries)))  # the grown one and the new ones
    assert index.load(given.id).events[-1].seq == grown.events - 1
    assert [s.id for s in index.in_start_order()] == [t.id for t in sorted(read_traces(str(path)), key=lambda t: t.started_at)]
    # Nothing new: nothing handed out, nothing copied.
    third = index.scan()
    assert third.summaries == [] and index.summaries[0] is grown


def test_line_longer_than_a_block_is_read_whole(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(index_module, "_BLOCK", 64)
    record = {"trace": "t", "seq": 0, "t_ns": 0, "kind": "asgi.scope", "protocol": "asgi", "scope_type": "http",
              "data": {"scope": {"type": "http", "method": "GET", "path": "/" + "a" * 500}}}
    path = tmp_path / "long.jsonl"
    path.write_bytes(HEADER + json.dumps(record).encode() + b"\n")
    index = scan(str(path))
    assert index.summaries[0].path == "/" + "a" * 500
    assert index.position == os.path.getsize(path)


def test_batches_are_handed_out_while_scanning(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(index_module, "_BLOCK", 512)
    monkeypatch.setattr(index_module, "_FIRST_BLOCK", 512)
    ticks = iter(range(10_000))
    batches = []
    index = TraceIndex(fixture("mixed.jsonl"))
    last = index.scan(on_batch=batches.append, clock=lambda: next(ticks), first_batch_seconds=0, batch_seconds=0)
    assert len(batches) > 1 and sum(batch.new for batch in [*batches, last]) == 11
    # Each trace is handed out when it appears, and again (a new summary) whenever a later block grew it.
    handed = [s for batch in [*batches, last] for s in batch.summaries]
    assert {s.id for s in handed} == {s.id for s in index.summaries}
    assert all(s is index.summaries[s.number] for s in last.summaries)


def test_a_small_file_is_one_batch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Nothing is handed out early when the scan is about to end anyway (the app's first batch says "done").
    batches = []
    index = TraceIndex(fixture("mixed.jsonl"))
    last = index.scan(on_batch=batches.append, first_batch_seconds=0)
    assert batches == [] and last.new == 11 and len(last.summaries) == 11


def test_the_first_block_alone_then_the_rest(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # What a UI reads before its first paint (`scan_first`), then the rest (`scan`): the same index as one scan.
    monkeypatch.setattr(index_module, "_FIRST_BLOCK", 2048)
    whole = scan(fixture("mixed.jsonl"))
    index = TraceIndex(fixture("mixed.jsonl"))
    first = index.scan_first()
    assert 0 < first.new < 11 and 0 < index.position <= 2048
    assert [s.id for s in first.summaries] == [s.id for s in index.summaries]
    assert index.scan_first().new == 0  # only once
    rest = index.scan()
    assert first.new + rest.new == 11 and index.position == whole.position and not index.problems
    assert [(s.id, s.events, list(s.spans)) for s in index.summaries] == [
        (s.id, s.events, list(s.spans)) for s in whole.summaries
    ]


def test_the_first_block_of_a_small_file_is_all_of_it() -> None:
    index = TraceIndex(fixture("mixed.jsonl"))
    assert index.scan_first().new == 11 and index.position == index.size
    assert index.scan().new == 0


def test_the_first_block_leaves_a_rotated_set_to_the_scan(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open(fixture("mixed.jsonl"), "rb") as handle:
        header, *lines = handle.readlines()
    path = tmp_path / "set.jsonl"
    (tmp_path / "set.jsonl.1").write_bytes(header + b"".join(lines[:20]))
    path.write_bytes(header + b"".join(lines[20:]))
    index = TraceIndex(str(path))
    assert index.scan_first().new == 0 and index.position == 0
    assert len(index.scan().summaries) == len(scan(fixture("mixed.jsonl")).summaries)


def test_a_bad_header_in_the_first_block_is_met_again_by_the_scan() -> None:
    index = TraceIndex(fixture("not_a_trace.jsonl"))
    with pytest.raises(TraceFileError, match="not a tracer trace file"):
        index.scan_first()
    with pytest.raises(TraceFileError, match="not a tracer trace file"):
        index.scan()
    assert index.summaries == []


def test_a_line_nested_too_deep_is_a_problem_not_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "deep.jsonl"
    nested = "[" * 100_000 + "]" * 100_000
    path.write_bytes(HEADER + f'{{"trace":"deep","seq":0,"t_ns":0,"kind":"x","data":{{"x":{nested}}}}}\n'.encode()
                     + f'{{"trace":"cut","seq":0,"t_ns":0,"kind":"x","data":{{"x":{nested}}}}}'.encode())
    index = scan(str(path))
    assert index.summaries == [] and "not valid JSON" in index.problems[0].message
    assert index.cut_line == 3


@pytest.mark.parametrize("start", ["NaN", "Infinity", "1e300", "-5", "true", '"noon"'])
def test_a_start_time_the_clock_cannot_show_is_unknown(tmp_path, start: str) -> None:  # type: ignore[no-untyped-def]
    from tui import format as fmt

    path = tmp_path / "odd.jsonl"
    path.write_bytes(HEADER + f'{{"trace":"t","seq":0,"t_ns":0,"kind":"asgi.scope","data":{{}},"start":{start}}}\n'.encode())
    (summary,) = scan(str(path)).summaries
    assert summary.start == 0.0 and fmt.clock(summary.start) == "--:--:--.---"


def test_a_method_or_path_that_is_not_text_is_left_out(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "odd.jsonl"
    path.write_bytes(
        HEADER
        + b'{"trace":"w","seq":0,"t_ns":0,"kind":"wsgi.environ","data":{"environ":{"REQUEST_METHOD":5,'
        b'"PATH_INFO":["x"],"QUERY_STRING":7}},"protocol":"wsgi","scope_type":"http"}\n'
        b'{"trace":"a","seq":0,"t_ns":0,"kind":"asgi.scope","data":{"scope":{"type":"http","method":5,"path":6}},'
        b'"protocol":"asgi","scope_type":"http"}\n'
    )
    wsgi, asgi = scan(str(path)).summaries
    assert (wsgi.method, wsgi.path, wsgi.query, wsgi.protocol, wsgi.scope_type) == (None, "/", "", "wsgi", "http")
    assert (asgi.method, asgi.path) == (None, None)


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ('"protocol":1,"scope_type":"http"', "protocol 1 is not one the trace format defines"),
        ('"protocol":"wsgi","scope_type":[]', "scope_type [] is not one the trace format defines"),
        ('"protocol":"grpc"', "protocol 'grpc' is not one the trace format defines"),
    ],
)
def test_a_first_event_with_an_undefined_protocol_is_a_problem_naming_the_line(tmp_path, fields, reason) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "odd.jsonl"
    path.write_bytes(
        HEADER
        + b'{"trace":"w","seq":0,"t_ns":0,"kind":"wsgi.environ","data":{"environ":{}},' + fields.encode() + b"}\n"
    )
    index = scan(str(path))
    assert index.summaries == []
    (problem,) = index.problems
    assert problem.message.startswith(f"{path}:2: {reason}")
    with pytest.raises(TraceFileError, match=f"odd.jsonl:2: {re.escape(reason)}"):
        read_traces(path)


def test_start_order_differs_from_file_order(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "order.jsonl"
    lines = [HEADER]
    for trace_id, start in (("late", 20.0), ("early", 10.0), ("middle", 15.0), ("tie", 15.0)):
        lines.append(
            f'{{"trace":"{trace_id}","seq":0,"t_ns":0,"kind":"asgi.scope","data":{{"scope":{{"type":"http"}}}},'
            f'"protocol":"asgi","scope_type":"http","start":{start}}}\n'.encode()
        )
    path.write_bytes(b"".join(lines))
    index = scan(str(path))
    assert [s.id for s in index.summaries] == ["late", "early", "middle", "tie"]
    assert [s.id for s in index.in_start_order()] == ["early", "middle", "tie", "late"]
    assert [t.id for t in index.traces()] == ["early", "middle", "tie", "late"]
    assert index.load("tie").started_at == 15.0
