"""The apps and requests the in-process benchmarks make: *hello* and *realistic*."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from typing import Any

BODY = os.urandom(2048).hex().encode()  # 4 KiB
CHUNK = b"x" * 1024
EXTRA_HEADERS = [
    ("Accept", "application/json"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept-Language", "en-GB,en;q=0.9"),
    ("Cache-Control", "no-cache"),
    ("Connection", "keep-alive"),
    ("Content-Type", "application/json"),
    ("Origin", "http://localhost:3000"),
    ("Referer", "http://localhost:3000/app"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) bench/1.0"),
    ("X-Request-Id", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("Authorization", "Bearer abcdef0123456789"),
]  # plus Host: 12 request headers


# The apps


def wsgi_hello(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def wsgi_realistic(environ, start_response):  # type: ignore[no-untyped-def]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    assert len(body) == len(BODY)
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(8 * len(CHUNK)))])

    def stream():  # type: ignore[no-untyped-def]
        for _ in range(8):
            yield CHUNK

    return stream()


async def asgi_hello(scope, receive, send):  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"Hello, World!"})


async def asgi_realistic(scope, receive, send):  # type: ignore[no-untyped-def]
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    assert len(body) == len(BODY)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/octet-stream"), (b"content-length", b"8192")],
        }
    )
    for index in range(8):
        await send({"type": "http.response.body", "body": CHUNK, "more_body": index < 7})


# Requests as a server would make them


def wsgi_environ(realistic: bool) -> Callable[[], dict[str, Any]]:
    base = {
        "REQUEST_METHOD": "POST" if realistic else "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/items" if realistic else "/",
        "QUERY_STRING": "page=2" if realistic else "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if realistic:
        base["CONTENT_LENGTH"] = str(len(BODY))
        base["CONTENT_TYPE"] = "application/json"
        for name, value in EXTRA_HEADERS:
            if name != "Content-Type":
                base["HTTP_" + name.upper().replace("-", "_")] = value

    def make() -> dict[str, Any]:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(BODY if realistic else b"")
        return environ

    return make


def asgi_scope(realistic: bool) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000")]
    if realistic:
        headers += [(name.lower().encode(), value.encode()) for name, value in EXTRA_HEADERS]
        headers.append((b"content-length", str(len(BODY)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST" if realistic else "GET",
        "scheme": "http",
        "path": "/api/items" if realistic else "/",
        "raw_path": b"/api/items" if realistic else b"/",
        "query_string": b"page=2" if realistic else b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
