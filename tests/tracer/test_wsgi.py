"""WSGITracer records every WSGI event and changes nothing the app or server sees."""

from __future__ import annotations

import io
import os
import sys
import wsgiref.util
from typing import Any

import pytest
from flask import Flask, Response as FlaskResponse, request as flask_request
from werkzeug.test import Client, EnvironBuilder, create_environ, run_wsgi_app

from tracer import Recorder, WSGITracer
from tracer.model import TruncatedBytes
from tracer.wsgi import TracedInput


def kinds(trace: Any) -> list[str]:
    return [event.kind for event in trace.events]


def only_trace(rec: Recorder) -> Any:
    traces = rec.traces()
    assert len(traces) == 1
    return traces[0]


def hello_app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-B", "2"), ("X-A", "1")])
    return [b"Hello, World!"]


def make_flask() -> Flask:
    app = Flask("traced")

    @app.post("/echo")
    def echo():  # type: ignore[no-untyped-def]
        return FlaskResponse(flask_request.get_data(), headers={"X-Len": str(len(flask_request.get_data()))})

    @app.get("/stream")
    def stream():  # type: ignore[no-untyped-def]
        return FlaskResponse((f"part {i}\n".encode() for i in range(4)), mimetype="text/plain")

    @app.get("/json")
    def json_view():  # type: ignore[no-untyped-def]
        return {"ok": True, "items": [1, 2, 3]}

    return app


def response_of(app: Any, method: str, path: str, **kwargs: Any) -> tuple[str, list[tuple[str, str]], bytes]:
    response = Client(app).open(path, method=method, **kwargs)
    try:
        return response.status, list(response.headers.items()), response.get_data()
    finally:
        response.close()


# What the client sees


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("POST", "/echo", {"data": b"\x00\xffbinary body" * 100}),
        ("GET", "/stream", {}),
        ("GET", "/json", {}),
        ("GET", "/missing", {}),
    ],
)
def test_flask_responses_identical_with_and_without_tracer(method: str, path: str, kwargs: dict[str, Any]) -> None:
    plain = make_flask()
    traced = make_flask()
    rec = Recorder()
    traced.wsgi_app = WSGITracer(traced.wsgi_app, sink=rec)  # type: ignore[method-assign]

    assert response_of(traced, method, path, **kwargs) == response_of(plain, method, path, **kwargs)
    trace = only_trace(rec)
    assert trace.complete
    assert trace.events[0].kind == "wsgi.environ"
    assert trace.events[-1].kind == "wsgi.end"


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [("GET", "/hello", None), ("POST", "/echo", b"abc" * 1000), ("GET", "/stream", None), ("GET", "/boom", None)],
)
def test_django_responses_identical_with_and_without_tracer(
    django_configured: None, method: str, path: str, data: bytes | None
) -> None:
    from django.core.wsgi import get_wsgi_application

    plain = get_wsgi_application()
    rec = Recorder()
    traced = WSGITracer(get_wsgi_application(), sink=rec)

    assert response_of(traced, method, path, data=data) == response_of(plain, method, path, data=data)
    trace = only_trace(rec)
    assert trace.complete
    assert trace.method == method
    assert trace.path == path


def test_bare_app_headers_keep_their_order() -> None:
    rec = Recorder()
    status, headers, body = response_of(WSGITracer(hello_app, sink=rec), "GET", "/")
    assert (status, headers, body) == response_of(hello_app, "GET", "/")
    assert headers == [("Content-Type", "text/plain"), ("X-B", "2"), ("X-A", "1")]
    recorded = only_trace(rec).events[1].data["headers"]
    assert recorded == [["Content-Type", "text/plain"], ["X-B", "2"], ["X-A", "1"]]


# What the trace holds


def test_hello_trace_has_every_event_in_order() -> None:
    rec = Recorder()
    app_iter, status, headers = run_wsgi_app(WSGITracer(hello_app, sink=rec), create_environ("/hi?x=1"))
    assert list(app_iter) == [b"Hello, World!"]
    app_iter.close()  # type: ignore[attr-defined]

    trace = only_trace(rec)
    assert kinds(trace) == ["wsgi.environ", "wsgi.start_response", "wsgi.body", "wsgi.close", "wsgi.end"]
    assert [e.seq for e in trace.events] == [0, 1, 2, 3, 4]
    times = [e.t_ns for e in trace.events]
    assert times[0] == 0 and times == sorted(times)
    assert trace.protocol == "wsgi" and trace.scope_type == "http"
    assert trace.method == "GET" and trace.path == "/hi" and trace.status == 200
    assert trace.events[0].data["environ"]["QUERY_STRING"] == "x=1"
    assert trace.events[1].data == {
        "status": "200 OK",
        "headers": [["Content-Type", "text/plain"], ["X-B", "2"], ["X-A", "1"]],
        "exc_info": None,
    }
    assert trace.events[2].data == {"data": b"Hello, World!"}
    assert trace.events[-1].data == {"status": "200 OK", "bytes_sent": 13, "exhausted": True}
    assert not trace.error


def test_every_input_method_is_recorded_with_the_bytes_returned() -> None:
    seen: list[Any] = []

    def reader(environ, start_response):  # type: ignore[no-untyped-def]
        stream = environ["wsgi.input"]
        seen.append(stream.read(4))
        seen.append(stream.readline())
        seen.append(stream.readlines(1))
        seen.extend(list(stream))
        seen.append(stream.read())
        start_response("204 No Content", [])
        return []

    rec = Recorder()
    body = b"abcdline one\nline two\nline three\nrest"
    app_iter, _, _ = run_wsgi_app(WSGITracer(reader, sink=rec), create_environ("/", method="POST", data=body))
    app_iter.close()  # type: ignore[attr-defined]

    inputs = [e.data for e in only_trace(rec).events if e.kind == "wsgi.input"]
    assert [d["method"] for d in inputs] == ["read", "readline", "readlines", "iter", "iter", "iter", "read"]
    assert inputs[0] == {"method": "read", "size": 4, "data": b"abcd"}
    assert inputs[1]["data"] == seen[1] == b"line one\n"
    assert inputs[2]["data"] == seen[2] == [b"line two\n"]
    assert [d["data"] for d in inputs[3:6]] == [b"line three\n", b"rest", b""]
    assert inputs[6] == {"method": "read", "size": None, "data": b""}
    assert b"".join(seen[:2]) + b"".join(seen[2]) + b"".join(seen[3:]) == body


def test_write_errors_and_start_response_with_exc_info_are_recorded() -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        environ["wsgi.errors"].write("warning: something\n")
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"legacy ")
        try:
            raise ValueError("late failure")
        except ValueError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"oops"]

    rec = Recorder()
    errors = io.StringIO()
    environ = create_environ("/")
    environ["wsgi.errors"] = errors
    written: list[bytes] = []

    def start_response(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
        return written.append

    result = WSGITracer(app, sink=rec)(environ, start_response)
    assert list(result) == [b"oops"]
    result.close()  # type: ignore[attr-defined]

    assert errors.getvalue() == "warning: something\n"
    assert written == [b"legacy "]
    trace = only_trace(rec)
    assert kinds(trace) == [
        "wsgi.environ",
        "wsgi.errors",
        "wsgi.start_response",
        "wsgi.write",
        "wsgi.start_response",
        "wsgi.body",
        "wsgi.close",
        "wsgi.end",
    ]
    assert trace.events[1].data == {"data": "warning: something\n"}
    assert trace.events[3].data == {"data": b"legacy "}
    assert trace.events[4].data["exc_info"] == {"type": "ValueError", "message": "late failure"}
    assert trace.events[-1].data == {"status": "500 Internal Server Error", "bytes_sent": 11, "exhausted": True}
    assert trace.status == 500


# Streaming, close() and the file wrapper


def test_chunks_reach_the_server_before_the_app_produces_the_next() -> None:
    log: list[str] = []

    def streaming_app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/plain")])
        for index in range(3):
            log.append(f"produced {index}")
            yield f"chunk {index}".encode()

    rec = Recorder()
    result = WSGITracer(streaming_app, sink=rec)(create_environ("/"), lambda *a: None)
    iterator = iter(result)
    assert next(iterator) == b"chunk 0"
    assert log == ["produced 0"]
    # The trace already holds chunk 0 before chunk 1 exists.
    assert [e.kind for e in rec.traces()[0].events][-1] == "wsgi.body"
    assert next(iterator) == b"chunk 1"
    assert log == ["produced 0", "produced 1"]
    assert list(iterator) == [b"chunk 2"]
    result.close()  # type: ignore[attr-defined]
    assert [e.data["data"] for e in only_trace(rec).events if e.kind == "wsgi.body"] == [
        b"chunk 0",
        b"chunk 1",
        b"chunk 2",
    ]


class ClosingIterable:
    def __init__(self) -> None:
        self.closed = 0
        self.started = False

    def __iter__(self):  # type: ignore[no-untyped-def]
        self.started = True
        yield b"never"

    def close(self) -> None:
        self.closed += 1


def test_close_reaches_unstarted_app_iter_exactly_once() -> None:
    body = ClosingIterable()

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        return body

    rec = Recorder()
    result = WSGITracer(app, sink=rec)(create_environ("/"), lambda *a: None)
    result.close()  # type: ignore[attr-defined]
    assert body.closed == 1
    assert not body.started
    assert kinds(only_trace(rec))[-2:] == ["wsgi.close", "wsgi.end"]


def test_unstarted_generator_close_runs_through_wrapper() -> None:
    finalised: list[bool] = []

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])

        def gen():  # type: ignore[no-untyped-def]
            try:
                yield b"a"
                yield b"b"
            finally:
                finalised.append(True)

        return gen()

    rec = Recorder()
    result = WSGITracer(app, sink=rec)(create_environ("/"), lambda *a: None)
    assert next(iter(result)) == b"a"
    result.close()  # type: ignore[attr-defined]
    assert finalised == [True]
    assert only_trace(rec).complete


def test_end_is_recorded_when_the_server_drops_the_iterable_without_close() -> None:
    rec = Recorder()
    result = WSGITracer(hello_app, sink=rec)(create_environ("/"), lambda *a: None)
    assert not rec.traces()[0].complete
    del result
    assert kinds(only_trace(rec))[-1] == "wsgi.end"


def test_file_wrapper_response_reaches_the_server_as_the_same_object() -> None:
    handle = io.BytesIO(b"file contents " * 10)
    returned: list[Any] = []

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        wrapper = environ["wsgi.file_wrapper"](handle, 32)
        returned.append(wrapper)
        return wrapper

    environ = create_environ("/download")
    environ["wsgi.file_wrapper"] = wsgiref.util.FileWrapper
    rec = Recorder()
    result = WSGITracer(app, sink=rec)(environ, lambda *a: None)

    assert result is returned[0]
    assert isinstance(result, wsgiref.util.FileWrapper)
    assert environ["wsgi.file_wrapper"] is wsgiref.util.FileWrapper
    assert b"".join(result) == b"file contents " * 10
    result.close()
    assert handle.closed
    trace = only_trace(rec)
    assert kinds(trace)[-2:] == ["wsgi.close", "wsgi.end"]
    assert "FileWrapper" in trace.events[-1].data["file_wrapper"]


# Exceptions


def test_exception_in_call_propagates_as_the_same_object() -> None:
    original = KeyError("missing")
    cause = ValueError("root cause")
    original.__cause__ = cause

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        raise original

    rec = Recorder()
    with pytest.raises(KeyError) as caught:
        WSGITracer(app, sink=rec)(create_environ("/"), lambda *a: None)
    assert caught.value is original
    assert caught.value.__cause__ is cause
    assert caught.value.__context__ is None
    trace = only_trace(rec)
    assert kinds(trace) == ["wsgi.environ", "wsgi.error", "wsgi.end"]
    assert trace.events[1].data["type"] == "KeyError"
    assert "raise original" in trace.events[1].data["traceback"]
    assert trace.error and trace.complete


def test_exception_while_iterating_propagates_and_is_recorded() -> None:
    failure = RuntimeError("stream broke")

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        yield b"first"
        raise failure

    rec = Recorder()
    result = WSGITracer(app, sink=rec)(create_environ("/"), lambda *a: None)
    iterator = iter(result)
    assert next(iterator) == b"first"
    with pytest.raises(RuntimeError) as caught:
        next(iterator)
    assert caught.value is failure
    assert caught.value.__context__ is None
    result.close()  # type: ignore[attr-defined]
    assert kinds(only_trace(rec)) == [
        "wsgi.environ",
        "wsgi.start_response",
        "wsgi.body",
        "wsgi.error",
        "wsgi.close",
        "wsgi.end",
    ]


# Identity and snapshots


def test_app_sees_the_servers_environ_with_input_wrapped_in_place() -> None:
    seen: dict[str, Any] = {}
    environ = create_environ("/", method="POST", data=b"payload")
    stream = environ["wsgi.input"]

    def app(env, start_response):  # type: ignore[no-untyped-def]
        seen["environ"] = env
        seen["input"] = env["wsgi.input"]
        seen["body"] = env["wsgi.input"].read()
        env["framework.added"] = "later"
        env["PATH_INFO"] = "/rewritten"
        start_response("200 OK", [])
        return [b""]

    rec = Recorder()
    result = WSGITracer(app, sink=rec)(environ, lambda *a: None)
    result.close()  # type: ignore[attr-defined]
    assert seen["environ"] is environ
    assert isinstance(seen["input"], TracedInput)
    assert seen["input"]._stream is stream
    assert seen["body"] == b"payload"
    recorded = only_trace(rec).events[0].data["environ"]
    assert recorded["PATH_INFO"] == "/"
    assert "framework.added" not in recorded


def test_start_response_passes_the_same_objects_to_the_server() -> None:
    headers = [("Content-Type", "text/plain")]
    received: list[Any] = []

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", headers)
        headers.append(("X-Later", "mutated"))
        return [b"ok"]

    def server_start_response(status, response_headers, exc_info=None):  # type: ignore[no-untyped-def]
        received.append((status, response_headers))
        return lambda data: None

    rec = Recorder()
    WSGITracer(app, sink=rec)(create_environ("/"), server_start_response).close()  # type: ignore[attr-defined]
    assert received[0][1] is headers
    assert only_trace(rec).events[1].data["headers"] == [["Content-Type", "text/plain"]]


# Options


def test_bodies_are_cut_at_max_body_bytes_in_the_trace_only() -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        body = environ["wsgi.input"].read(6) + environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [body[:5], body[5:]]

    rec = Recorder()
    response = Client(WSGITracer(app, sink=rec, max_body_bytes=8)).post("/", data=b"0123456789")
    assert response.get_data() == b"0123456789"
    response.close()
    trace = only_trace(rec)
    reads = [e.data["data"] for e in trace.events if e.kind == "wsgi.input"]
    assert reads[0] == b"012345" and not isinstance(reads[0], TruncatedBytes)
    assert reads[1] == b"67" and isinstance(reads[1], TruncatedBytes) and reads[1].original_length == 4
    chunks = [e.data["data"] for e in trace.events if e.kind == "wsgi.body"]
    assert chunks == [b"01234", b"567"]
    assert not isinstance(chunks[0], TruncatedBytes)
    assert chunks[1].original_length == 5
    assert trace.events[-1].data["bytes_sent"] == 10


def test_secret_headers_are_redacted_by_default() -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        assert environ["HTTP_AUTHORIZATION"] == "Bearer hunter2"
        start_response("200 OK", [("Set-Cookie", "session=s3cret"), ("X-Visible", "v")])
        return [b""]

    rec = Recorder()
    builder = EnvironBuilder(
        "/", headers={"Authorization": "Bearer hunter2", "Cookie": "a=topsecret", "X-Api-Key": "k-123", "X-Other": "o"}
    )
    WSGITracer(app, sink=rec)(builder.get_environ(), lambda *a: None).close()  # type: ignore[attr-defined]
    trace = only_trace(rec)
    environ = trace.events[0].data["environ"]
    assert environ["HTTP_AUTHORIZATION"] == "[redacted]"
    assert environ["HTTP_COOKIE"] == "[redacted]"
    assert environ["HTTP_X_API_KEY"] == "[redacted]"
    assert environ["HTTP_X_OTHER"] == "o"
    assert trace.events[1].data["headers"] == [["Set-Cookie", "[redacted]"], ["X-Visible", "v"]]


def test_redact_headers_replaces_the_default_set() -> None:
    rec = Recorder()
    app = WSGITracer(hello_app, sink=rec, redact_headers=["X-Private"])
    environ = EnvironBuilder("/", headers={"X-Private": "p", "Authorization": "visible"}).get_environ()
    app(environ, lambda *a: None).close()  # type: ignore[attr-defined]
    recorded = only_trace(rec).events[0].data["environ"]
    assert recorded["HTTP_X_PRIVATE"] == "[redacted]"
    assert recorded["HTTP_AUTHORIZATION"] == "visible"


def test_excluded_paths_are_not_traced() -> None:
    rec = Recorder()
    app = WSGITracer(hello_app, sink=rec, exclude_paths=["/health", "/static/*"])
    for path in ["/health", "/static/app.css", "/healthz", "/api"]:
        assert response_of(app, "GET", path)[2] == b"Hello, World!"
    assert [t.path for t in rec.traces()] == ["/healthz", "/api"]


def test_process_environment_copied_into_the_environ_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    # wsgiref's server copies os.environ into every environ; its values may be secrets.
    monkeypatch.setenv("DATABASE_URL", "postgres://user:db-password@host/db")
    rec = Recorder()
    app = WSGITracer(hello_app, sink=rec)
    environ = create_environ("/")
    environ.update(os.environ)
    environ["PATH_INFO"] = "/"
    app(environ, lambda *a: None).close()  # type: ignore[attr-defined]
    recorded = only_trace(rec).events[0].data["environ"]
    assert recorded["DATABASE_URL"] == "[redacted]"
    assert recorded["PATH_INFO"] == "/"
    assert recorded["REQUEST_METHOD"] == "GET"


def test_readinto_and_read1_are_recorded_like_reads() -> None:
    # Werkzeug's LimitedStream, behind Flask's request.get_data(), uses readinto() when the stream has it.
    app = make_flask()
    rec = Recorder()
    app.wsgi_app = WSGITracer(app.wsgi_app, sink=rec)  # type: ignore[method-assign]
    environ = create_environ("/echo", method="POST", data=b"payload via readinto")
    environ["wsgi.input"] = io.BufferedReader(io.BytesIO(b"payload via readinto"))
    app_iter, status, _ = run_wsgi_app(app, environ)
    assert b"".join(app_iter) == b"payload via readinto"
    app_iter.close()  # type: ignore[attr-defined]
    reads = [e.data for e in only_trace(rec).events if e.kind == "wsgi.input"]
    assert reads[0]["method"] == "readinto"
    assert b"".join(r["data"] for r in reads) == b"payload via readinto"



def test_read1_is_recorded() -> None:
    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        return [environ["wsgi.input"].read1(2)]

    rec = Recorder()
    environ = create_environ("/", method="POST", data=b"abc")
    environ["wsgi.input"] = io.BufferedReader(io.BytesIO(b"abc"))
    result = WSGITracer(app, sink=rec)(environ, lambda *a: None)
    assert list(result) == [b"ab"]
    result.close()  # type: ignore[attr-defined]
    (read,) = [e.data for e in only_trace(rec).events if e.kind == "wsgi.input"]
    assert read == {"method": "read1", "size": 2, "data": b"ab"}


def test_end_says_whether_the_server_iterated_the_body_to_its_end() -> None:
    rec = Recorder()
    app = WSGITracer(hello_app, sink=rec)
    full = app(create_environ("/"), lambda *a: None)
    list(full)
    full.close()  # type: ignore[attr-defined]
    dropped = app(create_environ("/"), lambda *a: None)
    dropped.close()  # type: ignore[attr-defined]  # the client went away before the body
    assert [t.events[-1].data["exhausted"] for t in rec.traces()] == [True, False]
