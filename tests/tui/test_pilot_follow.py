"""`tracer view --follow`: lines appended while the UI runs show up, traces complete in place."""

from __future__ import annotations

import asyncio
import time

from tests.tui.conftest import fixed_checker, fixture, marked, wait_for
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.widgets.request_table import RequestTable

SIZE = (120, 36)


def fixture_lines() -> list[bytes]:
    with open(fixture("mixed.jsonl"), "rb") as handle:
        return handle.read().splitlines(keepends=True)


async def test_follow_picks_up_appended_lines_and_completes_traces_in_place(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    header, events = lines[0], lines[1:]
    path = tmp_path / "live.jsonl"
    # The lifespan trace (6 lines) and the first two lines of wsgi-hello.
    path.write_bytes(header + b"".join(events[:8]))
    app = TracerApp(str(path), live=True, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RequestTable)
        await wait_for(pilot, lambda: table.row_count == 2)
        hello = table.rows[1]
        assert hello.id == "wsgi-hello" and not hello.complete
        assert "following" in str(app.screen.query_one("#status").render())

        # Open the in-progress trace; its replay grows as events arrive.
        table.cursor = 1
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.diagram.steps == 2
        assert "in progress" in screen.diagram.render_line(1 + 2 * 2).text

        # Half a line first: nothing happens until its newline is written.
        with open(path, "ab") as out:
            out.write(events[8][:15])
        await pilot.pause(0.3)
        assert screen.diagram.steps == 2
        started = time.monotonic()
        with open(path, "ab") as out:
            out.write(events[8][15:] + b"".join(events[9:11]))
        await wait_for(pilot, lambda: screen.diagram.steps == 5)
        assert time.monotonic() - started < 0.5
        assert hello.complete and "in progress" not in str(screen.query_one("#replay-title").render())
        await pilot.press("escape")
        await pilot.press("home")

        # New requests appear within half a second.
        started = time.monotonic()
        with open(path, "ab") as out:
            out.write(b"".join(events[11:]))
        await wait_for(pilot, lambda: table.row_count == 11, timeout=2)
        assert time.monotonic() - started < 0.5
        assert table.rows[1] is hello  # the same row, completed in place
        assert all(s.complete for s in table.rows)
        assert table.cursor == 0  # not on the last row: the cursor stays put

        # With the cursor on the last row, it follows new rows (like tail -f).
        await pilot.press("end")
        with open(path, "ab") as out:
            out.write(events[0].replace(b'"asgi-lifespan"', b'"again"').replace(b"1699999999.99", b"1700000001.0"))
        await wait_for(pilot, lambda: table.row_count == 12)
        assert table.current is not None and table.current.id == "again"  # moved in the same handler

        # The list is in start order: a trace written late but started early goes to its place.
        with open(path, "ab") as out:
            out.write(events[0].replace(b'"asgi-lifespan"', b'"early"').replace(b"1699999999.99", b"1699999999.0"))
        await wait_for(pilot, lambda: table.row_count == 13)
        assert table.rows[0].id == "early"
        assert table.current is not None and table.current.id == "again"  # still on the last row


async def test_follow_an_empty_file_until_the_writer_starts(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RequestTable)
        await pilot.pause(0.2)
        assert table.row_count == 0 and not app._notifications
        with open(path, "ab") as out:
            out.write(b"".join(lines[:7]))
        await wait_for(pilot, lambda: table.row_count == 1)
        await asyncio.sleep(0)


async def test_a_shrinking_file_is_reported_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    path = tmp_path / "shrinks.jsonl"
    path.write_bytes(b"".join(lines[:7]))
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RequestTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        path.write_bytes(lines[0])
        await pilot.pause(0.5)
        shrank = [n for n in app._notifications if "the file shrank" in n.message]
        assert len(shrank) == 1 and table.row_count == 1


async def test_many_bad_lines_give_a_few_messages_and_a_count(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    path = tmp_path / "bad.jsonl"
    path.write_bytes(lines[0] + b"not json\n" * 50 + b"".join(lines[1:]))
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RequestTable)
        await wait_for(pilot, lambda: not app.requests.scanning)
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert len(messages) == 4 and messages[-1].startswith("47 more unreadable lines")
        assert table.row_count == 11 and len(app.index.problems) == 50 == len(app.requests.problems)


async def test_playing_a_live_trace_waits_for_its_next_event(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    hello = [line for line in lines if b'"wsgi-hello"' in line]
    path = tmp_path / "live.jsonl"
    path.write_bytes(lines[0] + b"".join(hello[:2]))
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RequestTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("enter")
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await pilot.press("plus", "plus", "plus", "space")
        await wait_for(pilot, lambda: screen.step == 1)
        await pilot.pause(0.2)
        assert screen.playing  # at the end, but the trace is not over
        with open(path, "ab") as out:
            out.write(b"".join(hello[2:]))
        await wait_for(pilot, lambda: screen.step == len(hello) - 1 and not screen.playing)


async def test_a_body_filter_keeps_its_matches_while_the_file_grows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    path = tmp_path / "live.jsonl"
    path.write_bytes(b"".join(lines))
    app = TracerApp(str(path), live=True, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RequestTable)
        await wait_for(pilot, lambda: table.row_count == 11)
        app.screen.apply_filter("~b widget")  # type: ignore[attr-defined]
        await wait_for(pilot, lambda: [s.id for s in table.rows] == ["wsgi-post-json"])
        await marked(pilot)  # the protocol checks read events too
        checked: list[str] = []
        real = app.requests.load
        app.requests.load = lambda summary: (checked.append(summary.id), real(summary))[1]  # type: ignore[method-assign]
        seen: list[list[str]] = []
        with open(path, "ab") as out:
            for n in range(5):  # new traces arrive, one scan after another
                out.write(lines[1].replace(b'"asgi-lifespan"', f'"more-{n}"'.encode()))
                out.flush()
                for _ in range(4):
                    await pilot.pause(0.03)
                    seen.append([s.id for s in table.rows])
        await wait_for(pilot, lambda: len(app.index.summaries) == 16)
        await pilot.pause(0.3)
        # The match never left the list while the new traces were searched, and only they were.
        assert all("wsgi-post-json" in ids for ids in seen)
        assert [s.id for s in table.rows] == ["wsgi-post-json"]
        assert set(checked) <= {f"more-{n}" for n in range(5)}


async def test_a_replay_under_the_help_screen_still_grows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    hello = [line for line in lines if b'"wsgi-hello"' in line]
    path = tmp_path / "live.jsonl"
    path.write_bytes(lines[0] + b"".join(hello[:2]))
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RequestTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        await pilot.press("enter")
        replay = app.screen
        assert isinstance(replay, ReplayScreen)
        await pilot.press("question_mark")
        with open(path, "ab") as out:
            out.write(b"".join(hello[2:]))
        await wait_for(pilot, lambda: table.rows[0].complete)
        await pilot.pause(0.1)
        await pilot.press("escape")
        assert app.screen is replay and replay.diagram.steps == len(hello)
        assert "in progress" not in str(replay.query_one("#replay-title").render())
