"""The states kept for the replay are those `tracer.states.states_of` gives, however they arrive."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.tui.conftest import fixture
from tests.tui.rare_states import write_rare
from tracer import read_traces
from tracer.model import Event
from tracer.states import StepState, machine_for, states_of
from tui import step_states
from tui.step_states import StateTimeline, StateWalk, follow_batches
from tui.steps import UNREADABLE


def _same(kept: StepState | None, expected: StepState) -> bool:
    return kept is not None and (
        kept.seq, kept.state, kept.before, kept.transition, kept.made, kept.framing, kept.request_body
    ) == (
        expected.seq, expected.state, expected.before, expected.transition, expected.made, expected.framing,
        expected.request_body,
    )


@pytest.mark.parametrize("split", [1, 2, 3, 1000])
def test_a_timeline_gives_back_every_state_whatever_the_batches(tmp_path: Path, split: int) -> None:
    rare = write_rare(str(tmp_path / "rare.jsonl"))
    for trace in [*read_traces(fixture("mixed.jsonl")), *read_traces(rare)]:
        machine = machine_for(trace.protocol, trace.scope_type)
        assert machine is not None
        walk, timeline = StateWalk(trace.protocol, trace.scope_type), StateTimeline(machine)
        for start in range(0, len(trace.events), split):
            timeline.add(walk.follow(trace.events[start:start + split]))
        expected = states_of(trace)
        assert timeline.count == len(expected)
        assert all(_same(timeline.at(step), state) for step, state in enumerate(expected)), trace.id
        assert timeline.at(len(expected)) is None and timeline.at(-1) is None


def test_batches_from_a_worker_arrive_packed_in_order(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(step_states, "BATCH_EVENTS", 2)
    monkeypatch.setattr(step_states, "BATCH_SECONDS", 0.0)  # a batch after every chunk
    trace = next(t for t in read_traces(fixture("mixed.jsonl")) if t.id == "asgi-stream")
    timeline = StateTimeline(machine_for("asgi", "http"))  # type: ignore[arg-type]
    batches = list(follow_batches(StateWalk("asgi", "http"), timeline, trace.events, 0))
    assert [batch.start for batch in batches] == [0, 2, 4, 6, 8] and sum(map(len, batches)) == 9
    for batch in batches:
        timeline.add(batch)
    assert all(_same(timeline.at(step), state) for step, state in enumerate(states_of(trace)))
    # Framing and request body are kept where they change, not once per step.
    assert len(timeline._all.framing) == 2 and len(timeline._all.body) <= 4


def test_a_line_that_does_not_decode_keeps_the_state_before_it() -> None:
    trace = next(t for t in read_traces(fixture("mixed.jsonl")) if t.id == "wsgi-hello")
    events = list(trace.events)
    events[2] = Event(events[2].seq, events[2].t_ns, UNREADABLE, {"$error": "step 2: not JSON"})
    states = StateWalk("wsgi", "http").follow(events)
    assert states[2].state is states[1].state and states[2].transition is None and not states[2].made
    assert StateWalk("wsgi", "http").follow([Event(0, 0, UNREADABLE, {})])[0].before is None
    assert StateWalk("asgi", "nothing").follow(events) == []
