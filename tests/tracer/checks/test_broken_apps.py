"""Each broken app in the corpus is caught by its rule, at the event where it broke it."""

from __future__ import annotations

import pytest

from tracer.checks import check_trace
from tracer.checks.rules import RULES

from . import broken_asgi, broken_wsgi
from .drivers import run_asgi, run_wsgi


def _finding(trace, rule):  # type: ignore[no-untyped-def]
    findings = check_trace(trace)
    matching = [f for f in findings if f.rule == rule]
    assert matching, f"{rule} not reported; got {[(f.rule, f.seq) for f in findings]}"
    return matching[0]


def _kind_at(trace, seq):  # type: ignore[no-untyped-def]
    return next(event.kind for event in trace.events if event.seq == seq)


@pytest.mark.parametrize("case", broken_wsgi.CASES, ids=lambda case: case.rule)
def test_broken_wsgi_app_is_caught(case: broken_wsgi.Case) -> None:
    trace = run_wsgi(case.app, **case.options)
    finding = _finding(trace, case.rule)
    assert _kind_at(trace, finding.seq) == case.kind
    assert finding.severity == RULES[case.rule].severity
    assert finding.trace == trace.id
    assert finding.message.endswith(".") and "; " in finding.message


@pytest.mark.parametrize("case", broken_asgi.CASES, ids=lambda case: case.rule)
async def test_broken_asgi_app_is_caught(case: broken_asgi.Case) -> None:
    trace = await run_asgi(case.app, case.scope, case.inputs)
    finding = _finding(trace, case.rule)
    assert _kind_at(trace, finding.seq) == case.kind
    assert finding.severity == RULES[case.rule].severity
    assert finding.trace == trace.id


def test_every_rule_has_a_broken_app() -> None:
    covered = {case.rule for case in broken_wsgi.CASES} | {case.rule for case in broken_asgi.CASES}
    assert sorted(set(RULES) - covered) == []
