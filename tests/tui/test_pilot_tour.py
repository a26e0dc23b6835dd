"""The guided tour of WSGI and ASGI on the shipped sample trace: every stop, back, and leaving it."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, wait_for
from tui.app import TracerApp
from tui.screens.compare import CompareScreen
from tui.screens.replay import ReplayScreen
from tui.screens.requests import RequestsScreen
from tui.tour import STOPS, Match, Tour, sample_trace
from tui.widgets.tour_panel import TourPanel

SIZE = (140, 45)


@pytest.fixture
def sample(tmp_path: Path) -> str:
    path = tmp_path / "tour.jsonl"
    path.write_bytes(sample_trace())
    return str(path)


def panel_text(app: TracerApp) -> str:
    panel = app.screen.query_one(TourPanel)
    return f"{panel.border_title}\n{panel.render()}"


async def on_stop(pilot: Pilot, index: int) -> None:
    """Wait until the tour is at stop `index` and its panel is on screen."""
    app = pilot.app
    assert isinstance(app, TracerApp) and app.guide is not None
    await wait_for(pilot, lambda: app.guide.tour.index == index and bool(app.screen.query(TourPanel)))
    await pilot.pause()


def list_screen(app: TracerApp) -> RequestsScreen:
    screen = app.screen_stack[0]
    assert isinstance(screen, RequestsScreen)
    return screen


def assert_burst(app: TracerApp, match: Match) -> None:
    """The list shows exactly the burst's four requests, the waterfall zoomed to them."""
    assert isinstance(app.screen, RequestsScreen)
    rows = list(app.requests.rows)
    assert len(rows) == 4 and all(match.matches(row) for row in rows)
    assert app.requests.expression == match.expression
    assert [row.id for row in app.screen.table.zoomed] == [row.id for row in rows]


async def test_the_tour_steps_through_every_stop_to_its_end(sample: str) -> None:
    app = TracerApp(sample, checker=fixed_checker, tour=True)
    async with app.run_test(size=SIZE) as pilot:
        # 1: the same POST /notes on WSGI (A) and ASGI (B), side by side.
        await on_stop(pilot, 0)
        screen = app.screen
        assert isinstance(screen, CompareScreen)
        a, b = screen.summaries
        assert (a.protocol, a.method, a.path) == ("wsgi", "POST", "/notes")
        assert (b.protocol, b.method, b.path) == ("asgi", "POST", "/notes")
        await wait_for(pilot, lambda: screen.comparison is not None)
        assert "Tour 1 of 7: The same request, WSGI and ASGI" in panel_text(app)
        await pilot.press("right")  # the compare screen's keys still work during the tour
        assert screen.cursors != (0, 0)

        # 2 and 3: the replays, with the state panel.
        for index, protocol in ((1, "wsgi"), (2, "asgi")):
            await pilot.press("full_stop")
            await on_stop(pilot, index)
            replay = app.screen
            assert isinstance(replay, ReplayScreen)
            assert (replay.summary.protocol, replay.summary.method, replay.summary.path) == (protocol, "POST", "/notes")
            assert replay.states_panel.display
            assert len(app.screen_stack) == 2, "each stop starts from the list"
        assert "Tour 3 of 7: ASGI: messages both ways" in panel_text(app)

        # 4 to 6: the bursts, filtered and zoomed.
        for index in (3, 4, 5):
            await pilot.press("full_stop")
            await on_stop(pilot, index)
            assert_burst(app, STOPS[index].requests[0])
        overlap = app.screen.table.zoomed
        assert overlap[-1].start - overlap[0].start > 1.0, "/blocking requests queue one after another"

        # 7: the end: the whole file, unfiltered and unzoomed.
        await pilot.press("full_stop")
        await on_stop(pilot, 6)
        assert isinstance(app.screen, RequestsScreen)
        assert app.requests.expression == "" and app.screen.table.zoomed == []
        assert len(app.requests.rows) == len(app.requests.store)
        assert ". closes the tour" in panel_text(app)
        await pilot.press("full_stop")
        await pilot.pause()
        assert not app.guide.active and not app.screen.query(TourPanel)


async def test_back_goes_to_the_previous_stop_and_escape_leaves_the_tour(sample: str) -> None:
    app = TracerApp(sample, checker=fixed_checker, tour=True)
    async with app.run_test(size=SIZE) as pilot:
        await on_stop(pilot, 0)
        await pilot.press("comma")  # at the first stop, back stays
        await on_stop(pilot, 0)
        assert isinstance(app.screen, CompareScreen)
        await pilot.press("full_stop", "full_stop", "full_stop")
        await on_stop(pilot, 3)
        assert_burst(app, STOPS[3].requests[0])
        await pilot.press("comma")
        await on_stop(pilot, 2)
        assert isinstance(app.screen, ReplayScreen)
        assert app.requests.expression == "" and list_screen(app).table.zoomed == []
        await pilot.press("escape")  # leaves the tour, stays on the replay
        await pilot.pause()
        assert app.guide is not None and not app.guide.active
        assert isinstance(app.screen, ReplayScreen)
        assert not any(screen.query(TourPanel) for screen in app.screen_stack)
        await pilot.press("full_stop")  # off the tour the key does nothing
        await pilot.press("escape")  # and Esc is the replay's again: back to the list
        await pilot.pause()
        assert isinstance(app.screen, RequestsScreen)


async def test_without_the_tour_its_keys_do_nothing(sample: str) -> None:
    app = TracerApp(sample, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not app.requests.scanning)
        await pilot.press("full_stop", "comma")
        await pilot.pause()
        assert app.guide is None and isinstance(app.screen, RequestsScreen)
        assert not app.screen.query(TourPanel)


async def test_a_file_without_a_stops_requests_says_so(tmp_path: Path) -> None:
    from tests.tui.conftest import fixture

    app = TracerApp(fixture("mixed.jsonl"), checker=fixed_checker, tour=True)
    async with app.run_test(size=SIZE) as pilot:
        await on_stop(pilot, 0)
        assert isinstance(app.screen, RequestsScreen)
        assert "This file has no" in panel_text(app)


def test_every_stop_finds_its_requests_in_the_sample(sample: str) -> None:
    from tracer.index import TraceIndex

    index = TraceIndex(sample)
    try:
        index.scan()
        summaries = list(index.summaries)
    finally:
        index.close()
    for stop in Tour().stops:
        assert stop.missing(summaries) == [], stop.title
        assert all(len(found) == match.count for match, found in zip(stop.requests, stop.find(summaries)))
