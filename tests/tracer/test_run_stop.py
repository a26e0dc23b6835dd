"""`tracer run` stopped with requests still running: their traces are closed, marked stopped, in one line.

Each test serves a real app with `tracer run` in a subprocess on 127.0.0.1,
sends Ctrl+C (SIGINT) while a request is in flight, and reads the trace
file. Every wait is bounded; `TracerRun.stop()` ends the process by its pid.
"""

from __future__ import annotations

import asyncio
import importlib.util
import signal
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.test import create_environ

from tests.frameworks.running import TracerRun, logger_state, restore_loggers, wait_for_traces
from tracer import ASGITracer, Recorder, WSGITracer, read_traces
from tracer.model import Trace
from tracer.serve import bind_socket, display_address, make_server

APPS = """
    import asyncio
    import time

    def wsgi_app(environ, start_response):
        if environ["PATH_INFO"] == "/stream":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return (time.sleep(0.1) or f"chunk {i}\\n".encode() for i in range(100))
        time.sleep(6)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"slept"]

    async def asgi_app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for i in range(100):
            await send({"type": "http.response.body", "body": f"chunk {i}\\n".encode(), "more_body": True})
            await asyncio.sleep(0.1)
        await send({"type": "http.response.body", "body": b""})
"""

CUT_ONE = "tracer: 1 request was still running after "


def serve(tmp_path: Path, reference: str) -> TracerRun:
    (tmp_path / "slow_apps.py").write_text(textwrap.dedent(APPS))
    return TracerRun(reference, tmp_path / "t.jsonl", cwd=tmp_path)


def request_in_background(url: str) -> threading.Thread:
    """A client that reads `url` to its end or until the server goes away."""

    def client() -> None:
        try:
            with httpx.stream("GET", url, timeout=15) as response:
                for _ in response.iter_bytes():
                    pass
        except httpx.HTTPError:
            pass  # the server cut the request short: expected

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    return thread


def ctrl_c_while(run: TracerRun, in_flight: Any, *, twice: bool = False) -> tuple[float, int]:
    """Ctrl+C once `in_flight(traces)` holds; returns how long the server took to exit, and its status."""
    wait_for_traces(run.trace_file, in_flight, timeout=10)
    began = time.monotonic()
    run.process.send_signal(signal.SIGINT)
    if twice:
        time.sleep(0.5)
        run.process.send_signal(signal.SIGINT)
    status = run.process.wait(15)
    return time.monotonic() - began, status


def http_trace(path: Path, url_path: str) -> Trace:
    (trace,) = [t for t in read_traces(path) if t.path == url_path]
    return trace


@pytest.mark.parametrize(
    ("url_path", "in_flight"),
    [
        ("/slow", lambda traces: any(t.path == "/slow" for t in traces)),
        ("/stream", lambda traces: any(sum(e.kind == "wsgi.body" for e in t.events) >= 5 for t in traces)),
    ],
    ids=["slow-view", "stream"],
)
def test_ctrl_c_during_a_slow_wsgi_request_closes_its_trace(tmp_path: Path, url_path: str, in_flight: Any) -> None:
    run = serve(tmp_path, "slow_apps:wsgi_app")
    client = request_in_background(run.url + url_path)
    try:
        took, status = ctrl_c_while(run, in_flight)
    finally:
        run.stop()
        client.join(15)
    assert status == 0 and 2.5 < took < 10
    trace = http_trace(run.trace_file, url_path)
    assert trace.complete
    end = trace.events[-1]
    assert end.kind == "wsgi.end" and end.data["stopped"] == "server shutdown" and end.data["exhausted"] is False
    assert [e.kind for e in trace.events].count("wsgi.end") == 1, "nothing the app did afterwards was recorded"
    if url_path == "/stream":
        assert end.data["status"] == "200 OK" and end.data["bytes_sent"] > 0
    else:
        assert end.data["status"] is None and [e.kind for e in trace.events] == ["wsgi.environ", "wsgi.end"]
    lines = run.lines
    assert any(line.startswith(f"GET     {url_path}") for line in lines), run.output
    (cut,) = [line for line in lines if line.startswith("tracer: 1 request")]
    assert cut == f"{CUT_ONE}3 s and was cut short; its trace is marked stopped"
    assert lines[-1] == "tracer: stopped"


def test_ctrl_c_during_an_asgi_stream_prints_one_line_and_no_traceback(tmp_path: Path) -> None:
    run = serve(tmp_path, "slow_apps:asgi_app")
    client = request_in_background(run.url + "/stream")
    try:
        took, status = ctrl_c_while(run, lambda ts: any(sum(e.kind == "asgi.send" for e in t.events) >= 5 for t in ts))
    finally:
        run.stop()
        client.join(15)
    assert status == 0 and 2.5 < took < 10
    output = run.output
    assert "Traceback" not in output and "Exception in ASGI application" not in output and "running task(s)" not in output, output
    assert f"{CUT_ONE}3 s and was cut short; its trace is marked stopped" in run.lines
    trace = http_trace(run.trace_file, "/stream")
    kinds = [e.kind for e in trace.events]
    assert kinds[-2:] == ["asgi.error", "asgi.end"]
    assert trace.events[-2].data["type"] == "asyncio.exceptions.CancelledError"
    assert "Traceback" in trace.events[-2].data["traceback"], "the traceback is kept in the trace"
    assert trace.events[-1].data == {"stopped": "server shutdown"}
    (lifespan,) = [t for t in read_traces(run.trace_file) if t.scope_type == "lifespan"]
    assert lifespan.complete and lifespan.events[-1].data == {}, "the lifespan shutdown ran as usual"


@pytest.mark.parametrize("reference", ["slow_apps:wsgi_app", "slow_apps:asgi_app"])
def test_a_second_ctrl_c_cuts_the_requests_short_at_once(tmp_path: Path, reference: str) -> None:
    run = serve(tmp_path, reference)
    client = request_in_background(run.url + "/stream")
    try:
        took, status = ctrl_c_while(run, lambda ts: any(len(t.events) >= 8 for t in ts if t.path == "/stream"), twice=True)
    finally:
        run.stop()
        client.join(15)
    assert status == 0 and took < 2.5
    assert "Traceback" not in run.output, run.output
    (cut,) = [line for line in run.lines if line.startswith(CUT_ONE)]
    assert not cut.startswith(f"{CUT_ONE}3 s")
    trace = http_trace(run.trace_file, "/stream")
    assert trace.complete and trace.events[-1].data["stopped"] == "server shutdown"


def test_stopping_open_wsgi_requests_closes_their_traces_and_drops_what_follows() -> None:
    release, inside = threading.Event(), threading.Event()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [])
        inside.set()
        release.wait(5)
        yield b"late"

    rec = Recorder()
    traced = WSGITracer(app, sink=rec)
    traced._track_open_requests()
    chunks: list[bytes] = []

    def serve_one() -> None:
        result = traced(create_environ("/"), lambda *args: None)
        chunks.extend(result)
        result.close()  # type: ignore[attr-defined]

    thread = threading.Thread(target=serve_one)
    thread.start()
    try:
        assert inside.wait(5)
        assert traced._stop_open_requests("server shutdown") == 1
        assert traced._stop_open_requests("server shutdown") == 0
    finally:
        release.set()
        thread.join(5)
    assert chunks == [b"late"], "the app's thread went on unchanged"
    (trace,) = rec.traces()
    assert [e.kind for e in trace.events] == ["wsgi.environ", "wsgi.start_response", "wsgi.end"]
    assert trace.events[-1].data == {"status": "200 OK", "bytes_sent": 0, "exhausted": False, "stopped": "server shutdown"}


def test_untracked_tracers_end_traces_as_before() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [])
        return [b"x"]

    rec = Recorder()
    traced = WSGITracer(app, sink=rec)
    result = traced(create_environ("/"), lambda *args: None)
    list(result)
    result.close()  # type: ignore[attr-defined]
    assert traced._stop_open_requests("server shutdown") == 0
    assert "stopped" not in rec.traces()[0].events[-1].data


async def test_stopping_open_asgi_connections_marks_their_end_and_leaves_lifespan_alone() -> None:
    started = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        started.set()
        await asyncio.sleep(30)

    rec = Recorder()
    traced = ASGITracer(app, sink=rec)
    traced._track_open_requests()

    async def never() -> dict[str, Any]:
        await asyncio.sleep(30)
        return {}

    async def nothing(message: Any) -> None:
        pass

    http = asyncio.ensure_future(traced({"type": "http", "path": "/"}, never, nothing))
    await asyncio.wait_for(started.wait(), 5)
    started.clear()
    lifespan = asyncio.ensure_future(traced({"type": "lifespan"}, never, nothing))
    await asyncio.wait_for(started.wait(), 5)
    assert traced._stop_open_requests("server shutdown") == 1
    for task in (http, lifespan):
        task.cancel()
    await asyncio.gather(http, lifespan, return_exceptions=True)
    ends = {t.scope_type: t.events[-1] for t in rec.traces()}
    assert ends["http"].kind == "asgi.end" and ends["http"].data == {"stopped": "server shutdown"}
    assert ends["lifespan"].data == {}


@pytest.fixture
def _server_loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


@pytest.mark.usefixtures("_server_loggers")
def test_a_quiet_server_in_a_thread_as_under_view_cuts_asgi_requests_short_silently(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "slow_apps_quiet.py").write_text(textwrap.dedent(APPS))
    spec = importlib.util.spec_from_file_location("slow_apps_quiet", tmp_path / "slow_apps_quiet.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    rec = Recorder()
    traced = ASGITracer(module.asgi_app, sink=rec)
    traced._track_open_requests()
    cut: list[tuple[int, float]] = []

    def on_cut_short(count: int, seconds: float) -> None:
        traced._stop_open_requests("server shutdown")
        cut.append((count, seconds))

    sock = bind_socket("127.0.0.1", 0)
    server = make_server(traced, "asgi", sock, quiet=True, on_cut_short=on_cut_short)
    url = display_address(sock)
    server.start_in_thread()
    client = request_in_background(url + "/stream")
    try:
        deadline = time.monotonic() + 10
        while not any(t.scope_type == "http" and len(t.events) >= 8 for t in rec.traces()):
            assert time.monotonic() < deadline, "the stream never started"
            time.sleep(0.05)
    finally:
        server.stop()
        client.join(15)
    assert cut == [(1, 3)]
    (trace,) = [t for t in rec.traces() if t.scope_type == "http"]
    assert trace.events[-1].data == {"stopped": "server shutdown"}
    captured = capfd.readouterr()
    assert "Traceback" not in captured.err + captured.out and "running task" not in captured.err
