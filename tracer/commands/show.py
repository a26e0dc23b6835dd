"""`tracer show FILE [#TRACE_ID | FILTER]`: print recorded requests as text, step by step.

    tracer show traces.jsonl                    every request, one line each, and how to show one
    tracer show traces.jsonl '#3f2a'            one request (a unique prefix of its id will do)
    tracer show traces.jsonl#3f2a               the same, without quotes
    tracer show traces.jsonl '~c 5xx'           every request the filter matches, one after another
    tracer show traces.jsonl '#3f2a' --format markdown --spec

Quote ``#TRACE_ID``: a shell reads an unquoted word that starts with ``#`` as
a comment. Exit status: 0 when something was shown, 1 when no request matches
the filter, 2 on bad input (a missing file, an unknown or ambiguous id, a bad
filter).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from functools import partial
from typing import IO, Any

from ..checks import check_trace
from ..errors import UsageError
from ..filters import Deep, FilterError
from ..filters import parse as parse_filter
from ..index import TraceIndex
from ..payload import MAX_BODY
from ..show import FORMATS, SEPARATOR, request_line, safe_findings, show_trace
from ..summary import TraceSummary
from ._trace_ref import find_summary, open_index, parse_ref
from .check import wants_colour


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `show` subcommand."""
    parser = subparsers.add_parser(
        "show",
        help="print a request as text: every step, its payload, state and findings",
        description=(
            "Print recorded requests as text: a heading (status, timings, sizes), then every step with the replay's "
            "label and one-sentence explanation, what it carried, the protocol state after it and the findings of "
            "'tracer check' at it. Name one request with '#TRACE_ID' (quoted; a unique prefix will do) or "
            "FILE#TRACE_ID, or give a filter (as in the UI's list) to show every match; with neither, every "
            "request is listed, one line each. Exit status: 0 shown, 1 no request matches, 2 bad input."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="trace file (JSON Lines) written by tracer, or FILE#TRACE_ID")
    parser.add_argument(
        "selector",
        metavar="#TRACE_ID | FILTER",
        nargs="?",
        help="'#' and a trace id (or a unique prefix of it), or a filter such as '~c 5xx' or '~m POST ~u /api'",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text",
        help="text (default; coloured on a terminal unless NO_COLOR is set) or markdown (a table of steps, fenced payloads)",
    )
    parser.add_argument("--spec", action="store_true", help="add the PEP 3333 / ASGI sections behind each step, with links")
    parser.add_argument(
        "--max-body", metavar="BYTES", type=_bytes, default=MAX_BODY,
        help=f"bytes of each text body to show (default {MAX_BODY}; binary bodies show their first 64 bytes as hex)",
    )
    return parser


def _bytes(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of bytes: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"not a number of bytes: {text!r}")
    return value


def run(args: argparse.Namespace) -> int:
    """Show what the arguments name; returns the exit status."""
    ref = parse_ref(args.file)
    selector = args.selector
    if ref.trace_id is not None:
        if selector is not None:
            raise UsageError(f"name the trace once: {ref} or {ref.path} '#{ref.trace_id}', not both with {selector!r}")
        selector = "#" + ref.trace_id
    index = open_index(ref.path)
    out = sys.stdout
    if selector is None:
        write_list(index, out)
        return 0
    summaries = select(index, selector)
    if not summaries:
        total = len(index.summaries)
        print(f"tracer: no request in {ref.path} matches {selector!r} ({total} request{'s' if total != 1 else ''} in all)",
              file=sys.stderr)
        return 1
    colour = args.format == "text" and wants_colour(out)
    for number, summary in enumerate(summaries):
        if number:
            out.write(f"\n{SEPARATOR}\n\n" if args.format == "text" else "\n---\n\n")
        trace = index.read_trace(summary, strict=True)
        out.write(show_trace(trace, format=args.format, spec=args.spec, colour=colour, max_body=args.max_body))
    if len(summaries) > 1:
        out.write(f"\n{len(summaries)} requests match {selector!r}\n")
    return 0


def select(index: TraceIndex, selector: str) -> list[TraceSummary]:
    """The requests a selector names, in start order: ``#ID`` (or a unique prefix) names one, a filter every match.

    Raises:
        UsageError: No trace or several have an id starting with the given one; the filter does not parse
            (the message is the filter's own).
    """
    if selector.startswith("#"):
        trace_id = selector[1:].strip()
        if not trace_id:
            raise UsageError("name a trace after '#' ('#TRACE_ID'; a unique prefix of the id will do)")
        return [find_summary(index, trace_id)]
    return list(matching(index, selector))


def matching(index: TraceIndex, expression: str) -> Iterator[TraceSummary]:
    """The requests of `index` a filter expression matches, in start order (every request for an empty one).

    Raises:
        UsageError: The expression does not parse; the message is the filter's own.
    """
    try:
        compiled = parse_filter(expression)
    except FilterError as exc:
        raise UsageError(f"filter {expression!r}: {exc}") from None
    for summary in index.in_start_order():
        if compiled is None or compiled.matches(summary, partial(_deep, index, summary)):
            yield summary


def _deep(index: TraceIndex, summary: TraceSummary) -> Deep:
    lines = list(index.read_lines(summary))
    return Deep(partial(index.decode_lines, summary, lines), check_trace, lines)


def write_list(index: TraceIndex, out: IO[str], summaries: list[TraceSummary] | None = None) -> None:
    """One line per request (id, status, duration, findings, title), then how to show one."""
    summaries = index.in_start_order() if summaries is None else summaries
    if not summaries:
        out.write(f"{index.path} holds no requests yet\n")
        return
    width = max(len(summary.id) for summary in summaries)
    for summary in summaries:
        trace = index.read_trace(summary, strict=True)
        out.write(request_line(summary, safe_findings(trace), id_width=width) + "\n")
    count = len(summaries)
    out.write(
        f"\n{count} request{'s' if count != 1 else ''}. Show one: tracer show {index.path} '#ID' "
        f"(a unique prefix will do); every match of a filter: tracer show {index.path} '~c 5xx'\n"
    )
