"""A client that goes away mid-body is not the app's Content-Length mistake."""

from __future__ import annotations

from werkzeug.test import create_environ

from tracer import Recorder, WSGITracer
from tracer.checks import check_trace


def streaming_app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "9")])
    yield b"abc"
    yield b"def"
    yield b"ghi"


def test_server_stopping_early_is_not_a_content_length_mismatch() -> None:
    rec = Recorder()
    result = WSGITracer(streaming_app, sink=rec)(create_environ("/"), lambda *a: None)
    iterator = iter(result)
    next(iterator)
    result.close()  # type: ignore[attr-defined]  # the server stops: the client hung up
    assert [f.rule for f in check_trace(rec.traces()[0])] == []


def test_a_short_body_that_ended_normally_is_a_mismatch() -> None:
    def short_app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "9")])
        return [b"abc"]

    rec = Recorder()
    result = WSGITracer(short_app, sink=rec)(create_environ("/"), lambda *a: None)
    list(result)
    result.close()  # type: ignore[attr-defined]
    assert [f.rule for f in check_trace(rec.traces()[0])] == ["http-content-length-mismatch"]
