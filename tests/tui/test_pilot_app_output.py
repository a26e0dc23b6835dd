"""tracer run --view: what the traced app prints while the UI owns the terminal still reaches its trace."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from tests.frameworks.running import logger_state, restore_loggers
from tests.tui.conftest import fixture
from tracer import Recorder, WSGITracer
from tracer.app_output import TeeStream, capture_output, release_output
from tracer.serve import server_output_to
from tui.app import TracerApp


@pytest.fixture(autouse=True)
def _loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    print("printed during the request")
    sys.stderr.write("warned during the request\n")
    logging.getLogger("the.app").warning("logged during the request")
    start_response("204 No Content", [])
    return []


async def test_print_and_stderr_of_the_traced_app_land_in_its_trace_under_the_ui(tmp_path: Path) -> None:
    log = tmp_path / "traces.jsonl.log"
    recorder = Recorder()
    traced = capture_output(WSGITracer(app, sink=recorder))  # as tracer run does, before the UI starts
    try:
        with server_output_to(str(log)):
            ui = TracerApp(fixture("mixed.jsonl"))
            async with ui.run_test() as pilot:
                # Textual's stand-ins replace tracer's streams while the UI runs.
                assert not isinstance(sys.stdout, TeeStream) and not isinstance(sys.stderr, TeeStream)
                # The server answers in a thread of its own, as tracer run's does.
                await asyncio.to_thread(lambda: Client(traced).get("/x").close())
                print("printed by the server, outside requests")
                await pilot.pause()
    finally:
        release_output(traced)
    [trace] = recorder.traces()
    lines = [(e.data["source"], e.data["message"]) for e in trace.events if e.kind == "app.log"]
    assert lines == [
        ("stdout", "printed during the request"),
        ("stderr", "warned during the request"),
        ("logging", "logged during the request"),  # once: the log record, not also its line on stderr
    ]
    written = log.read_text()
    assert "printed during the request" in written and "printed by the server, outside requests" in written
