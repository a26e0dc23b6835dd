"""Snapshots of a request held in the debugger: its live replay (the steps so far, the held step highlighted, its payload and keys), and its row in the list.

Update only after reading the report: pytest tests/tui/test_snapshots_debugger.py --snapshot-update
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, fixture, scanned, wait_for
from tests.tui.debugfakes import FakeConnection, held_event
from tui.app import TracerApp
from tui.messages import DebugEventArrived, DebuggersAttached
from tui.screens.held import HeldScreen
from tui.widgets.held_table import HeldRequestTable

SIZE = (120, 36)
NOW = 1_700_000_000.0


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TracerApp:
    """The first three steps of asgi-hello in a file, as a live request held at its body has written them."""
    monkeypatch.chdir(tmp_path)
    clock = SimpleNamespace(time=lambda: NOW + 2.5)
    monkeypatch.setattr("tracer.debug.events.time", clock)
    monkeypatch.setattr("tui.screens.held_replay.time", clock)
    monkeypatch.setattr("tui.format.time", clock)
    with open(fixture("mixed.jsonl"), encoding="utf-8") as source, open("live.jsonl", "w", encoding="utf-8") as out:
        for line in source:
            record = json.loads(line)
            if "trace" not in record or (record["trace"] == "asgi-hello" and record.get("seq", 99) < 3):
                out.write(line)
    return TracerApp("live.jsonl", checker=fixed_checker)


async def open_held(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, TracerApp)
    await scanned(pilot)
    connection = FakeConnection()
    connection.subscribe(lambda event: app.post_message(DebugEventArrived(event)))
    app.post_message(DebuggersAttached([connection]))
    await wait_for(pilot, lambda: app.debugger.connections)
    connection.hold(held_event(
        "asgi-hello", seq=3, since=NOW, title="GET /hello",
        message={"type": "http.response.body", "body": b"Hello, world!\n", "more_body": False},
    ))
    await wait_for(pilot, lambda: app.debugger.held)
    app.screen.query_one(HeldRequestTable).cursor = 0
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, HeldScreen))
    app.clear_notifications()
    await pilot.pause()


class TestHeldView:
    def test_a_held_body_chunk(self, app: TracerApp, snap_compare) -> None:  # type: ignore[no-untyped-def]
        # Enter on the held row: its live replay, the steps the file has, then the held step under
        # the cursor (marked, "held" for its time), its payload beside it, the held line and keys.
        assert snap_compare(app, run_before=open_held, terminal_size=SIZE)

    def test_the_held_step_stands_out_with_the_cursor_elsewhere(self, app: TracerApp, snap_compare) -> None:  # type: ignore[no-untyped-def]
        async def held_then_first(pilot: Pilot) -> None:
            await open_held(pilot)
            # Home: the first step; the held step keeps its colour, not dimmed like a step to come.
            await pilot.press("home")
            await pilot.pause()

        assert snap_compare(app, run_before=held_then_first, terminal_size=SIZE)

    def test_the_list_marks_the_held_row(self, app: TracerApp, snap_compare) -> None:  # type: ignore[no-untyped-def]
        async def held_then_back(pilot: Pilot) -> None:
            await open_held(pilot)
            # Esc: back to the list, where the row says where it is held.
            await pilot.press("escape")
            await pilot.pause()

        assert snap_compare(app, run_before=held_then_back, terminal_size=SIZE)
