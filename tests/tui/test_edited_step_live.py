"""An edit made at a breakpoint stays visible: after ``e``, ``n``, ``c`` the replay's step says it was edited."""

from __future__ import annotations

import io

from rich.console import Console

from tests.tracer.breakpoint_servers import StreamReader, complete_traces
from tests.tui.conftest import fixed_checker, wait_for
from tests.tui.test_held_replay_live import (  # noqa: F401 - the fixtures, shared
    SIZE, Served, _server_loggers, edit_in_dialog, open_held_replay, served,
)
from tui.app import TracerApp
from tui.widgets.step_detail import StepDetail


def detail_text(detail: StepDetail) -> str:
    console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
    console.print(detail.content)
    return console.export_text()


async def test_a_status_edited_at_a_breakpoint_reads_as_edited_in_the_replay(served: Served) -> None:
    app = TracerApp(str(served.trace_file), live=True, checker=fixed_checker,
                    breakpoints=["~u /hello @ http.response.start"])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.debugger.all_breakpoints())
        reader = StreamReader("GET", served.url + "/hello")
        screen = await open_held_replay(pilot)
        assert screen.held is not None and screen.held.message["status"] == 200
        await edit_in_dialog(pilot, screen, '{"status": 418}')
        await pilot.press("n")
        await pilot.press("c")
        await wait_for(pilot, lambda: reader.done)
        await wait_for(pilot, lambda: screen.held is None and screen.steps.complete)
        step = next(i for i in range(screen.steps.count) if screen.steps.event(i).data.get("original"))
        assert screen.steps.row(step).arrow.label == "✎ send(http.response.start 418, 1 header) (edited)"
        screen.diagram.cursor = step
        await wait_for(pilot, lambda: screen._shown == step)
        text = detail_text(screen.query_one(StepDetail))
        assert "✎ edited at a breakpoint" in text and "let go by next" in text
        assert "the app sent" in text and "went on (the client got)" in text
        status = next(line for line in text.splitlines() if line.strip().startswith("status") and "200" in line)
        assert status.split() == ["status", "200", "418"]
    reader.join()
    assert reader.status == 418
    [trace] = complete_traces(served.trace_file)
    assert trace.summary.edits == 1
