"""Snapshots of the guided tour on the shipped sample trace.

Update only after reading the report: pytest tests/tui/test_snapshots_tour.py --snapshot-update
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, wait_for
from tui.app import TracerApp
from tui.tour import sample_trace
from tui.widgets.tour_panel import TourPanel

SIZE = (140, 36)


@pytest.fixture
def app(tmp_path, monkeypatch: pytest.MonkeyPatch) -> TracerApp:  # type: ignore[no-untyped-def]
    # A relative path, so the title bar shows the same name everywhere.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tour.jsonl").write_bytes(sample_trace())
    return TracerApp("tour.jsonl", checker=fixed_checker, tour=True)


def at_stop(index: int):  # type: ignore[no-untyped-def]
    """A run_before that presses `.` until the tour is at stop `index`."""

    async def run_before(pilot: Pilot) -> None:
        app = pilot.app
        assert isinstance(app, TracerApp) and app.guide is not None
        await wait_for(pilot, lambda: app.guide.active and bool(app.screen.query(TourPanel)))
        for _ in range(index):
            await pilot.press("full_stop")  # on to the next stop
        await wait_for(pilot, lambda: app.guide.tour.index == index and bool(app.screen.query(TourPanel)))
        app.clear_notifications()
        await pilot.pause()

    return run_before


class TestTour:
    def test_blocking_burst_queues_in_the_zoomed_waterfall(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # Stop 6: four GET /blocking on ASGI, filtered and zoomed: the bars run one after another.
        assert snap_compare(app, run_before=at_stop(5), terminal_size=SIZE)
