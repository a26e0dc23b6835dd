"""Snapshots of the UI's screens on the mixed fixture (fixed ids and times).

Update only after reading the report: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import FIXTURES, fixed_checker, marked, scanned, wait_for
from tui.app import TracerApp
from tui.widgets.request_table import RequestTable

SIZE = (140, 36)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> TracerApp:
    # A relative path, so the title bar shows the same name everywhere.
    monkeypatch.chdir(FIXTURES)
    return TracerApp("mixed.jsonl", checker=fixed_checker)


def opening(trace_id: str, *keys: str):  # type: ignore[no-untyped-def]
    """A run_before that waits for the scan, opens `trace_id` and presses `keys`."""

    async def run_before(pilot: Pilot) -> None:
        await scanned(pilot)
        table = pilot.app.screen.query_one(RequestTable)
        table.cursor = [s.id for s in table.rows].index(trace_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: getattr(pilot.app.screen, "checked", False))  # the replay's findings are in
        await pilot.press(*keys)
        await pilot.pause()

    return run_before


class TestRequestList:
    def test_request_list_with_waterfall(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot) -> None:
            await marked(pilot)  # the streaming trace carries a warning
            await pilot.press("down", "down", "down")  # cursor on the 404

        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)

    def test_filtered_and_sorted_by_duration(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot) -> None:
            await scanned(pilot)
            await pilot.press("slash", *"~http", "enter")  # only http scopes
            await pilot.press("s", "r")  # longest first
            await marked(pilot)

        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


class TestReplay:
    def test_wsgi_replay_mid_way(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # The streaming WSGI response, on its second chunk; close() carries a finding.
        assert snap_compare(app, run_before=opening("wsgi-stream", "right", "right", "right"), terminal_size=SIZE)

    def test_asgi_streaming_replay(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # The streamed request body read, the response's second body part sent.
        assert snap_compare(app, run_before=opening("asgi-stream", *["right"] * 5), terminal_size=SIZE)

    def test_websocket_replay(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # The echo of the first text frame.
        assert snap_compare(app, run_before=opening("asgi-ws", *["right"] * 4), terminal_size=SIZE)

    def test_environ_table(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        assert snap_compare(app, run_before=opening("wsgi-post-json"), terminal_size=SIZE)


class TestHelp:
    def test_help_screen(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot) -> None:
            await marked(pilot)
            await pilot.press("question_mark")

        assert snap_compare(app, run_before=run_before, terminal_size=(140, 50))
