"""Trace summaries: derived from the events, robust to odd event data."""

from __future__ import annotations

from tracer.model import Event, Trace


def make_trace(protocol: str, scope_type: str, *events: tuple[str, dict]) -> Trace:
    return Trace(
        "t1",
        protocol,
        scope_type,
        1.0,
        [Event(seq, seq * 1000, kind, data) for seq, (kind, data) in enumerate(events)],
    )


def test_wsgi_summary() -> None:
    trace = make_trace(
        "wsgi",
        "http",
        ("wsgi.environ", {"environ": {"REQUEST_METHOD": "POST", "SCRIPT_NAME": "/app", "PATH_INFO": "/items"}}),
        ("wsgi.start_response", {"status": "201 Created", "headers": [], "exc_info": None}),
        ("wsgi.end", {"status": "201 Created", "bytes_sent": 0}),
    )
    assert (trace.method, trace.path, trace.status, trace.complete, trace.error, trace.duration_ns) == (
        "POST",
        "/app/items",
        201,
        True,
        False,
        2000,
    )


def test_asgi_websocket_summary() -> None:
    trace = make_trace(
        "asgi",
        "websocket",
        ("asgi.scope", {"scope": {"type": "websocket", "path": "/ws"}}),
        ("asgi.send", {"message": {"type": "websocket.accept"}}),
        ("asgi.error", {"type": "RuntimeError", "message": "x", "traceback": ""}),
    )
    assert (trace.method, trace.path, trace.status, trace.complete, trace.error) == ("WS", "/ws", 101, False, True)


def test_odd_event_data_does_not_break_the_summary() -> None:
    trace = make_trace(
        "asgi",
        "http",
        ("asgi.scope", {"scope": "not a dict"}),
        ("asgi.send", {"message": ["not", "a", "dict"]}),
        ("asgi.send", {"message": {"type": "http.response.start", "status": "200"}}),
        ("asgi.end", {}),
    )
    assert (trace.method, trace.path, trace.status, trace.complete) == (None, None, None, True)
    assert Trace("t2", "wsgi", "http", 0.0).status is None
