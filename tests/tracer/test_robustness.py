"""Recording failures never reach the app; concurrent requests never mix."""

from __future__ import annotations

import asyncio
import os
import threading
import warnings
from pathlib import Path
from typing import Any

import orjson
import pytest
from werkzeug.test import Client

from tracer import ASGITracer, JsonlSink, TracerWarning, WSGITracer, read_traces


def wsgi_app(environ, start_response):  # type: ignore[no-untyped-def]
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"echo:", body]


async def asgi_app(scope, receive, send):  # type: ignore[no-untyped-def]
    message = await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-path", scope["path"].encode())]})
    await asyncio.sleep(0)
    await send({"type": "http.response.body", "body": message.get("body", b""), "more_body": True})
    await send({"type": "http.response.body", "body": b"!"})


class ExplodingSink:
    def __init__(self) -> None:
        self.calls = 0

    def write(self, record: dict[str, Any]) -> None:
        self.calls += 1
        raise OSError("sink is broken")

    def close(self) -> None:
        pass


def test_a_raising_sink_never_fails_a_request_and_warns_once() -> None:
    sink = ExplodingSink()
    client = Client(WSGITracer(wsgi_app, sink=sink))
    with pytest.warns(TracerWarning, match="sink is broken") as caught:
        bodies = []
        for index in range(5):
            response = client.post("/", data=f"n{index}".encode())
            bodies.append(response.get_data())
            response.close()
    assert bodies == [f"echo:n{index}".encode() for index in range(5)]
    assert len([w for w in caught if issubclass(w.category, TracerWarning)]) == 1
    assert sink.calls > 5


async def test_a_raising_sink_never_fails_an_asgi_request() -> None:
    sink = ExplodingSink()
    app = ASGITracer(asgi_app, sink=sink)
    sent: list[dict[str, Any]] = []

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": b"data"}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    with pytest.warns(TracerWarning) as caught:
        for _ in range(3):
            await app({"type": "http", "path": "/x", "headers": []}, receive, send)
    assert [m.get("body") for m in sent if m["type"] == "http.response.body"] == [b"data", b"!"] * 3
    assert len(caught) == 1


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_a_full_disk_never_fails_a_request_and_warns_once() -> None:
    # /dev/full accepts open() and fails every write with ENOSPC, the header's included.
    with pytest.warns(TracerWarning, match="No space left") as caught:
        sink = JsonlSink("/dev/full")
        client = Client(WSGITracer(wsgi_app, sink=sink))
        for index in range(4):
            response = client.post("/", data=b"x")
            assert response.get_data() == b"echo:x"
            response.close()
            sink.flush()
        sink.close()
    assert len(caught) == 1


def test_a_write_cut_short_never_leaves_a_torn_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "t.jsonl"
    sink = JsonlSink(path, flush_interval=3600)  # only the explicit flushes below write
    real_writev = os.writev
    calls = {"n": 0}

    def flaky_writev(fd: int, buffers: list[bytes]) -> int:
        calls["n"] += 1
        if calls["n"] == 1:
            return real_writev(fd, [bytes(buffers[0][:10])])  # the disk fills up mid-line
        if calls["n"] == 2:
            raise OSError(28, "No space left on device")
        return real_writev(fd, buffers)  # space is back

    monkeypatch.setattr(os, "writev", flaky_writev)
    client = Client(WSGITracer(wsgi_app, sink=sink))
    with pytest.warns(TracerWarning, match="No space left"):
        for _ in range(3):
            response = client.post("/", data=b"x")
            response.get_data()
            response.close()
            sink.flush()
    sink.close()
    monkeypatch.undo()
    traces = read_traces(path)  # every line whole: no TraceFileError
    assert path.read_bytes().endswith(b"\n")
    assert sum(t.complete for t in traces) == 2  # the first request's other lines were dropped


def test_two_processes_creating_one_file_write_one_header(tmp_path: Path) -> None:
    import multiprocessing

    path = tmp_path / "shared.jsonl"
    context = multiprocessing.get_context("spawn")  # fork() in a threaded process is deprecated
    barrier = context.Barrier(4)
    processes = [context.Process(target=_create_sink_at_once, args=(str(path), barrier)) for _ in range(4)]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=30)
    assert [p.exitcode for p in processes] == [0, 0, 0, 0]
    assert path.read_bytes().count(b'"format"') == 1
    assert len(read_traces(path)) == 4


def _create_sink_at_once(path: str, barrier: Any) -> None:
    barrier.wait(timeout=10)
    sink = JsonlSink(path)
    result = WSGITracer(wsgi_app, sink=sink)({"REQUEST_METHOD": "GET", "PATH_INFO": "/", "wsgi.input": __import__("io").BytesIO()}, lambda *a: None)
    list(result)
    result.close()  # type: ignore[attr-defined]
    sink.close()


def test_32_threads_by_50_requests_give_1600_complete_traces(tmp_path: Path) -> None:
    path = tmp_path / "threads.jsonl"
    sink = JsonlSink(path, flush_interval=0.005)
    app = WSGITracer(wsgi_app, sink=sink)
    failures: list[BaseException] = []

    def worker(worker_id: int) -> None:
        client = Client(app)
        try:
            for index in range(50):
                response = client.post(f"/w{worker_id}/r{index}", data=f"{worker_id}-{index}".encode())
                assert response.get_data() == f"echo:{worker_id}-{index}".encode()
                response.close()
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    sink.close()
    assert failures == []

    raw = path.read_bytes()
    assert raw.endswith(b"\n")
    lines = raw.splitlines()
    assert all(isinstance(orjson.loads(line), dict) for line in lines)
    traces = read_traces(path)
    assert len(traces) == 1600
    for trace in traces:
        assert trace.complete
        assert [e.seq for e in trace.events] == list(range(len(trace.events)))
        body = trace.events[1].data["data"]
        worker_id, index = body.decode().split("-")
        assert trace.path == f"/w{worker_id}/r{index}"
        assert [e.data["data"] for e in trace.events if e.kind == "wsgi.body"] == [b"echo:", body]


async def test_500_concurrent_asgi_requests_stay_separate(tmp_path: Path) -> None:
    path = tmp_path / "tasks.jsonl"
    sink = JsonlSink(path, flush_interval=0.005)
    app = ASGITracer(asgi_app, sink=sink)

    async def one(index: int) -> list[dict[str, Any]]:
        sent: list[dict[str, Any]] = []

        async def receive():  # type: ignore[no-untyped-def]
            await asyncio.sleep(0)
            return {"type": "http.request", "body": f"body-{index}".encode()}

        async def send(message):  # type: ignore[no-untyped-def]
            sent.append(message)

        await app({"type": "http", "method": "GET", "path": f"/r{index}", "headers": []}, receive, send)
        return sent

    results = await asyncio.gather(*(one(index) for index in range(500)))
    sink.close()
    for index, sent in enumerate(results):
        assert sent[1]["body"] == f"body-{index}".encode()
    traces = read_traces(path)
    assert len(traces) == 500
    for trace in traces:
        assert trace.complete and len(trace.events) == 6
        index = trace.path.removeprefix("/r")
        assert trace.events[1].data["message"]["body"] == f"body-{index}".encode()
        assert trace.events[3].data["message"]["body"] == f"body-{index}".encode()


def test_unencodable_surrogates_still_reach_the_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    sink = JsonlSink(path)
    app = WSGITracer(wsgi_app, sink=sink)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/caf\udce9", "wsgi.input": __import__("io").BytesIO(b"")}
    result = app(environ, lambda *a: None)
    assert list(result) == [b"echo:", b""]
    result.close()  # type: ignore[attr-defined]
    sink.close()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (trace,) = read_traces(path)
    assert trace.path == "/caf\udce9"
