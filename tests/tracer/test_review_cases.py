"""Cases where a middleware is easy to notice, and secrets easy to leak: each must not be."""

from __future__ import annotations

import asyncio
import collections
import http
import sys
import wsgiref.handlers
from io import BytesIO, StringIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, request
from werkzeug.test import create_environ, run_wsgi_app

from tracer import ASGITracer, JsonlSink, Recorder, TracerWarning, WSGITracer, read_traces, trace_app
from tracer.errors import TraceFileError


class MinimalInput:
    """A wsgi.input with only the methods PEP 3333 requires (gunicorn's Body is like this)."""

    def __init__(self, data: bytes) -> None:
        self._data = BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)

    def readline(self, size: int = -1) -> bytes:
        return self._data.readline(size)

    def readlines(self, hint: int = -1) -> list[bytes]:
        return self._data.readlines(hint)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._data)


def flask_echo() -> Flask:
    app = Flask("echo")

    @app.post("/")
    def echo():  # type: ignore[no-untyped-def]
        return request.get_data()

    return app


def test_flask_body_read_through_a_minimal_input_stream() -> None:
    results = []
    for wrap in (False, True):
        app = flask_echo()
        rec = Recorder()
        if wrap:
            app.wsgi_app = WSGITracer(app.wsgi_app, sink=rec)  # type: ignore[method-assign]
        environ = create_environ("/", method="POST", data=b"hello=world")
        environ["wsgi.input"] = MinimalInput(b"hello=world")
        app_iter, status, _ = run_wsgi_app(app, environ)
        results.append((status, b"".join(app_iter)))
        app_iter.close()  # type: ignore[attr-defined]
    assert results[0] == results[1] == ("200 OK", b"hello=world")
    reads = [e.data for e in rec.traces()[0].events if e.kind == "wsgi.input"]
    assert b"".join(r["data"] for r in reads) == b"hello=world"
    assert not hasattr(WSGITracer(lambda e, s: [], sink=rec).__class__, "readinto")


def test_proxy_offers_exactly_the_stream_methods() -> None:
    seen: dict[str, Any] = {}

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        stream = environ["wsgi.input"]
        seen.update({name: hasattr(stream, name) for name in ("readinto", "read1", "__next__")})
        start_response("200 OK", [])
        return [next(stream)] if seen["__next__"] else []

    for stream, expected in [(MinimalInput(b"x\n"), False), (BytesIO(b"x\n"), True)]:
        environ = create_environ("/")
        environ["wsgi.input"] = stream
        WSGITracer(app, sink=Recorder())(environ, lambda *a: None).close()  # type: ignore[attr-defined]
        assert seen == {"readinto": expected, "read1": expected, "__next__": expected}


def test_generator_responses_have_no_len_as_servers_check() -> None:
    # waitress calls len() whenever hasattr(app_iter, "__len__"), without a try.
    def gen_app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        yield b"x"

    def list_app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        return [b"x"]

    generator_result = WSGITracer(gen_app, sink=Recorder())(create_environ("/"), lambda *a: None)
    list_result = WSGITracer(list_app, sink=Recorder())(create_environ("/"), lambda *a: None)
    assert not hasattr(generator_result, "__len__")
    assert len(list_result) == 1  # type: ignore[arg-type]
    generator_result.close()  # type: ignore[attr-defined]
    list_result.close()  # type: ignore[attr-defined]


async def test_asgi_headers_given_as_a_generator_still_reach_the_server() -> None:
    sent: list[dict[str, Any]] = []

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        headers = ((name, value) for name, value in [(b"content-type", b"text/plain"), (b"x-custom", b"1")])
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request"}

    async def send(message):  # type: ignore[no-untyped-def]
        sent.append(message)

    await ASGITracer(app, sink=Recorder())({"type": "http", "path": "/", "headers": []}, receive, send)
    assert list(sent[0]["headers"]) == [(b"content-type", b"text/plain"), (b"x-custom", b"1")]


@pytest.mark.parametrize("odd_key", [("a", "tuple"), "$debug", 42])
def test_an_odd_environ_key_does_not_turn_redaction_off(tmp_path: Path, odd_key: object) -> None:
    path = tmp_path / "t.jsonl"
    sink = JsonlSink(path)
    environ = create_environ("/", headers={"Authorization": "Bearer SECRET-TOKEN"})
    environ[odd_key] = "odd"  # type: ignore[index]
    result = WSGITracer(lambda e, s: (s("200 OK", []), [b""])[1], sink=sink)(environ, lambda *a: None)
    result.close()  # type: ignore[attr-defined]
    sink.close()
    assert b"SECRET-TOKEN" not in path.read_bytes()
    assert read_traces(path)[0].events[0].data["environ"][odd_key] == "odd"


async def test_dict_subclasses_are_recorded_as_dicts_and_redacted(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    sink = JsonlSink(path)

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        start = collections.OrderedDict(type="http.response.start", status=http.HTTPStatus.CREATED)
        start["headers"] = [(b"set-cookie", b"SECRET-COOKIE")]
        await send(start)
        await send({"type": "http.response.body", "body": b""})

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request"}

    async def send(message):  # type: ignore[no-untyped-def]
        pass

    await ASGITracer(app, sink=sink)({"type": "http", "path": "/", "headers": []}, receive, send)
    sink.close()
    assert b"SECRET-COOKIE" not in path.read_bytes()
    (trace,) = read_traces(path)
    assert trace.status == 201
    assert trace.events[1].data["message"]["headers"] == [[b"set-cookie", b"[redacted]"]]


def test_class_based_wsgi_apps_are_recognised() -> None:
    class AppClass:
        """PEP 3333's own example of an application class."""

        def __init__(self, environ, start_response):  # type: ignore[no-untyped-def]
            self.start = start_response

        def __iter__(self):  # type: ignore[no-untyped-def]
            self.start("200 OK", [("Content-type", "text/plain")])
            yield b"Hello world!\n"

    rec = Recorder()
    traced = trace_app(AppClass, sink=rec)
    assert isinstance(traced, WSGITracer)
    app_iter, status, _ = run_wsgi_app(traced, create_environ("/"))
    assert b"".join(app_iter) == b"Hello world!\n"
    app_iter.close()  # type: ignore[attr-defined]
    assert rec.traces()[0].status == 200


def test_a_status_the_server_refused_is_not_recorded_as_sent() -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"partial")
        try:
            raise ValueError("late")
        except ValueError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        return [b""]

    rec = Recorder()
    out = BytesIO()
    handler = wsgiref.handlers.SimpleHandler(BytesIO(), out, StringIO(), create_environ("/"), multithread=False)
    handler.run(WSGITracer(app, sink=rec))
    assert out.getvalue().startswith(b"HTTP/1.0 200 OK")
    trace = rec.traces()[0]
    assert trace.status == 200
    assert trace.events[-1].data["status"] == "200 OK"


@pytest.mark.filterwarnings("ignore::tracer.TracerWarning")
def test_nested_tracers_record_once_and_the_outer_one_sees_the_body_reads() -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        body = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [body]

    inner, outer = Recorder(), Recorder()
    app_iter, _, _ = run_wsgi_app(WSGITracer(WSGITracer(app, sink=inner), sink=outer), create_environ("/", data=b"abc"))
    assert b"".join(app_iter) == b"abc"
    app_iter.close()  # type: ignore[attr-defined]
    assert [e.data["data"] for e in outer.traces()[0].events if e.kind == "wsgi.input"] == [b"abc"]
    assert inner.traces() == []


def test_a_deeply_nested_line_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.jsonl"
    path.write_bytes(b'{"format": "tracer", "version": 1}\n' + b"[" * 100000 + b"]" * 100000 + b"\n")
    with pytest.raises(TraceFileError, match="deep.jsonl:2"):
        read_traces(path)


def test_int_and_str_subclasses_read_back_as_plain_values() -> None:
    rec = Recorder()

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send({"type": "http.response.start", "status": http.HTTPStatus.NOT_FOUND, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request"}

    async def send(message):  # type: ignore[no-untyped-def]
        pass

    asyncio.run(ASGITracer(app, sink=rec)({"type": "http", "path": "/", "headers": []}, receive, send))
    assert rec.traces()[0].status == 404


async def test_a_message_that_cannot_be_recorded_still_reaches_the_server() -> None:
    class Hostile(dict):  # type: ignore[type-arg]
        def items(self):  # type: ignore[no-untyped-def]
            raise RuntimeError("dictionary changed size during iteration")

    sent: list[Any] = []
    message = Hostile(type="http.response.start", status=200, headers=[])

    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await send(message)
        await send({"type": "http.response.body", "body": b"ok"})

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request"}

    async def send(msg):  # type: ignore[no-untyped-def]
        sent.append(msg)

    rec = Recorder()
    with pytest.warns(TracerWarning, match="dictionary changed size"):
        await ASGITracer(app, sink=rec)({"type": "http", "path": "/", "headers": []}, receive, send)
    assert sent[0] is message and sent[1]["body"] == b"ok"
    trace = rec.traces()[0]
    assert trace.events[1].data == {"$error": "could not record: RuntimeError: dictionary changed size during iteration"}
    assert trace.complete
