"""Trace files: writing, appending, permissions, and reading bad input."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

import orjson
import pytest
from werkzeug.test import Client

from tracer import JsonlSink, Recorder, TracerError, TracerWarning, WSGITracer, read_traces
from tracer.errors import TraceFileError, UnsupportedFormatError
from tracer.jsonl import iter_traces


def app(environ, start_response):  # type: ignore[no-untyped-def]
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Set-Cookie", "sid=cookie-secret")])
    return [body, b"\xff\x00tail"]


def record_requests(path: Path, count: int = 2, **options: object) -> None:
    sink = JsonlSink(path)
    client = Client(WSGITracer(app, sink=sink, **options))
    for index in range(count):
        response = client.post(
            f"/r{index}", data=b"\x80binary-body", headers={"Authorization": "Bearer token-secret", "X-Api-Key": "key-secret"}
        )
        response.get_data()
        response.close()
    sink.close()


def test_file_round_trips_the_same_traces_as_a_recorder(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    record_requests(path)
    rec = Recorder()
    client = Client(WSGITracer(app, sink=rec))
    for index in range(2):
        response = client.post(f"/r{index}", data=b"\x80binary-body", headers={"Authorization": "Bearer token-secret"})
        response.get_data()
        response.close()

    from_file = read_traces(path)
    in_memory = rec.traces()
    assert [t.path for t in from_file] == ["/r0", "/r1"]
    assert [[(e.seq, e.kind) for e in t.events] for t in from_file] == [[(e.seq, e.kind) for e in t.events] for t in in_memory]
    bodies = [e.data["data"] for e in from_file[0].events if e.kind == "wsgi.body"]
    assert bodies == [b"\x80binary-body", b"\xff\x00tail"]
    assert all(t.complete for t in from_file)


def test_header_line_then_one_event_per_line(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    record_requests(path, count=1)
    lines = path.read_bytes().splitlines()
    header = orjson.loads(lines[0])
    assert header["format"] == "tracer" and header["version"] == 1 and "created" in header
    first = orjson.loads(lines[1])
    assert first["seq"] == 0 and first["t_ns"] == 0 and first["kind"] == "wsgi.environ"
    assert first["protocol"] == "wsgi" and first["scope_type"] == "http" and isinstance(first["start"], float)
    assert all(set(orjson.loads(line)) == {"trace", "seq", "t_ns", "kind", "data"} for line in lines[2:])


def test_trace_file_is_created_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    record_requests(path, count=1)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_secrets_never_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    record_requests(path)
    raw = path.read_bytes()
    for secret in (b"token-secret", b"key-secret", b"cookie-secret"):
        assert secret not in raw
    assert b"[redacted]" in raw


def test_appending_keeps_one_header(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    record_requests(path, count=1)
    record_requests(path, count=2)
    lines = path.read_bytes().splitlines()
    assert sum(1 for line in lines if b'"format"' in line) == 1
    assert len(read_traces(path)) == 3
    assert len({t.id for t in read_traces(path)}) == 3


def test_sink_refuses_to_append_to_a_file_that_is_not_a_trace_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes\n")
    with pytest.raises(TraceFileError, match="notes.txt"):
        JsonlSink(path)
    assert path.read_text() == "my notes\n"


def test_sink_names_the_path_it_cannot_open(tmp_path: Path) -> None:
    with pytest.raises(TraceFileError, match="missing-dir"):
        JsonlSink(tmp_path / "missing-dir" / "t.jsonl")


def test_events_reach_the_file_while_the_request_is_still_running(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    sink = JsonlSink(path, flush_interval=0.01)

    def slow(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        yield b"first"
        yield b"second"

    result = WSGITracer(slow, sink=sink)({"REQUEST_METHOD": "GET", "PATH_INFO": "/"}, lambda *a: None)
    iterator = iter(result)
    next(iterator)
    import time

    deadline = time.monotonic() + 2
    while b"wsgi.body" not in path.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.01)
    (trace,) = read_traces(path)
    assert not trace.complete and trace.events[-1].kind == "wsgi.body"
    list(iterator)
    result.close()
    sink.close()
    assert read_traces(path)[0].complete


def test_read_traces_accepts_an_open_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    record_requests(path, count=1)
    with open(path, "rb") as handle:
        assert len(read_traces(handle)) == 1
    assert len(read_traces(io.BytesIO(path.read_bytes()))) == 1


def test_iter_traces_streams_complete_traces(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    record_requests(path, count=3)
    assert [t.path for t in iter_traces(path)] == ["/r0", "/r1", "/r2"]


# Bad input


def write_file(tmp_path: Path, *lines: bytes, end: bytes = b"\n") -> Path:
    path = tmp_path / "bad.jsonl"
    path.write_bytes(b"\n".join(lines) + end)
    return path


HEADER = b'{"format": "tracer", "version": 1, "created": "2026-01-01T00:00:00+00:00"}'
EVENT0 = b'{"trace": "t1", "seq": 0, "t_ns": 0, "kind": "wsgi.environ", "data": {"environ": {}}, "protocol": "wsgi", "scope_type": "http", "start": 1.0}'
EVENT1 = b'{"trace": "t1", "seq": 1, "t_ns": 5, "kind": "wsgi.end", "data": {"status": null, "bytes_sent": 0}}'


def test_a_cut_last_line_is_tolerated_with_a_warning(tmp_path: Path) -> None:
    path = write_file(tmp_path, HEADER, EVENT0, EVENT1[:30], end=b"")
    with pytest.warns(TracerWarning, match=r"bad\.jsonl:3: last line is cut off"):
        traces = read_traces(path)
    assert len(traces) == 1 and len(traces[0].events) == 1 and not traces[0].complete


@pytest.mark.parametrize(
    ("bad_line", "message"),
    [
        (b"{not json", r"bad\.jsonl:3: not valid JSON"),
        (b"[1, 2]", r"bad\.jsonl:3: not a JSON object"),
        (b'{"trace": "t1", "seq": "x", "t_ns": 0, "kind": "k", "data": {}}', r"bad\.jsonl:3: event field 'seq' is not a int"),
        (b'{"trace": "t1", "seq": 1, "t_ns": 0, "kind": "k"}', r"bad\.jsonl:3: event has no 'data'"),
        (b'{"trace": "t1", "seq": 1, "t_ns": 0, "kind": "k", "data": {"x": {"$base64": "***"}}}', r"bad\.jsonl:3: cannot decode"),
    ],
)
def test_a_malformed_line_in_the_middle_names_file_and_line(tmp_path: Path, bad_line: bytes, message: str) -> None:
    path = write_file(tmp_path, HEADER, EVENT0, bad_line, EVENT1)
    with pytest.raises(TraceFileError, match=message):
        read_traces(path)


@pytest.mark.parametrize(
    ("first_line", "error", "message"),
    [
        (b'{"format": "har", "version": 1}', UnsupportedFormatError, "unknown trace format 'har'"),
        (b'{"format": "tracer", "version": 2}', UnsupportedFormatError, "version 2 is newer"),
        (b"hello world", TraceFileError, "not a tracer trace file"),
        (b'{"trace": "t1"}', TraceFileError, "no header line"),
    ],
)
def test_foreign_or_newer_headers_are_refused(tmp_path: Path, first_line: bytes, error: type, message: str) -> None:
    path = write_file(tmp_path, first_line, EVENT0)
    with pytest.raises(error, match=message):
        read_traces(path)


def test_missing_and_empty_files_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TracerError, match="no such file"):
        read_traces(tmp_path / "absent.jsonl")
    (tmp_path / "empty.jsonl").write_bytes(b"")
    with pytest.raises(TracerError, match="empty file"):
        read_traces(tmp_path / "empty.jsonl")
