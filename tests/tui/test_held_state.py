"""The state panel on a held step: where the exchange waits for it, not what the step before it did."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tui.conftest import fixed_checker, wait_for
from tests.tui.debugfakes import attach_fake, held_event
from tests.tui.test_held_replay import at_first_event, scope_line
from tests.tui.test_pilot_states import flat, panel_text
from tui.app import TracerApp
from tui.screens.held import HeldScreen
from tui.widgets.held_table import HeldRequestTable

SIZE = (120, 36)


async def test_the_panel_on_a_held_step_says_where_it_waits(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text(json.dumps({"format": "tracer", "version": 1, "created": "2023-11-14T22:13:20Z"}) + "\n")
    app = TracerApp(str(path), live=True, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not app.requests.scanning)
        connection = await attach_fake(pilot)
        first = at_first_event()
        connection.hold(first)
        await wait_for(pilot, lambda: app.screen.query_one(HeldRequestTable).row_count == 1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HeldScreen))
        screen = app.screen
        assert isinstance(screen, HeldScreen)
        await wait_for(pilot, lambda: screen.view.held_step == 0 and screen.states_panel.held)
        assert "the server has not called the app yet" in flat(panel_text(screen))

        # Held at the response's start, after the scope went on: the step has not happened yet.
        await pilot.press("n")
        with open(path, "a", encoding="utf-8") as out:
            out.write(scope_line(first.trace))
        connection.hold(held_event(first.trace, hold=f"{first.trace}:2", seq=1, title="GET /hello", editable=(),
                                   message={"type": "http.response.start", "status": 200, "headers": []}))
        await wait_for(pilot, lambda: screen.step == 1 and screen.view.held_step == 1)
        await wait_for(pilot, lambda: screen.states_panel.held and screen.states_panel.state is not None
                       and screen.states_panel.state.seq == 1)
        panel = screen.states_panel
        after_scope = screen.timeline.at(0)
        assert after_scope is not None and panel.state.state is after_scope.state
        text = flat(panel_text(screen))
        assert f"held before it happens: stays {after_scope.state.label} until it goes on" in text
        assert "into " not in text.split("this step", 1)[1].split("may next", 1)[0]

        # Back on the scope's step: its own state, the entry.
        await pilot.press("left")
        await wait_for(pilot, lambda: not screen.states_panel.held)
        assert f"into {after_scope.state.label}" in flat(panel_text(screen))
