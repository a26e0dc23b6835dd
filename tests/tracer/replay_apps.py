"""Deterministic WSGI and ASGI apps for the replay tests, each with a changed copy.

Every request kind of the sample apps, with answers that depend only on the
request (no clocks), so a replay of a recording is the same exchange:

    GET  /               a greeting (ASGI: from the lifespan state)
    POST /form           an urlencoded form, read as fields
    POST /upload         a multipart upload read from the body in 4 KiB pieces (WSGI) / messages (ASGI)
    POST /echo-json      a JSON body (ASGI: gathered from several http.request messages)
    GET  /stream         four chunks
    GET  /slow           WSGI: ten chunks, for a client that leaves early; ASGI: waits for http.disconnect
    GET  /private        200 with ``Authorization: Bearer s3cret``, else 401
    WS   /chat           echoes text and bytes; "bye" closes with 1000 (ASGI)

``changed_wsgi_app`` and ``changed_asgi_app`` answer /form with 202 and a
different text, and the ASGI one echoes websocket messages in capitals.
"""

from __future__ import annotations

import io
import json
from typing import Any
from urllib.parse import parse_qsl

from werkzeug.formparser import parse_form_data

PIECE = 4096


def make_wsgi_app(changed: bool = False) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        path, method = environ.get("PATH_INFO") or "/", environ["REQUEST_METHOD"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        stream = environ["wsgi.input"]
        if path == "/form" and method == "POST":
            fields = parse_qsl(stream.read(length).decode())
            text = ("FORM " if changed else "form: ") + ", ".join(f"{k}={v}" for k, v in fields)
            return _answer(start_response, "202 Accepted" if changed else "200 OK", text.encode())
        if path == "/upload" and method == "POST":
            pieces = []
            while length > 0:
                piece = stream.read(min(PIECE, length))
                if not piece:
                    break
                pieces.append(piece)
                length -= len(piece)
            body = b"".join(pieces)
            return _answer(start_response, "200 OK", _upload_report(body, environ.get("CONTENT_TYPE", ""), len(pieces)))
        if path == "/echo-json" and method == "POST":
            received = json.loads(stream.read(length) or b"null")
            return _answer(start_response, "200 OK", json.dumps({"received": received}).encode(), "application/json")
        if path == "/stream":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return (f"chunk {n}\n".encode() for n in range(4))
        if path == "/slow":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return (f"slow {n}\n".encode() for n in range(10))
        if path == "/private":
            if environ.get("HTTP_AUTHORIZATION") == "Bearer s3cret":
                return _answer(start_response, "200 OK", b"welcome\n")
            return _answer(start_response, "401 Unauthorized", b"who are you?\n")
        return _answer(start_response, "200 OK", b"hello\n")

    return app


def _answer(start_response: Any, status: str, body: bytes, content_type: str = "text/plain") -> list[bytes]:
    start_response(status, [("Content-Type", content_type), ("Content-Length", str(len(body)))])
    return [body]


def _upload_report(body: bytes, content_type: str, pieces: int) -> bytes:
    environ = {"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body)), "CONTENT_TYPE": content_type, "REQUEST_METHOD": "POST"}
    _, form, files = parse_form_data(environ)
    lines = [f"{len(body)} bytes in {pieces} pieces"]
    lines += [f"field {k}={v}" for k, v in form.items(multi=True)]
    for key, upload in files.items(multi=True):
        lines.append(f"file {key}: {upload.filename} ({len(upload.read())} bytes)")
        upload.close()
    return "\n".join(lines).encode() + b"\n"


def make_asgi_app(changed: bool = False) -> Any:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    scope["state"]["greeting"] = "hello from the lifespan"
                    await send({"type": "lifespan.startup.complete"})
                else:
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] == "websocket":
            await _chat(receive, send, changed)
            return
        path, method = scope["path"], scope["method"]
        if path == "/slow":
            while (await receive())["type"] != "http.disconnect":
                pass
            return
        if path == "/stream":
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
            for n in range(4):
                await send({"type": "http.response.body", "body": f"chunk {n}\n".encode(), "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        body, messages = await _body(receive)
        if path == "/form" and method == "POST":
            fields = parse_qsl(body.decode())
            text = ("FORM " if changed else "form: ") + ", ".join(f"{k}={v}" for k, v in fields)
            await _respond(send, 202 if changed else 200, text.encode())
        elif path == "/upload" and method == "POST":
            headers = dict(scope["headers"])
            await _respond(send, 200, _upload_report(body, headers.get(b"content-type", b"").decode(), messages))
        elif path == "/echo-json" and method == "POST":
            payload = {"received": json.loads(body or b"null"), "messages": messages}
            await _respond(send, 200, json.dumps(payload).encode(), b"application/json")
        else:
            greeting = (scope.get("state") or {}).get("greeting", "no lifespan")
            await _respond(send, 200, f"{greeting}\n".encode())

    return app


async def _body(receive: Any) -> tuple[bytes, int]:
    chunks, messages = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        messages += 1
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return b"".join(chunks), messages


async def _respond(send: Any, status: int, body: bytes, content_type: bytes = b"text/plain") -> None:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _chat(receive: Any, send: Any, changed: bool) -> None:
    while True:
        message = await receive()
        if message["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif message["type"] == "websocket.receive":
            text = message.get("text")
            if text == "bye":
                await send({"type": "websocket.send", "text": "bye!"})
                await send({"type": "websocket.close", "code": 1000})
                return
            if text is not None:
                reply = f"echo: {text}"
                await send({"type": "websocket.send", "text": reply.upper() if changed else reply})
            else:
                await send({"type": "websocket.send", "bytes": message.get("bytes") or b""})
        else:
            return


wsgi_app = make_wsgi_app()
changed_wsgi_app = make_wsgi_app(changed=True)
asgi_app = make_asgi_app()
changed_asgi_app = make_asgi_app(changed=True)
