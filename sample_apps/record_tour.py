"""Record the sample trace that `tracer learn` tours: the demo's requests, served by `tracer run`.

    python -m sample_apps.record_tour [--out FILE]

Runs the demo without its UI (``python -m sample_apps.demo --no-view``) and
writes the trace to ``tracer/data/tour.jsonl``, the file shipped in the package.
The tour finds its requests by method, path and protocol, so a new
recording needs no change to it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sample_apps import demo

SAMPLE = demo.ROOT / "tracer" / "data" / "tour.jsonl"
MAX_BYTES = 300 * 1024
"""The shipped file stays small: it is installed with every copy of tracer."""


def main(argv: list[str] | None = None) -> int:
    """Record the tour; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sample_apps.record_tour", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", metavar="FILE", default=str(SAMPLE), help=f"where to write it (default: {SAMPLE})")
    args = parser.parse_args(argv)
    status = demo.main(["--no-view", "--out", args.out])
    if status:
        return status
    size = Path(args.out).stat().st_size
    if size > MAX_BYTES:
        print(f"record_tour: {args.out} is {size:,} bytes, more than {MAX_BYTES:,}", file=sys.stderr)
        return 1
    print(f"record_tour: {args.out}, {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
