"""The request list's first screen: what it does before its first rows are painted, and what waits for them."""

from __future__ import annotations

import os

import pytest
from textual.app import App
from textual.geometry import Spacing

from tests.tui.conftest import fixture, scanned, wait_for
from tui import app as app_module
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.widgets.filter_line import FilterLine
from tui.widgets.request_table import RequestTable

SCREENS_CSS = os.path.join(os.path.dirname(app_module.__file__), app_module.SCREENS_CSS)


def read(app: TracerApp) -> bool:
    """Whether the app's stylesheet holds the layout of the screens the list opens."""
    return app.stylesheet.has_source(SCREENS_CSS)


async def test_the_layout_of_the_other_screens_is_read_once_the_first_rows_are_painted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[bool] = []
    shown = App.post_display_hook

    def hook(self: App[object]) -> None:
        tables = self.screen.query(RequestTable)
        if not seen and tables and tables.first().row_count:
            seen.append(read(self))  # type: ignore[arg-type]
        shown(self)

    monkeypatch.setattr(App, "post_display_hook", hook)
    app = TracerApp(fixture("mixed.jsonl"))
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: bool(seen) and read(app))
    assert seen == [False]


async def test_a_screen_opened_before_that_has_its_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    # The first paint never reads it here: pushing the replay must.
    monkeypatch.setattr(TracerApp, "_painted_first_rows", lambda self: self._first_rows.set())
    app = TracerApp(fixture("mixed.jsonl"))
    async with app.run_test(size=(120, 30)) as pilot:
        await scanned(pilot)
        assert not read(app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await pilot.pause()
        assert read(app)
        title = app.screen.query_one("#replay-title")
        assert title.styles.padding == Spacing(0, 1, 0, 1) and title.size.height == 1


async def test_the_list_has_the_focus_from_the_start(monkeypatch: pytest.MonkeyPatch) -> None:
    # Textual's default would focus the filter line first (its first focusable widget), then the list.
    focused: list[str] = []
    monkeypatch.setattr(FilterLine, "_on_focus", lambda self, event: focused.append("filter line"))
    app = TracerApp(fixture("mixed.jsonl"))
    async with app.run_test(size=(120, 30)) as pilot:
        await scanned(pilot)
        assert isinstance(app.focused, RequestTable)
        assert focused == []
        await pilot.press("slash")
        assert focused == ["filter line"]
