"""Snapshot of the request list of a file two worker processes wrote: the worker column and a logged exception.

Update only after reading the report: pytest tests/tui/test_snapshots_workers.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, scanned
from tests.tui.worker_files import two_workers
from tui.app import TracerApp

SIZE = (140, 12)


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TracerApp:
    monkeypatch.chdir(tmp_path)  # A relative path, so the title bar shows the same name everywhere.
    two_workers(tmp_path / "workers.jsonl")
    return TracerApp("workers.jsonl", checker=fixed_checker)


def test_two_workers_each_row_labelled_with_its_worker(snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:
        await scanned(pilot)

    assert snap_compare(app, run_before=run_before, terminal_size=SIZE)
