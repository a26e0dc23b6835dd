"""Each rule's broken example in the catalog is caught by its rule, at the event where it broke it."""

from __future__ import annotations

import pytest

from tracer.checks import check_trace
from tracer.checks.rules import RULES

from .catalog import Case, cases
from .drivers import run_asgi, run_wsgi

WSGI_CASES = cases("wsgi")
ASGI_CASES = cases("asgi")


def _finding(trace, rule):  # type: ignore[no-untyped-def]
    findings = check_trace(trace)
    matching = [f for f in findings if f.rule == rule]
    assert matching, f"{rule} not reported; got {[(f.rule, f.seq) for f in findings]}"
    return matching[0]


def _kind_at(trace, seq):  # type: ignore[no-untyped-def]
    return next(event.kind for event in trace.events if event.seq == seq)


@pytest.mark.parametrize("case", WSGI_CASES, ids=lambda case: case.rule)
def test_broken_wsgi_app_is_caught(case: Case) -> None:
    trace = run_wsgi(case.app, **case.options)
    finding = _finding(trace, case.rule)
    assert _kind_at(trace, finding.seq) == case.kind
    assert finding.severity == RULES[case.rule].severity
    assert finding.trace == trace.id
    assert finding.message.endswith(".") and "; " in finding.message


@pytest.mark.parametrize("case", ASGI_CASES, ids=lambda case: case.rule)
async def test_broken_asgi_app_is_caught(case: Case) -> None:
    trace = await run_asgi(case.app, case.scope, case.inputs)
    finding = _finding(trace, case.rule)
    assert _kind_at(trace, finding.seq) == case.kind
    assert finding.severity == RULES[case.rule].severity
    assert finding.trace == trace.id


def test_every_rule_has_a_broken_app() -> None:
    assert [rule.id for rule in RULES.values() if not rule.examples] == []
    covered = {case.rule for case in WSGI_CASES} | {case.rule for case in ASGI_CASES}
    assert sorted(set(RULES) - covered) == []


def test_each_protocol_has_at_most_one_example_of_a_rule() -> None:
    for rule in RULES.values():
        protocols = [example.protocol for example in rule.examples]
        assert sorted(protocols) == sorted(set(protocols)), rule.id
