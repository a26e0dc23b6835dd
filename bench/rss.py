"""Resident memory of a process serving requests through the tracer, at 10,000 and 100,000 requests.

In-process, like `overhead.py`: the app wrapped in `WSGITracer` / `ASGITracer`
with a `JsonlSink` writing to a temporary file, called with a prebuilt
environ or scope, request after request. The resident set size is read from
``/proc/self/statm`` after a full garbage collection at each checkpoint; the
report gives it at each, and the growth from 10,000 to 100,000 requests.

    python bench/rss.py                       # hello, WSGI and ASGI
    python bench/rss.py --scenario realistic  # about 10 KiB of trace per request
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
from typing import Any

from overhead import run_asgi, run_wsgi
from scenarios import asgi_hello, asgi_realistic, wsgi_environ, wsgi_hello, wsgi_realistic

from tracer import ASGITracer, JsonlSink, WSGITracer

CHECKPOINTS = (1_000, 10_000, 50_000, 100_000)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    gc.collect()
    with open("/proc/self/statm") as file:
        resident = int(file.read().split()[1])
    return resident * PAGE / 2**20


def measure(protocol: str, realistic: bool, directory: str) -> list[tuple[int, float, float, int]]:
    """(requests so far, RSS MiB, seconds so far, trace file bytes) at each checkpoint."""
    path = os.path.join(directory, f"{protocol}.jsonl")
    sink = JsonlSink(path)
    rows = []
    done = 0
    started = time.perf_counter()
    loop = asyncio.new_event_loop()
    if protocol == "wsgi":
        app: Any = WSGITracer(wsgi_realistic if realistic else wsgi_hello, sink=sink)
        make_environ = wsgi_environ(realistic)
    else:
        app = ASGITracer(asgi_realistic if realistic else asgi_hello, sink=sink)
    for checkpoint in CHECKPOINTS:
        count = checkpoint - done
        while count:
            step = min(count, 1000)
            if protocol == "wsgi":
                run_wsgi(app, make_environ, step)
            else:
                loop.run_until_complete(run_asgi(app, realistic, step))
            count -= step
        done = checkpoint
        sink.flush()
        rows.append((done, rss_mib(), time.perf_counter() - started, os.path.getsize(path)))
    loop.close()
    sink.close()
    os.unlink(path)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=("hello", "realistic"), default="hello")
    args = parser.parse_args()
    realistic = args.scenario == "realistic"
    print(f"python {sys.version.split()[0]}, {args.scenario}, one process, RSS after gc.collect()\n")
    print("| protocol | requests | RSS MiB | seconds | trace file MiB |")
    print("|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as directory:
        for protocol in ("wsgi", "asgi"):
            rows = measure(protocol, realistic, directory)
            for done, rss, seconds, size in rows:
                print(f"| {protocol.upper()} | {done:,} | {rss:.1f} | {seconds:.1f} | {size / 2**20:.0f} |", flush=True)
            at = {done: rss for done, rss, _, _ in rows}
            print(f"| {protocol.upper()} | 10,000 → 100,000 | {at[100_000] - at[10_000]:+.2f} | | |", flush=True)


if __name__ == "__main__":
    main()
