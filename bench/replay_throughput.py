"""Replay throughput: a recorded session of the hello app played back in-process.

Records a session of N requests (default 10,000) to the hello app of
`sample_apps` through the tracer into a trace file, WSGI and ASGI, then
measures how fast it plays back with no network:

- ``tracer replay FILE --app …`` as a user runs it, in its own process:
  start-up, reading the file, replaying every request, comparing each new
  exchange with the recorded one and printing the table (to /dev/null);
- in this process, per request: replaying alone (traces already loaded), and
  replaying plus comparing.

    python bench/replay_throughput.py                # 10,000 requests
    python bench/replay_throughput.py --requests 2000
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

from werkzeug.test import create_environ, run_wsgi_app

from sample_apps.hello_asgi import application as hello_asgi
from sample_apps.hello_wsgi import simple_app as hello_wsgi
from tracer import ASGITracer, JsonlSink, WSGITracer, read_traces
from tracer.redrive import Redriver

TARGET = 1000
"""Requests per second the in-process replay of the hello app must reach."""


def record_wsgi(path: str, count: int) -> None:
    sink = JsonlSink(path)
    app = WSGITracer(hello_wsgi, sink=sink)
    for number in range(count):
        environ = create_environ(f"/hello/{number % 50}", headers={"User-Agent": "bench", "Accept": "*/*"})
        app_iter, _, _ = run_wsgi_app(app, environ)
        b"".join(app_iter)
        app_iter.close()
    sink.close()


def record_asgi(path: str, count: int) -> None:
    sink = JsonlSink(path)
    app = ASGITracer(hello_asgi, sink=sink)

    async def session() -> None:
        for number in range(count):
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
                "path": f"/hello/{number % 50}", "raw_path": f"/hello/{number % 50}".encode(), "query_string": b"",
                "root_path": "", "headers": [(b"host", b"localhost"), (b"user-agent", b"bench"), (b"accept", b"*/*")],
                "client": ("127.0.0.1", 50000), "server": ("localhost", 80),
            }
            messages = [{"type": "http.request", "body": b"", "more_body": False}]

            async def receive() -> dict[str, Any]:
                return messages.pop(0)

            async def send(message: dict[str, Any]) -> None:
                pass

            await app(scope, receive, send)

    asyncio.run(session())
    sink.close()


def command(path: str, reference: str) -> tuple[float, str]:
    """Wall time of ``tracer replay FILE --app REFERENCE`` in its own process, and its summary line."""
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "tracer.cli", "replay", path, "--app", reference],
        capture_output=True, text=True, timeout=600, cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"tracer replay exited {result.returncode}: {result.stderr or result.stdout[-500:]}")
    return elapsed, result.stdout.strip().splitlines()[-1]


def in_process(path: str, app: Any, rounds: int) -> tuple[float, float]:
    """Median requests per second of replaying alone, and of replaying and comparing."""
    traces = [trace for trace in read_traces(path) if trace.scope_type == "http"]
    replay_only, with_compare = [], []
    with Redriver(app) as redriver:
        for _ in range(rounds):
            started = time.perf_counter()
            for trace in traces:
                redriver.replay(trace)
            replay_only.append(len(traces) / (time.perf_counter() - started))
            started = time.perf_counter()
            for trace in traces:
                assert redriver.replay(trace).compare().same
            with_compare.append(len(traces) / (time.perf_counter() - started))
    return statistics.median(replay_only), statistics.median(with_compare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=10_000, help="requests in the recorded session (default 10,000)")
    parser.add_argument("--rounds", type=int, default=3, help="in-process rounds; the median is reported (default 3)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        files = {"wsgi": os.path.join(folder, "wsgi.jsonl"), "asgi": os.path.join(folder, "asgi.jsonl")}
        record_wsgi(files["wsgi"], args.requests)
        record_asgi(files["asgi"], args.requests)
        cases = [
            ("WSGI recording → WSGI hello", files["wsgi"], "sample_apps.hello_wsgi:simple_app", hello_wsgi),
            ("ASGI recording → ASGI hello", files["asgi"], "sample_apps.hello_asgi:application", hello_asgi),
            ("WSGI recording → ASGI hello", files["wsgi"], "sample_apps.hello_asgi:application", hello_asgi),
        ]
        for label, path, reference, app in cases:
            elapsed, summary = command(path, reference)
            replay_rate, compare_rate = in_process(path, app, args.rounds)
            rows.append((label, args.requests / elapsed, elapsed, replay_rate, compare_rate))
            print(f"  {label}: {summary}", file=sys.stderr)
    print(f"{args.requests:,} requests of the hello app; in-process medians of {args.rounds} rounds.\n")
    print("| session | `tracer replay FILE` (whole command) | replay only, in-process | replay + compare, in-process |")
    print("|---|---:|---:|---:|")
    for label, command_rate, elapsed, replay_rate, compare_rate in rows:
        print(f"| {label} | {command_rate:,.0f} req/s ({elapsed:.1f} s) | {replay_rate:,.0f} req/s | {compare_rate:,.0f} req/s |")
    slowest = min(row[1] for row in rows)
    print(f"\nTarget: at least {TARGET:,} requests/s in-process; slowest whole command: {slowest:,.0f} req/s "
          f"({'met' if slowest >= TARGET else 'NOT met'}).")


if __name__ == "__main__":
    main()
