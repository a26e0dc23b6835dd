"""`DebugSession` without Textual: held requests, breakpoints per process, actions, and the edit JSON."""

from __future__ import annotations

import pytest

from tests.tui.debugfakes import FakeConnection, held_event
from tracer.debug.client import ConnectionLost, RequestReleased
from tui.debugger import DebugSession, changes_from, check_breakpoint, edit_text, editable_values


def session_with(*connections: FakeConnection, wanted: tuple[str, ...] = ()) -> DebugSession:
    session = DebugSession(wanted)
    for connection in connections:
        connection.subscribe(session.take)
    assert session.add_connections(list(connections)) == []  # type: ignore[arg-type]
    return session


def test_wanted_breakpoints_go_to_each_process_attached() -> None:
    first, second = FakeConnection(1), FakeConnection(2)
    session = session_with(first, wanted=("~u /stream @ http.response.body",))
    session.add_connections([second])  # type: ignore[list-item]
    assert ("add_breakpoint", "~u /stream @ http.response.body") in second.calls
    assert [bp.pid for bp in session.all_breakpoints()] == [1, 2]


def test_a_refused_breakpoint_is_one_error_line() -> None:
    connection = FakeConnection()
    connection.refuse = "breakpoint refused"
    session = DebugSession(["~u /x"])
    assert session.add_connections([connection]) == ["breakpoint refused"]  # type: ignore[list-item]


def test_held_then_released() -> None:
    connection = FakeConnection()
    session = session_with(connection)
    seen: list[int] = []
    session.connect(lambda: seen.append(len(session.held)))
    held = held_event()
    connection.hold(held)
    assert session.held_for("live-000001") == held
    session.next(held)
    assert connection.calls[-1] == ("next", held.hold)
    assert session.held_for("live-000001") is None
    assert session.released["live-000001"] == "next"
    assert seen == [1, 0]


def test_actions_go_to_the_holding_process() -> None:
    one, two = FakeConnection(1), FakeConnection(2)
    session = session_with(one, two)
    held = held_event(pid=2, can_disconnect=True)
    two.hold(held)
    session.disconnect(held)
    assert two.calls == [("disconnect", held.hold)] and one.calls == []
    one.hold(held_event("a", pid=1))
    two.hold(held_event("b", pid=2))
    assert session.continue_all() == 2


def test_a_lost_connection_forgets_its_holds() -> None:
    connection = FakeConnection()
    session = session_with(connection)
    connection.hold(held_event())
    session.take(ConnectionLost(4242, "closed"))
    assert session.held == {} and session.connections == {}
    assert session.status() == "debugger: no live process"


def test_pending_rows_only_for_traces_the_file_lacks() -> None:
    connection = FakeConnection()
    session = session_with(connection)
    connection.hold(held_event("in-file"))
    connection.hold(held_event("not-yet", hold="not-yet:1", title="POST /upload"))
    [row] = session.pending_rows(lambda trace: trace == "in-file")
    assert (row.id, row.method, row.path, row.complete) == ("not-yet", "POST", "/upload", False)
    assert row.number < 0


def test_released_event_for_an_unknown_hold_is_harmless() -> None:
    session = session_with(FakeConnection())
    session.take(RequestReleased("gone:1", "gone", "timeout", False, 4242))
    assert session.released == {"gone": "timeout"}


def test_check_breakpoint() -> None:
    assert check_breakpoint("~u /stream @ http.response.body") == ""
    assert "http.body" in check_breakpoint("~u /x @ http.body")


def test_edit_json_round_trip_sends_only_changed_fields() -> None:
    held = held_event(message={"type": "http.response.start", "status": 200,
                               "headers": [(b"content-type", b"text/plain")]},
                      editable=("status", "headers", "trailers", "message"))
    assert editable_values(held) == {"status": 200, "headers": [["content-type", "text/plain"]]}
    text = edit_text(held).replace("200", "404")
    assert changes_from(held, text) == {"status": 404}


def test_edit_json_bytes_that_are_not_text() -> None:
    held = held_event(message={"type": "http.response.body", "body": b"\xff\x00", "more_body": False})
    assert editable_values(held)["body"] == {"$base64": "/wA="}
    assert changes_from(held, '{"body": {"$base64": "AAE="}, "more_body": true}') == {"body": b"\x00\x01", "more_body": True}


def test_edit_json_websocket_text_or_bytes() -> None:
    held = held_event(message={"type": "websocket.send", "text": "hi"}, editable=("text", "bytes", "message"))
    assert editable_values(held) == {"text": "hi", "bytes": None}
    assert changes_from(held, '{"text": "bye", "bytes": null}') == {"text": "bye"}
    with pytest.raises(ValueError, match="text or bytes"):
        changes_from(held, '{"text": "bye", "bytes": "x"}')


def test_edit_json_wsgi_fields() -> None:
    held = held_event(kind="wsgi.start_response", data={"status": "200 OK", "headers": [("Content-Type", "text/plain")]},
                      editable=("status", "headers"))
    assert changes_from(held, '{"status": "404 Not Found", "headers": [["Content-Type", "text/plain"]]}') == {
        "status": "404 Not Found"}
    chunk = held_event(kind="wsgi.body", data={"data": b"one\n"}, editable=("data",))
    assert changes_from(chunk, '{"data": "ONE\\n"}') == {"data": "ONE\n"}


def test_edit_json_errors() -> None:
    held = held_event()
    with pytest.raises(ValueError, match="not JSON"):
        changes_from(held, "{nope")
    with pytest.raises(ValueError, match="'status' is not a field"):
        changes_from(held, '{"status": 500}')
