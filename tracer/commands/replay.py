"""`tracer replay FILE#TRACE_ID --app MODULE:ATTR`: play a recorded request into the app again, in this process.

The client's side of the recorded exchange (environ and the exact input
bytes, or scope and every ``receive()`` message) is played into the app with
no network, the new exchange is recorded and compared with the recorded one.
With a whole FILE (or ``--all``), every http and websocket trace of it is
replayed in the order they started, as a regression check, and a table says
which still behave the same. Exit status: 0 same, 1 different, 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any

from ..client_side import ReplayError
from ..compare import Comparison
from ..detect import NotAnApp, app_protocol
from ..errors import UsageError
from ..jsonl import JsonlSink
from ..loader import load_app
from ..redrive import Redriver
from .check import wants_colour, describe
from .diff import _paint, add_compare_options, ignored_headers, write_comparison
from ._trace_ref import TraceRef, load_trace, open_index, parse_ref

TITLE_WIDTH = 40


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `replay` subcommand."""
    parser = subparsers.add_parser(
        "replay",
        help="play a recorded request into the app again, in-process, and diff the new exchange against it",
        description=(
            "Rebuild the client's side of a recorded request (WSGI: the environ and the exact input bytes; ASGI: the "
            "scope and every receive() message, more_body split and disconnect included; websocket: the client's "
            "messages in order), play it into the app in this process with no network, record the new exchange and "
            "compare it with the recorded one. A WSGI recording plays into an ASGI app and back. Given a whole FILE "
            "(or --all), every http and websocket trace is replayed in start order. "
            "Exit status: 0 same, 1 different, 2 bad input."
        ),
    )
    parser.add_argument("trace", metavar="FILE#TRACE_ID", help="the recorded request (a unique prefix of the id, or its number, will do), or a whole FILE")
    parser.add_argument("--app", metavar="MODULE:ATTR", required=True, help="the app to play it into (as for tracer run)")
    parser.add_argument("--factory", action="store_true", help="MODULE:ATTR is an app factory: call it with no arguments for the app")
    parser.add_argument("--all", action="store_true", help="replay every http and websocket trace of FILE")
    parser.add_argument(
        "--header",
        "-H",
        metavar="'NAME: VALUE'",
        action="append",
        default=[],
        help="send this value instead of the recorded one wherever the recording has this header: the values it redacted (repeatable)",
    )
    add_compare_options(parser)
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--out", metavar="FILE", help="also append the new traces to this trace file")
    parser.add_argument(
        "--timeout", type=float, default=10.0, metavar="S",
        help="seconds an ASGI app may wait for a message the recording does not have (default: 10)",
    )
    protocol = parser.add_mutually_exclusive_group()
    protocol.add_argument("--wsgi", dest="protocol", action="store_const", const="wsgi", help="the app is WSGI (skip detection)")
    protocol.add_argument("--asgi", dest="protocol", action="store_const", const="asgi", help="the app is ASGI (skip detection)")
    return parser


def parse_headers(values: list[str]) -> list[tuple[str, str]]:
    """``'Name: value'`` options as pairs.

    Raises:
        UsageError: A value without a name and a colon.
    """
    headers = []
    for value in values:
        name, colon, text = value.partition(":")
        if not colon or not name.strip() or any(ch.isspace() for ch in name.strip()):
            raise UsageError(f"--header {value!r}: write it as 'Name: value'")
        headers.append((name.strip(), text.strip()))
    return headers


def run(args: argparse.Namespace) -> int:
    """Replay and compare; returns the exit status."""
    ref = parse_ref(args.trace)
    if args.all and ref.trace_id is not None:
        raise UsageError("--all replays a whole file: give FILE, not FILE#TRACE_ID")
    if args.timeout <= 0:
        raise UsageError(f"--timeout {args.timeout:g}: give a number of seconds above 0")
    headers = parse_headers(args.header)
    index = open_index(ref.path)
    app = load_app(args.app, factory=args.factory)
    try:
        protocol = args.protocol or app_protocol(app)
    except NotAnApp as exc:
        raise UsageError(f"{exc}{'; if it makes the app, add --factory' if exc.factory else ''}") from None
    sink = JsonlSink(args.out) if args.out else None
    try:
        with Redriver(app, protocol=protocol, headers=headers, timeout=args.timeout, sink=sink) as redriver:
            if ref.trace_id is not None:
                return _one(redriver, load_trace(ref, index), args)
            return _all(redriver, ref, index, args)
    finally:
        if sink is not None:
            sink.close()


def _one(redriver: Redriver, recorded: Any, args: argparse.Namespace) -> int:
    replay = redriver.replay(recorded)
    _warn_missing(replay.missing_headers)
    result = replay.compare(ignore_headers=ignored_headers(args))
    out = sys.stdout
    if args.json:
        document = {**result.to_dict(), "missing_headers": replay.missing_headers}
        out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    else:
        target = f"{args.app} ({redriver.protocol}, no network)  [trace {replay.trace.id}]"
        write_comparison(result, out, colour=wants_colour(out), titles=(describe(recorded), target))
    return 0 if result.same else 1


def _all(redriver: Redriver, ref: TraceRef, index: Any, args: argparse.Namespace) -> int:
    out = sys.stdout
    colour = wants_colour(out) and not args.json
    rows: list[dict[str, Any]] = []
    missing: set[str] = set()
    lifespan = 0
    if not args.json:
        print(f"{'#':>4}  {'request':<{TITLE_WIDTH}} {'recorded':>8} {'replayed':>8}  result", file=out)
    for summary in index.in_start_order():
        if summary.scope_type == "lifespan":
            lifespan += 1
            continue
        number = len(rows) + 1
        recorded = index.read_trace(summary, strict=True)
        row: dict[str, Any] = {"trace": summary.id, "title": summary.title}
        try:
            replay = redriver.replay(recorded)
        except ReplayError as exc:
            row.update(result="skipped", reason=str(exc), recorded=_status(summary), replayed="-")
            rows.append(row)
            if not args.json:
                _row(out, number, row, [], colour)
            continue
        missing.update(replay.missing_headers)
        result = replay.compare(ignore_headers=ignored_headers(args))
        row.update(result="same" if result.same else "different", recorded=_status(summary), replayed=_status(replay.trace.summary))
        if args.json:
            row["comparison"] = {**result.to_dict(), "missing_headers": replay.missing_headers}
        rows.append(row)
        if not args.json:
            _row(out, number, row, _lines(result), colour)
    _warn_missing(sorted(missing))
    counts = {kind: sum(row["result"] == kind for row in rows) for kind in ("same", "different", "skipped")}
    if args.json:
        out.write(json.dumps({"same": counts["different"] == 0, "replays": rows}, indent=2, ensure_ascii=False) + "\n")
    else:
        line = f"{len(rows)} trace{'s' if len(rows) != 1 else ''} replayed into {args.app}: {counts['same']} same, {counts['different']} different"
        if counts["skipped"]:
            line += f", {counts['skipped']} could not be replayed"
        if lifespan:
            line += f" ({lifespan} lifespan trace{'s' if lifespan != 1 else ''} left out)"
        print(line, file=out)
    return 1 if counts["different"] else 0


def _row(out: IO[str], number: int, row: dict[str, Any], lines: list[str], colour: bool) -> None:
    title = row["title"] if len(row["title"]) <= TITLE_WIDTH else row["title"][: TITLE_WIDTH - 1] + "…"
    verdict = row["result"] if row["result"] != "skipped" else f"skipped: {row['reason']}"
    verdict = _paint(verdict, "32" if row["result"] == "same" else "31", colour)
    print(f"{number:>4}  {title:<{TITLE_WIDTH}} {row['recorded']:>8} {row['replayed']:>8}  {verdict}", file=out)
    for line in lines:
        print(f"{'':>6}{line}", file=out)


def _lines(result: Comparison, most: int = 5) -> list[str]:
    lines = [f"{d.phase}: {d.message}" for d in result.differences[:most]]
    if len(result.differences) > most:
        lines.append(f"… and {len(result.differences) - most} more (tracer replay FILE#TRACE_ID --app … shows them all)")
    return lines


def _status(summary: Any) -> str:
    status = "-" if summary.status is None else str(summary.status)
    return f"{status}/{summary.close_code}" if summary.close_code is not None else status


def _warn_missing(names: list[str]) -> None:
    for name in names:
        print(f"tracer: warning: {name} was redacted in the recording and is not sent; supply it with --header '{name}: …'", file=sys.stderr)
