"""The showcase apps under `tracer run` exercise every event kind of DESIGN.md."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.frameworks.running import TracerRun, completed, wait_for_traces

WSGI_KINDS = {
    "wsgi.environ", "wsgi.input", "wsgi.start_response", "wsgi.write", "wsgi.errors",
    "wsgi.body", "wsgi.close", "wsgi.error", "wsgi.end",
}
ASGI_KINDS = {"asgi.scope", "asgi.receive", "asgi.send", "asgi.error", "asgi.end"}


@pytest.fixture(scope="module")
def wsgi_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracerRun]:
    server = TracerRun("sample_apps.wsgi_showcase:app", tmp_path_factory.mktemp("wsgi") / "t.jsonl")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def asgi_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TracerRun]:
    server = TracerRun("sample_apps.asgi_showcase:app", tmp_path_factory.mktemp("asgi") / "t.jsonl")
    yield server
    server.stop()


def kinds_of(traces) -> set[str]:
    return {event.kind for trace in traces for event in trace.events}


def by_path(traces, path: str):
    return [t for t in traces if t.path == path]


def test_wsgi_showcase_covers_every_wsgi_event_kind(wsgi_run: TracerRun) -> None:
    with httpx.Client(base_url=wsgi_run.url, timeout=10) as client:
        assert "WSGI showcase" in client.get("/").text
        assert client.post("/form", data={"name": "Ada", "lang": "python"}).text == "form: name=Ada, lang=python\n"
        upload = client.post("/upload", data={"note": "hi"}, files={"file": ("big.bin", b"x" * 10_000)})
        assert upload.status_code == 200 and "file file: big.bin (10000 bytes)" in upload.text
        assert client.post("/lines", content=b"one\ntwo\nthree\n").text == "first line b'one\\n', then 2 more\n"
        assert client.get("/stream", params={"delay": 0}).text.count("chunk") == 5
        assert client.get("/legacy").text == "written with write(), twice\n"
        download = client.get("/download")
        assert download.status_code == 200 and b"wsgi.file_wrapper" in download.content
        assert client.get("/boom").status_code == 500
        with pytest.raises(httpx.HTTPError):
            client.get("/boom-late")
        exc_info = client.get("/exc-info")
        assert exc_info.status_code == 500 and exc_info.text == "replaced the response after an error\n"

    traces = completed(wsgi_run.trace_file, 10)
    assert WSGI_KINDS <= kinds_of(traces)
    (upload_trace,) = by_path(traces, "/upload")
    reads = [e for e in upload_trace.events if e.kind == "wsgi.input"]
    assert len(reads) >= 3 and all(e.data["size"] <= 4096 for e in reads)
    (exc_trace,) = by_path(traces, "/exc-info")
    starts = [e.data for e in exc_trace.events if e.kind == "wsgi.start_response"]
    assert [s["exc_info"] for s in starts] == [None, {"type": "LookupError", "message": "the thing was not there"}]
    assert exc_trace.events[-1].data["status"] == "500 Internal Server Error"
    (legacy_trace,) = by_path(traces, "/legacy")
    assert [e.data["data"] for e in legacy_trace.events if e.kind == "wsgi.write"] == [b"written with write(), ", b"twice\n"]
    (stream_trace,) = by_path(traces, "/stream")
    assert len([e for e in stream_trace.events if e.kind == "wsgi.body"]) == 5
    for path in ("/boom", "/boom-late"):
        (trace,) = by_path(traces, path)
        assert trace.error
    # The access log printed one line per finished request.
    wsgi_run.wait_for_line(lambda line: line.startswith("GET     /boom ") and "ZeroDivisionError" in line)
    wsgi_run.wait_for_line(lambda line: line.startswith("POST    /upload ") and " 200 " in line)


def test_wsgi_slow_requests_overlap_on_threads(wsgi_run: TracerRun) -> None:
    import concurrent.futures

    with httpx.Client(base_url=wsgi_run.url, timeout=10) as client:
        started = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            responses = list(pool.map(lambda _: httpx.get(f"{wsgi_run.url}/slow?seconds=0.5", timeout=10), range(3)))
        elapsed = time.monotonic() - started
    assert [r.status_code for r in responses] == [200, 200, 200]
    assert elapsed < 1.4, "the threaded server handles them at the same time"


def body_in_pieces() -> Iterator[bytes]:
    for piece in (b'{"name": "Ada", ', b'"langs": ["python", ', b'"asgi"]}'):
        yield piece
        time.sleep(0.05)


def test_asgi_showcase_covers_every_asgi_event_kind(asgi_run: TracerRun) -> None:
    with httpx.Client(base_url=asgi_run.url, timeout=10) as client:
        assert "ASGI showcase" in client.get("/").text
        state = client.get("/state").json()
        assert state["started_at"] > 0 and state["requests"] >= 1
        echoed = client.post("/echo-json", content=body_in_pieces(), headers={"content-type": "application/json"})
        assert echoed.json()["received"] == {"name": "Ada", "langs": ["python", "asgi"]}
        assert echoed.json()["messages"] >= 2
        assert client.get("/stream", params={"delay": 0}).text.count("chunk") == 5
        events = client.get("/events", params={"count": 2}).text
        assert events.count("event: tick") == 2 and events.endswith("event: done\ndata: bye\n\n")
        with pytest.raises(httpx.HTTPError):
            client.get("/boom-late")
        with pytest.raises(httpx.TimeoutException):
            client.get("/slow", params={"seconds": 5}, timeout=0.3)
    with connect(asgi_run.url.replace("http", "ws") + "/ws", open_timeout=5, close_timeout=5) as ws:
        ws.send("hello")
        assert ws.recv(timeout=5) == "echo: hello"
        ws.send("bye")
        assert ws.recv(timeout=5) == "bye!"

    traces = wait_for_traces(
        asgi_run.trace_file,
        lambda ts: len([t for t in ts if t.complete and t.scope_type != "lifespan"]) >= 8,
    )
    assert ASGI_KINDS <= kinds_of(traces)
    messages = [e.data["message"]["type"] for t in traces for e in t.events if e.kind in ("asgi.receive", "asgi.send")]
    for message_type in (
        "lifespan.startup", "lifespan.startup.complete", "http.request", "http.response.start",
        "http.response.body", "http.disconnect", "websocket.connect", "websocket.accept",
        "websocket.receive", "websocket.send", "websocket.close",
    ):
        assert message_type in messages
    (echo,) = by_path(traces, "/echo-json")
    requests = [e for e in echo.events if e.kind == "asgi.receive" and e.data["message"]["type"] == "http.request"]
    assert len(requests) >= 2 and requests[0].data["message"]["more_body"] is True
    (slow,) = by_path(traces, "/slow")
    assert slow.events[-2].data["message"]["type"] == "http.disconnect"
    (boom,) = by_path(traces, "/boom-late")
    assert boom.error and boom.status == 200
    (ws_trace,) = [t for t in traces if t.scope_type == "websocket"]
    assert ws_trace.complete
    (lifespan,) = [t for t in traces if t.scope_type == "lifespan"]
    scope = lifespan.events[0].data["scope"]
    assert "state" in scope


def test_asgi_lifespan_shutdown_is_traced_when_the_server_stops(tmp_path: Path) -> None:
    server = TracerRun("sample_apps.asgi_showcase:app", tmp_path / "t.jsonl")
    try:
        assert httpx.get(server.url + "/state", timeout=5).status_code == 200
    finally:
        assert server.stop() == 0
    (lifespan,) = completed(tmp_path / "t.jsonl", 1, scope_type="lifespan")
    sent = [e.data["message"]["type"] for e in lifespan.events if e.kind == "asgi.send"]
    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert "tracer: stopped" in server.output
