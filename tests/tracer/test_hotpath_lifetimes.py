"""Every request's state is released when its trace ends, in the pure and in the compiled build.

mypyc 2.4.1 compiles a subclass that adds no attributes to a class open to
interpreted subclasses so that its instances never release what they hold: every
list-returning WSGI request's state stayed alive. These run in both builds.
"""

from __future__ import annotations

import asyncio
import io
import gc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from tracer import ASGITracer, JsonlSink, Recorder, WSGITracer
from tracer._session import TraceSession
from tracer.wsgi import TracedIterable, TracedWrite, _RequestState

REQUESTS = 40
_TRACKED = (_RequestState, TraceSession, TracedIterable, TracedWrite)


def _live() -> dict[str, int]:
    """Instances of the per-request classes still alive, by class name, after a full collection."""
    gc.collect()
    counts: dict[str, int] = {}
    for obj in gc.get_objects():
        kind = type(obj)  # not isinstance(): that reads __class__, which a lazy object may compute
        if issubclass(kind, _TRACKED):
            counts[kind.__name__] = counts.get(kind.__name__, 0) + 1
    return counts


def _list_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"one", b"two"]


def _generator_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"one"
    yield b"two"


def _write_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written")
    return []


def _failing_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    raise RuntimeError("the app failed")


def _sink(kind: str, tmp_path: Path) -> Any:
    # A JsonlSink's requests run in LineSession, a Recorder's in TraceSession.
    return JsonlSink(tmp_path / "t.jsonl") if kind == "jsonl" else Recorder()


def _serve_wsgi(tracer: WSGITracer) -> None:
    client = Client(tracer)
    for i in range(REQUESTS):
        try:
            response = client.post(f"/r/{i}", data=b"body")
        except RuntimeError:
            continue
        assert response.status_code == 200
        response.close()


@pytest.mark.parametrize("sink_kind", ["jsonl", "recorder"])
@pytest.mark.parametrize("app", [_list_app, _generator_app, _write_app, _failing_app], ids=lambda app: app.__name__)
def test_wsgi_request_state_is_released(tmp_path: Path, app: Any, sink_kind: str) -> None:
    sink = _sink(sink_kind, tmp_path)
    tracer = WSGITracer(app, sink=sink)
    _serve_wsgi(tracer)  # warm: first-use imports and caches
    before = _live()
    _serve_wsgi(tracer)
    after = _live()
    sink.close()
    assert after == before


@pytest.mark.parametrize("app", [_list_app, _generator_app, _write_app], ids=lambda app: app.__name__)
def test_wsgi_request_state_is_released_with_breakpoints_on(app: Any) -> None:
    # The debugger's HeldIterable, SizedHeldIterable and HeldWrite: Python subclasses of compiled classes.
    tracer = WSGITracer(app, sink=Recorder(), breakpoints=["~u /nowhere @ wsgi.body,wsgi.start_response"])
    try:
        _serve_wsgi(tracer)
        before = _live()
        _serve_wsgi(tracer)
        after = _live()
    finally:
        assert tracer.debugger is not None
        tracer.debugger.close()
    assert after == before


async def _asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"one", "more_body": True})
    await send({"type": "http.response.body", "body": b"two"})


async def _serve_asgi(tracer: ASGITracer) -> None:
    for i in range(REQUESTS):
        sent: list[dict[str, Any]] = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"body"}

        async def send(message: dict[str, Any]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "POST", "path": f"/r/{i}", "headers": [(b"host", b"x")], "query_string": b""}
        await tracer(scope, receive, send)
        assert [m["type"] for m in sent] == ["http.response.start", "http.response.body", "http.response.body"]


@pytest.mark.parametrize("sink_kind", ["jsonl", "recorder"])
def test_asgi_session_is_released(tmp_path: Path, sink_kind: str) -> None:
    sink = _sink(sink_kind, tmp_path)
    tracer = ASGITracer(_asgi_app, sink=sink)
    asyncio.run(_serve_asgi(tracer))
    before = _live()
    asyncio.run(_serve_asgi(tracer))
    after = _live()
    sink.close()
    assert after == before


def _wsgi_requests(tracer: WSGITracer, count: int) -> None:
    """Requests made the way a server makes them, without a client's own objects."""

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        return lambda data: None

    for i in range(count):
        environ = {
            "REQUEST_METHOD": "POST", "PATH_INFO": f"/r/{i}", "SERVER_NAME": "x", "SERVER_PORT": "80",
            "wsgi.input": io.BytesIO(b"body"), "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0),
        }
        result = tracer(environ, start_response)
        assert b"".join(result) in (b"onetwo", b"")
        result.close()  # type: ignore[attr-defined]


@pytest.mark.parametrize("sink_kind", ["jsonl", "recorder"])
@pytest.mark.parametrize("app", [_list_app, _generator_app, _write_app], ids=lambda app: app.__name__)
def test_a_wsgi_request_leaves_no_reference_cycle(tmp_path: Path, app: Any, sink_kind: str) -> None:
    # Freed when its last reference goes, not by the garbage collector: compiled, a closure and its
    # environment refer to each other, and each request's objects waited for a collection.
    sink = _sink(sink_kind, tmp_path)
    tracer = WSGITracer(app, sink=sink)
    _wsgi_requests(tracer, 5)  # warm: first-use imports and caches
    gc.collect()
    gc.disable()
    try:
        _wsgi_requests(tracer, REQUESTS)
        unreachable = gc.collect()
    finally:
        gc.enable()
        sink.close()
    assert unreachable == 0


@pytest.mark.parametrize("sink_kind", ["jsonl", "recorder"])
def test_an_asgi_request_leaves_no_reference_cycle(tmp_path: Path, sink_kind: str) -> None:
    sink = _sink(sink_kind, tmp_path)
    tracer = ASGITracer(_asgi_app, sink=sink)
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(_serve_asgi(tracer))
        gc.collect()
        gc.disable()
        try:
            loop.run_until_complete(_serve_asgi(tracer))
            unreachable = gc.collect()
        finally:
            gc.enable()
    finally:
        loop.close()
        sink.close()
    assert unreachable == 0
