"""The fold of a trace's meaning: what it decides, and that it never lies about types."""

from __future__ import annotations

import itertools
import types
from typing import Any, Union, get_args, get_origin, get_type_hints

import pytest

from tracer import Recorder, TraceSummary, WSGITracer
from tracer.codec import encode
from tracer.model import Event, Trace
from tracer.summary import first_event_summary, summarize

ODD = [None, 5, -1, 2**70, 1.5, float("nan"), True, "", "x", b"\xff", [], ["x"], {}, {"$bytes": 3}, {"$base64": "!!"},
       {"$truncated": "x"}, [[1, 2, 3]], [["a"]], [[b"k", None]]]


def _fields() -> dict[str, Any]:
    hints = get_type_hints(TraceSummary)
    return {name: hint for name, hint in hints.items() if not name.startswith("_") and name not in ("spans", "keep_headers")}


def _check_types(summary: TraceSummary) -> None:
    for name, hint in _fields().items():
        value = getattr(summary, name)
        assert _is(value, hint), f"{name} = {value!r} is not {hint}"


def _is(value: Any, hint: Any) -> bool:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_is(value, arg) for arg in get_args(hint))
    if hint is type(None):
        return value is None
    if origin is list:
        (item,) = get_args(hint)
        return isinstance(value, list) and all(_is(v, item) for v in value)
    if origin is tuple and len(get_args(hint)) == 2 and get_args(hint)[1] is Ellipsis:
        return isinstance(value, tuple) and all(_is(v, get_args(hint)[0]) for v in value)
    if origin is tuple:
        args = get_args(hint)
        return isinstance(value, tuple) and len(value) == len(args) and all(_is(v, a) for v, a in zip(value, args))
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, float)
    return isinstance(value, hint)


def _wsgi_events(odd: Any) -> list[tuple[str, dict[str, Any]]]:
    return [
        ("wsgi.environ", {"environ": {"REQUEST_METHOD": odd, "PATH_INFO": odd, "SCRIPT_NAME": odd, "QUERY_STRING": odd,
                                      "CONTENT_TYPE": odd, "CONTENT_LENGTH": odd, "HTTP_X": odd}}),
        ("wsgi.environ", {"environ": odd}),
        ("wsgi.input", {"data": odd}),
        ("wsgi.start_response", {"status": odd, "headers": odd}),
        ("wsgi.start_response", {"status": "200 OK", "headers": [[odd, odd]]}),
        ("wsgi.body", {"data": odd}),
        ("wsgi.error", {"type": odd, "message": odd}),
        ("wsgi.end", {"status": odd, "stopped": odd}),
    ]


def _asgi_events(odd: Any) -> list[tuple[str, dict[str, Any]]]:
    events = [("asgi.scope", {"scope": {"type": "http", "method": odd, "path": odd, "root_path": odd, "query_string": odd,
                                         "headers": odd}}),
              ("asgi.scope", {"scope": odd})]
    for kind in ("http.request", "http.response.start", "http.response.body", "websocket.accept", "websocket.send",
                 "websocket.receive", "websocket.close", "websocket.disconnect", "lifespan.startup.failed", odd):
        message = {"type": kind, "status": odd, "headers": odd, "body": odd, "more_body": odd, "code": odd,
                   "text": odd, "bytes": odd, "message": odd}
        events += [("asgi.send", {"message": message}), ("asgi.receive", {"message": message}),
                   ("asgi.send", {"message": odd})]
    return events + [("asgi.error", {"type": odd, "message": odd}), ("asgi.end", odd), (odd, {})]


@pytest.mark.parametrize("odd", ODD, ids=repr)
@pytest.mark.parametrize("scope_type", ["http", "websocket", "lifespan"])
def test_every_field_keeps_its_type_whatever_the_file_holds(odd: Any, scope_type: str) -> None:
    for protocol, events in (("wsgi", _wsgi_events(odd)), ("asgi", _asgi_events(odd))):
        for encoded in (False, True):
            summary = TraceSummary.begin({"trace": "t", "kind": f"{protocol}.x", "protocol": protocol,
                                          "scope_type": scope_type, "start": odd})
            for t_ns, (kind, data) in zip(itertools.count(), events):
                summary.add(kind, odd if t_ns == 3 else t_ns, encode(data) if encoded and isinstance(data, dict) else data)
                _check_types(summary)
            assert summary.events == len(events)


@pytest.mark.parametrize("record", [
    {"trace": 5, "kind": 7, "protocol": 1, "scope_type": [], "start": "x"},
    {"trace": "t", "kind": "grpc.call"},
    {},
])
def test_begin_never_raises_and_falls_back_to_defined_values(record: dict[str, Any]) -> None:
    summary = TraceSummary.begin(record)
    assert summary.protocol in ("wsgi", "asgi") and summary.scope_type in ("http", "websocket", "lifespan")
    _check_types(summary)


def _trace(scope: dict[str, Any], *messages: tuple[str, dict[str, Any], int]) -> Trace:
    protocol_events = [Event(0, 0, "asgi.scope", {"scope": scope})]
    protocol_events += [Event(i + 1, t, kind, {"message": message}) for i, (kind, message, t) in enumerate(messages)]
    protocol_events.append(Event(len(protocol_events), messages[-1][2] + 1000 if messages else 1000, "asgi.end", {}))
    return Trace("t", "asgi", scope["type"], 1.0, protocol_events)


def test_timings_separate_the_clients_answer_from_a_background_task() -> None:
    trace = _trace(
        {"type": "http", "method": "POST", "path": "/items", "query_string": b"", "headers": [(b"content-type", b"application/json")]},
        ("asgi.receive", {"type": "http.request", "body": b"{}", "more_body": False}, 1_000_000),
        ("asgi.send", {"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]}, 10_000_000),
        ("asgi.send", {"type": "http.response.body", "body": b"{}"}, 11_000_000),
    )
    trace.events[-1].t_ns = 212_000_000  # a BackgroundTask ran before the app returned
    s = trace.summary
    assert (s.response_start_ns, s.first_byte_ns, s.response_end_ns, s.app_return_ns) == (10_000_000, 11_000_000, 11_000_000, 212_000_000)
    assert s.duration_ns == 212_000_000 and s.response_ns == 11_000_000
    assert (s.request_content_type, s.content_type, s.request_bytes, s.response_bytes) == ("application/json", "application/json", 2, 2)
    assert s.request_headers == (("content-type", "application/json"),)


def test_root_path_is_counted_once_whether_or_not_the_server_put_it_in_path() -> None:
    for path in ("/items", "/shop/items"):
        trace = _trace({"type": "http", "method": "GET", "path": path, "root_path": "/shop", "query_string": b"a=1"})
        assert (trace.path, trace.summary.url) == ("/shop/items", "/shop/items?a=1")


def test_websocket_status_and_close_code_are_separate_fields() -> None:
    accepted = _trace({"type": "websocket", "path": "/ws"}, ("asgi.receive", {"type": "websocket.connect"}, 1),
                      ("asgi.send", {"type": "websocket.accept"}, 2), ("asgi.receive", {"type": "websocket.disconnect", "code": 1001}, 3))
    denied = _trace({"type": "websocket", "path": "/ws"}, ("asgi.receive", {"type": "websocket.connect"}, 1),
                    ("asgi.send", {"type": "websocket.close"}, 2))
    assert (accepted.status, accepted.close_code) == (101, 1001)
    assert (denied.status, denied.close_code) == (403, 1000)


def test_an_app_refusing_lifespan_is_not_an_error() -> None:
    refused = Trace("t", "asgi", "lifespan", 1.0, [
        Event(0, 0, "asgi.scope", {"scope": {"type": "lifespan"}}),
        Event(1, 1, "asgi.receive", {"message": {"type": "lifespan.startup"}}),
        Event(2, 2, "asgi.error", {"type": "ValueError", "message": "Django can only handle ASGI/HTTP connections, not lifespan."}),
        Event(3, 3, "asgi.end", {}),
    ])
    s = refused.summary
    assert (s.error, s.lifespan_unsupported, s.error_type) == (False, True, "ValueError")


def test_trace_summary_follows_a_growing_recorder_trace() -> None:
    recorder = Recorder()

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"a"
        assert recorder.traces()[0].summary.status == 200
        assert not recorder.traces()[0].summary.complete
        yield b"bc"

    from werkzeug.test import Client

    response = Client(WSGITracer(app, sink=recorder)).get("/x", environ_overrides={"SCRIPT_NAME": "/api"})
    assert response.get_data() == b"abc"
    response.close()
    (trace,) = recorder.traces()
    s = trace.summary
    assert (s.title, s.status, s.reason, s.response_bytes, s.chunks, s.complete) == ("GET /api/x", 200, "OK", 3, 2, True)
    assert s is trace.summary, "cached while no event is added"


def test_the_first_step_says_the_request_line_with_query() -> None:
    summary = first_event_summary("wsgi.environ", {"environ": {"REQUEST_METHOD": "GET", "SCRIPT_NAME": "/api",
                                                             "PATH_INFO": "/users", "QUERY_STRING": "page=2"}})
    assert summary.title == "GET /api/users?page=2"
    assert summarize(Trace("x", "wsgi", "http", 0.0)).title == "? ?"


def test_a_new_summary_has_its_fields_defaults_and_the_written_out_repr_and_equality_of_a_dataclass() -> None:
    import dataclasses

    summary = TraceSummary("6d29d4dd-000001")
    for f in dataclasses.fields(TraceSummary):
        if f.name in ("id", "worker"):
            continue
        expected = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        assert getattr(summary, f.name) == expected, f.name
    assert summary.worker == "6d29d4dd" and TraceSummary("other").worker == ""
    assert TraceSummary("a", events=3) == TraceSummary("a", events=3) != TraceSummary("a", events=4)
    assert repr(TraceSummary("a")).startswith("TraceSummary(id='a', protocol='wsgi', ")
    assert "keep_headers" not in repr(TraceSummary("a"))
