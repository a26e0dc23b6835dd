"""Snapshots of the compare screen on the twin notes app: the same POST to the WSGI and the ASGI twin.

Update only after reading the report: pytest tests/tui/test_snapshots_compare.py --snapshot-update
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tests.tui.twins import write_twins
from tui.app import TracerApp
from tui.screens.compare import CompareScreen

SIZE = (140, 36)


@pytest.fixture
def app(tmp_path, monkeypatch: pytest.MonkeyPatch) -> TracerApp:  # type: ignore[no-untyped-def]
    # A relative path, so the title bar shows the same name everywhere.
    monkeypatch.chdir(tmp_path)
    write_twins("twins.jsonl")
    return TracerApp("twins.jsonl", checker=fixed_checker)


def comparing(*keys: str):  # type: ignore[no-untyped-def]
    """A run_before that marks the WSGI request, compares the ASGI one with it and presses `keys`."""

    async def run_before(pilot: Pilot) -> None:
        await scanned(pilot)
        await pilot.press("m")  # mark the WSGI POST /notes
        await pilot.press("down", "M")  # compare the ASGI one with it
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.comparison is not None)
        await pilot.press(*keys)
        pilot.app.clear_notifications()
        await pilot.pause()

    return run_before


class TestCompare:
    def test_wsgi_against_asgi_on_the_body_read(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # One wsgi.input read against two http.request messages; the JSON bodies differ.
        assert snap_compare(app, run_before=comparing("right"), terminal_size=SIZE)

    def test_next_difference_lit(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # n three times: the response body's JSON diff, both sides on the body sent.
        assert snap_compare(app, run_before=comparing("n", "n", "n"), terminal_size=SIZE)
