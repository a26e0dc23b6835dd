"""`--tracer-check`: the findings of a test's traces, as a test failure pytest can report."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .checks import Finding, check_trace
from .commands.check import describe
from .model import Trace

_FAILING = {"error": ("error",), "warning": ("error", "warning")}


def check_report(traces: list[Trace], reported: set[tuple[str, int, str]], report: Any, threshold: str) -> None:
    """Check a test's traces after one of its phases; fail `report` on findings not reported before.

    A report that failed already (or an expected failure) keeps its outcome
    and gets the findings as a ``tracer check`` section.

    Args:
        traces: Every trace the test recorded so far.
        reported: Findings already reported for this test, as (trace id, seq, rule); updated.
        report: The phase's ``pytest.TestReport``.
        threshold: The least severity that fails: ``"error"`` or ``"warning"``.
    """
    failing = _FAILING[threshold]
    found: list[tuple[Trace, list[Finding]]] = []
    for trace in traces:
        # A trace still in progress (a stream the test never finished reading) is not a finding.
        findings = [
            finding
            for finding in check_trace(trace, live=not trace.complete)
            if finding.severity in failing and (trace.id, finding.seq, finding.rule) not in reported
        ]
        if findings:
            found.append((trace, findings))
            reported.update((trace.id, finding.seq, finding.rule) for finding in findings)
    if not found:
        return
    text = _findings_text(found, len(traces))
    if report.passed and not hasattr(report, "wasxfail"):
        trace, findings = found[0]
        headline = f"tracer check: {findings[0].rule} at step {findings[0].seq} of {trace.summary.title}"
        more = sum(len(group) for _, group in found) - 1
        if more:
            headline += f" and {more} more"
        path, lineno, _ = report.location
        report.outcome = "failed"
        report.longrepr = CheckFailure(text, _Crash(path, (lineno or 0) + 1, headline))
    else:
        report.sections.append(("tracer check", text))


def _findings_text(found: list[tuple[Trace, list[Finding]]], total: int) -> str:
    count = sum(len(group) for _, group in found)
    lines = [
        f"tracer check: {count} finding{'s' if count != 1 else ''} in {len(found)} of {total} "
        f"request{'s' if total != 1 else ''} recorded by `traced`",
        "",
    ]
    for trace, findings in found:
        lines.append(describe(trace))
        lines.extend(f"  step {f.seq:<3} {f.severity:<7} {f.rule}: {f.message}" for f in findings)
        lines.append("")
    return "\n".join(lines).rstrip("\n")


@dataclass(frozen=True)
class _Crash:
    """Where and why, in the shape pytest's short summary and JUnit XML read (``reprcrash``)."""

    path: str
    lineno: int
    message: str


class CheckFailure:
    """The failure of a test whose traces broke the protocol: the findings, and a one-line summary.

    Args:
        text: The findings, grouped by request.
        reprcrash: The one line pytest's short test summary shows.
    """

    def __init__(self, text: str, reprcrash: _Crash) -> None:
        self.text = text
        self.reprcrash = reprcrash

    def toterminal(self, tw: Any) -> None:
        """Write the findings (pytest's report protocol)."""
        tw.line(self.text)

    def __str__(self) -> str:
        return self.text
