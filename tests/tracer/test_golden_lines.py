"""The bytes `JsonlSink` writes for a fixed set of requests, with fixed ids and clocks, against a recorded copy.

Recording must stay byte for byte the same as the hot path changes. To record
the copy again (only when the format is meant to change):
``TRACER_WRITE_GOLDEN=1 python -m pytest tests/tracer/test_golden_lines.py``.
"""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path
from typing import Any

import pytest

from tests.tracer._fixed_clock import fix_ids_and_clocks
from tracer import ASGITracer, JsonlSink, WSGITracer

GOLDEN = Path(__file__).with_name("golden_lines.jsonl")
BODY = bytes(range(32, 127)) * 40  # 3,800 bytes of text
HEADERS = [
    ("Accept", "application/json"),
    ("Authorization", "Bearer abcdef0123456789"),
    ("Cookie", "session=1"),
    ("User-Agent", "golden/1.0"),
    ("X-Request-Id", "0f8fad5b"),
]


class _Named:
    """A value the codec keeps as its repr: the same text every run."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<{self.name}>"


class _Input(io.BytesIO):
    def __repr__(self) -> str:
        return "<request body>"


class _Errors(io.StringIO):
    def __repr__(self) -> str:
        return "<errors>"


def _environ(method: str, path: str, body: bytes, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "a=1&b=%20",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "CONTENT_LENGTH": str(len(body)),
        "CONTENT_TYPE": "text/plain",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": _Input(body),
        "wsgi.errors": _Errors(),
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "wsgi.file_wrapper": _Named("file_wrapper"),
        "werkzeug.request": None,
        "app.count": 7,
        "app.ratio": 0.5,
        "app.big": 2**70,
        "app.bytes": b"\xff\x00raw",
        "app.nested": {"list": [1, (2, 3)], "$odd": "key"},
    }
    for name, value in HEADERS:
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    environ.update(extra or {})
    return environ


def wsgi_hello(environ: Any, start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def wsgi_everything(environ: Any, start_response: Any) -> Any:
    stream = environ["wsgi.input"]
    first = stream.readline()
    rest = stream.read(int(environ["CONTENT_LENGTH"]) - len(first))
    stream.read()
    environ["wsgi.errors"].write("a warning\n")
    environ["wsgi.errors"].writelines(["two ", "lines\n"])
    write = start_response(
        "201 Created",
        [("Content-Type", "application/octet-stream"), ("Set-Cookie", "id=1"), ("X-Len", str(len(rest)))],
    )
    write(b"written first")

    def stream_body() -> Any:
        yield b"caf\xc3\xa9 "
        yield b"\xff\xfe binary"
        yield b""
        yield b"x" * 5000

    return stream_body()


def wsgi_odd_headers(environ: Any, start_response: Any) -> Any:
    start_response("200 OK", (("Content-Type", "text/plain"), ["X-List", "1"]))
    return iter([b"ok"])


def _run_wsgi(app: Any, environ: dict[str, Any], close: bool = True) -> None:
    result = app(environ, lambda status, headers, exc_info=None: lambda data: None)
    for _chunk in result:
        pass
    if close:
        result.close()


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept", "subprotocol": None, "headers": [(b"set-cookie", b"x=1")]})
        message = await receive()
        await send({"type": "websocket.send", "text": message.get("text")})
        await send({"type": "websocket.send", "bytes": b"\x00\xffbin"})
        await receive()
        return
    more = True
    while more:
        message = await receive()
        more = message.get("more_body", False)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"set-cookie", b"a=b")],
            "trailers": False,
        }
    )
    for index in range(3):
        await send({"type": "http.response.body", "body": b"chunk %d " % index * 100, "more_body": index < 2})


def _scope(kind: str) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000"), (b"authorization", b"Basic eDp5"), (b"x-custom", b"\xff\xfe")]
    scope: dict[str, Any] = {
        "type": kind,
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "scheme": "http" if kind == "http" else "ws",
        "path": "/api/items",
        "raw_path": b"/api/items",
        "query_string": b"q=%ff",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {"n": 1},
        "extensions": {"http.response.trailers": {}},
    }
    if kind == "http":
        scope["method"] = "POST"
    else:
        scope["subprotocols"] = ["chat"]
    return scope


def _run_asgi(app: Any, kind: str, messages: list[dict[str, Any]]) -> None:
    queue = list(messages)

    async def receive() -> dict[str, Any]:
        return queue.pop(0) if queue else {"type": f"{kind}.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    asyncio.run(app(_scope(kind), receive, send))


def record(path: Path) -> bytes:
    """Every event line the fixed requests produce (the header line, which holds a date, left out)."""
    sink = JsonlSink(path)
    plain = WSGITracer(wsgi_hello, sink=sink)
    _run_wsgi(plain, _environ("GET", "/", b""))
    _run_wsgi(WSGITracer(wsgi_everything, sink=sink), _environ("POST", "/upload", b"line one\n" + BODY))
    _run_wsgi(WSGITracer(wsgi_everything, sink=sink, max_body_bytes=100), _environ("POST", "/cut", b"line\n" + BODY))
    _run_wsgi(WSGITracer(wsgi_everything, sink=sink, redact_headers=["user-agent"]), _environ("PUT", "/r", b"x\n"))
    _run_wsgi(WSGITracer(wsgi_odd_headers, sink=sink), _environ("GET", "/odd", b""), close=False)
    asgi = ASGITracer(asgi_app, sink=sink)
    _run_asgi(asgi, "http", [{"type": "http.request", "body": BODY, "more_body": True}, {"type": "http.request", "body": b"\xff"}])
    _run_asgi(ASGITracer(asgi_app, sink=sink, max_body_bytes=50), "http", [{"type": "http.request", "body": BODY}])
    _run_asgi(
        asgi,
        "websocket",
        [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hi"}, {"type": "websocket.disconnect", "code": 1000}],
    )
    sink.close()
    lines = path.read_bytes().splitlines(keepends=True)
    return b"".join(line for line in lines[1:])


def test_lines_are_byte_identical_to_the_recorded_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fix_ids_and_clocks(monkeypatch)
    written = record(tmp_path / "golden.jsonl")
    if os.environ.get("TRACER_WRITE_GOLDEN"):
        GOLDEN.write_bytes(written)
    assert written.count(b"\n") > 40
    assert written == GOLDEN.read_bytes()
