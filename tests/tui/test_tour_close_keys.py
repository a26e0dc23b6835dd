"""The debugger's tour and the keys around it: its panel is not covered, and the screen's keys work once it closes."""

from __future__ import annotations

from textual.widgets import Input

from tests.tui.conftest import fixed_checker, wait_for
from tests.tui.debugfakes import FakeConnection, attach_fake, held_event
from tests.tui.test_held_tour import SIZE, held_file, on_stop  # noqa: F401 - the fixture
from tui.app import TracerApp
from tui.messages import DebuggersAttached
from tui.screens.breakpoints import BreakpointScreen
from tui.screens.requests import RequestsScreen
from tui.tour import HOLD_STOPS
from tui.widgets.tour_panel import TourPanel


def _notes(app: TracerApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def test_b_right_after_the_last_stop_opens_the_breakpoint_dialog(held_file: str) -> None:
    app = TracerApp(held_file, checker=fixed_checker, tour=True)
    async with app.run_test(size=SIZE) as pilot:
        await on_stop(pilot, 0)
        connection = await attach_fake(pilot)
        # Both requests held, as in the demo: the held stops open their live replays.
        connection.hold(held_event("asgi-held", seq=1, title="GET /slow", hold="asgi-held:1",
                                   message={"type": "http.response.start", "status": 200, "headers": []}))
        connection.hold(held_event("wsgi-held", kind="wsgi.start_response", seq=1, title="GET /slow",
                                   hold="wsgi-held:1", data={"status": "200 OK", "headers": []}))
        await wait_for(pilot, lambda: len(app.debugger.held) == 2)
        for index in range(1, len(HOLD_STOPS)):
            await pilot.press("full_stop")
            await on_stop(pilot, index)
            if HOLD_STOPS[index].view == "held":
                assert app.screen.__class__.__name__ == "HeldScreen"
        assert isinstance(app.screen, RequestsScreen)
        await pilot.press("full_stop")  # ". closes the tour"
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakpointScreen))
        assert app.guide is not None and not app.guide.active and not app.screen_stack[0].query(TourPanel)
        await pilot.press("~", "u")
        assert isinstance(app.focused, Input) and app.focused.value == "~u"


async def test_on_a_screen_the_reader_opened_the_keys_are_the_screens(held_file: str) -> None:
    # At the last stop, Enter on a held row opens its live replay, which has no tour panel and no b.
    # "." there used to end the tour unseen, leaving the reader where b does nothing.
    app = TracerApp(held_file, checker=fixed_checker, tour=True)
    async with app.run_test(size=SIZE) as pilot:
        await on_stop(pilot, 0)
        connection = await attach_fake(pilot)
        connection.hold(held_event("asgi-held", seq=1, title="GET /slow", hold="asgi-held:1",
                                   message={"type": "http.response.start", "status": 200, "headers": []}))
        await wait_for(pilot, lambda: app.debugger.held)
        for index in range(1, len(HOLD_STOPS)):
            await pilot.press("full_stop")
            await on_stop(pilot, index)
        base = app.screen
        assert isinstance(base, RequestsScreen)
        base.table.cursor = next(i for i, row in enumerate(base.table.rows) if row.id == "asgi-held")
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen is not base)
        opened = app.screen
        assert not opened.query(TourPanel)
        await pilot.press("full_stop")
        assert app.guide is not None and app.guide.active and app.guide.tour.at_end
        # Back on the list the tour shows again; "." closes it there, and b opens the dialog.
        await pilot.press("backspace")
        await wait_for(pilot, lambda: app.screen is base)
        assert base.query(TourPanel)
        await pilot.press("full_stop")
        await pilot.press("b")
        await wait_for(pilot, lambda: isinstance(app.screen, BreakpointScreen))
        assert not app.guide.active


async def test_attaching_does_not_cover_the_tour(held_file: str) -> None:
    app = TracerApp(held_file, checker=fixed_checker, tour=True)
    async with app.run_test(size=SIZE) as pilot:
        await on_stop(pilot, 0)
        app.post_message(DebuggersAttached([FakeConnection()]))
        await wait_for(pilot, lambda: app.debugger.connections)
        await pilot.pause()
        assert not any("attached to" in note for note in _notes(app))
        assert app.live  # it follows the file all the same


async def test_attaching_off_the_tour_says_so(held_file: str) -> None:
    app = TracerApp(held_file, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        app.post_message(DebuggersAttached([FakeConnection(), FakeConnection(pid=4343)]))
        await wait_for(pilot, lambda: app.debugger.connections)
        await pilot.pause()
        assert any("attached to 2 live processes" in note for note in _notes(app))
