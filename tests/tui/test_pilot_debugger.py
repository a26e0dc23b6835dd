"""The debugger in the UI: breakpoint dialogs, held marks in the list, the held replay's keys, the edit dialog."""

from __future__ import annotations

import io

from rich.console import Console
from textual.widgets import Input, OptionList, Static, TextArea

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tests.tui.debugfakes import FakeConnection, held_event
from tui.app import TracerApp
from tui.messages import DebugEventArrived, DebuggersAttached
from tui.screens.breakpoints import BreakpointScreen, BreakpointsScreen
from tui.screens.edit_held import EditHeldScreen
from tui.screens.held import HeldScreen
from tui.screens.requests import RequestsScreen
from tui.widgets.held_table import HeldRequestTable
from tui.widgets.step_detail import StepDetail

SIZE = (120, 36)


def attach_fake(app: TracerApp, connection: FakeConnection) -> None:
    """What the app's attach worker does with a connection it found."""
    connection.subscribe(lambda event: app.post_message(DebugEventArrived(event)))
    app.post_message(DebuggersAttached([connection]))


def table(app: TracerApp) -> HeldRequestTable:
    return app.screen_stack[0].query_one(HeldRequestTable)


def rendered(app: TracerApp) -> str:
    lines = [table(app).render_line(y).text for y in range(table(app).size.height)]
    return "\n".join(lines)


def held_line(screen) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one("#replay-held", Static).content)


def detail_text(screen) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
    console.print(screen.query_one(StepDetail).content)
    return console.export_text()


def status_line(app: TracerApp) -> str:
    return str(app.screen_stack[0].query_one("#status").render())


async def ready(pilot, connection: FakeConnection) -> None:  # type: ignore[no-untyped-def]
    await scanned(pilot)
    attach_fake(pilot.app, connection)
    await wait_for(pilot, lambda: connection.pid in pilot.app.debugger.connections)


async def test_breakpoints_given_at_start_are_set_on_each_process(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker, breakpoints=["~u /stream @ http.response.body"])
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, connection)
        assert connection.calls == [("add_breakpoint", "~u /stream @ http.response.body")]
        assert "debugger: 1 process" in status_line(app)
    assert ("close",) in connection.calls


async def test_b_adds_a_breakpoint_on_every_process(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, connection)
        await pilot.press("b")
        assert isinstance(app.screen, BreakpointScreen)
        assert "[FILTER] [@ KIND[,KIND...]]" in str(app.screen.query_one("#breakpoint-hint", Static).content)
        await pilot.press(*"~u /stream @ http.response.body", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, RequestsScreen))
        assert connection.calls == [("add_breakpoint", "~u /stream @ http.response.body")]
        assert [bp.text for bp in app.debugger.all_breakpoints()] == ["~u /stream @ http.response.body"]


async def test_a_bad_breakpoint_says_why_and_keeps_the_dialog(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, connection)
        await pilot.press("b", *"~u /x @ http.body", "enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, BreakpointScreen)
        assert "unknown event kind 'http.body'" in dialog.error
        assert dialog.query_one(Input).has_class("-invalid")
        assert connection.calls == []
        await pilot.press("escape")
        assert isinstance(app.screen, RequestsScreen)


async def test_B_lists_breakpoints_and_d_removes_one(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker, breakpoints=["~u /a", "~u /b @ http.response.body"])
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, connection)
        await pilot.press("B")
        dialog = app.screen
        assert isinstance(dialog, BreakpointsScreen)
        options = dialog.query_one(OptionList)
        assert options.option_count == 2
        assert "~u /a" in str(options.get_option_at_index(0).prompt)
        await pilot.press("d")
        await wait_for(pilot, lambda: options.option_count == 1)
        assert ("remove_breakpoint", 1) in connection.calls
        assert [bp.text for bp in app.debugger.all_breakpoints()] == ["~u /b @ http.response.body"]
        await pilot.press("escape")
        assert isinstance(app.screen, RequestsScreen)


async def test_a_held_request_shows_at_once_marked_where(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot, connection)
        rows = table(app).row_count
        connection.hold(held_event("not-in-file", title="GET /stream"))
        await wait_for(pilot, lambda: table(app).row_count == rows + 1)
        await pilot.pause()
        assert "⏸ http.response.body" in rendered(app)
        assert "/stream" in rendered(app)
        assert "⏸ 1 held" in status_line(app)
        # A request the file has already is marked in its own row.
        connection.hold(held_event("wsgi-hello", hold="wsgi-hello:1", kind="wsgi.start_response",
                                   data={"status": "200 OK", "headers": []}, title="GET /hello"))
        await wait_for(pilot, lambda: "⏸ wsgi.start_response" in rendered(app))
        assert table(app).row_count == rows + 1
        connection.continue_all()
        await wait_for(pilot, lambda: table(app).row_count == rows)
        assert "⏸" not in rendered(app)


async def open_held(pilot, connection: FakeConnection, held) -> HeldScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await ready(pilot, connection)
    connection.hold(held)
    await wait_for(pilot, lambda: app.debugger.held_for(held.trace) is not None)
    await pilot.pause()
    table(app).cursor = table(app).row_count - 1
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, HeldScreen))
    await pilot.pause()
    return app.screen  # type: ignore[return-value]


async def test_the_held_replay_shows_the_held_step_and_its_payload(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_held(pilot, connection, held_event(
            message={"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]},
            editable=("status", "headers", "trailers", "message")))
        line = held_line(screen)
        assert "held at http.response.start (step 3) for" in line
        assert "goes on by itself in" in line
        # Not in the file yet: the replay is the held step alone, the cursor on it, its payload beside it.
        assert screen.view.held_step == 0 and screen.step == 0
        detail = detail_text(screen)
        assert "200" in detail and "content-type" in detail and "text/plain" in detail
        assert "held here" in str(screen.query_one("#replay-status", Static).content)
        assert "held" in screen.diagram.render_line(1).text


async def test_n_steps_and_the_replay_follows_to_the_next_hold(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        held = held_event()
        screen = await open_held(pilot, connection, held)
        await pilot.press("n")
        assert connection.calls[-1] == ("next", held.hold)
        await wait_for(pilot, lambda: screen.held is None)
        assert "it went on (next)" in held_line(screen)
        assert screen.view.held_step is None
        connection.hold(held_event(hold="live-000001:2", seq=4,
                                   message={"type": "http.response.body", "body": b"three\n", "more_body": False}))
        await wait_for(pilot, lambda: screen.held is not None and screen.held.hold == "live-000001:2")
        assert "held at http.response.body (step 4)" in held_line(screen)
        assert "three" in detail_text(screen)
        await pilot.press("c")
        assert connection.calls[-1] == ("continue", "live-000001:2")


async def test_C_continues_every_held_request(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        await open_held(pilot, connection, held_event())
        connection.hold(held_event("other", hold="other:1"))
        await pilot.pause()
        await pilot.press("C")
        assert ("continue_all",) in connection.calls
        await wait_for(pilot, lambda: not app.debugger.held)


async def test_d_answers_a_held_receive_with_a_disconnect(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        held = held_event(kind="asgi.receive", message={"type": "http.request", "body": b"x", "more_body": True},
                          can_disconnect=True)
        await open_held(pilot, connection, held)
        await pilot.press("d")
        assert connection.calls[-1] == ("disconnect", held.hold)


async def test_d_does_nothing_on_a_send(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        await open_held(pilot, connection, held_event())
        await pilot.press("d")
        assert not any(call[0] == "disconnect" for call in connection.calls)


async def test_the_edit_dialog_sends_the_changed_fields(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        held = held_event(message={"type": "http.response.start", "status": 200, "headers": [(b"x-a", b"1")]},
                          editable=("status", "headers", "trailers", "message"))
        screen = await open_held(pilot, connection, held)
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, EditHeldScreen)
        area = dialog.query_one(TextArea)
        area.text = '{"status": 404, "headers": [["x-a", "1"], ["x-b", "2"]]}'
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen is screen)
        assert connection.calls[-1] == ("edit", held.hold, {"status": 404, "headers": [["x-a", "1"], ["x-b", "2"]]})
        await wait_for(pilot, lambda: screen.held is not None and screen.held.edited)
        assert "edited" in held_line(screen)
        assert "404" in detail_text(screen) and "x-b" in detail_text(screen)


async def test_the_edit_dialog_shows_errors_and_stays(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    connection = FakeConnection()
    async with app.run_test(size=SIZE) as pilot:
        await open_held(pilot, connection, held_event())
        await pilot.press("e")
        dialog = app.screen
        assert isinstance(dialog, EditHeldScreen)
        dialog.query_one(TextArea).text = "{oops"
        await pilot.press("ctrl+s")
        assert "not JSON" in dialog.error
        connection.refuse = "body: give bytes or text"
        dialog.query_one(TextArea).text = '{"body": "changed"}'
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog and dialog.error == "body: give bytes or text"
        await pilot.press("escape")
        assert isinstance(app.screen, HeldScreen)
