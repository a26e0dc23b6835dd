"""Breakpoints as written, edits as given, and the middlewares' options, without a server."""

from __future__ import annotations

import pytest

from tracer import ASGITracer, Recorder, TraceSummary, WSGITracer
from tracer.debug import BreakpointError, parse_breakpoint
from tracer.debug.edits import EditError, apply_edit, can_disconnect, describe, disconnect_message, editable
from tracer.errors import UsageError
from tracer.redact import Redactor


def summary_of(*events: tuple[str, dict]) -> TraceSummary:
    protocol = events[0][0].partition(".")[0]
    summary = TraceSummary.begin({"trace": "t", "kind": events[0][0], "protocol": protocol, "scope_type": "http"})
    for t_ns, (kind, data) in enumerate(events):
        summary.add(kind, t_ns, data)
    return summary


GET_STREAM = ("asgi.scope", {"scope": {"type": "http", "method": "GET", "path": "/stream", "query_string": b"",
                                       "headers": [(b"x-request-id", b"abc")]}})
START_500 = ("asgi.send", {"message": {"type": "http.response.start", "status": 500, "headers": []}})


@pytest.mark.parametrize(
    ("text", "kinds", "expression"),
    [
        ("~u /stream @ http.response.body", ("http.response.body",), "~u /stream"),
        ("~m POST @ http.request,wsgi.input", ("http.request", "wsgi.input"), "~m POST"),
        ("~m POST @ http.request, wsgi.input", ("http.request", "wsgi.input"), "~m POST"),
        ("@ asgi.send", ("asgi.send",), ""),
        ("~ws @ websocket.*", ("websocket.*",), "~ws"),
        ("~u /admin", (), "~u /admin"),
        ('~b "a @ b" @ wsgi.body', None, None),  # refused below: ~b
        ("~u a@b @ wsgi.body", ("wsgi.body",), "~u a@b"),
        ('~u "a @ b" @ wsgi.body', ("wsgi.body",), '~u "a @ b"'),
        ('~u "a @ b"', (), '~u "a @ b"'),
    ],
)
def test_a_breakpoint_is_a_filter_and_event_kinds(text: str, kinds: tuple[str, ...] | None, expression: str | None) -> None:
    if kinds is None:
        with pytest.raises(BreakpointError):
            parse_breakpoint(text)
        return
    parsed = parse_breakpoint(text)
    assert parsed.kinds == kinds
    assert parsed.text == text
    assert (parsed.filter is None) == (expression == "")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty breakpoint"),
        ("   ", "empty breakpoint"),
        ("~u /x @", "nothing after '@'"),
        ("~u /x @ http.body", "unknown event kind 'http.body'"),
        ("~u /x @ http.response.bdy", "did you mean http.response.body?"),
        ("~u /x @ nonsense.*", "unknown event kind 'nonsense.*'"),
        ("~q x @ wsgi.body", "unknown filter '~q'"),
        ("~c 99 @ wsgi.body", "~c wants a status"),
        ("~b secret @ http.request", "~b reads the whole trace"),
        ("~bs x", "~bs reads the whole trace"),
        ("~violation", "~violation reads the whole trace"),
        ("(~u /x @ wsgi.body", "missing ')'"),
    ],
)
def test_a_bad_breakpoint_is_one_line_naming_the_bad_part(text: str, message: str) -> None:
    with pytest.raises(BreakpointError) as caught:
        parse_breakpoint(text)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert isinstance(caught.value, UsageError)


def test_without_at_a_breakpoint_holds_at_the_first_event_only() -> None:
    parsed = parse_breakpoint("~u /stream")
    assert parsed.wants("asgi.scope", None) and parsed.wants("wsgi.environ", None)
    assert not parsed.wants("asgi.send", "http.response.body")


def test_kinds_match_event_kinds_message_types_and_prefixes() -> None:
    assert parse_breakpoint("@ asgi.send").wants("asgi.send", "http.response.start")
    assert parse_breakpoint("@ http.response.start").wants("asgi.send", "http.response.start")
    assert not parse_breakpoint("@ http.response.start").wants("asgi.send", "http.response.body")
    prefix = parse_breakpoint("@ websocket.*")
    assert prefix.wants("asgi.receive", "websocket.receive") and prefix.wants("asgi.send", "websocket.send")
    assert not prefix.wants("asgi.send", "http.response.body")
    assert parse_breakpoint("@ wsgi.*").wants("wsgi.body", None)


def test_the_filter_reads_the_request_so_far() -> None:
    assert parse_breakpoint("~u /stream @ http.response.body").matches(summary_of(GET_STREAM))
    assert not parse_breakpoint("~u /other @ http.response.body").matches(summary_of(GET_STREAM))
    assert parse_breakpoint("~c 5xx @ http.response.start").matches(summary_of(GET_STREAM, START_500))
    assert not parse_breakpoint("~c 5xx @ http.response.start").matches(summary_of(GET_STREAM))
    # The header operators read the headers the summary keeps.
    assert parse_breakpoint("~hq x-request-id @ asgi.send").matches(summary_of(GET_STREAM))
    assert not parse_breakpoint("~hq x-other @ asgi.send").matches(summary_of(GET_STREAM))
    assert parse_breakpoint("@ asgi.send").matches(summary_of(GET_STREAM))


# Edits


def test_editable_fields_follow_the_event() -> None:
    assert editable("asgi.send", {"type": "http.response.start", "status": 200}) == ("status", "headers", "trailers", "message")
    assert editable("asgi.send", {"type": "http.response.body"}) == ("body", "more_body", "message")
    assert editable("asgi.receive", {"type": "websocket.receive", "text": "hi"}) == ("text", "bytes", "message")
    assert editable("wsgi.start_response", ("200 OK", [])) == ("status", "headers")
    assert editable("wsgi.body", b"x") == ("data",)
    assert editable("wsgi.environ", {}) == ()
    assert editable("asgi.scope", {}) == ()


def test_an_asgi_edit_is_a_new_message_with_bytes_where_asgi_has_bytes() -> None:
    original = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]}
    edited = apply_edit("asgi.send", original, {"status": "404", "headers": [["x-edited", "yes"]]})
    assert edited == {"type": "http.response.start", "status": 404, "headers": [(b"x-edited", b"yes")]}
    assert original["status"] == 200
    body = apply_edit("asgi.send", {"type": "http.response.body", "body": b"a", "more_body": True}, {"body": "é", "more_body": False})
    assert body == {"type": "http.response.body", "body": "é".encode(), "more_body": False}
    whole = apply_edit("asgi.receive", {"type": "http.request", "body": b"x"}, {"message": {"type": "http.request", "body": b"y"}})
    assert whole == {"type": "http.request", "body": b"y"}


def test_a_websocket_edit_sets_text_or_bytes() -> None:
    message = {"type": "websocket.send", "text": "hi", "bytes": None}
    assert apply_edit("asgi.send", message, {"bytes": b"\x00"}) == {"type": "websocket.send", "text": None, "bytes": b"\x00"}
    assert apply_edit("asgi.send", {"type": "websocket.send", "bytes": b"x", "text": None}, {"text": "yo"}) == {
        "type": "websocket.send", "text": "yo", "bytes": None}


def test_a_wsgi_edit_gives_native_strings_and_a_reason_phrase() -> None:
    status, headers = apply_edit("wsgi.start_response", ("200 OK", [("A", "b")]), {"status": 418, "headers": [(b"X-Y", b"z")]})
    assert status == "418 I'm a Teapot" or status.startswith("418 ")
    assert headers == [("X-Y", "z")]
    assert apply_edit("wsgi.start_response", ("200 OK", []), {"status": "503"})[0] == "503 Service Unavailable"
    assert apply_edit("wsgi.body", b"old", {"data": "new"}) == b"new"
    assert apply_edit("wsgi.input", [b"a\n"], {"data": [b"b\n", "c\n"]}) == [b"b\n", b"c\n"]


def test_a_redacted_header_left_as_it_is_keeps_its_real_value() -> None:
    original = {"type": "http.response.start", "status": 200, "headers": [(b"set-cookie", b"session=1"), (b"a", b"b")]}
    edited = apply_edit("asgi.send", original, {"headers": [["set-cookie", "[redacted]"], ["a", "c"]]}, redactor=Redactor())
    assert edited["headers"] == [(b"set-cookie", b"session=1"), (b"a", b"c")]


@pytest.mark.parametrize(
    ("kind", "value", "changes", "message"),
    [
        ("asgi.send", {"type": "http.response.body", "body": b""}, {"status": 500}, "'status' is not a field of this http.response.body message"),
        ("asgi.send", {"type": "http.response.start", "status": 200}, {"status": "teapot"}, "status must be a number"),
        ("asgi.send", {"type": "http.response.start", "status": 200}, {"headers": "x"}, "headers must be a list"),
        ("asgi.send", {"type": "http.response.body"}, {"more_body": "yes"}, "more_body must be true or false"),
        ("asgi.send", {"type": "http.response.start"}, {"headers": [["ä", "€"]]}, "latin-1"),
        ("wsgi.environ", {}, {"data": b""}, "cannot be edited"),
        ("wsgi.start_response", ("200 OK", []), {"status": "OK"}, "status must be a status line"),
        ("wsgi.body", b"", {}, "at least one field"),
        ("asgi.send", {"type": "x"}, {"message": {"no": "type"}}, "whole message"),
    ],
)
def test_a_bad_edit_is_refused_in_one_line(kind: str, value: object, changes: dict, message: str) -> None:
    with pytest.raises(EditError) as caught:
        apply_edit(kind, value, changes)
    assert message in str(caught.value)


def test_a_readinto_edit_must_fit_the_buffer() -> None:
    with pytest.raises(EditError, match="at most 4 bytes"):
        apply_edit("wsgi.input", b"abcd", {"data": b"abcde"}, limit=4)


def test_only_a_receive_of_a_connection_can_become_a_disconnect() -> None:
    assert can_disconnect("asgi.receive", {"type": "http.request"})
    assert can_disconnect("asgi.receive", {"type": "websocket.receive"})
    assert not can_disconnect("asgi.receive", {"type": "lifespan.startup"})
    assert not can_disconnect("asgi.send", {"type": "http.response.body"})
    assert disconnect_message({"type": "http.request"}) == {"type": "http.disconnect"}
    assert disconnect_message({"type": "websocket.receive"}) == {"type": "websocket.disconnect", "code": 1001}


def test_a_held_event_is_described_in_one_line() -> None:
    assert describe("asgi.send", {"type": "http.response.body", "body": b"abc", "more_body": True}) == "http.response.body 3 B, more_body"
    assert describe("asgi.send", {"type": "http.response.start", "status": 200, "headers": [(b"a", b"b")]}) == "http.response.start 200, 1 header"
    assert describe("wsgi.start_response", ("404 Not Found", [])) == "start_response 404 Not Found, 0 headers"
    assert describe("wsgi.body", b"12345") == "body chunk 5 B"
    assert describe("asgi.scope", {"type": "websocket", "path": "/ws"}) == "asgi.scope WS /ws"


# Options


def _app(environ: dict, start_response: object) -> list[bytes]:
    return []


def test_breakpoints_are_off_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRACER_BREAKPOINTS", raising=False)
    assert WSGITracer(_app, sink=Recorder()).debugger is None
    monkeypatch.setenv("TRACER_BREAKPOINTS", "0")
    assert ASGITracer(_app, sink=Recorder()).debugger is None


def test_tracer_breakpoints_1_turns_them_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACER_BREAKPOINTS", "1")
    tracer = WSGITracer(_app, sink=Recorder())
    try:
        assert tracer.debugger is not None
        assert tracer.debugger.breakpoints == ()
    finally:
        tracer.debugger.close()
    assert WSGITracer(_app, sink=Recorder(), breakpoints=False).debugger is None


def test_breakpoints_given_as_text_are_the_process_s_own() -> None:
    tracer = ASGITracer(_app, sink=Recorder(), breakpoints=["~u /x @ http.response.body"])
    try:
        assert [bp["text"] for bp in tracer.debugger.breakpoint_list()] == ["~u /x @ http.response.body"]
        assert tracer.debugger.breakpoint_list()[0]["owner"] == "process"
    finally:
        tracer.debugger.close()


@pytest.mark.parametrize(
    ("kwargs", "env", "message"),
    [
        ({"hold_timeout": 0}, None, "hold_timeout must be a positive number"),
        ({"hold_timeout": "5"}, None, "hold_timeout must be a positive number"),
        ({}, "maybe", "TRACER_BREAKPOINTS must be 1 or 0"),
        ({"breakpoints": 3}, None, "breakpoints must be True, False"),
        ({"breakpoints": ["~u /x @ nope"]}, None, "unknown event kind 'nope'"),
    ],
)
def test_bad_debugger_options_are_one_line(kwargs: dict, env: str | None, message: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if env is None:
        monkeypatch.delenv("TRACER_BREAKPOINTS", raising=False)
    else:
        monkeypatch.setenv("TRACER_BREAKPOINTS", env)
    with pytest.raises(UsageError, match=message):
        WSGITracer(_app, sink=Recorder(), **kwargs)
