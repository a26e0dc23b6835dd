"""Shared assertion for the correct-apps corpus: clean, and the state panel agrees with the checks."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tracer.checks import check_trace
from tracer.model import Trace

from .agreement import assert_agree


def assert_clean(traces: Iterable[Trace], *, expect: int | None = None) -> None:
    """No errors or warnings in any trace (info findings are allowed), every trace complete, states and checks agreeing."""
    traces = list(traces)
    if expect is not None:
        assert len(traces) == expect, [(t.method, t.path) for t in traces]
    problems = []
    for trace in traces:
        assert trace.complete, (trace.method, trace.path, [e.kind for e in trace.events])
        findings = check_trace(trace)
        assert_agree(trace, findings)
        for finding in findings:
            if finding.severity != "info":
                problems.append(f"{trace.method} {trace.path} step {finding.seq}: {finding.rule}: {finding.message}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def clean() -> object:
    return assert_clean
