"""A trace file of exchanges that reach the protocol states the mixed fixture never does.

Small ASGI apps, driven in-process through `ASGITracer` into a `JsonlSink`:
an HTTP response with trailers, read until http.disconnect; websockets that
the app closes, refuses, or answers with an HTTP denial response; lifespans
whose startup or shutdown fails; and two broken apps, whose mistakes the
state panel and `tracer check` both name.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from tracer import ASGITracer, JsonlSink

Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]


def _scope(kind: str, path: str = "/") -> dict[str, Any]:
    if kind == "lifespan":
        return {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    return {
        "type": kind, "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http" if kind == "http" else "ws",
        "method": "GET", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"rare.test")], "client": ["127.0.0.1", 50000], "server": ["rare.test", 80],
        "extensions": {"http.response.trailers": {}, "websocket.http.response": {}},
    }


async def trailers(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Declares trailers, sends them after the body, then waits for the client to go."""
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"trailer", b"x-checksum")],
                "trailers": True})
    await send({"type": "http.response.body", "body": b"data", "more_body": False})
    await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")], "more_trailers": False})
    await receive()


async def ws_closing(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Accepts, echoes one message, closes, and waits for the client's close."""
    await receive()
    await send({"type": "websocket.accept"})
    message = await receive()
    await send({"type": "websocket.send", "text": message.get("text", "")})
    await send({"type": "websocket.close", "code": 1000})
    await receive()


async def ws_refused(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Refuses the handshake by closing before accepting."""
    await receive()
    await send({"type": "websocket.close", "code": 1008})


async def ws_denial(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Answers the handshake with an HTTP 401 (the websocket denial response extension)."""
    await receive()
    await send({"type": "websocket.http.response.start", "status": 401, "headers": []})
    await send({"type": "websocket.http.response.body", "body": b"who are you?", "more_body": False})


async def startup_fails(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Cannot start."""
    await receive()
    await send({"type": "lifespan.startup.failed", "message": "no database"})


async def shutdown_fails(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Starts, then cannot clean up."""
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await send({"type": "lifespan.shutdown.failed", "message": "pool stuck"})


async def body_twice(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Broken: sends http.response.start twice, and a body after the response was complete."""
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.start", "status": 500, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})
    await send({"type": "http.response.body", "body": b"again"})


async def ws_send_before_accept(scope: dict[str, Any], receive: Receive, send: Send) -> None:
    """Broken: sends a message before accepting."""
    await receive()
    await send({"type": "websocket.send", "text": "too early"})
    await send({"type": "websocket.accept"})
    await receive()


APPS: tuple[tuple[Callable[..., Awaitable[None]], str, str, list[dict[str, Any]]], ...] = (
    (trailers, "http", "/trailers", [{"type": "http.request", "body": b"", "more_body": False}]),
    (ws_closing, "websocket", "/closing", [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hi"}]),
    (ws_refused, "websocket", "/refused", [{"type": "websocket.connect"}]),
    (ws_denial, "websocket", "/denial", [{"type": "websocket.connect"}]),
    (startup_fails, "lifespan", "", [{"type": "lifespan.startup"}]),
    (shutdown_fails, "lifespan", "", [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]),
    (body_twice, "http", "/twice", [{"type": "http.request", "body": b"", "more_body": False}]),
    (ws_send_before_accept, "websocket", "/early", [{"type": "websocket.connect"}]),
)
"""Each app, its scope type and path, and what receive() gives it before http.disconnect or websocket.disconnect."""


async def _drive(app: Callable[..., Awaitable[None]], kind: str, path: str, inbound: list[dict[str, Any]],
                 sink: JsonlSink) -> None:
    messages = list(inbound)
    gone = {"http": {"type": "http.disconnect"}, "websocket": {"type": "websocket.disconnect", "code": 1000}}

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else dict(gone.get(kind, {"type": "lifespan.shutdown"}))

    async def send(message: dict[str, Any]) -> None:
        pass

    await ASGITracer(app, sink=sink)(_scope(kind, path), receive, send)


def write_rare(path: str) -> str:
    """Record every app of `APPS` into a new trace file at `path`; returns the path."""
    sink = JsonlSink(path)

    async def main() -> None:
        for app, kind, where, inbound in APPS:
            await _drive(app, kind, where, inbound, sink)

    asyncio.run(main())
    sink.close()
    return path
