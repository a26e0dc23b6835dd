"""`tracer export FILE --format har|chrome [--out PATH]`: take traces to other tools.

Streams: traces are read with `iter_traces` and written one by one, so a
file of any size exports in bounded memory. With ``--out`` the result is
written to ``PATH.part`` and renamed when complete, so a failed export
never leaves a half-written file under the real name.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import UsageError
from ..index import read_index
from .view import check_trace_file

FORMATS = ("har", "chrome")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `export` subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="export a trace file as HAR or as Chrome/Perfetto trace events",
        description=(
            "Export a trace file: 'har' (HAR 1.2, for browser devtools and mitmproxy) or 'chrome' "
            "(Trace Event Format JSON, for Perfetto and chrome://tracing)."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="trace file (JSON Lines) written by tracer")
    parser.add_argument("--format", "-f", choices=FORMATS, required=True, help="output format")
    parser.add_argument("--out", "-o", metavar="PATH", help="write here instead of to standard output")
    parser.add_argument(
        "--no-events",
        action="store_true",
        help="har: leave out the raw events (the _events field of each entry)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Export the file; returns the exit status."""
    check_trace_file(args.file)
    if args.out and os.path.abspath(args.out) == os.path.abspath(args.file):
        raise UsageError(f"{args.out}: the output would overwrite the trace file")
    if not args.out:
        stream = sys.stdout.buffer
        count = _write(args, stream)
        stream.flush()
        return 0
    part = args.out + ".part"
    try:
        with open(part, "wb") as stream:
            count = _write(args, stream)
        os.replace(part, args.out)
    except OSError as exc:
        _remove(part)
        raise UsageError(f"{args.out}: cannot write: {exc.strerror or exc}") from None
    except BaseException:
        _remove(part)
        raise
    what = "entries" if args.format == "har" else "traces"
    print(f"tracer: wrote {count} {what} to {args.out}", file=sys.stderr)
    return 0


def _write(args: argparse.Namespace, stream: Any) -> int:
    index = read_index(args.file)
    traces = (index.read_trace(summary, strict=True) for summary in index.in_start_order())
    if args.format == "har":
        from ..exporters.har import write_har

        return write_har(traces, stream, raw_events=not args.no_events)
    from ..exporters.chrome import write_chrome

    return write_chrome(traces, stream, name=os.path.basename(args.file))


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
