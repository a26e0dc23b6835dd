"""`TraceSummary.worker`: which process recorded a trace, when several append to one file."""

from __future__ import annotations

import io
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tracer import JsonlSink, TraceSummary, WSGITracer, read_traces
from tracer.index import TraceIndex
from tracer.summary import process_tag

# One process recording two requests into the file named on its command line.
WORKER = textwrap.dedent(
    """
    import io
    import sys
    from tracer import JsonlSink, WSGITracer

    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    sink = JsonlSink(sys.argv[1])
    traced = WSGITracer(app, sink=sink)
    for path in ("/a", "/b"):
        environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "x", "SERVER_PORT": "80",
                   "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO()}
        b"".join(traced(environ, lambda status, headers, exc_info=None: None))
    sink.close()
    """
)


@pytest.fixture
def two_processes(tmp_path: Path) -> Path:
    """A trace file two worker processes appended to, two requests each."""
    path = tmp_path / "workers.jsonl"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", WORKER, str(path)], check=True, timeout=60, stdin=subprocess.DEVNULL)
    return path


def test_each_process_has_its_own_tag_in_the_index_and_in_loaded_traces(two_processes: Path) -> None:
    index = TraceIndex(str(two_processes))
    try:
        index.scan()
        summaries = index.summaries
    finally:
        index.close()
    assert len(summaries) == 4
    workers = [s.worker for s in summaries]
    assert workers[0] == workers[1] != workers[2] == workers[3]
    for summary in summaries:
        assert len(summary.worker) == 8 and summary.id.startswith(summary.worker + "-")
    # A loaded trace folds to the same worker.
    assert [trace.summary.worker for trace in read_traces(str(two_processes))] == workers


def test_this_process_tags_what_it_records(tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        return [b""]

    sink = JsonlSink(str(path))
    traced = WSGITracer(app, sink=sink)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.input": io.BytesIO()}
    b"".join(traced(environ, lambda status, headers, exc_info=None: None))
    sink.close()
    (trace,) = read_traces(str(path))
    assert trace.summary.worker == trace.id.split("-")[0]


def test_tags_are_shared_not_copied() -> None:
    first = TraceSummary("6d29d4dd-000001")
    second = TraceSummary.begin({"trace": "".join(["6d29", "d4dd-000002"]), "kind": "asgi.scope"})
    assert first.worker == "6d29d4dd" and first.worker is second.worker


@pytest.mark.parametrize(
    "trace_id",
    ["wsgi-hello", "fixed-000001", "6D29D4DD-000001", "6d29d4dd-", "6d29d4dd-00a1", "6d29d4d-000001",
     "x6d29d4dd-000001", "6d29d4dd-٣", "", "-000001", "6d29d4dd"],
)
def test_an_id_tracer_did_not_write_has_no_worker(trace_id: str) -> None:
    assert process_tag(trace_id) == ""
    assert TraceSummary(trace_id).worker == ""


@pytest.mark.parametrize("odd", [None, 5, 1.5, b"6d29d4dd-000001", ["6d29d4dd-000001"], {"a": 1}])
def test_odd_ids_give_a_str_and_never_raise(odd: object) -> None:
    assert process_tag(odd) == ""
    summary = TraceSummary.begin({"trace": odd, "kind": "wsgi.environ"})
    assert isinstance(summary.worker, str)


def test_the_counter_may_outgrow_six_digits() -> None:
    assert TraceSummary("0123abcd-1234567").worker == "0123abcd"
