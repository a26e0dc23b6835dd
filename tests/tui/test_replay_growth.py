"""A growing trace in the replay: few layouts, checks fed only the new steps; lane names that never run together."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.conftest import fixture, scanned, wait_for
from tests.tui.test_replay_lazy import HEADER, SIZE, open_by_summary, websocket_lines
from tracer import read_traces
from tracer.checks import check_trace
from tui.app import TracerApp
from tui.screens import replay
from tui.steps import Steps
from tui.widgets.sequence_diagram import GROWTH_ROWS, ROW_HEIGHT


async def test_a_growing_diagram_changes_its_size_in_steps_and_lays_out_nothing_between(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text(HEADER + websocket_lines(0, 100))
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_by_summary(pilot)
        diagram = screen.diagram
        await wait_for(pilot, lambda: screen.checked)
        assert diagram.virtual_size.height == GROWTH_ROWS
        layouts: list[object] = []
        real = screen._refresh_layout
        screen._refresh_layout = lambda *args, **kwargs: (layouts.append(args), real(*args, **kwargs))[1]
        for stop in (150, 200, 300):
            with open(path, "a") as out:
                out.write(websocket_lines(stop - 50 if stop != 300 else 200, stop))
            await wait_for(pilot, lambda: diagram.steps == stop)
            await pilot.pause()
        assert diagram.virtual_size.height == GROWTH_ROWS and layouts == []
        # Past the first block: one more block, and the new rows are drawn.
        with open(path, "a") as out:
            out.write(websocket_lines(300, 600))
        await wait_for(pilot, lambda: diagram.steps == 600)
        assert diagram.virtual_size.height == 2 * GROWTH_ROWS
        await pilot.press("end")
        assert screen.step == 599
        assert "599 " in diagram.render_line(1 + 599 * ROW_HEIGHT - round(diagram.scroll_y)).text
        # Complete: exactly as tall as its steps.
        with open(path, "a") as out:
            out.write(websocket_lines(600, 602, end=602))
        await wait_for(pilot, lambda: diagram.steps == 602 and screen.steps.complete)
        await pilot.pause()
        assert diagram.virtual_size.height == 2 + ROW_HEIGHT * 602


async def test_a_growing_trace_that_fits_the_pane_has_no_rows_it_lacks(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text(HEADER + websocket_lines(0, 5))
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_by_summary(pilot)
        await pilot.pause()
        assert screen.diagram.virtual_size.height == 2 + ROW_HEIGHT * 5
        assert not screen.diagram.show_vertical_scrollbar


async def test_a_growing_trace_is_checked_a_new_step_at_a_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay, "RECHECK_SECONDS", 0.05)
    checked: list[tuple[int, int]] = []
    real = Steps.decoded

    def decoded(self: Steps, start: int, stop: int, *, unreadable: bool = False):  # type: ignore[no-untyped-def]
        if not unreadable:  # The checks' (the states' keep unreadable steps).
            checked.append((start, stop))
        return real(self, start, stop, unreadable=unreadable)

    monkeypatch.setattr(Steps, "decoded", decoded)
    path = tmp_path / "live.jsonl"
    # A message sent before the accept: a finding the checks must keep while the trace grows.
    lines = websocket_lines(0, 40).replace('"type": "websocket.accept"', '"type": "websocket.send", "text": "early"')
    path.write_text(HEADER + lines)
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_by_summary(pilot)
        await wait_for(pilot, lambda: screen.checked)
        first = list(screen.findings)
        assert first and first == check_trace(read_traces(str(path))[0], live=True)
        for stop in (60, 90):
            with open(path, "a") as out:
                out.write(websocket_lines(stop - 20 if stop == 60 else 60, stop))
            await wait_for(pilot, lambda: screen._checked_steps == stop, timeout=5)
        with open(path, "a") as out:
            out.write(websocket_lines(90, 92, end=92))
        await wait_for(pilot, lambda: screen._checked_steps == 92, timeout=5)
        assert screen.findings == check_trace(read_traces(str(path))[0])
        # Each run decoded only the steps new since the one before.
        assert checked[0] == (0, 40)
        assert all(later[0] == earlier[1] for earlier, later in zip(checked, checked[1:])), checked
        assert checked[-1][1] == 92


@pytest.mark.parametrize("width", [60, 70, 80])
async def test_wsgi_lane_names_never_run_together(width: int) -> None:
    app = TracerApp(fixture("mixed.jsonl"))
    async with app.run_test(size=(width, 30)) as pilot:
        await scanned(pilot)
        wsgi = next(s for s in app.index.summaries if s.protocol == "wsgi")
        screen = replay.ReplayScreen(wsgi)
        await app.push_screen(screen)
        await pilot.pause()
        header = screen.diagram.render_line(0).text
        names = header.split()[2:]  # after "step offset"
        assert len(names) == 4, header
        for name, lane in zip(names, ("server", "app", "start_response", "iterable")):
            assert name == lane or (name.endswith("…") and lane.startswith(name[:-1])), header
