"""A request passes through tracer once: nested tracers record one trace, the outer one's."""

from __future__ import annotations

import textwrap
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.test import create_environ, run_wsgi_app

from tests.frameworks.running import TracerRun
from tracer import ASGITracer, Recorder, TracerWarning, WSGITracer, read_traces
from tracer.detect import retrace

TRACED = "tracer.traced"


def hello_wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    seen = environ.get(TRACED)
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Seen", str(seen))])
    return [b"hello ", environ["wsgi.input"].read()]


def call_wsgi(app: Any, environ: dict[str, Any] | None = None) -> tuple[str, list[tuple[str, str]], bytes]:
    environ = environ if environ is not None else create_environ("/hi", data=b"body")
    app_iter, status, headers = run_wsgi_app(app, environ)
    try:
        body = b"".join(app_iter)
    finally:
        close = getattr(app_iter, "close", None)
        if close is not None:
            close()
    return status, list(headers.items()), body


def test_nested_wsgi_tracers_record_one_trace_the_outer_ones() -> None:
    inner_rec, outer_rec = Recorder(), Recorder()
    app = WSGITracer(WSGITracer(hello_wsgi, sink=inner_rec), sink=outer_rec)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        answers = [call_wsgi(app) for _ in range(3)]
    assert inner_rec.traces() == []
    traces = outer_rec.traces()
    assert len(traces) == 3 and all(t.complete for t in traces)
    # The outer tracer sees the body the app read, and the app saw the outer trace's id.
    assert [e.data["data"] for e in traces[0].events if e.kind == "wsgi.input"] == [b"body"]
    assert [dict(headers)["X-Seen"] for _, headers, _ in answers] == [t.id for t in traces]
    assert TRACED not in traces[0].events[0].data["environ"], "the mark is set after the snapshot"
    nested = [w for w in caught if issubclass(w.category, TracerWarning)]
    assert len(nested) == 1, "warned once, not once per request"
    assert "this WSGITracer (sink " in str(nested[0].message) and "inside another WSGITracer" in str(nested[0].message)


def test_the_app_and_the_client_see_what_they_see_untraced() -> None:
    untraced = call_wsgi(hello_wsgi)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TracerWarning)
        nested = call_wsgi(WSGITracer(WSGITracer(hello_wsgi, sink=Recorder()), sink=Recorder()))
    assert untraced[0] == nested[0] and untraced[2] == nested[2]
    assert dict(untraced[1])["X-Seen"] == "None" and dict(nested[1])["X-Seen"] != "None"
    assert [h for h in untraced[1] if h[0] != "X-Seen"] == [h for h in nested[1] if h[0] != "X-Seen"]


def test_the_wsgi_mark_is_gone_when_the_trace_ends_so_an_environ_used_again_is_traced_again() -> None:
    rec = Recorder()
    app = WSGITracer(hello_wsgi, sink=rec)
    environ = create_environ("/again")
    call_wsgi(app, environ)
    assert TRACED not in environ
    environ["wsgi.input"] = create_environ("/again")["wsgi.input"]
    call_wsgi(app, environ)
    assert len(rec.traces()) == 2


def test_an_outer_tracer_that_excludes_the_path_leaves_it_to_the_inner_one() -> None:
    inner_rec, outer_rec = Recorder(), Recorder()
    app = WSGITracer(WSGITracer(hello_wsgi, sink=inner_rec), sink=outer_rec, exclude_paths=["/hi"])
    call_wsgi(app)
    assert outer_rec.traces() == [] and len(inner_rec.traces()) == 1


async def hello_asgi(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    await receive()
    seen = str(scope.get(TRACED)).encode()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"x-seen", seen)]})
    await send({"type": "http.response.body", "body": b"hello"})


def http_scope() -> dict[str, Any]:
    return {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
        "path": "/", "raw_path": b"/", "query_string": b"", "root_path": "", "headers": [],
        "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }


async def call_asgi(app: Any, scope: dict[str, Any], inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []
    queue = list(inputs)

    async def receive() -> dict[str, Any]:
        return queue.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


async def test_nested_asgi_tracers_record_one_trace_each_for_http_and_lifespan() -> None:
    inner_rec, outer_rec = Recorder(), Recorder()
    app = ASGITracer(ASGITracer(hello_asgi, sink=inner_rec), sink=outer_rec)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
        await call_asgi(app, lifespan, [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])
        scope = http_scope()
        sent = await call_asgi(app, scope, [{"type": "http.request", "body": b"", "more_body": False}])
        await call_asgi(app, http_scope(), [{"type": "http.request", "body": b"", "more_body": False}])
    assert inner_rec.traces() == []
    traces = outer_rec.traces()
    assert [t.scope_type for t in traces] == ["lifespan", "http", "http"]
    assert all(t.complete for t in traces)
    assert dict(sent[0]["headers"])[b"x-seen"] == traces[1].id.encode()
    assert TRACED not in traces[1].events[0].data["scope"], "the mark is set after the snapshot"
    assert TRACED not in scope, "the mark is removed when the app returns"
    assert sum(issubclass(w.category, TracerWarning) for w in caught) == 1


async def test_an_asgi_scope_used_again_is_traced_again() -> None:
    rec = Recorder()
    app = ASGITracer(hello_asgi, sink=rec)
    scope = http_scope()
    for _ in range(2):
        await call_asgi(app, scope, [{"type": "http.request", "body": b"", "more_body": False}])
    assert len(rec.traces()) == 2


def test_retrace_keeps_the_app_and_options_and_changes_the_sink() -> None:
    original = WSGITracer(hello_wsgi, sink=Recorder(), redact_headers=["x-secret"], exclude_paths=["/health", "/static/*"], max_body_bytes=3)
    rec = Recorder()
    again = retrace(original, rec)
    assert type(again) is WSGITracer and again.app is hello_wsgi and again.sink is rec
    call_wsgi(again, create_environ("/hi", data=b"body", headers={"X-Secret": "s3", "X-Other": "o"}))
    call_wsgi(again, create_environ("/health"))
    call_wsgi(again, create_environ("/static/a.css"))
    (trace,) = rec.traces()
    environ = trace.events[0].data["environ"]
    assert environ["HTTP_X_SECRET"] == "[redacted]" and environ["HTTP_X_OTHER"] == "o"
    body = [e for e in trace.events if e.kind == "wsgi.input"][0]
    assert body.data["data"] == b"bod"
    assert original.sink.traces() == []  # type: ignore[attr-defined]


NESTED_WSGI = """
    from tracer import JsonlSink, WSGITracer

    def hello(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    class Framework:
        # What Flask does: the object is the app, and it calls its wsgi_app attribute.
        def __init__(self):
            self.wsgi_app = WSGITracer(hello, sink=JsonlSink("inner.jsonl"))

        def __call__(self, environ, start_response):
            return self.wsgi_app(environ, start_response)

    app = Framework()
    traced = WSGITracer(hello, sink=JsonlSink("inner.jsonl"), redact_headers=["x-secret"])
"""


@pytest.mark.parametrize(
    ("reference", "warning"),
    [
        ("nested_wsgi:app", "tracer: warning: this WSGITracer (sink JsonlSink('inner.jsonl')) is inside another WSGITracer"),
        ("nested_wsgi:traced", "tracer: warning: nested_wsgi:traced is already a WSGITracer; tracer run traces the app inside it once"),
    ],
)
def test_tracer_run_on_an_app_that_is_already_traced_records_once_and_warns_once(
    tmp_path: Path, reference: str, warning: str
) -> None:
    (tmp_path / "nested_wsgi.py").write_text(textwrap.dedent(NESTED_WSGI))
    run = TracerRun(reference, tmp_path / "t.jsonl", cwd=tmp_path)
    try:
        for _ in range(3):
            answer = httpx.get(f"{run.url}/", headers={"X-Secret": "s3"}, timeout=5)
            assert answer.text == "hello"
        run.wait_for_line(lambda line: line.count("/") == 1 and line.startswith("GET") and " 200 " in line)
    finally:
        assert run.stop() == 0
    traces = read_traces(tmp_path / "t.jsonl")
    assert len(traces) == 3 and all(t.complete for t in traces)
    assert read_traces(tmp_path / "inner.jsonl") == []
    assert sum(line.startswith("tracer: warning:") for line in run.lines) == 1, run.output
    assert any(line.startswith(warning) for line in run.lines), run.output
    if reference.endswith("traced"):
        assert all(t.events[0].data["environ"]["HTTP_X_SECRET"] == "[redacted]" for t in traces), "its options are kept"


NESTED_ASGI = """
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from tracer import ASGITracer, JsonlSink

    async def index(request):
        return PlainTextResponse("hello")

    app = Starlette(routes=[Route("/", index)])
    app.add_middleware(ASGITracer, sink=JsonlSink("inner.jsonl"))
"""


def test_tracer_run_on_a_starlette_app_with_the_middleware_records_requests_and_lifespan_once(tmp_path: Path) -> None:
    (tmp_path / "nested_asgi.py").write_text(textwrap.dedent(NESTED_ASGI))
    run = TracerRun("nested_asgi:app", tmp_path / "t.jsonl", cwd=tmp_path)
    try:
        for _ in range(2):
            assert httpx.get(f"{run.url}/", timeout=5).text == "hello"
        run.wait_for_line(lambda line: line.startswith("GET") and " 200 " in line)
    finally:
        assert run.stop() == 0
    traces = read_traces(tmp_path / "t.jsonl")
    assert sorted(t.scope_type for t in traces) == ["http", "http", "lifespan"]
    assert all(t.complete for t in traces)
    assert read_traces(tmp_path / "inner.jsonl") == []
    warned = [line for line in run.lines if line.startswith("tracer: warning:")]
    assert len(warned) == 1 and "inside another ASGITracer" in warned[0], run.output
