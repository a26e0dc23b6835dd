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
        kept.seq, kept.state, kept.before, kept.transition, kept.made, kept.framing, kept.request_body, kept.phase
    ) == (
        expected.seq, expected.state, expected.before, expected.transition, expected.made, expected.framing,
        expected.request_body, expected.phase,
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


def _asgi_raising_after_complete() -> list[Event]:
    send = [{"type": "http.response.start", "status": 200, "headers": []}, {"type": "http.response.body", "body": b"ok"}]
    return [
        Event(0, 0, "asgi.scope", {"scope": {"type": "http", "method": "GET", "headers": []}}),
        *(Event(seq, seq, "asgi.send", {"message": message}) for seq, message in enumerate(send, 1)),
        Event(3, 3, "asgi.error", {"type": "RuntimeError", "message": "late"}),
        Event(4, 4, "asgi.end", {}),
    ]


def test_after_the_app_raised_only_the_end_may_follow_and_after_the_end_nothing() -> None:
    walk = StateWalk("asgi", "http")
    machine = walk.machine
    assert machine is not None
    timeline = StateTimeline(machine)
    timeline.add(walk.follow(_asgi_raising_after_complete()))
    complete, raised, end = (timeline.at(step) for step in (2, 3, 4))
    assert complete is not None and raised is not None and end is not None
    # The state alone stays 'complete' through the error and the end; what may follow does not.
    assert complete.state is raised.state is end.state
    assert any(line.startswith("return") for line in complete.may)
    assert raised.may == machine.may_raised and raised.may[0].startswith("only the end")
    assert end.may == ("nothing: the exchange is over",)
    assert not any("return" in line for line in (*raised.may, *end.may))
    assert complete.must_not and not raised.must_not and not end.must_not
    # Kept where it changes, like the framing: three phases, three entries.
    assert [phase for _, phase in timeline._all.phase] == ["", "raised", "ended"]


def test_a_held_step_after_an_error_keeps_the_phase_it_waits_in() -> None:
    walk = StateWalk("asgi", "http")
    states = walk.follow(_asgi_raising_after_complete()[:4])
    assert walk.machine is not None
    held = step_states.held_state(walk.machine, states[-1], 4)
    assert held.phase == "raised" and held.may == walk.machine.may_raised


def test_a_wsgi_app_that_raised_waits_for_close_and_the_end() -> None:
    trace = next(t for t in read_traces(fixture("mixed.jsonl")) if t.id == "wsgi-error")
    called, raised, end = states_of(trace)
    assert "raise: the server answers with a 500 error page" in called.may
    assert any("close()" in line for line in raised.may)
    assert end.may == ("nothing: the exchange is over",)
