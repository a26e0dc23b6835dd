"""Holding ASGI connections on uvicorn: one task waits while the loop serves others; receive, send and websocket edits."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.sync.client import connect

from tests.frameworks.running import logger_state, restore_loggers
from tests.tracer.breakpoint_servers import (
    SAW,
    STREAM_CHUNKS,
    StreamReader,
    asgi_app,
    asgi_server,
    complete_traces,
    wait_until,
)
from tracer import ASGITracer, JsonlSink, read_traces
from tracer.debug.client import LocalConnection, SocketConnection, attach


@pytest.fixture(autouse=True)
def _server_loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


class Served:
    def __init__(self, url: str, tracer: ASGITracer, trace_file: Path, connection: LocalConnection) -> None:
        self.url = url
        self.tracer = tracer
        self.trace_file = trace_file
        self.connection = connection

    def held(self, count: int = 1, timeout: float = 5.0) -> list:
        return wait_until(lambda: len(held := self.connection.held()) >= count and held, timeout, f"{count} held")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    trace_file = tmp_path / "traces.jsonl"
    sink = JsonlSink(trace_file)
    tracer = ASGITracer(asgi_app, sink=sink, breakpoints=True, hold_timeout=10)
    try:
        with asgi_server(tracer) as url:
            [connection] = attach(trace_file)
            assert isinstance(connection, LocalConnection)
            try:
                yield Served(url, tracer, trace_file, connection)
            finally:
                tracer.debugger.close()
                connection.close()
    finally:
        sink.close()


def test_next_lets_exactly_one_chunk_reach_the_client(served: Served) -> None:
    served.connection.add_breakpoint("~u /stream @ http.response.body")
    reader = StreamReader("GET", served.url + "/stream")
    [first] = served.held()
    assert (first.kind, first.type, first.summary) == ("asgi.send", "http.response.body", "http.response.body 4 B, more_body")
    # The response started; its first chunk waits.
    wait_until(lambda: reader.status == 200, 5, "the response start")
    time.sleep(0.2)
    assert reader.body == b""
    served.connection.next(first)
    wait_until(lambda: reader.body == b"one\n", 5, "the first chunk")
    [second] = served.held()
    time.sleep(0.2)
    assert reader.body == b"one\n"
    served.connection.next(second)
    wait_until(lambda: reader.body == b"one\ntwo\n", 5, "the second chunk")
    [third] = served.held()
    assert third.message == {"type": "http.response.body", "body": b"three\n", "more_body": False}
    served.connection.continue_(third)
    assert reader.join().body == b"".join(STREAM_CHUNKS)


def test_the_loop_serves_a_second_request_while_the_first_is_held(served: Served) -> None:
    served.connection.add_breakpoint("~u /stream @ http.response.start")
    reader = StreamReader("GET", served.url + "/stream")
    served.held()
    began = time.monotonic()
    response = httpx.get(served.url + "/hello", timeout=5)
    assert response.content == b"hello" and time.monotonic() - began < 2
    assert reader.status is None
    served.connection.continue_all()
    assert reader.join().status == 200


def test_an_edited_status_and_header_reach_the_client_and_the_trace_keeps_both(served: Served) -> None:
    served.connection.add_breakpoint("~u /hello @ http.response.start")
    reader = StreamReader("GET", served.url + "/hello")
    [held] = served.held()
    assert reader.status is None
    served.connection.edit(held, {"status": 404, "headers": [*held.message["headers"], (b"x-edited", b"yes")]})
    served.connection.continue_(held)
    reader.join()
    assert reader.status == 404 and reader.headers["x-edited"] == "yes" and reader.body == b"hello"
    [trace] = complete_traces(served.trace_file)
    [start] = [e for e in trace.events if e.data.get("message", {}).get("type") == "http.response.start"]
    assert start.data["message"]["status"] == 404
    assert [b"x-edited", b"yes"] in start.data["message"]["headers"]
    assert start.data["original"]["message"]["status"] == 200
    assert start.data["released"] == "continue"
    assert trace.summary.status == 404 and trace.summary.edits == 1


def test_a_held_receive_answered_with_a_disconnect(served: Served) -> None:
    SAW.clear()
    served.connection.add_breakpoint("~u /echo @ http.request")
    reader = StreamReader("POST", served.url + "/echo", content=b"payload")
    [held] = served.held()
    assert held.can_disconnect and held.message["body"] == b"payload"
    served.connection.disconnect(held)
    # Disconnecting steps on: the app's answer to it is held next.
    [after] = served.held()
    assert after.reason == "next" and after.type == "http.response.start"
    served.connection.continue_(after)
    assert reader.join().body == b"app saw http.disconnect"
    assert SAW == [{"type": "http.disconnect"}]
    [trace] = complete_traces(served.trace_file)
    [receive] = [e for e in trace.events if e.kind == "asgi.receive"]
    assert receive.data["message"] == {"type": "http.disconnect"}
    assert receive.data["original"]["message"]["body"] == b"payload"
    assert receive.data["released"] == "disconnect"


def test_only_a_receive_can_be_answered_with_a_disconnect(served: Served) -> None:
    from tracer.debug import ControlError

    served.connection.add_breakpoint("~u /hello @ http.response.start")
    reader = StreamReader("GET", served.url + "/hello")
    [held] = served.held()
    with pytest.raises(ControlError, match="nothing to disconnect"):
        served.connection.disconnect(held)
    served.connection.continue_(held)
    assert reader.join().status == 200


def test_websocket_messages_are_held_and_edited_both_ways(served: Served) -> None:
    served.connection.add_breakpoint("~ws @ websocket.receive")
    url = served.url.replace("http://", "ws://") + "/ws"
    with connect(url, open_timeout=5, close_timeout=2) as ws:
        ws.send("hi")
        [incoming] = served.held()
        assert incoming.message == {"type": "websocket.receive", "text": "hi"}
        served.connection.edit(incoming, {"text": "HI"})
        served.connection.next(incoming)
        [outgoing] = served.held()
        assert outgoing.type == "websocket.send" and outgoing.message["text"] == "echo: HI"
        served.connection.edit(outgoing, {"bytes": b"\x00edited"})
        served.connection.continue_(outgoing)
        assert ws.recv(timeout=5) == b"\x00edited"
        # Continued: the next message is not held.
        ws.send("again")
        assert ws.recv(timeout=5) == "echo: again"
    [trace] = complete_traces(served.trace_file)
    edited = [e for e in trace.events if "original" in e.data]
    assert [e.data["message"] for e in edited] == [
        {"type": "websocket.receive", "text": "HI"},
        {"type": "websocket.send", "text": None, "bytes": b"\x00edited"},
    ]
    assert edited[0].data["original"]["message"]["text"] == "hi"
    assert edited[1].data["original"]["message"]["text"] == "echo: HI"
    assert trace.summary.edits == 2


def test_the_hold_timeout_lets_a_connection_go_on_by_itself(tmp_path: Path) -> None:
    trace_file = tmp_path / "traces.jsonl"
    sink = JsonlSink(trace_file)
    tracer = ASGITracer(asgi_app, sink=sink, breakpoints=["~u /hello @ http.response.body"], hold_timeout=0.5)
    try:
        with asgi_server(tracer) as url:
            began = time.monotonic()
            response = httpx.get(url + "/hello", timeout=10)
            waited = time.monotonic() - began
    finally:
        tracer.debugger.close()
        sink.close()
    assert response.content == b"hello" and 0.45 < waited < 5
    [trace] = read_traces(trace_file)
    [body] = [e for e in trace.events if e.data.get("message", {}).get("type") == "http.response.body"]
    assert body.data["released"] == "timeout" and body.data["held_ns"] >= 450_000_000


def test_losing_the_control_connection_releases_every_held_connection(served: Served) -> None:
    served.connection.close()
    remote = SocketConnection(served.tracer.debugger.control.path)
    remote.add_breakpoint("~u /stream @ http.response.body")
    readers = [StreamReader("GET", served.url + "/stream") for _ in range(2)]
    wait_until(lambda: len(remote.held()) == 2, 5, "two held")
    remote.close()
    for reader in readers:
        assert reader.join().body == b"".join(STREAM_CHUNKS)
    assert served.tracer.debugger.breakpoints == ()


def test_lifespan_is_held_only_by_a_breakpoint_that_names_its_kinds() -> None:
    import asyncio

    from asgiref.testing import ApplicationCommunicator

    from tracer import Recorder

    async def startup(tracer: ASGITracer) -> dict:
        communicator = ApplicationCommunicator(tracer, {"type": "lifespan", "asgi": {"version": "3.0"}})
        await communicator.send_input({"type": "lifespan.startup"})
        answer = await communicator.receive_output(5)
        await communicator.send_input({"type": "lifespan.shutdown"})
        await communicator.receive_output(5)
        await communicator.wait(5)
        return answer

    tracer = ASGITracer(asgi_app, sink=Recorder(), breakpoints=["~asgi"], hold_timeout=10)
    try:
        assert asyncio.run(startup(tracer)) == {"type": "lifespan.startup.complete"}
    finally:
        tracer.debugger.close()
    named = ASGITracer(asgi_app, sink=Recorder(), breakpoints=["~lifespan @ lifespan.startup"], hold_timeout=0.2)
    try:
        began = time.monotonic()
        assert asyncio.run(startup(named)) == {"type": "lifespan.startup.complete"}
        assert time.monotonic() - began >= 0.2
    finally:
        named.debugger.close()
    [trace] = named.sink.traces()
    [held] = [e for e in trace.events if "held_ns" in e.data]
    assert held.data["message"]["type"] == "lifespan.startup" and held.data["released"] == "timeout"
