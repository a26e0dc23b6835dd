"""`tracer diff A B`: what differs between two requests, or between two recorded sessions.

Each side is ``FILE#TRACE_ID`` (a unique prefix of the id, or its number, will do), or both
are whole files: their requests are paired by method, path and order, their
lifespan traces in order (one without a partner is left out, and counted).
Exit status: 0 when the exchanges are the same (timings aside), 1 when they
differ, 2 on bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from ..compare import (
    DEFAULT_IGNORED_HEADERS, SERVER_ADDRESS_HEADER, Comparison, compare, pair_lifespans, pair_summaries,
)
from ..errors import UsageError
from ..model import Trace
from .check import wants_colour, describe
from ._trace_ref import load_trace, open_index, parse_ref

_RED, _GREEN, _CYAN, _DIM, _BOLD = "31", "32", "36", "2", "1"
MAX_DETAIL_LINES = 40
"""Lines of a body diff the text report shows (``--json`` has them all)."""


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `diff` subcommand."""
    parser = subparsers.add_parser(
        "diff",
        help="compare two requests (FILE#TRACE_ID) or two trace files, phase by phase",
        description=(
            "Compare two requests phase by phase (request, body read, response started, body sent, end): status, "
            "headers, bodies, body pieces, event counts, websocket messages and the time spent in each phase. Each "
            "side is FILE#TRACE_ID (a unique prefix of the id, or its number, will do), or both are whole files, whose requests are "
            "paired by method, path and order, and their lifespan traces in order. Exit status: 0 same, 1 different, "
            "2 bad input."
        ),
    )
    parser.add_argument("a", metavar="A", help="FILE#TRACE_ID, or a whole trace file")
    parser.add_argument("b", metavar="B", help="FILE#TRACE_ID, or a whole trace file")
    add_compare_options(parser)
    parser.add_argument("--json", action="store_true", help="print the comparison as JSON")
    return parser


def add_compare_options(parser: argparse.ArgumentParser) -> None:
    """The options every comparing command shares (diff, replay)."""
    parser.add_argument(
        "--ignore-header",
        metavar="NAME",
        action="append",
        default=[],
        help=f"leave this header out of the comparison (repeat for more; left out by default: {_defaults(4)}, …)",
    )
    parser.add_argument(
        "--include-header",
        metavar="NAME",
        action="append",
        default=[],
        help=(
            "compare a header that is left out by default (repeat for more); --include-header host also compares "
            "the server's address (SERVER_NAME/SERVER_PORT, scope['server'])"
        ),
    )


def _defaults(count: int) -> str:
    return ", ".join(sorted(DEFAULT_IGNORED_HEADERS)[:count])


def ignored_headers(args: argparse.Namespace) -> frozenset[str]:
    """The header names a comparison leaves out: the defaults but those given with ``--include-header``, and those given with ``--ignore-header``.

    Raises:
        UsageError: an ``--include-header`` name that is compared anyway.
    """
    included = {name.strip().lower() for name in args.include_header if name.strip()}
    compared = sorted(included - DEFAULT_IGNORED_HEADERS)
    if compared:
        raise UsageError(
            f"--include-header: {compared[0]!r} is compared anyway; the headers left out by default are "
            f"{_defaults(len(DEFAULT_IGNORED_HEADERS))}"
        )
    return (DEFAULT_IGNORED_HEADERS - included) | {name.strip().lower() for name in args.ignore_header if name.strip()}


def run(args: argparse.Namespace) -> int:
    """Compare and print; returns the exit status."""
    left, right = parse_ref(args.a), parse_ref(args.b)
    if (left.trace_id is None) != (right.trace_id is None):
        raise UsageError("compare a trace with a trace (FILE#TRACE_ID FILE#TRACE_ID) or a file with a file (FILE FILE)")
    ignored = ignored_headers(args)
    out = sys.stdout
    if left.trace_id is not None:
        a, b = load_trace(left), load_trace(right)
        result = compare(a, b, ignore_headers=ignored)
        if args.json:
            out.write(json.dumps(result.to_dict(), indent=2, ensure_ascii=False) + "\n")
        else:
            write_comparison(result, out, colour=wants_colour(out), titles=(f"{describe(a)}  {left.path}", f"{describe(b)}  {right.path}"))
        return 0 if result.same else 1
    return _files(left.path, right.path, ignored, args.json, out)


def _files(path_a: str, path_b: str, ignored: frozenset[str], as_json: bool, out: IO[str]) -> int:
    index_a, index_b = open_index(path_a), open_index(path_b)
    summaries_a, summaries_b = index_a.in_start_order(), index_b.in_start_order()
    pairs, only_a, only_b = pair_summaries(summaries_a, summaries_b)
    lifespans, left_out_a, left_out_b = pair_lifespans(summaries_a, summaries_b)
    position = {id(summary): number for number, summary in enumerate(summaries_a)}
    pairs = sorted([*pairs, *lifespans], key=lambda pair: position[id(pair[0])])
    colour = wants_colour(out)
    results = []
    for summary_a, summary_b in pairs:
        a, b = index_a.read_trace(summary_a, strict=True), index_b.read_trace(summary_b, strict=True)
        result = compare(a, b, ignore_headers=ignored)
        results.append(result)
        if as_json:
            continue
        if result.same:
            print(f"{_paint('same', _GREEN, colour)}      {_pair_title(a, b)}", file=out)
        else:
            print(f"{_paint('differs', _RED, colour)}   {_pair_title(a, b)}", file=out)
            _write_differences(result, out, colour, indent="            ")
    same = all(result.same for result in results) and not only_a and not only_b
    if as_json:
        document = {
            "same": same,
            "pairs": [result.to_dict() for result in results],
            "only_a": [{"trace": s.id, "title": s.title} for s in only_a],
            "only_b": [{"trace": s.id, "title": s.title} for s in only_b],
            "left_out_a": [{"trace": s.id, "title": s.title} for s in left_out_a],
            "left_out_b": [{"trace": s.id, "title": s.title} for s in left_out_b],
        }
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        return 0 if same else 1
    for label, path, unpaired in (("A", path_a, only_a), ("B", path_b, only_b)):
        for summary in unpaired:
            print(f"{_paint('only in ' + label, _RED, colour)} {summary.title}  [trace {summary.id}] in {path}", file=out)
    differing = sum(not result.same for result in results)
    line = f"{len(results)} pair{'s' if len(results) != 1 else ''} compared: {len(results) - differing} same, {differing} different"
    if only_a or only_b:
        line += f"; {len(only_a)} only in A, {len(only_b)} only in B"
    if left_out_a or left_out_b:
        line += "; " + _lifespans_left_out(len(lifespans), len(left_out_a), len(left_out_b))
    print(line, file=out)
    return 0 if same else 1


def _lifespans_left_out(paired: int, left_out_a: int, left_out_b: int) -> str:
    """How many lifespan traces had no partner, and why that is no difference."""
    count = left_out_a + left_out_b
    has = {side: paired + left_out or "none" for side, left_out in (("A", left_out_a), ("B", left_out_b))}
    why = "one per server process" if paired else f"{'B' if left_out_a else 'A'}'s server ran no lifespan"
    return f"{count} lifespan trace{'s' if count != 1 else ''} left out (A has {has['A']}, B has {has['B']}: {why})"


def _pair_title(a: Trace, b: Trace) -> str:
    title = a.summary.title if a.summary.title == b.summary.title else f"{a.summary.title} ↔ {b.summary.title}"
    return f"{title}  [trace {a.id} ↔ {b.id}]"


def write_comparison(result: Comparison, out: IO[str], *, colour: bool = False, titles: tuple[str, str] | None = None) -> None:
    """Print a comparison for a person: both titles, the phases side by side, each difference, the notes, the verdict.

    Args:
        result: The comparison.
        out: Where to print.
        colour: Colour the verdict and the body diffs (a terminal without NO_COLOR).
        titles: A line for each side (default: its title and trace id).
    """
    labels = result.labels
    titles = titles or (f"{result.a.title}  [trace {result.a.id}]", f"{result.b.title}  [trace {result.b.id}]")
    width = max(len(label) for label in labels)
    for label, title in zip(labels, titles):
        print(f"{_paint(label.ljust(width), _BOLD, colour)}  {title}", file=out)
    print(file=out)
    print(_paint(f"{'phase':<18}" + "".join(f"  {label:<22}" for label in labels).rstrip(), _DIM, colour), file=out)
    for row in result.phases:
        cells = "".join(f"  {_events(count)} {_time(ns):>11}" for count, ns in zip(row.events, row.time_ns))
        print(f"{row.phase:<18}{cells}", file=out)
    print(file=out)
    count = len(result.differences)
    if count:
        print(f"{count} difference{'s' if count != 1 else ''}:", file=out)
        _write_differences(result, out, colour, indent="  ")
    for note in result.notes:
        print(_paint(f"note: {note}", _DIM, colour), file=out)
    verdict = _paint("same", _GREEN, colour) if result.same else _paint("different", _RED, colour)
    print(f"{verdict} (timings aside; headers not compared: {_ignored(result)})", file=out)


def _write_differences(result: Comparison, out: IO[str], colour: bool, *, indent: str) -> None:
    for difference in result.differences:
        print(f"{indent}{difference.phase:<17} {difference.message}", file=out)
        lines = difference.detail.splitlines()
        for line in lines[:MAX_DETAIL_LINES]:
            print(f"{indent}    {_diff_line(line, colour)}", file=out)
        if len(lines) > MAX_DETAIL_LINES:
            print(f"{indent}    … {len(lines) - MAX_DETAIL_LINES} more lines (--json has them all)", file=out)


def _diff_line(line: str, colour: bool) -> str:
    if line.startswith(("+++", "---")):
        return _paint(line, _BOLD, colour)
    if line.startswith("+"):
        return _paint(line, _GREEN, colour)
    if line.startswith("-"):
        return _paint(line, _RED, colour)
    if line.startswith("@@"):
        return _paint(line, _CYAN, colour)
    return line


def _ignored(result: Comparison) -> str:
    names = [
        "content-length (bodies compared)",
        *(f"{n} (and the server's address)" if n == SERVER_ADDRESS_HEADER else n
          for n in result.ignored_headers if n != "content-length"),
    ]
    shown = names[:5]
    return ", ".join(shown) + (f" and {len(names) - len(shown)} more" if len(names) > len(shown) else "")


def _events(count: int) -> str:
    return f"{count:>3} {'event' if count == 1 else 'events':<6}"


def _time(ns: int | None) -> str:
    if ns is None:
        return "-"
    return f"{ns / 1e6:.2f} ms" if ns < 10_000_000_000 else f"{ns / 1e9:.1f} s"


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text
