"""The state machines as data: well formed, and what `states_of` says of a few exchanges."""

from __future__ import annotations

from typing import Any

import pytest

from tracer.checks.rules import RULES
from tracer.model import Event, Trace
from tracer.states import (
    ANY_RECEIVE,
    ANY_SEND,
    MACHINES,
    HTTPState,
    StateFollower,
    LifespanState,
    Machine,
    WSGIState,
    WSState,
    machine_for,
    states_of,
)
from tracer.states.framing import frame

ALL = list(MACHINES.values())


@pytest.mark.parametrize("machine", ALL, ids=lambda m: m.name)
def test_every_transition_and_mistake_names_a_known_trigger(machine: Machine) -> None:
    triggers = set(machine.triggers)
    assert {t.on for t in machine.transitions} <= triggers
    assert {on for m in machine.mistakes for on in m.on} <= triggers | {ANY_SEND, ANY_RECEIVE}
    assert machine.sends <= triggers and machine.receives <= triggers


@pytest.mark.parametrize("machine", ALL, ids=lambda m: m.name)
def test_every_mistake_is_a_rule_of_the_catalog(machine: Machine) -> None:
    assert sorted({m.rule for m in machine.mistakes} - set(RULES)) == []


@pytest.mark.parametrize("machine", ALL, ids=lambda m: m.name)
def test_every_state_is_described_and_reachable(machine: Machine) -> None:
    assert set(machine.about) == set(machine.states) == set(machine.may)
    assert all(machine.about[s] and machine.may[s] for s in machine.states)
    assert machine.entry.source == () and machine.entry.target is machine.initial
    reached, frontier = {machine.initial}, [machine.initial]
    while frontier:
        state = frontier.pop()
        for transition in machine.leaving(state):
            target = transition.to(state)
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert sorted(s.label for s in set(machine.states) - reached) == []


@pytest.mark.parametrize("machine", ALL, ids=lambda m: m.name)
def test_one_transition_per_state_and_trigger(machine: Machine) -> None:
    seen: set[tuple[Any, str]] = set()
    for transition in machine.transitions:
        for state in transition.source:
            assert (state, transition.on) not in seen, (state, transition.on)
            seen.add((state, transition.on))


def _sentence(text: str) -> bool:
    first = text.split(" ", 1)[0]
    code = any(c in first for c in "_.(")  # start_response, receive() and the like stay as written
    return (text[:1].isupper() or code) and text.endswith(".")


@pytest.mark.parametrize("machine", ALL, ids=lambda m: m.name)
def test_sentences_are_sentences(machine: Machine) -> None:
    for transition in machine.transitions:
        assert _sentence(transition.says), transition
    for mistake in machine.mistakes:
        assert _sentence(mistake.says), mistake
    for state in machine.states:
        assert machine.about[state].endswith("."), state
        assert all(not may.endswith(".") for may in machine.may[state]), state


def test_machine_for_each_protocol() -> None:
    assert machine_for("wsgi", "http") is MACHINES["wsgi"]
    assert [machine_for("asgi", s).name for s in ("http", "websocket", "lifespan")] == ["http", "websocket", "lifespan"]  # type: ignore[union-attr]
    assert machine_for("asgi", "wsgi") is None and machine_for("other", "http") is None


def _wsgi(*events: tuple[str, dict[str, Any]], environ: dict[str, Any] | None = None) -> Trace:
    env = {"REQUEST_METHOD": "GET", "SERVER_PROTOCOL": "HTTP/1.1", **(environ or {})}
    items = [("wsgi.environ", {"environ": env}), *events]
    return Trace("t", "wsgi", "http", 0.0, [Event(i, i, kind, data) for i, (kind, data) in enumerate(items)])


def _asgi(scope_type: str, *messages: tuple[str, Any], scope: dict[str, Any] | None = None) -> Trace:
    items: list[tuple[str, dict[str, Any]]] = [("asgi.scope", {"scope": {"type": scope_type, **(scope or {})}})]
    items += [(kind, {"message": m} if kind in ("asgi.send", "asgi.receive") else m) for kind, m in messages]
    return Trace("t", "asgi", scope_type, 0.0, [Event(i, i, kind, data) for i, (kind, data) in enumerate(items)])


def test_wsgi_headers_go_out_with_the_first_non_empty_chunk() -> None:
    trace = _wsgi(
        ("wsgi.start_response", {"status": "200 OK", "headers": [["Content-Type", "text/plain"]], "exc_info": None}),
        ("wsgi.body", {"data": b""}),
        ("wsgi.body", {"data": b"a"}),
        ("wsgi.body", {"data": b"b"}),
        ("wsgi.close", {}),
        ("wsgi.end", {"status": "200 OK"}),
    )
    states = [s.state for s in states_of(trace)]
    C, SET, SENT, IT, CLOSED = WSGIState
    assert states == [C, SET, SET, SENT, IT, CLOSED, CLOSED]
    steps = states_of(trace)
    assert steps[0].before is None and steps[0].transition is not None and steps[0].transition.on == "wsgi.environ"
    assert steps[-1].transition is None and steps[-1].made == ()


def test_wsgi_mistakes_are_named_on_the_step() -> None:
    trace = _wsgi(
        ("wsgi.start_response", {"status": "200 OK", "headers": [], "exc_info": None}),
        ("wsgi.start_response", {"status": "500 Oops", "headers": [], "exc_info": None}),
        ("wsgi.end", {"status": "200 OK"}),
    )
    steps = states_of(trace)
    assert [m.rule for m in steps[2].made] == ["wsgi-start-response-twice"]
    assert [m.rule for m in steps[3].made] == ["wsgi-close-not-called"]
    assert "wsgi-start-response-twice" in {m.rule for m in steps[1].must_not}


def test_http_states_and_the_unread_request_body() -> None:
    trace = _asgi(
        "http",
        ("asgi.receive", {"type": "http.request", "body": b"abc", "more_body": True}),
        ("asgi.send", {"type": "http.response.start", "status": 200, "headers": [[b"content-length", b"2"]]}),
        ("asgi.send", {"type": "http.response.body", "body": b"h", "more_body": True}),
        ("asgi.send", {"type": "http.response.body", "body": b"i"}),
        ("asgi.send", {"type": "http.response.body", "body": b"!"}),
        ("asgi.receive", {"type": "http.disconnect"}),
        ("asgi.end", {}),
        scope={"method": "POST", "http_version": "1.1", "headers": [[b"content-length", b"10"]]},
    )
    steps = states_of(trace)
    A, _, STARTED, STREAMING, _, COMPLETE, GONE = HTTPState
    assert [s.state for s in steps] == [A, A, STARTED, STREAMING, COMPLETE, COMPLETE, GONE, GONE]
    assert [m.rule for m in steps[5].made] == ["asgi-send-after-complete"]
    assert steps[1].request_body is not None and steps[1].request_body.unread == 7
    assert steps[1].framing is None
    framing = steps[2].framing
    assert framing is not None and (framing.body, framing.length, framing.keep_alive) == ("content-length", 2, True)


def test_websocket_and_lifespan_states() -> None:
    ws = _asgi(
        "websocket",
        ("asgi.receive", {"type": "websocket.connect"}),
        ("asgi.send", {"type": "websocket.accept"}),
        ("asgi.receive", {"type": "websocket.receive", "text": "hi"}),
        ("asgi.send", {"type": "websocket.close", "code": 1000}),
        ("asgi.receive", {"type": "websocket.disconnect", "code": 1000}),
        ("asgi.end", {}),
    )
    W = WSState
    assert [s.state for s in states_of(ws)] == [
        W.CONNECTING, W.CONNECTING, W.ACCEPTED, W.OPEN, W.CLOSING, W.CLOSED, W.CLOSED]
    lifespan = _asgi(
        "lifespan",
        ("asgi.receive", {"type": "lifespan.startup"}),
        ("asgi.end", {}),
    )
    steps = states_of(lifespan)
    assert [s.state for s in steps] == [LifespanState.CALLED, LifespanState.STARTING, LifespanState.STARTING]
    assert [m.rule for m in steps[-1].made] == ["lifespan-startup-no-reply"]
    assert steps[-1].framing is None and steps[-1].request_body is None


def test_a_message_that_is_not_followed_changes_nothing() -> None:
    trace = _asgi("http", ("asgi.send", {"type": "http.response.content"}), ("asgi.send", "not a dict"))
    assert [(s.state, s.transition, s.made) for s in states_of(trace)[1:]] == [(HTTPState.AWAITING_BODY, None, ())] * 2


def test_an_unknown_protocol_has_no_states() -> None:
    trace = Trace("t", "cgi", "http", 0.0, [Event(0, 0, "cgi.call", {})])
    assert states_of(trace) == []
    follower = StateFollower("cgi", "http")
    assert follower.machine is None and follower.step(trace.events[0]) is None


def test_a_growing_trace_is_followed_event_by_event() -> None:
    trace = _asgi(
        "http",
        ("asgi.receive", {"type": "http.request", "body": b""}),
        ("asgi.send", {"type": "http.response.start", "status": 304, "headers": []}),
        ("asgi.send", {"type": "http.response.body", "body": b""}),
        ("asgi.end", {}),
    )
    follower = StateFollower("asgi", "http")
    assert follower.machine is MACHINES["http"]
    assert [follower.step(event) for event in trace.events] == states_of(trace)


@pytest.mark.parametrize(
    ("kw", "body", "keep_alive"),
    [
        ({"headers": [("content-length", "5")]}, "content-length", True),
        ({}, "chunked", True),
        ({"http_version": "1.0"}, "close", False),
        ({"http_version": "1.0", "request_connection": "keep-alive", "headers": [("content-length", "5")]},
         "content-length", True),
        ({"request_connection": "close", "headers": [("content-length", "5")]}, "content-length", False),
        ({"http_version": "2"}, "frames", True),
        ({"method": "HEAD", "headers": [("content-length", "5")]}, "none", True),
        ({"status": 304, "headers": [("content-length", "5")]}, "none", True),
        ({"status": 204}, "none", True),
        ({"status": 101}, "none", True),
    ],
)
def test_framing(kw: dict[str, Any], body: str, keep_alive: bool) -> None:
    args: dict[str, Any] = {"protocol": "asgi", "method": "GET", "http_version": "1.1", "request_connection": None,
                            "status": 200, "headers": [], **kw}
    framing = frame(**args)
    assert (framing.body, framing.keep_alive) == (body, keep_alive)
    assert framing.says and all(s.endswith(".") for s in framing.says)


def test_framing_says_what_head_and_304_change() -> None:
    head = frame(protocol="wsgi", method="HEAD", http_version="1.1", request_connection=None, status=200,
                 headers=[("content-length", "5")])
    assert "HEAD" in head.says[0] and head.length == 5
    not_modified = frame(protocol="wsgi", method="GET", http_version="1.1", request_connection=None, status=304,
                         headers=[])
    assert "304" in not_modified.says[0]
    wsgi = frame(protocol="wsgi", method="GET", http_version="1.1", request_connection=None, status=200, headers=[])
    assert any("PEP 3333" in s for s in wsgi.says)
    ignored = frame(protocol="asgi", method="GET", http_version="1.1", request_connection=None, status=200,
                    headers=[("transfer-encoding", "chunked")])
    assert any("Transfer-Encoding header is ignored" in s for s in ignored.says)
