"""`tracer check FILE`: report every WSGI/ASGI protocol mistake recorded in a trace file.

Exit status: 0 when no finding is an error, 1 when at least one is, 2 on bad
input (a missing or malformed file), so it can gate CI.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterable
from typing import IO, Any

from ..checks import Finding, check_trace
from ..checks.rules import RULES
from ..errors import UsageError
from ..index import read_index
from ..model import END_KINDS, Trace
from .view import check_trace_file

_ORDER = {"info": 0, "warning": 1, "error": 2}
# Severity colours for a terminal: bold red, yellow, cyan (SGR codes).
_COLOURS = {"error": "1;31", "warning": "33", "info": "36"}


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `check` subcommand."""
    parser = subparsers.add_parser(
        "check",
        help="find WSGI/ASGI protocol mistakes in a trace file",
        description=(
            "Check every trace in a trace file against the WSGI (PEP 3333) and ASGI rules and print the "
            "findings grouped by request. Exit status: 1 if any error was found, 0 otherwise, 2 on bad input."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="trace file (JSON Lines) written by tracer")
    parser.add_argument(
        "--json", action="store_true", help="print a JSON list of {trace, seq, rule, severity, message, cause}"
    )
    parser.add_argument(
        "--min-severity",
        choices=("info", "warning", "error"),
        default="info",
        help="leave out findings below this severity (the exit status still counts every error)",
    )
    parser.add_argument(
        "--ignore",
        metavar="RULE",
        action="append",
        default=[],
        help="leave out a rule entirely, also from the exit status (repeat for more; see docs/checks.md)",
    )
    parser.add_argument(
        "--all",
        action="store_true",
        help="print every trace with findings (by default a trace whose findings repeat an earlier one's is counted, not printed)",
    )
    parser.add_argument(
        "--skip-bad-lines",
        action="store_true",
        help="warn about unreadable lines and check the rest, instead of stopping at the first (exit 2)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Check the file and print the findings; returns the exit status."""
    check_trace_file(args.file)
    unknown = sorted(set(args.ignore) - set(RULES))
    if unknown:
        raise UsageError(f"--ignore: unknown rule {unknown[0]!r} (the rules are listed in docs/checks.md)")
    ignored = frozenset(args.ignore)
    counts: Counter[str] = Counter()
    requests = flagged = hidden = 0
    folded: dict[tuple[str, ...], list[Any]] = {}  # what repeats -> [first trace's title, how many more]
    shown = _ORDER[args.min_severity]
    out = sys.stdout
    # Findings for --json are kept (traces are not) and printed at the end, so bad input met
    # halfway through never leaves half a JSON document on stdout.
    collected: list[dict[str, Any]] = []
    colour = wants_colour(out)
    index = read_index(args.file, skip_bad_lines=args.skip_bad_lines)
    live = being_written(args.file)
    in_progress = 0
    for summary in index.in_start_order():
        trace = index.read_trace(summary, strict=not args.skip_bad_lines)
        requests += 1
        if live and not any(event.kind in END_KINDS for event in trace.events):
            in_progress += 1
        findings = [f for f in _check(trace, live) if f.rule not in ignored]
        counts.update(finding.severity for finding in findings)
        visible = [f for f in findings if _ORDER[f.severity] >= shown]
        hidden += len(findings) - len(visible)
        if visible:
            flagged += 1
        if args.json:
            collected.extend(_as_dict(finding) for finding in visible)
        elif visible:
            key = (trace.summary.method or "", trace.summary.path or "", *(f"{f.rule}@{f.seq}" for f in visible))
            if args.all or key not in folded:
                folded.setdefault(key, [describe(trace), 0])
                _print_group(trace, visible, out, colour=colour)
            else:
                folded[key][1] += 1
    if args.json:
        out.write("[" + ",".join("\n  " + json.dumps(item) for item in collected) + ("\n]\n" if collected else "]\n"))
    else:
        repeats = [(title, more) for title, more in folded.values() if more]
        for title, more in repeats:
            print(f"… and {more} more trace{'s' if more != 1 else ''} like {title.split('  [')[0]} (the same findings; --all prints them)", file=out)
        if repeats:
            print(file=out)
        line = _summary(requests, flagged, counts)
        if in_progress:
            line += f"; {in_progress} still in progress (a live process is writing the file)"
        if hidden:
            line += f"; {hidden} below --min-severity {args.min_severity} not shown"
        print(line, file=out)
    return 1 if counts["error"] else 0


def being_written(path: str) -> bool:
    """Whether a live process records into `path` (`tracer run`, or any app with the debugger on): its traces
    without an end may still be in progress rather than cut off."""
    from ..debug.paths import pid_alive, sockets_for

    return any(pid_alive(pid) for pid, _ in sockets_for(path))


def _check(trace: Trace, live: bool) -> list[Finding]:
    try:
        return check_trace(trace, live=live)
    except Exception as exc:  # noqa: BLE001 - one odd trace must not hide the findings of the others
        print(f"tracer: warning: trace {trace.id}: could not be checked ({type(exc).__name__}: {exc})", file=sys.stderr)
        return []


def _as_dict(finding: Finding) -> dict[str, Any]:
    return {
        "trace": finding.trace,
        "seq": finding.seq,
        "rule": finding.rule,
        "severity": finding.severity,
        "message": finding.message,
        "cause": finding.cause,
    }


def describe(trace: Trace) -> str:
    """A one-line title for a trace: method, path with query, status (and close code), protocol and id."""
    summary = trace.summary
    suffix = f" -> {summary.status}" if summary.status is not None else ""
    if summary.close_code is not None:
        suffix += f" (closed {summary.close_code})"
    if summary.stopped:
        suffix += f" (stopped: {summary.stopped})"
    missing = trace.missing_steps
    if missing:
        steps = ", ".join(map(str, missing[:5])) + (", …" if len(missing) > 5 else "")
        suffix += f" (step{'s' if len(missing) > 1 else ''} {steps} unreadable: end-of-request checks skipped)"
    return f"{summary.title}{suffix}  [{trace.protocol} {trace.scope_type}, trace {trace.id}]"


def safely(get: Any) -> Any:
    """`get()`, or None when a malformed trace makes it fail."""
    try:
        return get()
    except Exception:  # noqa: BLE001 - a bad value in one trace must not stop the report
        return None


def wants_colour(out: IO[str]) -> bool:
    """Colour only on a terminal, and never with NO_COLOR set or TERM=dumb (CI logs stay plain text)."""
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    try:
        return out.isatty()
    except (AttributeError, ValueError):
        return False




def _print_group(trace: Trace, findings: Iterable[Finding], out: IO[str], *, colour: bool = False) -> None:
    print(describe(trace), file=out)
    for finding in findings:
        severity = f"{finding.severity:<7}"
        if colour:
            severity = f"\x1b[{_COLOURS[finding.severity]}m{severity}\x1b[0m"
        print(f"  step {finding.seq:<3} {severity} {finding.rule}: {finding.message}", file=out)
    print(file=out)


def _summary(requests: int, flagged: int, counts: Counter[str]) -> str:
    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'' if n == 1 else 's'}"

    return (
        f"{plural(requests, 'trace')} checked, {flagged} with findings: "
        f"{plural(counts['error'], 'error')}, {plural(counts['warning'], 'warning')}, {counts['info']} info"
    )
