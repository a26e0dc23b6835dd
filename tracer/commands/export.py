"""`tracer export FILE [--format har|chrome] [--out PATH]`: take traces to other tools.

Streams: the file is indexed first, then traces are read back one by one in
the order they started and written as they are read, so a file of any size
exports in bounded memory. With ``--out`` the result is
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
    parser.add_argument(
        "--format", "-f", choices=FORMATS, help="output format (default: from --out's suffix, .har or .json)"
    )
    parser.add_argument(
        "--out", "-o", metavar="PATH", help="write here (readable by its owner only) instead of to standard output"
    )
    parser.add_argument(
        "--events",
        action="store_true",
        help="har: keep every raw event in each entry's _events field (left out by default: it doubles the size)",
    )
    parser.add_argument("--no-events", action="store_true", help=argparse.SUPPRESS)  # the default since 0.2
    return parser


SUFFIXES = {".har": "har", ".json": "chrome"}
"""The format an ``--out`` file's suffix implies."""


def _format(args: argparse.Namespace) -> str:
    if args.format:
        return str(args.format)
    suffix = os.path.splitext(args.out or "")[1].lower()
    if suffix in SUFFIXES:
        return SUFFIXES[suffix]
    if args.out:
        raise UsageError(f"--out {args.out}: cannot tell the format from its suffix; add --format har or --format chrome")
    raise UsageError("--format is needed when writing to standard output (har or chrome)")


def run(args: argparse.Namespace) -> int:
    """Export the file; returns the exit status."""
    check_trace_file(args.file)
    args.format = _format(args)
    if args.out and os.path.abspath(args.out) == os.path.abspath(args.file):
        raise UsageError(f"{args.out}: the output would overwrite the trace file")
    if not args.out:
        stream = sys.stdout.buffer
        count = _write(args, stream)
        stream.flush()
        return 0
    part = args.out + ".part"
    try:
        # The export holds the same bodies and headers as the trace: owner only, like the trace file.
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), 0o600)
        with os.fdopen(fd, "wb") as stream:
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

        return write_har(traces, stream, raw_events=args.events and not args.no_events)
    from ..exporters.chrome import write_chrome

    return write_chrome(traces, stream, name=os.path.basename(args.file))


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
