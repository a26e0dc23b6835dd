"""The state machines and `tracer check` agree on every broken example of the catalog and on every fixture.

The checks report the mistakes the machines name, so a finding about order
sits on a step whose state makes it a mistake: a message after the
response was complete on a step whose state is complete, and so on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tracer import read_traces
from tracer.checks import check_trace
from tracer.model import Trace
from tracer.states import MACHINES, HTTPState, LifespanState, State, WSGIState, WSState, states_of

from . import broken_asgi as b
from .agreement import ORDER_RULES, assert_agree
from .catalog import Case, cases
from .drivers import lifespan_scope, run_asgi, run_wsgi, ws_scope

FIXTURES = Path(__file__).parents[2] / "fixtures"
_DENIAL = {"extensions": {"websocket.http.response": {}}}
_DENY = [{"type": "websocket.http.response.start", "status": 403, "headers": []},
         {"type": "websocket.http.response.body", "body": b"no", "more_body": True},
         {"type": "websocket.http.response.body", "body": b""}]
_STARTUP, _SHUTDOWN = {"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}



async def _failing_shutdown(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "lifespan.startup.complete"})
    await receive()
    await send({"type": "lifespan.shutdown.failed", "message": "pool did not close"})


# Correct exchanges that reach the states no broken example needs.
EXTRA_ASGI: list[tuple[str, Any, dict[str, Any], list[dict[str, Any]]]] = [
    ("denial response", b.ws(*_DENY), ws_scope(**_DENIAL), [b.CONNECT]),
    ("closed before accept", b.ws({"type": "websocket.close"}), ws_scope(), [b.CONNECT]),
    ("startup failed", b.sends({"type": "lifespan.startup.failed", "message": "no database"}, receive_first=1),
     lifespan_scope(), [_STARTUP]),
    ("shutdown failed", _failing_shutdown, lifespan_scope(), [_STARTUP, _SHUTDOWN]),
]


async def _every_trace() -> list[Trace]:
    traces = [run_wsgi(case.app, **case.options) for case in cases("wsgi")]
    traces += [await run_asgi(case.app, case.scope, case.inputs) for case in cases("asgi")]
    traces += [await run_asgi(app, scope, inputs) for _, app, scope, inputs in EXTRA_ASGI]
    return traces + read_traces(FIXTURES / "mixed.jsonl")


@pytest.mark.parametrize("case", cases("wsgi"), ids=lambda case: case.rule)
def test_wsgi_example_agrees(case: Case) -> None:
    assert_agree(run_wsgi(case.app, **case.options))


@pytest.mark.parametrize("case", cases("asgi"), ids=lambda case: case.rule)
async def test_asgi_example_agrees(case: Case) -> None:
    assert_agree(await run_asgi(case.app, case.scope, case.inputs))


def test_fixtures_agree() -> None:
    for trace in read_traces(FIXTURES / "mixed.jsonl"):
        assert_agree(trace)


@pytest.mark.parametrize(("name", "app", "scope", "inputs"), EXTRA_ASGI, ids=[extra[0] for extra in EXTRA_ASGI])
async def test_extra_exchanges_are_clean_and_agree(name: str, app: Any, scope: dict[str, Any], inputs: Any) -> None:
    trace = await run_asgi(app, scope, inputs)
    assert [f.rule for f in check_trace(trace) if f.severity != "info"] == []
    assert_agree(trace)


async def test_findings_about_order_sit_on_the_state_that_makes_them_mistakes() -> None:
    where: dict[str, set[State]] = {
        "asgi-send-after-complete": {HTTPState.COMPLETE},
        "asgi-send-after-disconnect": {HTTPState.DISCONNECTED},
        "asgi-body-before-start": {HTTPState.AWAITING_BODY, HTTPState.BODY_READ},
        "asgi-trailers-missing": {HTTPState.TRAILERS},
        "ws-send-after-close": {WSState.CLOSING, WSState.DENIED},
        "ws-send-after-disconnect": {WSState.CLOSED},
        "ws-send-before-accept": {WSState.CONNECTING},
        "wsgi-body-before-start": {WSGIState.CALLED},
        "wsgi-iterate-after-close": {WSGIState.CLOSED},
        "lifespan-startup-no-reply": {LifespanState.STARTING},
    }
    seen = set()
    for trace in await _every_trace():
        steps = {step.seq: step for step in states_of(trace)}
        for finding in check_trace(trace):
            if finding.rule in where:
                seen.add(finding.rule)
                step = steps[finding.seq]
                # A mistake makes no transition: the state before and after is the one that forbids it.
                assert step.before in where[finding.rule] and step.state in where[finding.rule], (finding, step)
    assert seen == set(where)


async def test_every_state_is_reached_and_every_order_rule_is_seen() -> None:
    reached: set[State] = set()
    made: set[str] = set()
    for trace in await _every_trace():
        for step in states_of(trace):
            reached.add(step.state)
            made.update(m.rule for m in step.made)
    every = {state for machine in MACHINES.values() for state in machine.states}
    assert sorted(s.label for s in every - reached) == []
    assert sorted(ORDER_RULES - made) == []


async def test_unread_request_body_matches_the_finding() -> None:
    case = next(c for c in cases("wsgi") if c.rule == "wsgi-input-unread")
    trace = run_wsgi(case.app, **case.options)
    assert "wsgi-input-unread" in {f.rule for f in check_trace(trace)}
    body = states_of(trace)[-1].request_body
    assert body is not None and (body.declared, body.read, body.unread) == (10, 3, 7)
