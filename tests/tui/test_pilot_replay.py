"""The replay screen: stepping through every event, playing, findings, going back."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.screens.requests import RequestsScreen
from tui.widgets.request_table import RequestTable
from tui.widgets.step_detail import StepDetail

SIZE = (140, 40)


async def open_trace(pilot, trace_id: str) -> ReplayScreen:  # type: ignore[no-untyped-def]
    app = pilot.app
    await scanned(pilot)
    table = app.screen.query_one(RequestTable)
    table.cursor = [s.id for s in table.rows].index(trace_id)
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReplayScreen)
    await wait_for(pilot, lambda: screen.checked)  # findings from the checks' worker, when the app did not give them
    await pilot.pause()
    return screen


def detail_text(screen: ReplayScreen) -> str:
    console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
    console.print(screen.query_one(StepDetail).content)
    return console.export_text()


def status_text(screen: ReplayScreen) -> str:
    return str(screen.query_one("#replay-status").render())


@pytest.mark.parametrize(
    ("trace_id", "kinds"),
    [
        ("wsgi-post-json", ["wsgi.environ", "wsgi.input", "wsgi.start_response", "wsgi.body", "wsgi.close", "wsgi.end"]),
        ("asgi-stream", ["asgi.scope", "asgi.receive", "asgi.receive", "asgi.send", "asgi.send", "asgi.send",
                         "asgi.send", "asgi.send", "asgi.end"]),
        ("asgi-ws", ["asgi.scope", "asgi.receive", "asgi.send", "asgi.receive", "asgi.send", "asgi.receive",
                     "asgi.send", "asgi.receive", "asgi.end"]),
    ],
)
async def test_step_forward_and_back_through_every_event(mixed: str, trace_id: str, kinds: list[str]) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, trace_id)
        n = len(kinds)
        for step, kind in enumerate(kinds):
            assert screen.step == step
            assert f"#{step} {kind}" in detail_text(screen)
            assert f"step {step} of 0–{n - 1} · {kind}" in status_text(screen)  # numbered from 0, as tracer check
            await pilot.press("right" if step % 2 else "j")
        assert screen.step == n - 1  # stays on the last step
        for step in reversed(range(n)):
            assert screen.step == step
            assert f"#{step} {kinds[step]}" in detail_text(screen)
            await pilot.press("left" if step % 2 else "k")
        assert screen.step == 0
        await pilot.press("end")
        assert screen.step == n - 1
        await pilot.press("home")
        assert screen.step == 0
        await pilot.press("escape")
        assert isinstance(app.screen, RequestsScreen)


async def test_detail_shows_tables_bodies_and_tracebacks(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "wsgi-post-json")
        text = detail_text(screen)
        assert text.index("REQUEST_METHOD") < text.index("wsgi.version") < text.index("Content-Type")
        await pilot.press("right")  # wsgi.input: the JSON the app read
        assert '"name": "widget"' in detail_text(screen)
        await pilot.press("right", "right")  # the body, pretty JSON
        assert '"tags": [\n' in detail_text(screen) or '"tags": [' in detail_text(screen)
        assert "55 B" in detail_text(screen)
        await pilot.press("escape")
        screen = await open_trace(pilot, "wsgi-error")
        await pilot.press("right")
        text = detail_text(screen)
        assert "ZeroDivisionError" in text and "Traceback (most recent call last)" in text
        await pilot.press("escape")
        screen = await open_trace(pilot, "wsgi-cut")
        await pilot.press("right", "right", "right")
        assert "$truncated: kept 10 of 40 bytes" in detail_text(screen)
        await pilot.press("escape")
        screen = await open_trace(pilot, "wsgi-binary")
        await pilot.press("right", "right")
        assert "00000000  80 81 82 83" in detail_text(screen)


async def test_findings_are_marked_on_their_step(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "wsgi-stream")
        assert "1 finding" in str(screen.query_one("#replay-title").render())
        assert "made-up finding" not in detail_text(screen)
        await pilot.press("end", "left")  # close(), seq 5
        assert "warning: A made-up finding for the UI tests." in detail_text(screen)
        assert "⚠" in screen.diagram.render_line(1 + 2 * 5 - round(screen.diagram.scroll_y)).text


async def test_play_advances_at_recorded_speed_and_pauses(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "asgi-ws")
        assert screen.delay_before(1) == pytest.approx(0.3)  # 2 ms apart: shown for the minimum at 1x
        await pilot.press("space")
        assert screen.playing and "playing" in status_text(screen)
        await wait_for(pilot, lambda: screen.step >= 2)
        await pilot.press("space")
        assert not screen.playing and "paused" in status_text(screen)
        stopped = screen.step
        await pilot.pause(0.5)
        assert screen.step == stopped
        await pilot.press("plus", "plus", "plus")
        assert screen.speed == 10.0
        assert screen.delay_before(1) == pytest.approx(0.03)
        await pilot.press("space")
        await wait_for(pilot, lambda: not screen.playing)
        assert screen.step == screen.diagram.steps - 1  # played to the end, then stopped
        await pilot.press("minus")
        assert screen.speed == 4.0


async def test_unreached_steps_are_dimmed(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "wsgi-hello")
        diagram = screen.diagram
        dim = diagram.get_component_rich_style("sequence-diagram--unreached")
        later = diagram.render_line(1 + 2 * 3)  # step 3's label line
        assert any(seg.style and seg.style.color == dim.color for seg in later if seg.text.strip())
        await pilot.press("end")
        later = diagram.render_line(1 + 2 * 3)
        assert not any(seg.style and seg.style.color == dim.color for seg in later if seg.text.strip())


async def test_command_palette_offers_this_screens_commands(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Filter: errors and 5xx" in titles and "Sort by duration" in titles
        next(c for c in app.get_system_commands(app.screen) if c.title == "Filter: errors and 5xx").callback()
        await pilot.pause()
        assert [s.id for s in app.screen.query_one(RequestTable).rows] == ["wsgi-error"]
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "CommandPalette"
        await pilot.press("escape")
        screen = await open_trace(pilot, "wsgi-error")
        titles = [c.title for c in app.get_system_commands(screen)]
        assert "Play / pause" in titles and "Filter: errors and 5xx" not in titles


async def test_odd_event_data_is_shown_raw_not_a_crash(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "odd.jsonl"
    path.write_text(
        '{"format":"tracer","version":1}\n'
        '{"trace":"odd","seq":0,"t_ns":0,"kind":"wsgi.environ","data":{"environ":["not","a","dict"]},'
        '"protocol":"wsgi","scope_type":"http","start":1700000000.0}\n'
        '{"trace":"odd","seq":1,"t_ns":5,"kind":"asgi.send","data":{"message":"just text"}}\n'
        '{"trace":"odd","seq":2,"t_ns":9,"kind":"made.up","data":{"x":1}}\n'
    )
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "odd")
        for step in range(3):
            assert f"#{step} " in detail_text(screen)
            await pilot.press("right")
        assert screen.diagram.steps == 3


async def test_body_search_skips_odd_event_data(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "odd.jsonl"
    path.write_text(
        '{"format":"tracer","version":1}\n'
        '{"trace":"odd","seq":0,"t_ns":0,"kind":"asgi.send","data":{"message":"text"},'
        '"protocol":"asgi","scope_type":"http","start":1700000000.0}\n'
        '{"trace":"ok","seq":0,"t_ns":0,"kind":"asgi.send","data":{"message":{"type":"http.response.body",'
        '"body":{"$bytes":"needle"}}},"protocol":"asgi","scope_type":"http","start":1700000000.0}\n'
    )
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        app.screen.apply_filter("~b needle")  # type: ignore[attr-defined]
        table = app.screen.query_one(RequestTable)
        await wait_for(pilot, lambda: [s.id for s in table.rows] == ["ok"])


async def test_arrows_step_even_with_the_detail_pane_focused(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "wsgi-post-json")
        await pilot.press("tab")
        assert screen.query_one(StepDetail).has_focus
        await pilot.press("right", "right", "left")
        assert screen.step == 1


async def test_home_and_end_move_the_cursor_in_a_trace_longer_than_the_screen(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = ['{"format":"tracer","version":1}']
    lines.append('{"trace":"long","seq":0,"t_ns":0,"kind":"asgi.scope","data":{"scope":{"type":"http","method":"GET",'
                 '"path":"/events"}},"protocol":"asgi","scope_type":"http","start":1700000000.0}')
    for seq in range(1, 200):
        lines.append(f'{{"trace":"long","seq":{seq},"t_ns":{seq * 1000},"kind":"asgi.send","data":{{"message":'
                     f'{{"type":"http.response.body","body":{{"$bytes":"data: {seq}"}},"more_body":true}}}}}}')
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n")
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "long")
        await pilot.press("end")
        assert screen.step == 199
        assert screen.diagram.scroll_y > 0  # scrolled so the cursor shows
        await pilot.press("home")
        assert screen.step == 0 and screen.diagram.scroll_y == 0


async def test_the_cursor_stays_on_screen_when_the_terminal_shrinks(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=(160, 45)) as pilot:
        screen = await open_trace(pilot, "asgi-ws")
        await pilot.press("end")
        await pilot.resize_terminal(100, 20)  # below 110 columns the panes stack: the diagram gets short
        await pilot.pause()
        await pilot.pause()
        diagram = screen.diagram
        top = round(diagram.scroll_y)
        rows = diagram.scrollable_content_region.height - 1
        assert top <= screen.step * 2 and screen.step * 2 + 1 < top + rows


async def test_diagram_lines_fit_beside_its_scrollbar(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = ['{"format":"tracer","version":1}']
    lines.append('{"trace":"long","seq":0,"t_ns":0,"kind":"asgi.scope","data":{"scope":{"type":"http","method":"GET",'
                 '"path":"/' + "p" * 200 + '"}},"protocol":"asgi","scope_type":"http","start":1700000000.0}')
    for seq in range(1, 60):
        lines.append(f'{{"trace":"long","seq":{seq},"t_ns":{seq},"kind":"asgi.send","data":{{"message":'
                     f'{{"type":"http.response.body","body":{{"$bytes":"x"}},"more_body":true}}}}}}')
    path = tmp_path / "long.jsonl"
    path.write_text("\n".join(lines) + "\n")
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "long")
        diagram = screen.diagram
        label = diagram.render_line(1)
        assert label.cell_length == diagram.scrollable_content_region.width < diagram.size.width
        assert label.text.rstrip().endswith("…")  # the cut label says so, in sight


async def test_stepping_does_not_rescan_the_whole_trace(mixed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A long-lived stream can have 100,000 events: a step must not walk them all.
    import tui.screens.replay as replay

    calls: list[str] = []
    real = replay.Exchange.of
    monkeypatch.setattr(replay.Exchange, "of", lambda trace: (calls.append(trace.id), real(trace))[1])
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "asgi-stream")
        await pilot.press("right", "right", "right", "left")
        assert screen.step == 2 and calls == ["asgi-stream"]


async def test_the_last_step_sums_up_the_request_and_response_bodies(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Who swallowed the request body? The client declared 20 bytes; the app read none of them.
    path = tmp_path / "unread.jsonl"
    path.write_text(
        '{"format":"tracer","version":1}\n'
        '{"trace":"t","seq":0,"t_ns":0,"kind":"wsgi.environ","data":{"environ":{"REQUEST_METHOD":"POST",'
        '"PATH_INFO":"/form","CONTENT_LENGTH":"20"}},"protocol":"wsgi","scope_type":"http","start":1700000000.0}\n'
        '{"trace":"t","seq":1,"t_ns":5,"kind":"wsgi.start_response","data":{"status":"200 OK","headers":[],'
        '"exc_info":null}}\n'
        '{"trace":"t","seq":2,"t_ns":6,"kind":"wsgi.body","data":{"data":{"$bytes":"ok"}}}\n'
        '{"trace":"t","seq":3,"t_ns":7,"kind":"wsgi.body","data":{"data":{"$bytes":"!"}}}\n'
        '{"trace":"t","seq":4,"t_ns":9,"kind":"wsgi.end","data":{"status":"200 OK","bytes_sent":3}}\n'
    )
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "t")
        assert "the whole exchange" not in detail_text(screen)
        await pilot.press("end")
        text = detail_text(screen)
        assert "0 B read by the app in 0 reads, of 20 B declared (Content-Length): 20 B never read" in text
        assert "3 B in 2 chunks" in text


async def test_enter_and_escape_in_one_burst_never_stack_two_replays(mixed: str) -> None:
    from textual import events

    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        # Every key queued before the first is handled, as from a fast typist or a paste: the
        # second Enter reaches the list before the first replay is on screen.
        for key in ["enter", "escape", "enter"]:
            event = events.Key(key, None)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await pilot.pause(0.2)
        assert len(app.screen_stack) == 2
        await pilot.press("escape")
        assert isinstance(app.screen, RequestsScreen)


async def test_a_missing_step_is_marked_not_skipped_silently(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.tui.conftest import fixture
    from tui.widgets.sequence_diagram import GAP_MARK, SequenceDiagram

    from pathlib import Path

    lines = Path(fixture("mixed.jsonl")).read_bytes().splitlines(keepends=True)
    # Damage the wsgi-post-json trace's start_response line (its step 2).
    damaged = [i for i, line in enumerate(lines) if b'"wsgi-post-json"' in line and b'"wsgi.start_response"' in line]
    assert len(damaged) == 1
    lines[damaged[0]] = b"{damaged\n"
    path = tmp_path / "gap.jsonl"
    path.write_bytes(b"".join(lines))
    app = TracerApp(str(path), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "wsgi-post-json")
        assert "1 step missing (unreadable lines" in status_text(screen)
        assert "step 0 of 0–5" in status_text(screen)
        diagram = screen.query_one(SequenceDiagram)
        gutters = [diagram._label_line(step).plain[:5] for step in range(5)]
        assert [g[0] for g in gutters] == [" ", " ", GAP_MARK, " ", " "]  # on the step after the gap
        assert [int(g[1:]) for g in gutters] == [0, 1, 3, 4, 5]
