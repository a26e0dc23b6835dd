"""Comparing two requests: marking one in the list, the compare screen, stepping both sides by phase."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tests.tui.twins import twins_file
from tracer.model import Event
from tui.app import TracerApp
from tui.screens.ask import AskScreen
from tui.screens.compare import CompareScreen, PhaseSteps
from tui.screens.requests import RequestsScreen
from tui.widgets.difference_list import DifferenceItem, DifferenceList
from tui.widgets.marked_table import COMPARE_MARK, MarkedRequestTable
from tui.widgets.phase_table import PhaseTable

SIZE = (140, 40)


@pytest.fixture
def twins(tmp_path) -> str:  # type: ignore[no-untyped-def]
    return twins_file(str(tmp_path))


def table(app: TracerApp) -> MarkedRequestTable:
    return app.screen_stack[0].query_one(MarkedRequestTable)


def notified(app: TracerApp) -> str:
    return "\n".join(str(notification.message) for notification in app._notifications)


def status_line(app: TracerApp) -> str:
    return str(app.screen_stack[0].query_one("#status").render())


async def open_compare(pilot: Pilot) -> CompareScreen:
    """Mark the first request, compare the second with it, wait for the comparison."""
    await scanned(pilot)
    await pilot.press("m", "down", "M")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, CompareScreen) and pilot.app.screen.comparison is not None)
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, CompareScreen)
    return screen


async def test_m_marks_the_row_and_the_status_line_says_what_next(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("m")
        assert app.requests.compare_mark is not None and app.requests.compare_mark.id == "wsgi-notes"
        assert "marked: M on another request compares them" in status_line(app)
        assert table(app).render_line(1).text.startswith(COMPARE_MARK)
        assert not table(app).render_line(2).text.startswith(COMPARE_MARK)
        await pilot.press("m")  # again: unmarked
        assert app.requests.compare_mark is None
        assert "marked" not in status_line(app)
        assert not table(app).render_line(1).text.startswith(COMPARE_MARK)


async def test_marking_another_request_moves_the_mark(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("m", "down", "m")
        assert app.requests.compare_mark is not None and app.requests.compare_mark.id == "asgi-notes"
        assert table(app).render_line(2).text.startswith(COMPARE_MARK)
        assert not table(app).render_line(1).text.startswith(COMPARE_MARK)


async def test_compare_without_a_mark_or_on_the_marked_row_says_what_to_do(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("M")
        assert isinstance(app.screen, RequestsScreen)
        assert "mark a request with m first" in notified(app)
        await pilot.press("m", "M")
        assert isinstance(app.screen, RequestsScreen)
        assert "this is the marked request" in notified(app)


async def test_wsgi_and_asgi_side_by_side_with_their_differences(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        a, b = screen.diagrams
        assert (a.steps, b.steps) == (6, 6)  # WSGI: environ, read, start_response, chunk, close(), end
        assert [a.row(i).kind for i in range(6)][-2:] == ["wsgi.close", "wsgi.end"]
        assert [s.id for s in screen.summaries] == ["wsgi-notes", "asgi-notes"]
        headings = [str(screen.query_one(f"#compare-heading-{x}").render()) for x in "ab"]
        assert "POST /notes → 201" in headings[0] and "WSGI http" in headings[0]
        assert "ASGI http" in headings[1]
        messages = [item.difference.message for item in screen.query(DifferenceItem)]
        assert messages == [
            "request header added: accept: 'application/json'",
            "request body: JSON differs (17 bytes against 23)",
            "response body: JSON differs (27 bytes against 33)",
        ]
        text = "\n".join(str(item.render()) for item in screen.query_one(DifferenceList).children)
        assert '+  "text": "hello, ASGI"' in text  # the body's diff is shown
        assert "A is WSGI, B is ASGI" in text
        phases = screen.query_one(PhaseTable)
        assert [row.phase for row in phases.rows] == ["request", "body read", "response started", "body sent", "end"]
        assert [row.events for row in phases.rows] == [(1, 1), (1, 2), (1, 1), (1, 1), (2, 1)]
        assert phases.differing == {"request", "body read", "body sent"}
        # The steps of the phases that differ are marked in both gutters.
        assert sorted(a.findings) == [0, 1, 3] and sorted(b.findings) == [0, 1, 2, 4]  # by seq
        await pilot.press("escape")
        assert isinstance(app.screen, RequestsScreen)
        assert app.requests.compare_mark is not None  # the mark stays for the next comparison


async def test_stepping_one_side_puts_the_other_in_the_same_phase(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        a, b = screen.diagrams
        await pilot.press("right")  # A's wsgi.input read <-> B's first http.request
        assert (a.cursor, b.cursor) == (1, 1) and screen.phase == "body read"
        assert screen.query_one(PhaseTable).current == "body read"
        await pilot.press("right")  # A's start_response <-> B's http.response.start, past B's second read
        assert (a.cursor, b.cursor) == (2, 3) and screen.phase == "response started"
        await pilot.press("tab", "left")  # B leads: back to its second read; A stays on its only one
        assert screen.cursors == (1, 2) and b.has_focus
        await pilot.press("down")  # next phase
        assert screen.cursors == (2, 3)
        await pilot.press("end")  # B's end event <-> A's close(), the first step of its end
        assert screen.cursors == (4, 5) and screen.phase == "end"
        status = str(screen.query_one("#compare-status").render())
        assert "A step 4 of 0–5 · end" in status and "▶B step 5 of 0–5 · end" in status


async def test_a_click_on_one_diagram_leads(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        a, b = screen.diagrams
        b.cursor = 5  # as a click on B's last step does
        await pilot.pause()
        assert screen.cursors == (4, 5)  # A's close(): the first step of its end
        assert a.cursor == 4


async def test_n_goes_from_difference_to_difference(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        listing = screen.query_one(DifferenceList)
        await pilot.press("n")
        assert listing.current == 0 and screen.phase == "request"
        await pilot.press("n")
        assert listing.current == 1 and screen.phase == "body read" and screen.cursors == (1, 1)
        await pilot.press("n")
        assert listing.current == 2 and screen.phase == "body sent" and screen.cursors == (3, 4)
        assert [item.has_class("-current") for item in screen.query(DifferenceItem)] == [False, False, True]
        await pilot.press("n")
        assert listing.current == 0
        await pilot.press("N")
        assert listing.current == 2


async def test_swap_makes_b_the_first_side(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        before = screen.comparison
        await pilot.press("s")
        await wait_for(pilot, lambda: screen.comparison is not before and screen.comparison is not None)
        await pilot.pause()
        assert [s.id for s in screen.summaries] == ["asgi-notes", "wsgi-notes"]
        assert [d.source.summary.protocol for d in screen.diagrams] == ["asgi", "wsgi"]
        messages = [item.difference.message for item in screen.query(DifferenceItem)]
        assert messages[0] == "request header removed: accept: 'application/json'"


async def test_ignoring_a_header_compares_again_without_it(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        before = screen.comparison
        await pilot.press("i")
        assert isinstance(app.screen, AskScreen)
        await pilot.press(*"Accept", "enter")
        await wait_for(pilot, lambda: screen.comparison is not before and screen.comparison is not None)
        await pilot.pause()
        assert screen.ignored == ("accept",)
        assert [d.aspect for d in screen.comparison.differences] == ["request body", "response body"]
        assert "accept" in screen.comparison.ignored_headers


async def test_compare_from_the_command_palette(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        assert "Compare with the marked request" not in commands
        commands["Mark for comparing"]()
        await pilot.press("down")
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        commands["Compare with the marked request"]()
        await wait_for(pilot, lambda: isinstance(app.screen, CompareScreen) and app.screen.comparison is not None)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert {"Next difference", "Swap sides", "Ignore headers", "Back to the list"} <= set(titles)


async def test_a_trace_that_cannot_be_read_is_said_and_the_app_goes_on(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        a, b = app.requests.rows[:2]

        def broken(summary):  # type: ignore[no-untyped-def]
            raise OSError("the disk went away")

        app.push_screen(CompareScreen(a, b, broken))
        await wait_for(pilot, lambda: "cannot compare: the disk went away" in notified(app))
        assert app.screen.diagrams == []
        await pilot.press("right", "n", "escape")
        assert isinstance(app.screen, RequestsScreen)


def _events(*kinds: str) -> list[Event]:
    return [Event(seq, seq * 10, kind, {}) for seq, kind in enumerate(kinds)]


def test_a_side_without_the_phase_stays_where_the_exchange_was() -> None:
    # A GET whose app never reads the body: no "body read" phase.
    side = PhaseSteps.of(_events("wsgi.environ", "wsgi.start_response", "wsgi.body", "wsgi.body", "wsgi.close", "wsgi.end"))
    order = ["request", "body read", "response started", "body sent", "end"]
    assert side.phases == ["request", "response started", "body sent", "body sent", "end", "end"]
    assert side.place(3) == ("body sent", 1)
    assert side.step_at("body read", 0, order) == 0  # the request, where it was before
    assert side.step_at("body sent", 5, order) == 3  # its last chunk, when the other side has more
    assert PhaseSteps.of(_events("wsgi.close")).step_at("request", 0, order) == 0


async def test_a_minus_name_compares_a_header_left_out_by_default(twins: str) -> None:
    app = TracerApp(twins, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_compare(pilot)
        assert "host" in screen.comparison.ignored_headers
        before = screen.comparison
        await pilot.press("i")
        assert isinstance(app.screen, AskScreen)
        await pilot.press(*"-host", "enter")
        await wait_for(pilot, lambda: screen.comparison is not before and screen.comparison is not None)
        assert screen.ignored == ("-host",)
        assert "host" not in screen.comparison.ignored_headers
        assert "date" in screen.comparison.ignored_headers
