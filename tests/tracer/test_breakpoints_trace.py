"""What a trace says about holds and edits, and that breakpoints that match nothing change nothing."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from asgiref.testing import ApplicationCommunicator
from werkzeug.test import Client

from tests.tracer.breakpoint_servers import STREAM_CHUNKS, asgi_app, wsgi_app
from tracer import ASGITracer, JsonlSink, Recorder, WSGITracer, read_traces
from tracer.checks import check_trace
from tracer.debug.exchanged import as_given, caused_by_edits, edited_steps
from tracer.index import TraceIndex
from tracer.model import Event, Trace


async def _content_length_app(scope: dict, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")]})
    await send({"type": "http.response.body", "body": b"hello"})


def _edit_when_held(tracer: Any, changes: dict[str, Any]) -> None:
    """Edit each held event with `changes` and continue it, from another thread (as a UI would)."""
    debugger = tracer.debugger

    def on_event(event: dict[str, Any]) -> None:
        if event["event"] == "held":
            hold = event["held"]["hold"]

            def answer() -> None:
                debugger.edit(hold, changes)
                debugger.continue_(hold)

            threading.Thread(target=answer).start()

    debugger.subscribe(on_event)


async def _get(app: Any, path: str = "/") -> list[dict[str, Any]]:
    scope = {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    messages = [await communicator.receive_output(5)]
    while messages[-1].get("more_body", messages[-1]["type"] == "http.response.start"):
        messages.append(await communicator.receive_output(5))
    await communicator.wait(5)
    return messages


def test_an_edit_is_kept_as_exchanged_with_the_original_beside_it(tmp_path: Path) -> None:
    trace_file = tmp_path / "traces.jsonl"
    sink = JsonlSink(trace_file)
    tracer = ASGITracer(_content_length_app, sink=sink, breakpoints=["@ http.response.start"])
    try:
        _edit_when_held(tracer, {"headers": [(b"content-type", b"text/plain"), (b"content-length", b"3")]})
        messages = asyncio.run(_get(tracer))
    finally:
        tracer.debugger.close()
        sink.close()
    assert messages[0]["headers"] == [(b"content-type", b"text/plain"), (b"content-length", b"3")]
    [trace] = read_traces(trace_file)
    [start] = [e for e in trace.events if e.data.get("message", {}).get("type") == "http.response.start"]
    assert start.data["message"]["headers"] == [[b"content-type", b"text/plain"], [b"content-length", b"3"]]
    assert start.data["original"]["message"]["headers"][1] == [b"content-length", b"5"]
    assert start.data["released"] == "continue" and start.data["held_ns"] > 0
    assert edited_steps(trace) == [start.seq]
    # The trace as given has the app's message, and no debugger fields.
    given = as_given(trace)
    assert given.events[start.seq].data == {"message": {"type": "http.response.start", "status": 200,
                                                        "headers": [[b"content-type", b"text/plain"], [b"content-length", b"5"]]}}
    # The index folds the same meaning from the file's lines.
    index = TraceIndex(trace_file)
    index.scan()
    [summary] = index.summaries
    assert summary.edits == 1 and summary.held_ns == start.data["held_ns"]


def test_check_reads_what_was_exchanged_and_names_the_edit_that_caused_a_finding(tmp_path: Path) -> None:
    tracer = ASGITracer(_content_length_app, sink=Recorder(), breakpoints=["@ http.response.start"])
    try:
        _edit_when_held(tracer, {"headers": [(b"content-type", b"text/plain"), (b"content-length", b"3")]})
        asyncio.run(_get(tracer))
    finally:
        tracer.debugger.close()
    [trace] = tracer.sink.traces()
    findings = check_trace(trace)
    [mismatch] = [f for f in findings if f.rule == "http-content-length-mismatch"]
    assert mismatch.message.endswith("Caused by an edit in the debugger at step 2.")
    assert caused_by_edits(trace, check_trace) == [mismatch]
    assert not [f for f in check_trace(as_given(trace)) if f.rule == "http-content-length-mismatch"]


def test_a_finding_of_the_app_s_own_is_not_blamed_on_an_edit() -> None:
    events = [
        Event(0, 0, "asgi.scope", {"scope": {"type": "http", "method": "GET", "path": "/"}}),
        Event(1, 1, "asgi.receive", {"message": {"type": "http.request", "body": b""}}),
        Event(2, 2, "asgi.send", {"message": {"type": "http.response.start", "status": 201, "headers": []},
                                  "held_ns": 5, "released": "continue",
                                  "original": {"message": {"type": "http.response.start", "status": 200, "headers": []}}}),
        Event(3, 3, "asgi.send", {"message": {"type": "http.response.body", "body": b"x", "more_body": True}}),
        Event(4, 4, "asgi.end", {}),
    ]
    trace = Trace("t", "asgi", "http", 0.0, events)
    findings = check_trace(trace)
    assert findings, "the app left its response unfinished"
    assert not any("debugger" in f.message for f in findings)
    assert trace.summary.status == 201 and trace.summary.edits == 1 and trace.summary.held_ns == 5


def test_a_made_up_disconnect_is_left_out_of_the_trace_as_given() -> None:
    events = [
        Event(0, 0, "asgi.scope", {"scope": {"type": "http"}}),
        Event(1, 1, "asgi.receive", {"message": {"type": "http.disconnect"}, "held_ns": 1, "released": "disconnect",
                                     "original": {"message": {"type": "http.request", "body": b"x"}}}),
        Event(2, 2, "asgi.receive", {"message": {"type": "http.disconnect"}, "original": None}),
        Event(3, 3, "asgi.end", {}),
    ]
    given = as_given(Trace("t", "asgi", "http", 0.0, events))
    assert [e.seq for e in given.events] == [0, 1, 3]
    assert given.events[1].data == {"message": {"type": "http.request", "body": b"x"}}


def _wsgi_echo_exchange(app: Any) -> tuple[Any, ...]:
    client = Client(app)
    stream = client.get("/stream")
    echo = client.post("/echo", data=b"abc" * 100)
    return (stream.status, stream.headers.to_wsgi_list(), stream.get_data(),
            echo.status, echo.headers.to_wsgi_list(), echo.get_data())


def test_breakpoints_that_match_nothing_change_nothing_wsgi() -> None:
    bare = _wsgi_echo_exchange(wsgi_app)
    plain = WSGITracer(wsgi_app, sink=Recorder())
    debugged = WSGITracer(wsgi_app, sink=Recorder(), breakpoints=["~u /nowhere @ wsgi.body,wsgi.input,wsgi.start_response"])
    try:
        assert _wsgi_echo_exchange(plain) == bare == _wsgi_echo_exchange(debugged)
    finally:
        debugged.debugger.close()
    recorded = [[(e.kind, e.data) for e in t.events if e.kind != "wsgi.environ"] for t in plain.sink.traces()]
    debug_recorded = [[(e.kind, e.data) for e in t.events if e.kind != "wsgi.environ"] for t in debugged.sink.traces()]
    assert recorded == debug_recorded
    assert b"".join(STREAM_CHUNKS) == bare[2]


def test_breakpoints_that_match_nothing_change_nothing_asgi() -> None:
    plain = ASGITracer(asgi_app, sink=Recorder())
    debugged = ASGITracer(asgi_app, sink=Recorder(), breakpoints=["~u /nowhere @ asgi.send,asgi.receive"])
    try:
        expected = asyncio.run(_get(asgi_app, "/stream"))
        assert asyncio.run(_get(plain, "/stream")) == expected == asyncio.run(_get(debugged, "/stream"))
    finally:
        debugged.debugger.close()
    strip = [[(e.kind, e.data) for e in t.events] for t in plain.sink.traces()]
    assert strip == [[(e.kind, e.data) for e in t.events] for t in debugged.sink.traces()]


def test_a_debugger_that_cannot_hold_lets_the_request_go_on_and_says_so_once() -> None:
    import pytest

    from tracer import TracerWarning

    tracer = WSGITracer(wsgi_app, sink=Recorder(), breakpoints=["~u /hello @ wsgi.start_response"])

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("boom")

    tracer.debugger.hold = broken  # type: ignore[method-assign]
    try:
        with pytest.warns(TracerWarning, match="the debugger failed .RuntimeError: boom.; requests go on without being held"):
            assert Client(tracer).get("/hello").get_data() == b"hello"
        assert Client(tracer).get("/hello").get_data() == b"hello"
    finally:
        tracer.debugger.close()
