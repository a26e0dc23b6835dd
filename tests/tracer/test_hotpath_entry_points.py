"""The public entry points of the compiled modules behave as in pure Python.

Compiled with mypyc, an annotation becomes a check at the call: a wrong option
would raise a TypeError before the one-line `UsageError`, and an odd value the
server or app passes (against the protocol) would fail the request. And the
debugger (and any user) subclasses some of these classes in Python.
"""

from __future__ import annotations

import math
from collections import UserDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from tracer import ASGITracer, JsonlSink, Recorder, WSGITracer
from tracer._failsafe import FailureReporter
from tracer._session import TraceSession
from tracer.errors import UsageError
from tracer.wsgi import SizedTracedIterable, TracedIterable, TracedWrite, _RequestState


def _app(environ: Any, start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


@pytest.mark.parametrize("tracer_class", [WSGITracer, ASGITracer])
@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"max_body_bytes": "1024"}, "max_body_bytes must be a non-negative int or None, not '1024'"),
        ({"max_body_bytes": 1.5}, "max_body_bytes must be a non-negative int or None, not 1.5"),
        ({"max_body_bytes": -1}, "max_body_bytes must be a non-negative int or None, not -1"),
        ({"hold_timeout": "10"}, "hold_timeout must be a positive number of seconds, not '10'"),
        ({"hold_timeout": None}, "hold_timeout must be a positive number of seconds, not None"),
    ],
)
def test_a_bad_tracer_option_is_a_one_line_usage_error(tracer_class: Any, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        tracer_class(_app, sink=Recorder(), **options)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"flush_interval": "0.05"}, "flush_interval must be a positive number of seconds, not '0.05'"),
        ({"flush_interval": 0}, "flush_interval must be a positive number of seconds, not 0"),
        ({"flush_interval": -1.0}, "flush_interval must be a positive number of seconds, not -1.0"),
        ({"flush_interval": math.nan}, "flush_interval must be a positive number of seconds, not nan"),
        ({"flush_interval": math.inf}, "flush_interval must be a positive number of seconds, not inf"),
        ({"flush_interval": True}, "flush_interval must be a positive number of seconds, not True"),
        ({"max_bytes": "10"}, "max_bytes must be a positive int or None, not '10'"),
        ({"max_bytes": 10.0}, "max_bytes must be a positive int or None, not 10.0"),
        ({"max_bytes": 10, "backups": 2.5}, "backups must be a positive int, not 2.5"),
        ({"max_bytes": 10, "backups": "3"}, "backups must be a positive int, not '3'"),
    ],
)
def test_a_bad_sink_option_is_a_one_line_usage_error(tmp_path: Path, options: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError) as raised:
        JsonlSink(tmp_path / "t.jsonl", **options)
    assert str(raised.value) == message
    assert not (tmp_path / "t.jsonl").exists()


@pytest.mark.parametrize("flush_interval", [1, 0.5, 3600])
def test_good_flush_intervals_are_taken(tmp_path: Path, flush_interval: float) -> None:
    sink = JsonlSink(tmp_path / "t.jsonl", flush_interval=flush_interval)
    sink.close()
    assert sink.flush_interval == flush_interval


def _server_start_response(*args: Any, **kwargs: Any) -> None:
    """A server's start_response, taking any call."""


def _request(app: Any, sink: Any, method: str = "GET") -> Any:
    """Call `app` in a `WSGITracer` as a server would, with a plain environ; returns what the tracer returns."""
    return WSGITracer(app, sink=sink)({"REQUEST_METHOD": method, "PATH_INFO": "/"}, _server_start_response)


def _streaming_app(environ: Any, start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first"
    yield b"second"


@pytest.mark.parametrize(("live", "written"), [(0, False), (None, False), (1, True), ("yes", True)])
def test_flush_takes_any_truth_value_for_live(tmp_path: Path, live: Any, written: bool) -> None:
    sink = JsonlSink(tmp_path / "t.jsonl", flush_interval=3600)
    result = _request(_streaming_app, sink)
    assert next(iter(result)) == b"first"  # a request in progress: its lines wait in its trace
    sink.flush(live=live)
    assert (b'"wsgi.body"' in (tmp_path / "t.jsonl").read_bytes()) is written
    result.close()
    sink.close()


@pytest.mark.parametrize("wait", [0, None, ""])
def test_flush_takes_any_truth_value_for_wait(tmp_path: Path, wait: Any) -> None:
    sink = JsonlSink(tmp_path / "t.jsonl", flush_interval=3600)
    result = _request(_streaming_app, sink)
    next(iter(result))
    with sink._write_lock:  # another writer at work: a false `wait` returns at once, writing nothing
        sink.flush(wait=wait)
    assert b'"wsgi.body"' not in (tmp_path / "t.jsonl").read_bytes()
    sink.flush(wait=1)
    assert b'"wsgi.body"' in (tmp_path / "t.jsonl").read_bytes()
    result.close()
    sink.close()


def test_an_environ_that_is_not_a_dict_reaches_the_app_as_it_is() -> None:
    seen: list[Any] = []

    def app(environ: Any, start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(environ)
        start_response("200 OK", [])
        return [b"ok"]

    recorder = Recorder()
    environ = UserDict({"REQUEST_METHOD": "GET", "PATH_INFO": "/odd", "wsgi.input": None})
    result = WSGITracer(app, sink=recorder)(environ, lambda status, headers, exc_info=None: None)
    assert list(result) == [b"ok"]
    result.close()  # type: ignore[attr-defined]
    assert seen == [environ] and seen[0] is environ
    assert [trace.complete for trace in recorder.traces()] == [True]


def test_a_str_chunk_reaches_the_server_as_it_is() -> None:
    def app(environ: Any, start_response: Callable[..., Any]) -> Iterator[Any]:
        start_response("200 OK", [])
        yield "text, against PEP 3333"

    recorder = Recorder()
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}
    result = WSGITracer(app, sink=recorder)(environ, lambda status, headers, exc_info=None: None)
    assert list(result) == ["text, against PEP 3333"]
    result.close()  # type: ignore[attr-defined]
    body = [e for e in recorder.traces()[0].events if e.kind == "wsgi.body"]
    assert len(body) == 1


class _NextOnly:
    """What some hand-written iterables return from ``__iter__``: ``__next__`` and no ``__iter__`` of its own."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __next__(self) -> bytes:
        if not self._chunks:
            raise StopIteration
        return self._chunks.pop(0)


class _IterableOfNextOnly:
    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> _NextOnly:
        return _NextOnly(self._chunks)


@pytest.mark.parametrize("make", [list, iter, _IterableOfNextOnly], ids=["list", "iterator", "next-only"])
def test_every_kind_of_response_iterable_reaches_the_server_chunk_by_chunk_and_ends_the_trace(make: Any) -> None:
    def app(environ: Any, start_response: Callable[..., Any]) -> Any:
        start_response("200 OK", [])
        return make([b"one", b"two", b"three"])

    recorder = Recorder()
    result = _request(app, recorder)
    assert [next(iter(result)) for _ in range(3)] == [b"one", b"two", b"three"]
    with pytest.raises(StopIteration):
        next(result)
    result.close()
    trace = recorder.traces()[0]
    assert [e.data["data"] for e in trace.events if e.kind == "wsgi.body"] == [b"one", b"two", b"three"]
    assert trace.events[-1].kind == "wsgi.end"
    assert trace.events[-1].data["exhausted"] is True


class _CountingSession(TraceSession):
    """A Python subclass of a compiled class, as the debugger's DebugSession is."""

    __slots__ = ("kinds",)

    def emit(self, kind: str, data: dict[str, Any]) -> None:
        if not hasattr(self, "kinds"):
            self.kinds: list[str] = []
        self.kinds.append(kind)
        TraceSession.emit(self, kind, data)


class _UpperIterable(TracedIterable):
    """Python subclasses of compiled iterables overriding `__next__`, as the debugger's HeldIterable does."""

    __slots__ = ()

    def __next__(self) -> bytes:
        return TracedIterable.__next__(self).upper()


class _SizedUpperIterable(SizedTracedIterable):
    __slots__ = ()

    def __next__(self) -> bytes:
        return SizedTracedIterable.__next__(self).upper()


class _DoubleWrite(TracedWrite):
    __slots__ = ()

    def __call__(self, data: Any) -> Any:
        return TracedWrite.__call__(self, data + data)


@pytest.mark.parametrize("iterable", [_UpperIterable, _SizedUpperIterable])
def test_python_subclasses_of_the_compiled_classes_work(iterable: Any) -> None:
    recorder = Recorder()
    session = _CountingSession(recorder, FailureReporter("recording in a test"), "wsgi", "http", None)
    state = _RequestState(session, {})
    written: list[bytes] = []
    _DoubleWrite(written.append, state)(b"w")
    assert list(iterable([b"a", b"b"], state)) == [b"A", b"B"]
    assert written == [b"ww"]
    assert session.kinds == ["wsgi.write", "wsgi.body", "wsgi.body", "wsgi.end"]
    assert [event.data["data"] for event in recorder.traces()[0].events[:3]] == [b"ww", b"a", b"b"]


def test_the_debugger_subclasses_are_used_and_pass_the_body_on() -> None:
    tracer = WSGITracer(_app, sink=Recorder(), breakpoints=["~u /nowhere @ wsgi.body"])
    try:
        response = Client(tracer).get("/")
        assert response.get_data() == b"ok"
        response.close()
    finally:
        assert tracer.debugger is not None
        tracer.debugger.close()
    trace = tracer.options.sink.traces()[0]
    assert trace.complete and [e.kind for e in trace.events][-3:] == ["wsgi.body", "wsgi.close", "wsgi.end"]


def test_the_apps_start_response_unwraps_to_the_servers() -> None:
    seen: list[Any] = []

    def app(environ: Any, start_response: Callable[..., Any]) -> list[bytes]:
        seen.append(start_response)
        start_response("200 OK", [])
        return [b""]

    recorder = Recorder()
    result = _request(app, recorder)
    list(result)
    result.close()
    assert seen[0].__wrapped__ is _server_start_response
    assert [e.kind for e in recorder.traces()[0].events][:2] == ["wsgi.environ", "wsgi.start_response"]


def test_a_status_passed_by_keyword_is_the_traces_status() -> None:
    def app(environ: Any, start_response: Callable[..., Any]) -> list[bytes]:
        start_response(status="201 Created", response_headers=[("Content-Type", "text/plain")])
        return [b"made"]

    recorder = Recorder()
    result = _request(app, recorder, "POST")
    assert list(result) == [b"made"]
    result.close()
    end = recorder.traces()[0].events[-1]
    assert (end.kind, end.data["status"]) == ("wsgi.end", "201 Created")
