"""The notes app of `twin_wsgi`, written natively for ASGI.

    tracer run sample_apps.twin_asgi:app              # native ASGI
    tracer run sample_apps.twin_asgi:wsgi_app_on_asgi  # twin_wsgi through asgiref's WsgiToAsgi

Same routes, same responses byte for byte; compare a request here with the
same request to `twin_wsgi` in the trace, or with the adapted WSGI app,
which asgiref runs in a thread per request.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from asgiref.wsgi import WsgiToAsgi

from sample_apps import twin_notes as notes
from sample_apps import twin_wsgi

_notes: list[dict] = []


async def app(scope, receive, send):
    """Route on method and path; accept lifespan so servers start cleanly."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].removeprefix("lifespan.")
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    if scope["type"] != "http":
        return
    method, path = scope["method"], scope["path"]
    query = {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
    if path == "/" and method == "GET":
        await _send(send, *notes.greeting())
    elif path == "/notes" and method == "GET":
        await _send(send, *notes.listing(_notes))
    elif path == "/notes" and method == "POST":
        await _send(send, *notes.add(_notes, await _body(receive)))
    elif path.startswith("/notes/") and method == "GET":
        await _send(send, *notes.one(_notes, path.removeprefix("/notes/")))
    elif path == "/stream" and method == "GET":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", notes.TEXT.encode())]})
        for number, chunk in enumerate(notes.STREAM_CHUNKS):
            if number:
                await asyncio.sleep(notes.STREAM_DELAY)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/slow" and method == "GET":
        seconds = notes.seconds(query.get("seconds"))
        await asyncio.sleep(seconds)
        await _send(send, *notes.slept(seconds))
    else:
        await _send(send, *notes.not_found())


async def _body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send(send, status: int, content_type: str, body: bytes) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


wsgi_app_on_asgi = WsgiToAsgi(twin_wsgi.app)
"""The WSGI twin adapted by asgiref: ASGI outside, WSGI (in a thread) inside."""

application = app
