"""Trace files for the export tests, recorded through the real middlewares (and a check that they are)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from werkzeug.test import create_environ, run_wsgi_app

from tracer import ASGITracer, JsonlSink, WSGITracer

TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def hello(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", TEXT + [("Content-Length", "5")])
    return [b"hel", b"lo"]


def echo(environ: dict[str, Any], start_response: Any) -> Any:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("201 Created", [("Content-Type", "application/json"), ("Set-Cookie", "sid=secret")])
    return [body]


def binary(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "image/png")])
    return [b"\x89PNG\r\n\x1a\n\x00\xff"]


def redirect(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("302 Found", [("Location", "http://localhost/next"), ("Content-Length", "0")])
    return []


def crash(environ: dict[str, Any], start_response: Any) -> Any:
    raise RuntimeError("boom")


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})
    elif scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        message = await receive()
        await send({"type": "websocket.send", "text": message["text"].upper()})
        await send({"type": "websocket.send", "bytes": b"\x00\x01"})
        await receive()
    else:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": b"got " + body, "more_body": True})
        await send({"type": "http.response.body", "body": b"!"})


def _scope(kind: str, **extra: Any) -> dict[str, Any]:
    scope = {
        "type": kind,
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "scheme": "ws" if kind == "websocket" else "http",
        "path": "/api/items",
        "raw_path": b"/api/items",
        "query_string": b"page=2&q=a+b",
        "root_path": "",
        "headers": [(b"host", b"example.test:8000"), (b"authorization", b"Bearer secret")],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
    }
    scope.update(extra)
    return scope


async def _run_asgi(app: Any, scope: dict[str, Any], inputs: list[dict[str, Any]]) -> None:
    queue = list(inputs)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: Any) -> None:
        pass

    await app(scope, receive, send)


def record_mixed(path: Path) -> Path:
    """A trace file with WSGI and ASGI http traces, a websocket, a lifespan and a crash."""
    sink = JsonlSink(path)
    for app, options in [
        (hello, {"path": "/hello", "query_string": "a=1&b=&a=2"}),
        (echo, {"path": "/echo", "method": "POST", "data": b'{"x": 1}', "headers": {"Authorization": "Bearer t0ken"}}),
        (binary, {"path": "/logo.png"}),
        (redirect, {"path": "/old"}),
    ]:
        app_iter, _, _ = run_wsgi_app(WSGITracer(app, sink=sink), create_environ(**options))
        b"".join(app_iter)
        app_iter.close()
    try:
        run_wsgi_app(WSGITracer(crash, sink=sink), create_environ("/crash"))
    except RuntimeError:
        pass
    traced = ASGITracer(asgi_app, sink=sink)
    http_in = [
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "http.request", "body": b"b", "more_body": False},
    ]
    ws_in = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hi"},
        {"type": "websocket.disconnect", "code": 1000},
    ]
    asyncio.run(_run_asgi(traced, _scope("http", method="POST"), http_in))
    asyncio.run(_run_asgi(traced, _scope("websocket", subprotocols=[]), ws_in))
    asyncio.run(
        _run_asgi(traced, {"type": "lifespan", "asgi": {"version": "3.0"}}, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    )
    sink.close()
    return path


def test_mixed_file_holds_every_kind_of_trace(tmp_path: Path) -> None:
    from tracer import read_traces

    traces = read_traces(record_mixed(tmp_path / "t.jsonl"))
    assert [(t.protocol, t.scope_type) for t in traces] == [("wsgi", "http")] * 5 + [
        ("asgi", "http"),
        ("asgi", "websocket"),
        ("asgi", "lifespan"),
    ]
    assert all(t.complete for t in traces)
