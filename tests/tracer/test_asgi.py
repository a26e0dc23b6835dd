"""ASGITracer records every ASGI message and passes the very same objects through."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from asgiref.testing import ApplicationCommunicator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tracer import ASGITracer, Recorder
from tracer.model import TruncatedBytes

HTTP_SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "scheme": "http",
    "path": "/upload",
    "raw_path": b"/upload",
    "query_string": b"a=1",
    "root_path": "",
    "headers": [(b"host", b"testserver"), (b"authorization", b"Bearer hunter2"), (b"content-type", b"text/plain")],
    "client": ("127.0.0.1", 5000),
    "server": ("127.0.0.1", 8000),
}


def http_scope(**changes: Any) -> dict[str, Any]:
    return {**HTTP_SCOPE, **changes}


def kinds(trace: Any) -> list[str]:
    return [event.kind for event in trace.events]


def message_types(trace: Any) -> list[str]:
    return [f"{e.kind} {e.data['message']['type']}" for e in trace.events if e.kind in ("asgi.send", "asgi.receive")]


async def echo_app(scope, receive, send):  # type: ignore[no-untyped-def]
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 201, "headers": [(b"set-cookie", b"sid=secret")]})
    await send({"type": "http.response.body", "body": body})


async def test_http_request_is_recorded_message_by_message() -> None:
    rec = Recorder()
    communicator = ApplicationCommunicator(ASGITracer(echo_app, sink=rec), http_scope())
    await communicator.send_input({"type": "http.request", "body": b"hello ", "more_body": True})
    await communicator.send_input({"type": "http.request", "body": b"world", "more_body": False})
    start = await communicator.receive_output(1)
    body = await communicator.receive_output(1)
    await communicator.wait(1)
    assert start == {"type": "http.response.start", "status": 201, "headers": [(b"set-cookie", b"sid=secret")]}
    assert body == {"type": "http.response.body", "body": b"hello world"}

    (trace,) = rec.traces()
    assert kinds(trace) == ["asgi.scope", "asgi.receive", "asgi.receive", "asgi.send", "asgi.send", "asgi.end"]
    assert trace.protocol == "asgi" and trace.scope_type == "http"
    assert (trace.method, trace.path, trace.status, trace.complete, trace.error) == ("POST", "/upload", 201, True, False)
    scope = trace.events[0].data["scope"]
    assert scope["headers"] == [[b"host", b"testserver"], [b"authorization", b"[redacted]"], [b"content-type", b"text/plain"]]
    assert scope["client"] == ["127.0.0.1", 5000]
    assert scope["raw_path"] == b"/upload"
    assert trace.events[1].data == {"message": {"type": "http.request", "body": b"hello ", "more_body": True}}
    assert trace.events[3].data["message"]["headers"] == [[b"set-cookie", b"[redacted]"]]
    assert trace.events[4].data == {"message": {"type": "http.response.body", "body": b"hello world"}}
    assert [e.seq for e in trace.events] == list(range(6))


async def test_app_and_server_get_the_very_same_objects() -> None:
    scope = http_scope()
    incoming = {"type": "http.request", "body": b"x", "more_body": False}
    outgoing = {"type": "http.response.start", "status": 200, "headers": []}
    seen: dict[str, Any] = {}

    async def app(app_scope, receive, send):  # type: ignore[no-untyped-def]
        seen["scope"] = app_scope
        seen["message"] = await receive()
        await send(outgoing)
        outgoing["status"] = 599  # mutation after send must not rewrite the trace
        app_scope["state_added_later"] = True

    async def receive():  # type: ignore[no-untyped-def]
        return incoming

    async def send(message):  # type: ignore[no-untyped-def]
        seen["sent"] = message

    rec = Recorder()
    await ASGITracer(app, sink=rec)(scope, receive, send)
    assert seen["scope"] is scope
    assert seen["message"] is incoming
    assert seen["sent"] is outgoing
    (trace,) = rec.traces()
    assert trace.events[2].data["message"]["status"] == 200
    assert "state_added_later" not in trace.events[0].data["scope"]


async def test_streamed_body_reaches_the_server_before_the_next_chunk_exists() -> None:
    produced: list[int] = []
    release = asyncio.Event()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        produced.append(1)
        await send({"type": "http.response.body", "body": b"one", "more_body": True})
        await release.wait()
        produced.append(2)
        await send({"type": "http.response.body", "body": b"two", "more_body": False})

    rec = Recorder()
    communicator = ApplicationCommunicator(ASGITracer(app, sink=rec), http_scope(method="GET"))
    await communicator.send_input({"type": "http.request", "body": b"", "more_body": False})
    assert (await communicator.receive_output(1))["type"] == "http.response.start"
    assert await communicator.receive_output(1) == {"type": "http.response.body", "body": b"one", "more_body": True}
    assert produced == [1]
    release.set()
    assert await communicator.receive_output(1) == {"type": "http.response.body", "body": b"two", "more_body": False}
    await communicator.wait(1)
    assert produced == [1, 2]
    assert rec.traces()[0].complete


async def test_websocket_session_is_traced() -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        assert (await receive())["type"] == "websocket.connect"
        await send({"type": "websocket.accept"})
        while True:
            message = await receive()
            if message["type"] == "websocket.disconnect":
                return
            await send({"type": "websocket.send", "text": "echo: " + message["text"]})

    rec = Recorder()
    scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b"", "subprotocols": []}
    communicator = ApplicationCommunicator(ASGITracer(app, sink=rec), scope)
    await communicator.send_input({"type": "websocket.connect"})
    assert await communicator.receive_output(1) == {"type": "websocket.accept"}
    await communicator.send_input({"type": "websocket.receive", "text": "hi"})
    assert await communicator.receive_output(1) == {"type": "websocket.send", "text": "echo: hi"}
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(1)

    (trace,) = rec.traces()
    assert trace.scope_type == "websocket" and trace.method == "WS" and trace.status == 101
    assert message_types(trace) == [
        "asgi.receive websocket.connect",
        "asgi.send websocket.accept",
        "asgi.receive websocket.receive",
        "asgi.send websocket.send",
        "asgi.receive websocket.disconnect",
    ]
    assert trace.complete


async def test_lifespan_is_traced() -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["db"] = object()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    rec = Recorder()
    communicator = ApplicationCommunicator(ASGITracer(app, sink=rec), {"type": "lifespan", "state": {}})
    await communicator.send_input({"type": "lifespan.startup"})
    assert await communicator.receive_output(1) == {"type": "lifespan.startup.complete"}
    await communicator.send_input({"type": "lifespan.shutdown"})
    assert await communicator.receive_output(1) == {"type": "lifespan.shutdown.complete"}
    await communicator.wait(1)
    (trace,) = rec.traces()
    assert trace.scope_type == "lifespan" and trace.method is None and trace.path is None
    assert len(trace.events) == 6 and trace.complete


async def test_asgi2_double_callable_apps_are_accepted() -> None:
    class LegacyApp:
        def __init__(self, scope):  # type: ignore[no-untyped-def]
            self.scope = scope

        async def __call__(self, receive, send):  # type: ignore[no-untyped-def]
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": b"legacy"})

    rec = Recorder()
    communicator = ApplicationCommunicator(ASGITracer(LegacyApp, sink=rec), http_scope(method="GET"))
    await communicator.send_input({"type": "http.request"})
    assert (await communicator.receive_output(1))["status"] == 200
    assert (await communicator.receive_output(1))["body"] == b"legacy"
    await communicator.wait(1)
    assert rec.traces()[0].status == 200


async def test_exception_propagates_unchanged_and_end_is_last() -> None:
    failure = RuntimeError("after start")

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise failure

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request"}

    async def send(message):  # type: ignore[no-untyped-def]
        pass

    rec = Recorder()
    with pytest.raises(RuntimeError) as caught:
        await ASGITracer(app, sink=rec)(http_scope(), receive, send)
    assert caught.value is failure
    assert caught.value.__context__ is None and caught.value.__cause__ is None
    (trace,) = rec.traces()
    assert kinds(trace) == ["asgi.scope", "asgi.send", "asgi.error", "asgi.end"]
    assert trace.events[2].data["type"] == "RuntimeError"
    assert trace.error


async def test_bodies_are_cut_at_max_body_bytes() -> None:
    rec = Recorder()
    communicator = ApplicationCommunicator(ASGITracer(echo_app, sink=rec, max_body_bytes=4), http_scope())
    await communicator.send_input({"type": "http.request", "body": b"abc", "more_body": True})
    await communicator.send_input({"type": "http.request", "body": b"def", "more_body": True})
    await communicator.send_input({"type": "http.request", "body": b"ghi", "more_body": False})
    await communicator.receive_output(1)
    assert (await communicator.receive_output(1))["body"] == b"abcdefghi"
    await communicator.wait(1)
    (trace,) = rec.traces()
    received = [e.data["message"]["body"] for e in trace.events if e.kind == "asgi.receive"]
    assert received == [b"abc", b"d", b""]
    assert received[1].original_length == 3 and received[2].original_length == 3
    sent = trace.events[-2].data["message"]["body"]
    assert sent == b"abcd" and isinstance(sent, TruncatedBytes) and sent.original_length == 9


# Real frameworks through httpx's ASGI transport


def make_starlette() -> Starlette:
    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello", headers={"X-Z": "1", "X-A": "2"})

    async def data(request: Request) -> JSONResponse:
        return JSONResponse({"got": (await request.body()).decode()})

    async def stream(request: Request) -> StreamingResponse:
        async def chunks():  # type: ignore[no-untyped-def]
            for index in range(5):
                yield f"chunk {index}\n"

        return StreamingResponse(chunks(), media_type="text/plain")

    async def websocket_echo(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text(await websocket.receive_text())
        await websocket.close()

    return Starlette(
        routes=[
            Route("/hello", hello),
            Route("/data", data, methods=["POST"]),
            Route("/stream", stream),
            WebSocketRoute("/ws", websocket_echo),
        ]
    )


async def fetch(app: Any, method: str, path: str, **kwargs: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.request(method, path, **kwargs)
    return response.status_code, list(response.headers.items()), response.content


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [("GET", "/hello", {}), ("POST", "/data", {"content": b"payload"}), ("GET", "/stream", {}), ("GET", "/nope", {})],
)
async def test_starlette_responses_identical_with_add_middleware(method: str, path: str, kwargs: dict[str, Any]) -> None:
    plain = make_starlette()
    traced = make_starlette()
    rec = Recorder()
    traced.add_middleware(ASGITracer, sink=rec)
    assert await fetch(traced, method, path, **kwargs) == await fetch(plain, method, path, **kwargs)
    (trace,) = [t for t in rec.traces() if t.scope_type == "http"]
    assert trace.complete and trace.path == path


async def test_starlette_streaming_keeps_every_chunk() -> None:
    app = make_starlette()
    rec = Recorder()
    app.add_middleware(ASGITracer, sink=rec)
    await fetch(app, "GET", "/stream")
    (trace,) = rec.traces()
    bodies = [e.data["message"] for e in trace.events if e.kind == "asgi.send"][1:]
    assert [m.get("body") for m in bodies if m.get("body")] == [f"chunk {i}\n".encode() for i in range(5)]
    assert bodies[-1].get("more_body", False) is False


@pytest.mark.parametrize(("method", "path", "data"), [("GET", "/hello", None), ("POST", "/echo", b"z" * 5000)], ids=["hello", "echo"])
async def test_django_asgi_responses_identical(django_configured: None, method: str, path: str, data: bytes | None) -> None:
    from django.core.asgi import get_asgi_application

    rec = Recorder()
    plain = await fetch(get_asgi_application(), method, path, content=data)
    traced = await fetch(ASGITracer(get_asgi_application(), sink=rec), method, path, content=data)
    assert traced == plain
    (trace,) = rec.traces()
    assert trace.complete and trace.status == 200
