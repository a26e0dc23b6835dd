"""The diagram writes a long trace's offsets in one unit; the state panel redraws when only the phase changes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from tests.tui.conftest import fixed_checker, fixture, scanned, wait_for
from tracer import read_traces
from tracer.states import states_of
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.widgets.sequence_diagram import SequenceDiagram
from tui.widgets.state_panel import _looks


def test_two_states_that_differ_only_in_phase_draw_differently() -> None:
    trace = read_traces(fixture("mixed.jsonl"))[0]
    state = states_of(trace)[-1]
    other = dataclasses.replace(state, phase="raised" if state.phase != "raised" else "ended")
    assert _looks(state) != _looks(other)


def write_long(path: Path) -> str:
    records = [
        {"format": "tracer", "version": 1, "created": "2026-11-30T00:00:00+00:00"},
        {"trace": "ws", "seq": 0, "t_ns": 0, "kind": "asgi.scope", "protocol": "asgi", "scope_type": "websocket",
         "start": 1700000000.0, "data": {"scope": {"type": "websocket", "path": "/ws", "headers": []}}},
        {"trace": "ws", "seq": 1, "t_ns": 5_000_000, "kind": "asgi.receive",
         "data": {"message": {"type": "websocket.connect"}}},
        {"trace": "ws", "seq": 2, "t_ns": 12_000_000_000, "kind": "asgi.send",
         "data": {"message": {"type": "websocket.close", "code": 1000}}},
        {"trace": "ws", "seq": 3, "t_ns": 12_000_100_000, "kind": "asgi.end", "data": {}},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(path)


async def test_the_diagram_writes_every_offset_of_a_long_trace_in_seconds(tmp_path: Path) -> None:
    app = TracerApp(write_long(tmp_path / "long.jsonl"), checker=fixed_checker)
    async with app.run_test(size=(140, 30)) as pilot:
        await scanned(pilot)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen))
        await pilot.pause()
        diagram = app.screen.query_one(SequenceDiagram)
        labels = [diagram._label_line(step).plain for step in range(4)]
        offsets = [label.split()[1] for label in labels]
        assert offsets[0] == "+0.000000s" and offsets[1] == "+0.005000s", offsets
        assert all(value.endswith("s") and not value.endswith("ms") for value in offsets), offsets
