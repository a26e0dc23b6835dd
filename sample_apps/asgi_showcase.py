"""A raw ASGI app (no framework) that uses every kind of ASGI message.

    tracer run sample_apps.asgi_showcase:app

    lifespan               startup puts a start time and a request counter in scope["state"]
    GET  /                 an index of the routes
    GET  /state            what lifespan startup left in scope["state"]
    POST /echo-json        a JSON body gathered from several http.request messages
    GET  /stream           a streamed response: 5 chunks with more_body, 0.2 s apart
    GET  /events           server-sent events (text/event-stream): 5 ticks 0.2 s apart, then "done"
    WS   /ws               a websocket echo: every text message comes back; "bye" closes
    GET  /boom-late        starts the response, then raises (the server drops the connection)
    GET  /slow?seconds=1   waits, ending early on http.disconnect (concurrent requests overlap)
    GET  /blocking?seconds=1  time.sleep() inside async code: blocks the event loop (requests queue)
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs

_INDEX = b"""<!doctype html><title>ASGI showcase</title>
<h1>ASGI showcase</h1><ul>
<li><a href="/state">/state</a> lifespan state</li>
<li>POST /echo-json: body in several messages</li>
<li><a href="/stream">/stream</a> streamed response</li>
<li><a href="/events">/events</a> server-sent events</li>
<li>ws://.../ws: websocket echo</li>
<li><a href="/boom-late">/boom-late</a> raises after starting the response</li>
<li><a href="/slow">/slow</a> waits on http.disconnect</li>
<li><a href="/blocking">/blocking</a> blocks the event loop</li>
</ul>"""


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Dispatch on the scope type, then on the path."""
    if scope["type"] == "lifespan":
        await lifespan(scope, receive, send)
    elif scope["type"] == "websocket":
        await websocket_echo(scope, receive, send)
    elif scope["type"] == "http":
        state = scope.get("state")
        if state is not None and "requests" in state:
            state["requests"]["count"] += 1
        handler = _ROUTES.get(scope["path"], not_found)
        await handler(scope, receive, send)


async def lifespan(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Fill scope["state"] at startup; servers copy it into every request's scope."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            state = scope.get("state")
            if state is not None:
                state["started_at"] = time.time()
                # A dict, so requests that get a shallow copy of the state still share it.
                state["requests"] = {"count": 0}
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def index(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await respond(send, 200, _INDEX, b"text/html; charset=utf-8")


async def show_state(scope: dict[str, Any], receive: Any, send: Any) -> None:
    state = scope.get("state") or {}
    body = {
        "started_at": state.get("started_at"),
        "requests": state.get("requests", {}).get("count"),
    }
    await respond_json(send, 200, body)


async def echo_json(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Gather the body from every http.request message until more_body is false."""
    chunks = []
    messages = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        messages += 1
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    try:
        received = json.loads(b"".join(chunks) or b"null")
    except ValueError as exc:
        await respond_json(send, 400, {"error": f"not JSON: {exc}"})
        return
    await respond_json(send, 200, {"received": received, "messages": messages})


async def stream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    query = _query(scope)
    count = int(query.get("count", 5))
    delay = float(query.get("delay", 0.2))
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for number in range(count):
        if number:
            await asyncio.sleep(delay)
        chunk = f"chunk {number} at {time.time():.3f}\n".encode()
        await send({"type": "http.response.body", "body": chunk, "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


async def events(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Server-sent events: one `data:` block per message, the connection held open between them."""
    query = _query(scope)
    count = int(query.get("count", 5))
    headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    for number in range(count):
        payload = json.dumps({"tick": number, "at": round(time.time(), 3)})
        event = f"id: {number}\nevent: tick\ndata: {payload}\n\n".encode()
        await send({"type": "http.response.body", "body": event, "more_body": True})
        await asyncio.sleep(0.2)
    await send({"type": "http.response.body", "body": b"event: done\ndata: bye\n\n"})


async def websocket_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Echo each text or bytes message; the text "bye" closes the socket with 1000."""
    if scope["path"] != "/ws":
        await receive()  # websocket.connect
        await send({"type": "websocket.close", "code": 4404, "reason": "no such websocket"})
        return
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept", "subprotocol": None})
        elif message["type"] == "websocket.receive":
            text = message.get("text")
            if text == "bye":
                await send({"type": "websocket.send", "text": "bye!"})
                await send({"type": "websocket.close", "code": 1000, "reason": "said bye"})
                return
            if text is not None:
                await send({"type": "websocket.send", "text": f"echo: {text}"})
            else:
                await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})
        elif message["type"] == "websocket.disconnect":
            return


async def boom_late(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"first chunk, then ", "more_body": True})
    raise RuntimeError("failed while streaming /boom-late")


async def slow(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Sleep without blocking the loop; stop early if the client goes away (http.disconnect)."""
    seconds = min(float(_query(scope).get("seconds", 1)), 10.0)
    started = time.time()
    await _drain_body(receive)
    disconnected = asyncio.ensure_future(_wait_disconnect(receive))
    try:
        await asyncio.wait_for(asyncio.shield(disconnected), timeout=seconds)
    except asyncio.TimeoutError:
        pass
    else:
        return  # The client left; nobody to answer.
    finally:
        disconnected.cancel()
    await respond(send, 200, f"slept {seconds:g} s from {started:.3f}\n".encode(), b"text/plain")


async def blocking(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A blocking call in async code holds up every other request on the event loop."""
    seconds = min(float(_query(scope).get("seconds", 1)), 10.0)
    started = time.time()
    time.sleep(seconds)
    await respond(send, 200, f"blocked the loop {seconds:g} s from {started:.3f}\n".encode(), b"text/plain")


async def not_found(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await respond(send, 404, b"not found\n", b"text/plain")


async def respond(send: Any, status: int, body: bytes, content_type: bytes) -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def respond_json(send: Any, status: int, value: Any) -> None:
    await respond(send, status, json.dumps(value).encode() + b"\n", b"application/json")


async def _drain_body(receive: Any) -> None:
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


async def _wait_disconnect(receive: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _query(scope: dict[str, Any]) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {key: values[-1] for key, values in parsed.items()}


_ROUTES = {
    "/": index,
    "/state": show_state,
    "/echo-json": echo_json,
    "/stream": stream,
    "/events": events,
    "/boom-late": boom_late,
    "/slow": slow,
    "/blocking": blocking,
}

application = app
