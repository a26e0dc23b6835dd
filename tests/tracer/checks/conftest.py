"""Shared assertion for the correct-apps corpus."""

from __future__ import annotations

from collections.abc import Iterable

import pytest

from tracer.checks import check_trace
from tracer.model import Trace


def assert_clean(traces: Iterable[Trace], *, expect: int | None = None) -> None:
    """No errors or warnings in any trace (info findings are allowed), and every trace complete."""
    traces = list(traces)
    if expect is not None:
        assert len(traces) == expect, [(t.method, t.path) for t in traces]
    problems = []
    for trace in traces:
        assert trace.complete, (trace.method, trace.path, [e.kind for e in trace.events])
        for finding in check_trace(trace):
            if finding.severity != "info":
                problems.append(f"{trace.method} {trace.path} step {finding.seq}: {finding.rule}: {finding.message}")
    assert not problems, "\n".join(problems)


@pytest.fixture
def clean() -> object:
    return assert_clean
