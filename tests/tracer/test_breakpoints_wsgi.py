"""Holding WSGI requests on Werkzeug's threaded server: the real client waits, steps, edits, the timeout, letting go."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.frameworks.running import logger_state, restore_loggers
from tests.tracer.breakpoint_servers import (
    STREAM_CHUNKS,
    StreamReader,
    complete_traces,
    wait_until,
    wsgi_app,
    wsgi_server,
)
from tracer import JsonlSink, WSGITracer, read_traces
from tracer.debug import Debugger
from tracer.debug.client import LocalConnection, RequestHeld, SocketConnection, attach


@pytest.fixture(autouse=True)
def _server_loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


class Served:
    """The traced app on a real server, its debugger, and a connection to it."""

    def __init__(self, url: str, tracer: WSGITracer, trace_file: Path, connection: LocalConnection) -> None:
        self.url = url
        self.tracer = tracer
        self.trace_file = trace_file
        self.connection = connection

    @property
    def debugger(self) -> Debugger:
        assert self.tracer.debugger is not None
        return self.tracer.debugger

    def held(self, count: int = 1, timeout: float = 5.0) -> list:
        return wait_until(lambda: len(held := self.connection.held()) >= count and held, timeout, f"{count} held")

    def traces(self, count: int = 1) -> list:
        return complete_traces(self.trace_file, count)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    trace_file = tmp_path / "traces.jsonl"
    sink = JsonlSink(trace_file)
    tracer = WSGITracer(wsgi_app, sink=sink, breakpoints=True, hold_timeout=10)
    try:
        with wsgi_server(tracer) as url:
            connections = attach(trace_file)
            assert len(connections) == 1 and isinstance(connections[0], LocalConnection)
            try:
                yield Served(url, tracer, trace_file, connections[0])
            finally:
                # Whatever a failed test left held goes on, so that the server can stop.
                tracer.debugger.close()
                connections[0].close()
    finally:
        sink.close()


def test_a_held_request_stays_unanswered_until_continue(served: Served) -> None:
    served.connection.add_breakpoint("~u /hello @ wsgi.start_response")
    reader = StreamReader("GET", served.url + "/hello")
    [held] = served.held()
    assert (held.kind, held.title, held.reason) == ("wsgi.start_response", "GET /hello", "~u /hello @ wsgi.start_response")
    assert held.data["status"] == "200 OK"
    time.sleep(0.3)
    assert reader.status is None and not reader.done
    served.connection.continue_(held)
    reader.join()
    assert (reader.status, reader.body) == (200, b"hello")
    [trace] = served.traces()
    [start] = [e for e in trace.events if e.kind == "wsgi.start_response"]
    assert start.data["released"] == "continue"
    assert start.data["held_ns"] >= 250_000_000
    assert "original" not in start.data
    assert trace.summary.held_ns == start.data["held_ns"]


def test_next_lets_exactly_one_chunk_reach_the_client(served: Served) -> None:
    served.connection.add_breakpoint("~u /stream @ wsgi.body")
    reader = StreamReader("GET", served.url + "/stream")
    [first] = served.held()
    assert first.data["data"] == b"one\n"
    served.connection.next(first)
    wait_until(lambda: reader.body == b"one\n", 5, "the first chunk")
    [second] = served.held()
    assert second.reason == "next" and second.data["data"] == b"two\n"
    time.sleep(0.2)
    assert reader.body == b"one\n"
    served.connection.next(second)
    wait_until(lambda: reader.body == b"one\ntwo\n", 5, "the second chunk")
    [third] = served.held()
    served.connection.continue_(third)
    reader.join()
    assert reader.body == b"".join(STREAM_CHUNKS)
    [trace] = served.traces()
    assert [e.data.get("released") for e in trace.events if e.kind == "wsgi.body"] == ["next", "next", "continue"]


def test_an_edited_status_and_header_reach_the_client_and_the_trace_keeps_both(served: Served) -> None:
    served.connection.add_breakpoint("~u /hello @ wsgi.start_response")
    reader = StreamReader("GET", served.url + "/hello")
    [held] = served.held()
    edited = served.connection.edit(held, {"status": 418, "headers": [*held.data["headers"], ("X-Edited", "yes")]})
    assert edited.data["status"].startswith("418 ")
    assert edited.original is not None and edited.original["status"] == "200 OK"
    served.connection.continue_(held)
    reader.join()
    assert reader.status == 418
    assert reader.headers is not None and reader.headers["x-edited"] == "yes"
    [trace] = served.traces()
    [start] = [e for e in trace.events if e.kind == "wsgi.start_response"]
    assert start.data["status"].startswith("418 ") and ["X-Edited", "yes"] in start.data["headers"]
    assert start.data["original"] == {"status": "200 OK", "headers": [["Content-Type", "text/plain"], ["Content-Length", "5"]]}
    assert trace.summary.status == 418 and trace.summary.edits == 1
    assert trace.events[-1].data["status"].startswith("418 ")


def test_an_edited_body_chunk_is_what_the_client_gets(served: Served) -> None:
    served.connection.add_breakpoint("~u /stream @ wsgi.body")
    reader = StreamReader("GET", served.url + "/stream")
    [held] = served.held()
    served.connection.edit(held, {"data": b"ONE!\n"})
    served.connection.continue_(held)
    reader.join()
    assert reader.body == b"ONE!\ntwo\nthree\n"
    [trace] = served.traces()
    assert trace.summary.response_bytes == len(reader.body)
    assert trace.events[-1].data["bytes_sent"] == len(reader.body)


def test_a_read_of_wsgi_input_is_held_and_edited_before_the_app_gets_it(served: Served) -> None:
    served.connection.add_breakpoint("~m POST @ wsgi.input")
    reader = StreamReader("POST", served.url + "/echo", content=b"abc")
    [held] = served.held()
    assert held.kind == "wsgi.input" and held.data["data"] == b"abc"
    served.connection.edit(held, {"data": b"xyz"})
    served.connection.continue_(held)
    reader.join()
    assert reader.body == b"xyz"
    [trace] = served.traces()
    [read] = [e for e in trace.events if e.kind == "wsgi.input"]
    assert read.data["data"] == b"xyz" and read.data["original"] == {"data": b"abc"}


def test_a_breakpoint_without_kinds_holds_the_request_before_the_app_runs(served: Served) -> None:
    served.connection.add_breakpoint("~u /hello")
    reader = StreamReader("GET", served.url + "/hello")
    [held] = served.held()
    assert held.kind == "wsgi.environ" and held.editable == ()
    served.connection.next(held)
    [step] = served.held()
    assert step.kind == "wsgi.start_response" and step.reason == "next"
    served.connection.continue_(step)
    assert reader.join().body == b"hello"


def test_other_requests_are_served_while_one_thread_waits(served: Served) -> None:
    served.connection.add_breakpoint("~u /stream @ wsgi.body")
    reader = StreamReader("GET", served.url + "/stream")
    served.held()
    began = time.monotonic()
    response = httpx.get(served.url + "/hello", timeout=5)
    assert response.content == b"hello" and time.monotonic() - began < 2
    assert not reader.done
    served.connection.continue_all()
    assert reader.join().body == b"".join(STREAM_CHUNKS)


def test_the_hold_timeout_lets_a_request_go_on_by_itself(tmp_path: Path) -> None:
    trace_file = tmp_path / "traces.jsonl"
    sink = JsonlSink(trace_file)
    tracer = WSGITracer(wsgi_app, sink=sink, breakpoints=["~u /hello @ wsgi.start_response"], hold_timeout=0.5)
    released: list = []
    try:
        with wsgi_server(tracer) as url:
            tracer.debugger.subscribe(lambda event: released.append(event) if event["event"] == "released" else None)
            began = time.monotonic()
            response = httpx.get(url + "/hello", timeout=10)
            waited = time.monotonic() - began
    finally:
        tracer.debugger.close()
        sink.close()
    assert response.content == b"hello"
    assert 0.45 < waited < 5
    assert [event["how"] for event in released] == ["timeout"]
    [trace] = read_traces(trace_file)
    [start] = [e for e in trace.events if e.kind == "wsgi.start_response"]
    assert start.data["released"] == "timeout" and start.data["held_ns"] >= 450_000_000


def test_closing_the_last_connection_releases_every_held_request(served: Served) -> None:
    served.connection.add_breakpoint("~u /stream @ wsgi.body")
    readers = [StreamReader("GET", served.url + "/stream") for _ in range(2)]
    served.held(2)
    heard: list = []
    served.debugger.subscribe(heard.append)
    served.connection.close()
    for reader in readers:
        assert reader.join().body == b"".join(STREAM_CHUNKS)
    assert [e["how"] for e in heard if e["event"] == "released"] == ["detached", "detached"]
    # Its breakpoints went with it.
    assert served.debugger.breakpoints == ()


def test_the_control_socket_in_the_same_process_steps_a_request(served: Served) -> None:
    path = served.debugger.control.path
    connection = SocketConnection(path)
    try:
        heard: list = []
        connection.subscribe(heard.append)
        connection.add_breakpoint("~u /stream @ wsgi.body")
        reader = StreamReader("GET", served.url + "/stream")
        wait_until(lambda: any(isinstance(e, RequestHeld) for e in heard), 5, "a held event")
        [held] = connection.held()
        connection.next(held)
        wait_until(lambda: reader.body == b"one\n", 5, "the first chunk")
        connection.continue_all()
        assert reader.join().body == b"".join(STREAM_CHUNKS)
    finally:
        connection.close()


def test_a_request_held_at_its_first_event_is_named_from_its_environ(served: Served) -> None:
    served.connection.add_breakpoint("~u /hello")
    reader = StreamReader("GET", served.url + "/hello?x=1")
    [held] = served.held()
    assert (held.kind, held.title) == ("wsgi.environ", "GET /hello?x=1")
    served.connection.continue_(held)
    wait_until(lambda: reader.done, 5.0, "the response")
    assert reader.status == 200
