"""App-wide conventions: Ctrl+C quits, times of day in local time or UTC, screenshots that say where they went."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.tui.conftest import fixed_checker, fixture, scanned
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.widgets.request_table import RequestTable

SIZE = (120, 36)
FIRST_START_UTC = "22:13:19.990"
"""The mixed fixture's first trace (the lifespan session) starts at 1699999999.99, in UTC."""
FIRST_START_LOCAL = "03:43:19.990"
"""The same instant five and a half hours east of UTC, in the zone `local_zone` sets."""


@pytest.fixture
def local_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Local time five and a half hours east of UTC (no daylight saving), so local and UTC differ."""
    monkeypatch.setenv("TZ", "TST-5:30")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def table(app: TracerApp) -> RequestTable:
    return app.screen_stack[0].query_one(RequestTable)


def header(app: TracerApp) -> str:
    return table(app).render_line(0).text


def first_row(app: TracerApp) -> str:
    return table(app).render_line(1).text


def notifications(app: TracerApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def test_ctrl_c_quits_from_the_list_as_q_does(mixed: str) -> None:
    for key in ("ctrl+c", "q"):
        app = TracerApp(mixed, checker=fixed_checker)
        async with app.run_test(size=SIZE) as pilot:
            await scanned(pilot)
            await pilot.press(key)
            await pilot.pause()
            assert app.return_code == 0, key


async def test_ctrl_c_quits_from_the_filter_line_and_the_replay(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("slash", "~")
        assert isinstance(app.focused, Input)
        await pilot.press("ctrl+c")  # Nothing selected: nothing to copy, so it quits.
        await pilot.pause()
        assert app.return_code == 0

    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("enter")
        assert isinstance(app.screen, ReplayScreen)
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert app.return_code == 0


async def test_times_show_in_local_time_and_t_switches_to_utc(mixed: str, local_zone: None) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        assert "time local▲" in header(app)
        assert FIRST_START_LOCAL in first_row(app)

        await pilot.press("t")
        await pilot.pause()
        assert app.utc and "time UTC▲" in header(app)
        assert FIRST_START_UTC in first_row(app)
        assert any("UTC" in message for message in notifications(app))

        # The palette offers the other zone, and switches back.
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        assert "Times in UTC" not in commands
        commands["Times in local time"]()
        await pilot.pause()
        assert not app.utc and "time local▲" in header(app)
        assert FIRST_START_LOCAL in first_row(app)
        assert any("+05:30" in message for message in notifications(app))


async def test_the_zone_stays_while_a_replay_is_open(mixed: str, local_zone: None) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("enter", "t", "escape")
        await pilot.pause()
        assert "time UTC" in header(app) and FIRST_START_UTC in first_row(app)


async def test_screenshot_is_saved_beside_the_trace_file_and_its_path_said(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # No ~/Downloads here.
    traces = tmp_path / "traces"
    traces.mkdir()
    shutil.copy(fixture("mixed.jsonl"), traces / "mixed.jsonl")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app = TracerApp(str(traces / "mixed.jsonl"), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        assert list(commands).count("Screenshot") == 1
        commands["Screenshot"]()
        await pilot.pause(0.3)
        saved = sorted(traces.glob("*.svg"))
        assert len(saved) == 1 and saved[0].name.startswith("mixed-screenshot-")
        assert "<svg" in saved[0].read_text()
        assert f"saved to {saved[0]}" in notifications(app)

        app.action_screenshot()  # A second one in the same second gets a name of its own.
        assert len(list(traces.glob("*.svg"))) == 2
        assert not list(elsewhere.iterdir())


async def test_screenshot_goes_to_the_current_directory_when_the_trace_directory_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    traces = tmp_path / "traces"
    traces.mkdir()
    shutil.copy(fixture("mixed.jsonl"), traces / "mixed.jsonl")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app = TracerApp(str(traces / "mixed.jsonl"), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        shutil.rmtree(traces)
        app.action_screenshot()
        await pilot.pause()
        saved = list(elsewhere.glob("mixed-screenshot-*.svg"))
        assert len(saved) == 1
        assert f"saved to {saved[0]}" in notifications(app)


async def test_screenshot_that_cannot_be_saved_says_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    traces = tmp_path / "traces"
    traces.mkdir()
    shutil.copy(fixture("mixed.jsonl"), traces / "mixed.jsonl")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    app = TracerApp(str(traces / "mixed.jsonl"), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        shutil.rmtree(traces)
        os.rmdir(elsewhere)  # The current directory is gone too.
        app.action_screenshot()
        await pilot.pause()
        (message,) = [m for m in notifications(app) if "screenshot" in m]
        assert message.startswith("cannot save a screenshot: ")
        assert str(traces) in message and "No such file or directory" in message
