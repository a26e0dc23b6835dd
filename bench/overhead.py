"""Per-request overhead of the tracer versus OpenTelemetry's middleware.

In-process, no network: each variant wraps the same app and is called with
a prebuilt environ/scope, like a server would. Variants run interleaved in
rounds (order shuffled each round) so that machine noise hits all of them
alike; the report gives per-request medians, the overhead over the bare app,
and the ratio of the tracer's overhead to OpenTelemetry's.

    python bench/overhead.py            # full run
    python bench/overhead.py --quick    # fewer rounds
    python bench/overhead.py --clock wall
    python bench/overhead.py --evict 4  # caches evicted before each request, as in a server

Times are the process's CPU time by default (user and system, every thread:
the benchmark's, where encoding and OpenTelemetry's exporter run, and the
trace file's writer thread, which writes the traces of requests served as a
threaded server or an event loop serves them), so that time the process
spends waiting for a core on a shared machine is not counted; ``--clock
thread`` counts the benchmark thread alone, ``--clock wall`` elapsed time.

Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.machinery
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware as OtelASGI
from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware as OtelWSGI
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from minimal import MinimalASGI, MinimalWSGI
from scenarios import BODY, asgi_hello, asgi_realistic, asgi_scope, wsgi_environ, wsgi_hello, wsgi_realistic

import tracer.codec
from tracer import ASGITracer, JsonlSink, Recorder, WSGITracer

def build_name() -> str:
    """Which tracer this interpreter imports: the compiled modules are extension modules."""
    compiled = tracer.codec.__file__.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES))
    return "compiled (mypyc)" if compiled else "pure Python"


# Requests as a server would make them


def evicter(mebibytes: float) -> Callable[[], None]:
    """A call that writes one byte in every cache line of `mebibytes` MiB: the CPU caches then hold none of the app's data.

    A server runs its own code (and the machine other processes) between two
    calls of the app, so the middleware never runs as warm as in a loop that
    calls only it; every variant pays the same for the eviction itself, which
    the overheads (variant minus bare app) cancel.
    """
    junk = bytearray(int(mebibytes * 2**20))
    zeros = bytes(len(junk[::64]))

    def evict() -> None:
        junk[::64] = zeros

    return evict


def _nothing() -> None:
    pass


def run_wsgi(app: Any, make_environ: Callable[[], dict[str, Any]], count: int, evict: Callable[[], None] = _nothing) -> None:
    def start_response(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
        return None

    for _ in range(count):
        evict()
        result = app(make_environ(), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()


async def run_asgi(app: Any, realistic: bool, count: int, evict: Callable[[], None] = _nothing) -> None:
    scope_template = asgi_scope(realistic)
    request = {"type": "http.request", "body": BODY if realistic else b"", "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        pass

    for _ in range(count):
        evict()
        delivered = False

        async def receive():  # type: ignore[no-untyped-def]
            nonlocal delivered
            if delivered:
                return {"type": "http.disconnect"}
            delivered = True
            return dict(request)

        await app(dict(scope_template), receive, send)


# Variants


class Variant:
    def __init__(self, name: str, app: Any, reset: Callable[[], None] = lambda: None) -> None:
        self.name = name
        self.app = app
        self.reset = reset
        self.samples: list[float] = []


def variants_for(protocol: str, app: Any, directory: str) -> list[Variant]:
    recorder = Recorder()
    sink = JsonlSink(os.path.join(directory, f"{protocol}-{id(app)}.jsonl"), flush_interval=3600)
    provider = TracerProvider()
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    minimal_path = os.path.join(directory, f"{protocol}-{id(app)}-minimal.jsonl")
    if protocol == "wsgi":
        otel = OtelWSGI(app, tracer_provider=provider)
        with_recorder = WSGITracer(app, sink=recorder)
        with_file = WSGITracer(app, sink=sink)
        minimal: Any = MinimalWSGI(app, minimal_path)
    else:
        otel = OtelASGI(app, tracer_provider=provider, exclude_spans=["receive", "send"])
        with_recorder = ASGITracer(app, sink=recorder)
        with_file = ASGITracer(app, sink=sink)
        minimal = MinimalASGI(app, minimal_path)
    return [
        Variant("bare app", app),
        Variant("tracer + Recorder", with_recorder, recorder.clear),
        # The writer thread is parked (long interval); flush() runs inside the timed
        # batch so that encoding and writing are counted in full.
        Variant("tracer + JsonlSink", with_file, sink.flush),
        # The same lines, written the simplest fast way (bench/minimal.py).
        Variant("minimal recorder", minimal),
        Variant("OpenTelemetry", otel, exporter.clear),
    ]


def measure(
    protocol: str, realistic: bool, rounds: int, batch: int, directory: str, clock: Callable[[], int],
    evict: Callable[[], None] = _nothing,
) -> list[Variant]:
    app = {
        ("wsgi", False): wsgi_hello,
        ("wsgi", True): wsgi_realistic,
        ("asgi", False): asgi_hello,
        ("asgi", True): asgi_realistic,
    }[(protocol, realistic)]
    variants = variants_for(protocol, app, directory)
    make_environ = wsgi_environ(realistic)
    loop = asyncio.new_event_loop()

    def run_batch(variant: Variant, count: int) -> float:
        gc.collect()
        start = clock()
        if protocol == "wsgi":
            run_wsgi(variant.app, make_environ, count, evict)
        else:
            loop.run_until_complete(run_asgi(variant.app, realistic, count, evict))
        variant.reset()
        return (clock() - start) / count / 1000

    for variant in variants:  # warm-up
        run_batch(variant, batch)
    for _ in range(rounds):
        order = variants[:]
        random.shuffle(order)
        for variant in order:
            variant.samples.append(run_batch(variant, batch))
    loop.close()
    return variants


def report(title: str, variants: list[Variant]) -> list[str]:
    medians = {v.name: statistics.median(v.samples) for v in variants}
    bare = medians["bare app"]
    otel_overhead = medians["OpenTelemetry"] - bare
    lines = [f"### {title}", "", "| variant | median µs/request | overhead µs | overhead / OpenTelemetry's |", "|---|---:|---:|---:|"]
    for variant in variants:
        overhead = medians[variant.name] - bare
        ratio = "" if variant.name == "bare app" else f"{overhead / otel_overhead:.2f}"
        lines.append(f"| {variant.name} | {medians[variant.name]:.1f} | {overhead:.1f} | {ratio} |")
    current = medians["tracer + JsonlSink"] - bare
    minimal = medians["minimal recorder"] - bare
    lines.append("")
    lines.append(f"tracer + JsonlSink / minimal recorder (overheads): {current / minimal:.2f}")
    return lines + [""]


_CLOCKS: dict[str, tuple[Callable[[], int], str]] = {
    "process": (time.process_time_ns, "process CPU"),
    "thread": (time.thread_time_ns, "benchmark thread CPU"),
    "wall": (time.perf_counter_ns, "wall-clock"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a rough look)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument(
        "--clock", choices=tuple(_CLOCKS), default="process",
        help="the process's CPU time, all threads (default), the benchmark thread's, or elapsed time",
    )
    parser.add_argument(
        "--evict", type=float, default=0.0, metavar="MIB",
        help="before each request, write to MIB MiB of memory, so that it runs with cold caches as in a server",
    )
    args = parser.parse_args()
    if args.evict < 0:
        parser.error(f"--evict: {args.evict} is not a size in MiB (0 or more)")
    evict = evicter(args.evict) if args.evict else _nothing
    rounds = args.rounds or (5 if args.quick else 25)
    clock, clock_name = _CLOCKS[args.clock]
    print(f"tracer {build_name()}: {os.path.dirname(tracer.codec.__file__)}")
    print(
        f"python {sys.version.split()[0]}, {rounds} rounds x {args.batch} requests per variant, interleaved, "
        f"{clock_name} time"
        + (f", {args.evict:g} MiB written before each request (cold caches)" if args.evict else "") + "\n"
    )
    with tempfile.TemporaryDirectory() as directory:
        for protocol in ("wsgi", "asgi"):
            for realistic in (False, True):
                scenario = "realistic (POST 4 KiB, 12 headers, 8 x 1 KiB streamed)" if realistic else "hello"
                title = f"{protocol.upper()} {scenario}"
                if protocol == "asgi":
                    title += " — OpenTelemetry with exclude_spans=['receive', 'send']"
                variants = measure(protocol, realistic, rounds, args.batch, directory, clock, evict)
                print("\n".join(report(title, variants)), flush=True)


if __name__ == "__main__":
    main()
