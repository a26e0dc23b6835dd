"""With breakpoints on (as under `tracer run`), an ASGI request's unfinished output line is recorded before its end."""

from __future__ import annotations

import pytest
from asgiref.testing import ApplicationCommunicator

from tracer import ASGITracer, Recorder
from tracer.app_output import release_output


async def printing_app(scope, receive, send):  # type: ignore[no-untyped-def]
    await receive()
    print("no newline yet", end="")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


@pytest.mark.parametrize("breakpoints", [False, True])
async def test_the_unfinished_line_is_in_the_trace_before_the_end(tmp_path, breakpoints: bool) -> None:  # type: ignore[no-untyped-def]
    recorder = Recorder()
    tracer = ASGITracer(printing_app, sink=recorder, capture_output=True, breakpoints=breakpoints)
    try:
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""}
        communicator = ApplicationCommunicator(tracer, scope)
        await communicator.send_input({"type": "http.request", "body": b""})
        await communicator.receive_output(timeout=5)
        await communicator.receive_output(timeout=5)
        await communicator.wait(timeout=5)
    finally:
        release_output(tracer)
        if tracer.debugger is not None:
            tracer.debugger.close()
    [trace] = recorder.traces()
    kinds = [event.kind for event in trace.events]
    assert kinds[-2:] == ["app.log", "asgi.end"], kinds
    assert trace.events[-2].data["message"] == "no newline yet"
