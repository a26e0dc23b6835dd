"""What the UI changes in its process to keep keys quick, and gives back when it quits."""

from __future__ import annotations

import gc
import sys

from tests.tui.conftest import fixture, scanned
from tui.app import SWITCH_INTERVAL, TracerApp
from tui.collections_policy import FULL_COLLECTIONS_AFTER


async def test_the_ui_tunes_the_gil_and_the_collector_while_it_runs_and_restores_them() -> None:
    interval, thresholds = sys.getswitchinterval(), gc.get_threshold()
    frozen = gc.get_freeze_count()
    app = TracerApp(fixture("mixed.jsonl"))
    async with app.run_test(size=(120, 30)) as pilot:
        await scanned(pilot)
        await pilot.pause()
        assert sys.getswitchinterval() == min(interval, SWITCH_INTERVAL)
        assert gc.get_threshold()[2] == max(thresholds[2], FULL_COLLECTIONS_AFTER)
        assert gc.get_freeze_count() > frozen  # what exists once the file is read is left out of full collections
        assert gc.isenabled()  # held while the app started, back once its first rows are painted
    assert sys.getswitchinterval() == interval and gc.get_threshold() == thresholds
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0  # the app's objects are garbage like any other once it is gone


async def test_collections_come_back_when_no_rows_come() -> None:
    app = TracerApp("/nonexistent/traces.jsonl")
    async with app.run_test(size=(120, 30)) as pilot:
        for _ in range(200):
            if gc.isenabled():
                break
            await pilot.pause(0.01)
        assert gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
