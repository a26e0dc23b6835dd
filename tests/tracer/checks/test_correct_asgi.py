"""Correct ASGI apps (raw, Starlette, Django) produce no errors and no warnings."""

from __future__ import annotations

import asyncio
import os
from typing import Any

import httpx
import pytest

from tracer import ASGITracer, Recorder

from .conftest import assert_clean
from .drivers import http_scope, lifespan_scope, run_asgi, ws_scope

START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}


async def streaming(scope: Any, receive: Any, send: Any) -> None:
    await send(START)
    for i in range(3):
        await send({"type": "http.response.body", "body": f"{i}\n".encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def echo_upload(scope: Any, receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    length = str(len(body)).encode()
    await send({**START, "headers": START["headers"] + [(b"content-length", length)]})
    await send({"type": "http.response.body", "body": body})


async def with_trailers(scope: Any, receive: Any, send: Any) -> None:
    await send({**START, "trailers": True})
    await send({"type": "http.response.body", "body": b"data"})
    await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")], "more_trailers": False})


async def path_send(scope: Any, receive: Any, send: Any) -> None:
    await send({**START, "headers": [(b"content-type", b"text/x-python")]})
    await send({"type": "http.response.pathsend", "path": os.path.abspath(__file__)})


async def websocket_echo(scope: Any, receive: Any, send: Any) -> None:
    assert (await receive())["type"] == "websocket.connect"
    await send({"type": "websocket.accept", "subprotocol": "chat"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        if message.get("text") is not None:
            await send({"type": "websocket.send", "text": message["text"]})
        else:
            await send({"type": "websocket.send", "bytes": message["bytes"]})


async def websocket_server_close(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.accept"})
    await send({"type": "websocket.send", "bytes": b"\x00\x01"})
    await send({"type": "websocket.close", "code": 4001, "reason": "done"})


async def websocket_reject(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "websocket.close", "code": 1008})


async def lifespan(scope: Any, receive: Any, send: Any) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        else:
            await send({"type": "lifespan.shutdown.complete"})
            return


async def lifespan_unsupported(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        raise ValueError("only http")


_REQUEST = {"type": "http.request", "body": b"", "more_body": False}
_CHUNKED = [
    {"type": "http.request", "body": b"part one, ", "more_body": True},
    {"type": "http.request", "body": b"part two", "more_body": True},
    {"type": "http.request", "body": b"", "more_body": False},
]
_WS_TALK = [
    {"type": "websocket.connect"},
    {"type": "websocket.receive", "text": "hello"},
    {"type": "websocket.receive", "bytes": b"\x00"},
    {"type": "websocket.disconnect", "code": 1000},
]


@pytest.mark.parametrize(
    ("app", "scope", "inputs"),
    [
        (streaming, http_scope(), [_REQUEST]),
        (echo_upload, http_scope("POST"), _CHUNKED),
        (with_trailers, http_scope(extensions={"http.response.trailers": {}}), [_REQUEST]),
        (path_send, http_scope(extensions={"http.response.pathsend": {}}), [_REQUEST]),
        (websocket_echo, ws_scope(subprotocols=["chat"]), _WS_TALK),
        (websocket_server_close, ws_scope(), [{"type": "websocket.connect"}]),
        (websocket_reject, ws_scope(), [{"type": "websocket.connect"}]),
        (lifespan, lifespan_scope(), [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]),
        (lifespan_unsupported, lifespan_scope(), []),
    ],
    ids=[
        "streaming", "chunked-upload", "trailers", "pathsend", "websocket", "websocket-close", "websocket-reject",
        "lifespan", "lifespan-unsupported",
    ],
)
async def test_raw_asgi_app_is_clean(app: Any, scope: dict[str, Any], inputs: list[dict[str, Any]]) -> None:
    assert_clean([await run_asgi(app, scope, inputs)])


# Starlette


def _starlette_app(rec: Recorder, *, outermost: bool = False) -> Any:
    """The Starlette corpus app, traced as middleware or, with `outermost`, around everything.

    Outermost, as `tracer run` wraps an app, the error page that Starlette's outer
    middleware sends is traced too.
    """
    from contextlib import asynccontextmanager

    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import (
        FileResponse,
        JSONResponse,
        PlainTextResponse,
        RedirectResponse,
        Response,
        StreamingResponse,
    )
    from starlette.routing import Mount, Route, WebSocketRoute
    from starlette.staticfiles import StaticFiles
    from starlette.websockets import WebSocket, WebSocketDisconnect

    async def index(request: Request) -> Response:
        return PlainTextResponse("hello")

    async def json(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def upload(request: Request) -> Response:
        return JSONResponse({"size": len(await request.body())})

    async def stream(request: Request) -> Response:
        async def numbers() -> Any:
            for i in range(3):
                yield f"{i}\n"

        return StreamingResponse(numbers(), media_type="text/plain")

    async def slow_stream(request: Request) -> Response:
        async def ticks() -> Any:
            for i in range(100):
                yield f"tick {i}\n"
                await asyncio.sleep(0.02)

        return StreamingResponse(ticks(), media_type="text/plain; charset=utf-8")

    async def file(request: Request) -> Response:
        return FileResponse(os.path.abspath(__file__), media_type="text/x-python")

    async def redirect(request: Request) -> Response:
        return RedirectResponse("/json")

    async def empty(request: Request) -> Response:
        return Response(status_code=204)

    async def echo(websocket: WebSocket) -> None:
        await websocket.accept()
        async for text in websocket.iter_text():
            await websocket.send_text(text)

    async def closes(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_json({"hello": "world"})
        await websocket.close(code=1000)

    async def deny(websocket: WebSocket) -> None:
        await websocket.send_denial_response(PlainTextResponse("no entry", status_code=403))

    async def refuse(websocket: WebSocket) -> None:
        await websocket.close()  # before accepting: the server answers 403

    async def chat(websocket: WebSocket) -> None:
        await websocket.accept()
        try:
            while True:
                await websocket.receive_text()
        except WebSocketDisconnect:
            pass
        finally:
            await websocket.close()  # after the client left: harmless, a common pattern

    @asynccontextmanager
    async def life(app: Any) -> Any:
        yield

    app = Starlette(
        routes=[
            Route("/", index),
            Route("/json", json),
            Route("/upload", upload, methods=["POST"]),
            Route("/stream", stream),
            Route("/slow-stream", slow_stream),
            Route("/file", file),
            Route("/redirect", redirect),
            Route("/empty", empty),
            Mount("/static", StaticFiles(directory=os.path.dirname(__file__))),
            WebSocketRoute("/ws", echo),
            WebSocketRoute("/closes", closes),
            WebSocketRoute("/deny", deny),
            WebSocketRoute("/refuse", refuse),
            WebSocketRoute("/chat", chat),
        ],
        lifespan=life,
    )
    if outermost:
        return ASGITracer(app, sink=rec)
    app.add_middleware(ASGITracer, sink=rec)
    return app


async def test_starlette_http_is_clean() -> None:
    rec = Recorder()
    app = _starlette_app(rec)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path in ("/", "/json", "/stream", "/file", "/redirect", "/empty", "/missing"):
            await client.get(path)
        await client.head("/")
        await client.post("/upload", content=b"x" * 10000)
        await client.post("/upload", content=b"")
        static = await client.get("/static/drivers.py")
        await client.get("/static/drivers.py", headers={"if-none-match": static.headers["etag"]})
    traces = rec.traces()
    assert_clean(traces, expect=12)
    assert traces[-1].status == 304


async def test_starlette_websocket_and_lifespan_are_clean() -> None:
    rec = Recorder()
    app = _starlette_app(rec)
    startup, shutdown = {"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}
    talk = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "ping"}, {"type": "websocket.disconnect", "code": 1000}]
    traces = [
        await run_asgi(app, scope, inputs)
        for scope, inputs in [
            (lifespan_scope(), [startup, shutdown]),
            (ws_scope(path="/ws", raw_path=b"/ws"), talk),
            (ws_scope(path="/closes", raw_path=b"/closes"), talk[:1]),
        ]
    ]
    # run_asgi's tracer is the outer one, so it records; the middleware added above steps aside.
    assert rec.traces() == []
    assert [t.scope_type for t in traces] == ["lifespan", "websocket", "websocket"]
    assert [t.status for t in traces[1:]] == [101, 101]
    assert_clean(traces)


# Django ASGI


@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
async def test_django_asgi_is_clean() -> None:
    from .test_correct_wsgi import DJANGO_CALLS, django_settings

    with django_settings():
        from django.core.asgi import get_asgi_application

        rec = Recorder()
        transport = httpx.ASGITransport(app=ASGITracer(get_asgi_application(), sink=rec))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for method, path, options in DJANGO_CALLS:
                if "data" in options and isinstance(options["data"], bytes):
                    options = {"content": options["data"], "headers": {"content-type": options["content_type"]}}
                elif "data" in options:
                    options = {"data": options["data"]}
                await client.request(method, path, **options)
    assert_clean(rec.traces(), expect=len(DJANGO_CALLS))
