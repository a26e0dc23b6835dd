"""`tracer.resend.send_again` against a real Werkzeug server on 127.0.0.1; `open_viewer` and its `app_url`."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from tracer import JsonlSink, WSGITracer, read_traces
from tracer.commands import view as view_command
from tracer.model import Trace
from tracer.resend import send_again

TIMEOUT = 10


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"got " + environ["REQUEST_METHOD"].encode() + b" " + environ["PATH_INFO"].encode() + b" " + body]


def _traces(path: Path, count: int) -> list[Trace]:
    deadline = time.monotonic() + TIMEOUT
    while True:
        traces = [t for t in read_traces(path) if t.complete] if path.exists() else []
        if len(traces) >= count or time.monotonic() > deadline:
            return traces
        time.sleep(0.02)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(path, flush_interval=0.01)
    server = make_server("127.0.0.1", 0, WSGITracer(app, sink=sink), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
        sink.close()


def test_send_again_sends_the_recorded_request(served: tuple[str, Path]) -> None:
    url, path = served
    httpx.post(f"{url}/items?x=1", content=b"hello", timeout=TIMEOUT)
    [old] = _traces(path, 1)
    response = send_again(old, url, timeout=TIMEOUT)
    assert (response.status_code, response.text) == (201, "got POST /items hello")
    assert response.extensions["raw_body"] == b"got POST /items hello"
    new = _traces(path, 2)[-1]
    assert new.id != old.id
    assert (new.summary.method, new.summary.path, new.summary.query) == ("POST", "/items", "x=1")


def test_send_again_refuses_a_websocket_and_says_so_when_nobody_listens(served: tuple[str, Path]) -> None:
    url, path = served
    httpx.get(f"{url}/", timeout=TIMEOUT)
    [old] = _traces(path, 1)
    with pytest.raises(httpx.ConnectError):
        send_again(old, "http://127.0.0.1:1", timeout=TIMEOUT)
    old.scope_type = "websocket"  # type: ignore[misc]
    with pytest.raises(ValueError, match="websocket"):
        send_again(old, url)


@pytest.mark.parametrize("takes", [True, False])
def test_open_viewer_passes_app_url_only_to_viewers_that_take_it(monkeypatch: pytest.MonkeyPatch, takes: bool) -> None:
    calls: list[dict[str, Any]] = []

    def new_viewer(path: str, *, follow: bool = False, app_url: str | None = None) -> int:
        calls.append({"follow": follow, "app_url": app_url})
        return 0

    def old_viewer(path: str, *, follow: bool = False) -> int:
        calls.append({"follow": follow})
        return 0

    monkeypatch.setattr(view_command, "load_viewer", lambda: new_viewer if takes else old_viewer)
    assert view_command.open_viewer("t.jsonl", follow=True, app_url="http://127.0.0.1:8000") == 0
    assert view_command.open_viewer("t.jsonl", follow=True) == 0
    expected = {"follow": True, "app_url": "http://127.0.0.1:8000"} if takes else {"follow": True}
    assert calls == [expected, {"follow": True, "app_url": None} if takes else {"follow": True}]
