"""`tracer export FILE [--format har|chrome|otlp] [--out PATH | --endpoint URL]`: take traces to other tools.

The file is indexed first (a summary and line offsets per trace), then traces
are read back one by one in the order they started and written as they are
read, so memory grows with the number of traces, not their size. With ``--out`` the result is
written to ``PATH.part`` and renamed when complete, so a failed export
never leaves a half-written file under the real name. With ``--endpoint``
(OTLP only) the spans go to an OpenTelemetry collector instead, in batches.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from ..errors import UsageError
from ..index import read_index
from ..otlp_sink import INSTALL_HINT
from .view import check_trace_file

FORMATS = ("har", "chrome", "otlp")


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `export` subcommand."""
    parser = subparsers.add_parser(
        "export",
        help="export a trace file as HAR, Chrome/Perfetto trace events or OpenTelemetry spans",
        description=(
            "Export a trace file: 'har' (HAR 1.2, for browser devtools and mitmproxy), 'chrome' "
            "(Trace Event Format JSON, for Perfetto and chrome://tracing) or 'otlp' (OpenTelemetry "
            "spans as OTLP/JSON, or sent to a collector with --endpoint)."
        ),
    )
    parser.add_argument("file", metavar="FILE", help="trace file (JSON Lines) written by tracer")
    parser.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        help="output format (default: from --out's suffix, .har, .json or .otlp.json; otlp with --endpoint)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--out", "-o", metavar="PATH", help="write here (readable by its owner only) instead of to standard output"
    )
    where.add_argument(
        "--endpoint",
        metavar="URL",
        help="otlp: send the spans over OTLP/HTTP to the collector at URL (http://127.0.0.1:4318) "
        f"instead of writing them (needs {INSTALL_HINT})",
    )
    parser.add_argument(
        "--service-name",
        metavar="NAME",
        help="otlp: the service.name of the spans (default: $OTEL_SERVICE_NAME or 'tracer')",
    )
    parser.add_argument(
        "--events",
        action="store_true",
        help="har: keep every raw event in each entry's _events field (left out by default: it doubles the size)",
    )
    parser.add_argument("--no-events", action="store_true", help=argparse.SUPPRESS)  # the default since 0.2
    return parser


SUFFIXES = {".otlp.json": "otlp", ".har": "har", ".json": "chrome"}
"""The format an ``--out`` file's suffix implies (the first that matches)."""


def _format(args: argparse.Namespace) -> str:
    if args.endpoint:
        if args.format not in (None, "otlp"):
            raise UsageError(f"--endpoint sends OpenTelemetry spans; it does not go with --format {args.format}")
        return "otlp"
    if args.format:
        return str(args.format)
    name = (args.out or "").lower()
    for suffix, implied in SUFFIXES.items():
        if name.endswith(suffix):
            return implied
    if args.out:
        raise UsageError(f"--out {args.out}: cannot tell the format from its suffix; add --format har, chrome or otlp (or name it .har, .json or .otlp.json)")
    raise UsageError("--format is needed when writing to standard output (har, chrome or otlp)")


def run(args: argparse.Namespace) -> int:
    """Export the file; returns the exit status."""
    check_trace_file(args.file)
    args.format = _format(args)
    if args.endpoint:
        return _send(args)
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
    what = {"har": "entries", "otlp": "spans"}.get(args.format, "traces")
    print(f"tracer: wrote {count} {what} to {args.out}", file=sys.stderr)
    return 0


def _write(args: argparse.Namespace, stream: Any) -> int:
    index = read_index(args.file)
    traces = (index.read_trace(summary, strict=True) for summary in index.in_start_order())
    if args.format == "har":
        from ..exporters.har import write_har

        return write_har(traces, stream, raw_events=args.events and not args.no_events)
    if args.format == "otlp":
        from ..exporters.otlp import write_otlp_json
        from ..otlp_sink import default_service_name

        return write_otlp_json(traces, stream, service_name=args.service_name or default_service_name())
    from ..exporters.chrome import write_chrome

    return write_chrome(traces, stream, name=os.path.basename(args.file))


def _send(args: argparse.Namespace) -> int:
    """Send the spans to a collector; a collector that cannot be reached or refuses them is one line and exit 1."""
    from ..otlp_sink import CollectorError, send_otlp, traces_url

    url = traces_url(args.endpoint)
    index = read_index(args.file)
    total = len(index.summaries)
    traces = (index.read_trace(summary, strict=True) for summary in index.in_start_order())
    live = sys.stderr.isatty()

    def progress(sent: int) -> None:
        if live:
            print(f"\rtracer: sent {sent} of {total} spans to {url}", end="", file=sys.stderr, flush=True)

    try:
        sent = send_otlp(traces, args.endpoint, service_name=args.service_name, progress=progress)
    except CollectorError as exc:
        print(("\r\x1b[K" if live else "") + f"tracer: error: {exc}", file=sys.stderr)
        return 1
    print(("\r\x1b[K" if live else "") + f"tracer: sent {sent} spans to {url}", file=sys.stderr)
    return 0


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass
