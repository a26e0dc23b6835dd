"""A trace's lines reach the file whole and in order however short the kernel's writes are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from werkzeug.test import Client

from tracer import JsonlSink, WSGITracer, read_traces
from tracer.jsonl import _write_lines


def _app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"a" * 100, b"b" * 50]


@pytest.mark.parametrize("most", [1, 7, 64, 1000])
def test_short_writes_go_on_where_they_stopped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, most: int) -> None:
    real_writev = os.writev
    sizes: list[int] = []

    def short_writev(fd: int, buffers: list[bytes]) -> int:
        data = b"".join(bytes(b) for b in buffers)[:most]
        sizes.append(len(data))
        return real_writev(fd, [data])

    path = tmp_path / "t.jsonl"
    with JsonlSink(path, flush_interval=3600) as sink:
        monkeypatch.setattr(os, "writev", short_writev)
        client = Client(WSGITracer(_app, sink=sink))
        for _ in range(3):
            assert client.get("/").get_data() == b"a" * 100 + b"b" * 50
    monkeypatch.undo()
    traces = read_traces(path)
    assert [t.complete for t in traces] == [True, True, True]
    assert max(sizes) <= most


def test_write_lines_skips_what_was_written_already(tmp_path: Path) -> None:
    path = tmp_path / "raw"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        lines = [b"first\n", b"second\n", b"third\n"]
        os.write(fd, b"first\nse")
        _write_lines(fd, lines, 8)
    finally:
        os.close(fd)
    assert path.read_bytes() == b"first\nsecond\nthird\n"


def _serve_while_the_sink_is_writing(sink: JsonlSink, app, requests: int):  # type: ignore[no-untyped-def]
    """Serve `requests` in a thread while the test holds the write lock; yield the queue once it stops growing."""
    import threading
    import time

    client = Client(WSGITracer(app, sink=sink))
    served: list[int] = []

    def serve() -> None:
        for _ in range(requests):
            client.get("/").close()
            served.append(1)

    sink._write_lock.acquire()  # another thread writing, for as long as this test says
    worker = threading.Thread(target=serve, daemon=True)
    try:
        worker.start()
        deadline = time.monotonic() + 30
        length = -1
        while len(sink._queue) != length and time.monotonic() < deadline:
            length = len(sink._queue)
            time.sleep(0.2)
        assert worker.is_alive()  # waiting to write, not queueing
        yield list(sink._queue), len(served)
    finally:
        sink._write_lock.release()
    worker.join(timeout=30)
    assert not worker.is_alive() and len(served) == requests


def test_ended_traces_queue_while_another_thread_writes_but_only_so_many(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer kept off the GIL must not let ended traces pile up in memory: past the limit, the ender waits."""
    import tracer.jsonl
    from tracer.jsonl import _QUEUE_LIMIT

    monkeypatch.setattr(tracer.jsonl, "_QUEUE_WAIT", 60.0)
    monkeypatch.setattr(tracer.jsonl, "_QUEUE_BYTES", 2**40)  # the count is the limit here
    path = tmp_path / "t.jsonl"
    requests = _QUEUE_LIMIT + 40
    with JsonlSink(path, flush_interval=3600) as sink:
        for queue, served in _serve_while_the_sink_is_writing(sink, _app, requests):
            assert len(queue) == served == _QUEUE_LIMIT
    traces = read_traces(path)
    assert len(traces) == requests and all(t.complete for t in traces)


def _big_app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"c" * 4000] * 4


def test_ended_traces_queue_as_one_bytes_each_and_only_so_many_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each queued trace is one bytes of its own size (orjson's lines each hold a 4 KiB+ buffer), up to a byte limit."""
    import tracer.jsonl
    from tracer.jsonl import _QUEUE_BYTES, _QUEUE_LIMIT

    monkeypatch.setattr(tracer.jsonl, "_QUEUE_WAIT", 60.0)
    path = tmp_path / "t.jsonl"
    requests = _QUEUE_LIMIT
    with JsonlSink(path, flush_interval=3600) as sink:
        for queue, served in _serve_while_the_sink_is_writing(sink, _big_app, requests):
            sizes = [len(item) for item in queue]
            assert len(queue) == served < _QUEUE_LIMIT
            assert _QUEUE_BYTES <= sum(sizes) < _QUEUE_BYTES + max(sizes)  # the bytes were the limit
            for item in queue:  # one whole trace each
                lines = item.splitlines()
                assert type(item) is bytes and b'"seq":0,' in lines[0] and b'"kind":"wsgi.end"' in lines[-1]
    traces = read_traces(path)
    assert len(traces) == requests and all(t.complete for t in traces)


def test_a_trace_ended_by_the_thread_that_holds_the_write_lock_waits_only_so_long(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A response collected while its thread writes ends its trace with the lock held: queue it, never hang."""
    import tracer.jsonl
    from tracer.jsonl import _QUEUE_LIMIT

    monkeypatch.setattr(tracer.jsonl, "_QUEUE_WAIT", 0.05)
    path = tmp_path / "t.jsonl"
    with JsonlSink(path, flush_interval=3600) as sink:
        client = Client(WSGITracer(_app, sink=sink))
        sink._write_lock.acquire()  # this thread is writing
        try:
            for _ in range(_QUEUE_LIMIT + 3):
                client.get("/").close()  # each ends its trace in this thread
            assert len(sink._queue) == _QUEUE_LIMIT + 3
        finally:
            sink._write_lock.release()
    traces = read_traces(path)
    assert len(traces) == _QUEUE_LIMIT + 3 and all(t.complete for t in traces)


@pytest.mark.parametrize("multithread", [True, False])
def test_a_threaded_servers_requests_leave_their_writes_to_the_writer_thread(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, multithread: bool) -> None:
    """A write in a request's thread would hand the GIL to another request: with wsgi.multithread, the sink's thread writes."""
    import threading

    real_writev = os.writev
    writers: list[str] = []

    def writev(fd: int, buffers: list[bytes]) -> int:
        writers.append(threading.current_thread().name)
        return real_writev(fd, buffers)

    path = tmp_path / "t.jsonl"
    with JsonlSink(path, flush_interval=3600) as sink:
        monkeypatch.setattr(os, "writev", writev)
        client = Client(WSGITracer(_app, sink=sink))
        for _ in range(3):
            client.get("/", environ_overrides={"wsgi.multithread": multithread}).close()
        in_request_thread = writers.count(threading.current_thread().name)
        queued = len(sink._queue)
    monkeypatch.undo()
    if multithread:
        assert (in_request_thread, queued) == (0, 3)  # one right-sized bytes per trace, for the writer thread
    else:
        assert (in_request_thread, queued) == (3, 0)  # one process, one thread: written as each trace ends
    traces = read_traces(path)
    assert len(traces) == 3 and all(t.complete for t in traces)


def test_an_asgi_request_leaves_its_write_to_the_writer_thread(tmp_path: Path) -> None:
    """An event loop's request: a write there would hand the GIL away between requests' messages."""
    import asyncio

    from asgiref.testing import ApplicationCommunicator

    from tracer import ASGITracer

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    async def one_request(tracer: ASGITracer) -> None:
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
        communicator = ApplicationCommunicator(tracer, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        assert (await communicator.receive_output(1))["status"] == 200
        assert (await communicator.receive_output(1))["body"] == b"ok"
        await communicator.wait(1)

    path = tmp_path / "t.jsonl"
    with JsonlSink(path, flush_interval=3600) as sink:
        asyncio.run(one_request(ASGITracer(app, sink=sink)))
        assert len(sink._queue) == 1 and read_traces(path) == []
    [trace] = read_traces(path)
    assert trace.complete
