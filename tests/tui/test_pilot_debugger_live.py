"""The debugger's UI attached to a real WSGI app on Werkzeug's threaded server, in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.frameworks.running import logger_state, restore_loggers
from tests.tracer.breakpoint_servers import STREAM_CHUNKS, StreamReader, wsgi_app, wsgi_server
from tests.tui.conftest import fixed_checker, wait_for
from tracer import JsonlSink, WSGITracer
from tui.app import TracerApp
from tui.screens.held import HeldScreen
from tui.widgets.held_table import HeldRequestTable


@pytest.fixture(autouse=True)
def _server_loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


async def test_a_stream_held_stepped_and_continued_from_the_ui(tmp_path: Path) -> None:
    trace_file = tmp_path / "traces.jsonl"
    sink = JsonlSink(trace_file)
    tracer = WSGITracer(wsgi_app, sink=sink, breakpoints=True, hold_timeout=20)
    try:
        with wsgi_server(tracer) as url:
            app = TracerApp(str(trace_file), live=True, checker=fixed_checker,
                            breakpoints=["~u /stream @ wsgi.body"])
            async with app.run_test(size=(120, 36)) as pilot:
                await wait_for(pilot, lambda: app.debugger.connections and app.debugger.all_breakpoints())
                reader = StreamReader("GET", url + "/stream")
                await wait_for(pilot, lambda: app.debugger.held_for_any())
                table = app.screen.query_one(HeldRequestTable)
                await wait_for(pilot, lambda: table.row_count == 1)
                await pilot.press("enter")
                await wait_for(pilot, lambda: isinstance(app.screen, HeldScreen))
                screen = app.screen
                assert isinstance(screen, HeldScreen)
                await wait_for(pilot, lambda: screen.held is not None)
                assert screen.held.kind == "wsgi.body" and screen.held.data["data"] == STREAM_CHUNKS[0]
                assert reader.chunks == []
                # n: the first chunk reaches the client, and the request is held at its next event.
                first = screen.held.hold
                await pilot.press("n")
                await wait_for(pilot, lambda: reader.body == STREAM_CHUNKS[0], timeout=5)
                await wait_for(pilot, lambda: screen.held is not None and screen.held.hold != first)
                assert screen.held.kind == "wsgi.body" and screen.held.reason == "next"
                # c: the rest of it, to the end.
                await pilot.press("c")
                await wait_for(pilot, lambda: reader.done, timeout=5)
                assert reader.join().body == b"".join(STREAM_CHUNKS)
                await wait_for(pilot, lambda: screen.held is None)
                assert not app.debugger.held
            # Quitting closed the connection: a request held now is not waited on by this UI.
            assert all(c.closed for c in app.debugger.connections.values()) or not app.debugger.connections
    finally:
        if tracer.debugger is not None:
            tracer.debugger.close()
        sink.close()
