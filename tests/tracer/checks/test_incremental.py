"""`TraceCheck` fed a trace a few events at a time says what `check_trace` says of the events so far."""

from __future__ import annotations

import pytest

from tracer.checks import check_trace
from tracer.checks.incremental import TraceCheck
from tracer.model import Event, Trace

from .catalog import Case, cases
from .drivers import run_asgi, run_wsgi

WSGI_CASES = cases("wsgi")
ASGI_CASES = cases("asgi")
WHOLE: list[str] = []
"""Rules whose broken example needed the whole trace (the test below counts them)."""


def _agrees(trace: Trace, chunk: int) -> bool:
    """Feed `trace` `chunk` events at a time, comparing at each look; whether it never needed the whole trace."""
    check = TraceCheck(trace.id, trace.protocol, trace.scope_type, trace.started_at)
    for stop in range(0, len(trace.events), chunk):
        check.feed(trace.events[stop:stop + chunk])
        so_far = Trace(trace.id, trace.protocol, trace.scope_type, trace.started_at, trace.events[:stop + chunk])
        for live in (True, False):
            found = check.findings(live=live)
            if found is None:
                assert check.whole
                return False
            assert found == check_trace(so_far, live=live), (stop + chunk, live)
    assert check.events == len(trace.events)
    assert check.findings() == check_trace(trace)
    return True


@pytest.mark.parametrize("chunk", [1, 3])
@pytest.mark.parametrize("case", WSGI_CASES, ids=lambda case: case.rule)
def test_wsgi_cases_agree(case: Case, chunk: int) -> None:
    if not _agrees(run_wsgi(case.app, **case.options), chunk):
        WHOLE.append(case.rule)


@pytest.mark.parametrize("chunk", [1, 3])
@pytest.mark.parametrize("case", ASGI_CASES, ids=lambda case: case.rule)
async def test_asgi_cases_agree(case: Case, chunk: int) -> None:
    if not _agrees(await run_asgi(case.app, case.scope, case.inputs), chunk):
        WHOLE.append(case.rule)


def test_most_cases_are_checked_a_step_at_a_time() -> None:
    # Runs after the two above (file order): only a few rules look at the whole trace.
    # (Today: the rules whose framework cause any event may tell, a str body, events after the end.)
    assert 0 < len(set(WHOLE)) <= 10, sorted(set(WHOLE))
    assert "wsgi-input-read-no-size" not in WHOLE  # its cause is told by the environ alone


def test_a_message_not_recorded_needs_the_whole_trace() -> None:
    check = TraceCheck("t", "asgi", "http")
    check.feed([Event(0, 0, "asgi.scope", {"scope": {"type": "http"}})])
    assert check.findings(live=True) is not None
    check.feed([Event(1, 1, "asgi.send", {"$error": "could not record"})])
    assert check.findings(live=True) is None and check.whole


def test_an_event_after_the_end_needs_the_whole_trace() -> None:
    check = TraceCheck("t", "asgi", "lifespan")
    check.feed([Event(0, 0, "asgi.scope", {"scope": {"type": "lifespan"}}), Event(1, 1, "asgi.end", {})])
    assert check.findings() is not None
    check.feed([Event(2, 2, "asgi.end", {})])
    assert check.findings() is None


def test_an_unknown_protocol_has_no_findings() -> None:
    check = TraceCheck("t", "smtp", "http")
    check.feed([Event(0, 0, "smtp.helo", {})])
    assert check.findings() == [] == check_trace(Trace("t", "smtp", "http", 0.0, [Event(0, 0, "smtp.helo", {})]))


def test_werkzeugs_read_of_a_terminated_body_is_told_a_step_at_a_time() -> None:
    from werkzeug.test import Client

    from tracer import Recorder, WSGITracer

    from .test_framework_causes import call, flask_form_app

    rec = Recorder()
    call(Client(WSGITracer(flask_form_app(), sink=rec)), "POST", "/submit", data={"name": "Ann"},
         environ_overrides={"wsgi.input_terminated": True})
    (trace,) = rec.traces()
    assert _agrees(trace, 1)
    assert [(f.rule, f.cause) for f in check_trace(trace)] == [("wsgi-input-read-no-size", "Werkzeug")]
