"""Apps behind a real ASGI server (uvicorn: http, websocket, lifespan) check clean."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tracer import Recorder, WSGITracer

from .conftest import assert_clean
from .test_correct_asgi import _starlette_app

uvicorn = pytest.importorskip("uvicorn")
ws_sync = pytest.importorskip("websockets.sync.client")


@contextlib.contextmanager
def serve(rec: Recorder) -> Iterator[str]:
    """Run the Starlette corpus app under uvicorn on 127.0.0.1 until the block ends."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    # The sans-I/O websockets protocol avoids the deprecated legacy websockets API, where uvicorn has it.
    ws = "websockets-sansio" if "websockets-sansio" in uvicorn.config.WS_PROTOCOLS else "websockets"
    config = uvicorn.Config(_starlette_app(rec), lifespan="on", log_level="critical", ws=ws)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_uvicorn_http_websocket_and_lifespan_are_clean() -> None:
    rec = Recorder()
    with serve(rec) as address:
        with httpx.Client(base_url=f"http://{address}", timeout=5) as client:
            assert client.get("/json").json() == {"ok": True}
            assert client.get("/stream").text == "0\n1\n2\n"
            client.post("/upload", content=iter([b"chunk one, ", b"chunk two"]))  # a chunked upload
            client.get("/static/drivers.py")
            client.head("/")
            client.get("/missing")
        with ws_sync.connect(f"ws://{address}/ws", open_timeout=5, close_timeout=5) as ws:
            ws.send("ping")
            assert ws.recv(timeout=5) == "ping"
        with ws_sync.connect(f"ws://{address}/closes", open_timeout=5, close_timeout=5) as ws:
            assert ws.recv(timeout=5) == '{"hello":"world"}'
        deadline = time.monotonic() + 5
        while sum(t.complete for t in rec.traces()) < 8 and time.monotonic() < deadline:
            time.sleep(0.02)
    traces = rec.traces()
    assert [t.scope_type for t in traces].count("lifespan") == 1
    assert len(traces) == 9
    assert_clean(traces)
    lifespan = traces[0]
    assert [e.data["message"]["type"] for e in lifespan.events if "message" in e.data] == [
        "lifespan.startup", "lifespan.startup.complete", "lifespan.shutdown", "lifespan.shutdown.complete",
    ]


def test_a_client_leaving_mid_stream_under_uvicorn_is_clean() -> None:
    rec = Recorder()
    with serve(rec) as address:
        with httpx.Client(base_url=f"http://{address}", timeout=5) as client, client.stream("GET", "/slow-stream") as response:
            next(response.iter_lines())  # read one line, then hang up mid-stream
        deadline = time.monotonic() + 5
        while not any(t.path == "/slow-stream" and t.complete for t in rec.traces()) and time.monotonic() < deadline:
            time.sleep(0.02)
    [trace] = [t for t in rec.traces() if t.path == "/slow-stream"]
    received = [e.data["message"]["type"] for e in trace.events if e.kind == "asgi.receive"]
    assert "http.disconnect" in received  # uvicorn told the app; Starlette stopped streaming
    assert_clean([trace])


def test_werkzeug_dev_server_with_flask_is_clean() -> None:
    from werkzeug.serving import make_server

    from .test_correct_wsgi import FLASK_CALLS, _flask_app

    app = _flask_app()
    rec = Recorder()
    app.wsgi_app = WSGITracer(app.wsgi_app, sink=rec)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.server_port}", timeout=5) as client:
            for method, path, options in FLASK_CALLS:
                if "data" in options and isinstance(options["data"], bytes):
                    options = {"content": options["data"], "headers": {"content-type": options["content_type"]}}
                elif "headers" in options:
                    options = {"headers": options["headers"]}
                client.request(method, path, **options)
            client.post("/upload", content=iter([b"chunked ", b"upload"]))
    finally:
        server.shutdown()
        thread.join(5)
        server.server_close()
    deadline = time.monotonic() + 5
    while sum(t.complete for t in rec.traces()) < len(FLASK_CALLS) + 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert_clean(rec.traces(), expect=len(FLASK_CALLS) + 1)
