"""Snapshots of the request list's waterfall, zone and lifespan rows, on small files with fixed times.

Update only after reading the report: pytest tests/tui/test_snapshots_list.py --snapshot-update
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, scanned
from tests.tui.tracefiles import START, lifespan, refused_lifespan, request, write
from tui.app import TracerApp
from tui.widgets.request_table import RequestTable

SIZE = (140, 16)


@pytest.fixture(autouse=True)
def zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time five and a half hours east of UTC, on every machine."""
    monkeypatch.setenv("TZ", "TST-5:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TracerApp:
    """A Django-like session (lifespan refused), a server's 28 s lifespan, a burst of requests and a late one."""
    monkeypatch.chdir(tmp_path)  # A relative path, so the title bar shows the same name everywhere.
    write(
        tmp_path / "burst.jsonl",
        refused_lifespan("django-life", START - 0.5),
        lifespan("life", START, 28_000_000_000),
        request("a", START + 1.000, 1_000_000, path="/a"),
        request("b", START + 1.002, 1_000_000, path="/b", status=404),
        request("c", START + 1.004, 2_000_000, path="/c"),
        request("late", START + 6.000, 1_000_000, path="/late"),
    )
    return TracerApp("burst.jsonl", checker=fixed_checker)


class TestWaterfall:
    def test_requests_on_the_axis_with_its_scale_lifespan_behind(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot) -> None:
            await scanned(pilot)

        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)

    def test_zoomed_to_a_burst(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot) -> None:
            await scanned(pilot)
            pilot.app.screen.query_one(RequestTable).cursor = 2  # on /a
            await pilot.press("z")  # zoom to /a
            await pilot.press("j", "j", "z")  # down to /c: the zoom takes in /a to /c
            await pilot.pause()

        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)


class TestTimes:
    def test_sorted_by_status_in_utc(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot) -> None:
            await scanned(pilot)
            await pilot.press("s", "s")  # by status: the arrow shows on its heading
            await pilot.press("t")  # times in UTC
            await pilot.pause()
            pilot.app.clear_notifications()

        assert snap_compare(app, run_before=run_before, terminal_size=SIZE)
