"""The sample apps check clean: every route of every sample app, no errors and no warnings."""

from __future__ import annotations

import importlib
from typing import Any

import httpx
import pytest
from werkzeug.test import Client

from tracer import ASGITracer, Recorder, WSGITracer

from .conftest import assert_clean
from .drivers import lifespan_scope, run_asgi, ws_scope

WSGI_CALLS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "hello_wsgi": [("GET", "/", {})],
    "twin_wsgi": [
        ("GET", "/", {}),
        ("POST", "/notes", {"json": {"text": "first"}}),
        ("GET", "/notes", {}),
        ("GET", "/notes/1", {}),
        ("GET", "/notes/99", {}),
        ("GET", "/slow", {"query_string": "seconds=0"}),
        ("GET", "/stream", {}),
    ],
    "wsgi_showcase": [
        ("GET", "/", {}),
        ("GET", "/form", {}),
        ("POST", "/form", {"data": {"name": "Ada", "lang": "python"}}),
        ("POST", "/upload", {"data": {"note": "hi", "file": (__import__("io").BytesIO(b"x" * 10_000), "big.bin")}}),
        ("POST", "/lines", {"data": b"one\ntwo\nthree\n"}),
        ("GET", "/stream", {"query_string": "delay=0"}),
        ("GET", "/legacy", {}),
        ("GET", "/download", {}),
        ("GET", "/boom", {}),
        ("GET", "/boom-late", {}),
        ("GET", "/exc-info", {}),
        ("GET", "/slow", {"query_string": "seconds=0"}),
        ("GET", "/missing", {}),
    ],
}

ASGI_CALLS: dict[str, list[tuple[str, str, dict[str, Any]]]] = {
    "hello_asgi": [("GET", "/", {})],
    "twin_asgi": [(m, p, {k: v for k, v in o.items() if k != "query_string"} | ({"params": o["query_string"]} if "query_string" in o else {})) for m, p, o in WSGI_CALLS["twin_wsgi"]],
    "asgi_showcase": [
        ("GET", "/", {}),
        ("GET", "/state", {}),
        ("POST", "/echo-json", {"content": b'{"a": [1, 2]}'}),
        ("GET", "/stream", {"params": "delay=0"}),
        ("GET", "/events", {"params": "count=2"}),
        ("GET", "/boom-late", {}),
        ("GET", "/slow", {"params": "seconds=0"}),
        ("GET", "/blocking", {"params": "seconds=0"}),
        ("GET", "/missing", {}),
    ],
}


@pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("name", sorted(WSGI_CALLS))
def test_wsgi_sample_app_is_clean(name: str) -> None:
    app = importlib.import_module(f"sample_apps.{name}").app
    rec = Recorder()
    client = Client(WSGITracer(app, sink=rec))
    for method, path, options in WSGI_CALLS[name]:
        response = None
        try:
            response = client.open(path, method=method, **options)
            response.get_data()
        except (ZeroDivisionError, RuntimeError, LookupError):
            pass  # /boom and /boom-late raise on purpose; Werkzeug's test client re-raises exc_info
        finally:
            if response is not None:
                response.close()  # as a server does, even when iterating raised
    assert_clean(rec.traces(), expect=len(WSGI_CALLS[name]))


@pytest.mark.parametrize("name", sorted(ASGI_CALLS))
async def test_asgi_sample_app_is_clean(name: str) -> None:
    app = importlib.import_module(f"sample_apps.{name}").app
    rec = Recorder()
    traced = ASGITracer(app, sink=rec)
    transport = httpx.ASGITransport(app=traced, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for method, path, options in ASGI_CALLS[name]:
            await client.request(method, path, **options)
    assert_clean(rec.traces(), expect=len(ASGI_CALLS[name]))


async def test_asgi_showcase_lifespan_and_websocket_are_clean() -> None:
    from sample_apps.asgi_showcase import app

    lifespan = await run_asgi(app, lifespan_scope(), [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    talk = [
        {"type": "websocket.connect"},
        {"type": "websocket.receive", "text": "hi"},
        {"type": "websocket.receive", "bytes": b"\x00"},
        {"type": "websocket.receive", "text": "bye"},
    ]
    echo = await run_asgi(app, ws_scope(), talk)
    unknown = await run_asgi(app, ws_scope(path="/nope", raw_path=b"/nope"), talk[:1])
    hello = await run_asgi(importlib.import_module("sample_apps.hello_asgi").app, lifespan_scope(), [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
    assert_clean([lifespan, echo, unknown, hello])
