"""Instructions per request, counted by valgrind's callgrind: the tracer against the minimal recorder, without noise.

Timed benchmarks on a shared machine vary from run to run; the number of
instructions a request executes does not. For each scenario of
`overhead.py` and each variant (the bare app, the app in the tracer with a
`JsonlSink`, the minimal recorder of `minimal.py`), a fresh process under
callgrind makes a warm-up of 500 requests and then `N` more, once with
`N = --requests` and once with twice as many; the difference of the two
totals, divided by the difference of the counts, is what one request costs
(start-up, imports and the warm-up cancel). The overheads are the variants'
counts minus the bare app's.

    python bench/instructions.py                  # all four scenarios, 1,000 requests
    python bench/instructions.py --cache          # also instruction-cache (I1) and data-cache (D1) read misses
    python bench/instructions.py --scenario wsgi-realistic

``--cache`` simulates the caches of this machine's CPU (slower): where the
tracer and the minimal recorder run about as many instructions but take
different times, the misses show why. Needs valgrind (``apt-get install
valgrind``) and the bench extra: ``make bench`` installs it in both venvs
(into the compiled one with the wheel, so that it stays compiled; an
editable install there would make it pure Python). Run it with the
interpreter whose tracer you want to count: ``python bench/instructions.py``
counts the pure build, ``.venv-compiled/bin/python bench/instructions.py``
the compiled one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any

SCENARIOS = ("wsgi-hello", "wsgi-realistic", "asgi-hello", "asgi-realistic")
VARIANTS = ("bare app", "tracer + JsonlSink", "minimal recorder")
_WARM_UP = 500
_BATCH = 100


def drive(scenario: str, variant: str, requests: int, directory: str) -> None:
    """Make the warm-up and then `requests` requests of `scenario` through `variant` (run under callgrind)."""
    from minimal import MinimalASGI, MinimalWSGI
    from overhead import run_asgi, run_wsgi
    from scenarios import asgi_hello, asgi_realistic, wsgi_environ, wsgi_hello, wsgi_realistic

    from tracer import ASGITracer, JsonlSink, WSGITracer

    protocol, kind = scenario.split("-")
    realistic = kind == "realistic"
    sink = JsonlSink(os.path.join(directory, "tracer.jsonl"), flush_interval=3600)
    minimal_path = os.path.join(directory, "minimal.jsonl")
    if protocol == "wsgi":
        app: Any = wsgi_realistic if realistic else wsgi_hello
        wrapped = {"tracer + JsonlSink": lambda: WSGITracer(app, sink=sink), "minimal recorder": lambda: MinimalWSGI(app, minimal_path)}
        target = wrapped[variant]() if variant in wrapped else app
        make_environ = wsgi_environ(realistic)

        def batch() -> None:
            run_wsgi(target, make_environ, _BATCH)
    else:
        app = asgi_realistic if realistic else asgi_hello
        wrapped = {"tracer + JsonlSink": lambda: ASGITracer(app, sink=sink), "minimal recorder": lambda: MinimalASGI(app, minimal_path)}
        target = wrapped[variant]() if variant in wrapped else app
        loop = asyncio.new_event_loop()

        def batch() -> None:
            loop.run_until_complete(run_asgi(target, realistic, _BATCH))

    for count in (_WARM_UP, requests):
        for _ in range(count // _BATCH):
            batch()
            sink.flush()
    sink.close()


_EVENTS = ("Ir", "I1mr", "D1mr")


def count(scenario: str, variant: str, requests: int, cache: bool) -> dict[str, int]:
    """Callgrind's totals for one process making the warm-up and `requests` requests."""
    with tempfile.TemporaryDirectory() as directory:
        out = os.path.join(directory, "callgrind.out")
        command = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}"]
        if cache:
            command.append("--cache-sim=yes")
        command += [sys.executable, __file__, "--drive", scenario, variant, str(requests), directory]
        # One hash seed for every process: string hashing changes the work dicts and sets do.
        run = subprocess.run(
            command, capture_output=True, text=True, timeout=1800, env={**os.environ, "PYTHONHASHSEED": "0"}
        )
        if run.returncode:
            sys.exit(f"bench/instructions.py: {scenario} / {variant} failed under valgrind:\n{run.stderr[-2000:]}")
        totals = _totals(out)
    return {event: totals[event] for event in (_EVENTS if cache else _EVENTS[:1])}


def _totals(path: str) -> dict[str, int]:
    """The program's totals from a callgrind output file: its ``events:`` and ``summary:`` (else ``totals:``) lines."""
    names: list[str] = []
    found: dict[str, list[int]] = {}
    with open(path) as handle:
        for line in handle:
            if line.startswith("events:"):
                names = line.split()[1:]
            elif line.startswith(("summary:", "totals:")):
                label, *numbers = line.split()
                found[label] = [int(v) for v in numbers]
    values = found.get("summary:", found.get("totals:", []))
    # A count callgrind leaves out at the end of the line is zero.
    return dict(zip(names, values + [0] * (len(names) - len(values))))


def per_request(scenario: str, variant: str, requests: int, cache: bool) -> dict[str, float]:
    """Each event per request: the difference between `2 * requests` and `requests` requests."""
    once = count(scenario, variant, requests, cache)
    twice = count(scenario, variant, 2 * requests, cache)
    return {event: (twice[event] - once[event]) / requests for event in once}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=SCENARIOS, action="append", help="one scenario (default: all); repeatable")
    parser.add_argument("--requests", type=int, default=1000, help="requests counted per process (default 1000)")
    parser.add_argument("--cache", action="store_true", help="also simulate the caches: I1 and D1 read misses")
    parser.add_argument("--drive", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.drive:
        scenario, variant, requests, directory = args.drive
        drive(scenario, variant, int(requests), directory)
        return
    if args.requests < _BATCH or args.requests % _BATCH:
        parser.error(f"--requests: {args.requests} is not a positive multiple of {_BATCH}")
    if not (shutil.which("valgrind") and shutil.which("callgrind_annotate")):
        sys.exit("bench/instructions.py: needs valgrind (apt-get install valgrind), which is not installed")
    from overhead import build_name

    print(f"tracer {build_name()}, python {sys.version.split()[0]}, callgrind, per request ({args.requests} and {2 * args.requests} counted)\n")
    events = _EVENTS if args.cache else _EVENTS[:1]
    header = " | ".join(f"{e} overhead" for e in events)
    print(f"| scenario | variant | instructions | {header} |")
    print("|---|---|---:|" + "---:|" * len(events))
    for scenario in args.scenario or SCENARIOS:
        counts = {}
        for variant in VARIANTS:
            if sys.stderr.isatty():
                print(f"\r\033[K  {scenario}: {variant}…", end="", file=sys.stderr, flush=True)
            counts[variant] = per_request(scenario, variant, args.requests, args.cache)
        if sys.stderr.isatty():
            print("\r\033[K", end="", file=sys.stderr, flush=True)
        bare = counts["bare app"]
        for variant in VARIANTS:
            cells = " | ".join(f"{counts[variant][e] - bare[e]:,.0f}" for e in events)
            print(f"| {scenario} | {variant} | {counts[variant]['Ir']:,.0f} | {cells} |")
        ratios = " | ".join(
            f"{(counts['tracer + JsonlSink'][e] - bare[e]) / (counts['minimal recorder'][e] - bare[e]):.2f}"
            for e in events
        )
        print(f"| {scenario} | tracer / minimal (overheads) | | {ratios} |", flush=True)


if __name__ == "__main__":
    main()
