"""Per-request overhead of the tracer versus OpenTelemetry's middleware.

In-process, no network: each variant wraps the same app and is called with
a prebuilt environ/scope, like a server would. Variants run interleaved in
rounds (order shuffled each round) so that machine noise hits all of them
alike; the report gives per-request medians, the overhead over the bare app,
and the ratio of the tracer's overhead to OpenTelemetry's.

    python bench/overhead.py            # full run
    python bench/overhead.py --quick    # fewer rounds

Needs the bench extra: pip install -e '.[bench]'.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
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

from tracer import ASGITracer, JsonlSink, Recorder, WSGITracer

BODY = os.urandom(2048).hex().encode()  # 4 KiB
CHUNK = b"x" * 1024
EXTRA_HEADERS = [
    ("Accept", "application/json"),
    ("Accept-Encoding", "gzip, deflate"),
    ("Accept-Language", "en-GB,en;q=0.9"),
    ("Cache-Control", "no-cache"),
    ("Connection", "keep-alive"),
    ("Content-Type", "application/json"),
    ("Origin", "http://localhost:3000"),
    ("Referer", "http://localhost:3000/app"),
    ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64) bench/1.0"),
    ("X-Request-Id", "0f8fad5b-d9cb-469f-a165-70867728950e"),
    ("Authorization", "Bearer abcdef0123456789"),
]  # plus Host: 12 request headers


# The apps


def wsgi_hello(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def wsgi_realistic(environ, start_response):  # type: ignore[no-untyped-def]
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length)
    assert len(body) == len(BODY)
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(8 * len(CHUNK)))])

    def stream():  # type: ignore[no-untyped-def]
        for _ in range(8):
            yield CHUNK

    return stream()


async def asgi_hello(scope, receive, send):  # type: ignore[no-untyped-def]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"Hello, World!"})


async def asgi_realistic(scope, receive, send):  # type: ignore[no-untyped-def]
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    assert len(body) == len(BODY)
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/octet-stream"), (b"content-length", b"8192")],
        }
    )
    for index in range(8):
        await send({"type": "http.response.body", "body": CHUNK, "more_body": index < 7})


# Requests as a server would make them


def wsgi_environ(realistic: bool) -> Callable[[], dict[str, Any]]:
    base = {
        "REQUEST_METHOD": "POST" if realistic else "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/api/items" if realistic else "/",
        "QUERY_STRING": "page=2" if realistic else "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "REMOTE_PORT": "50000",
        "HTTP_HOST": "127.0.0.1:8000",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    if realistic:
        base["CONTENT_LENGTH"] = str(len(BODY))
        base["CONTENT_TYPE"] = "application/json"
        for name, value in EXTRA_HEADERS:
            if name != "Content-Type":
                base["HTTP_" + name.upper().replace("-", "_")] = value

    def make() -> dict[str, Any]:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(BODY if realistic else b"")
        return environ

    return make


def asgi_scope(realistic: bool) -> dict[str, Any]:
    headers = [(b"host", b"127.0.0.1:8000")]
    if realistic:
        headers += [(name.lower().encode(), value.encode()) for name, value in EXTRA_HEADERS]
        headers.append((b"content-length", str(len(BODY)).encode()))
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST" if realistic else "GET",
        "scheme": "http",
        "path": "/api/items" if realistic else "/",
        "raw_path": b"/api/items" if realistic else b"/",
        "query_string": b"page=2" if realistic else b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }


def run_wsgi(app: Any, make_environ: Callable[[], dict[str, Any]], count: int) -> None:
    def start_response(status, headers, exc_info=None):  # type: ignore[no-untyped-def]
        return None

    for _ in range(count):
        result = app(make_environ(), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()


async def run_asgi(app: Any, realistic: bool, count: int) -> None:
    scope_template = asgi_scope(realistic)
    request = {"type": "http.request", "body": BODY if realistic else b"", "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        pass

    for _ in range(count):
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
    if protocol == "wsgi":
        otel = OtelWSGI(app, tracer_provider=provider)
        with_recorder = WSGITracer(app, sink=recorder)
        with_file = WSGITracer(app, sink=sink)
    else:
        otel = OtelASGI(app, tracer_provider=provider, exclude_spans=["receive", "send"])
        with_recorder = ASGITracer(app, sink=recorder)
        with_file = ASGITracer(app, sink=sink)
    return [
        Variant("bare app", app),
        Variant("tracer + Recorder", with_recorder, recorder.clear),
        # The writer thread is parked (long interval); flush() runs inside the timed
        # batch so that encoding and writing are counted in full.
        Variant("tracer + JsonlSink", with_file, sink.flush),
        Variant("OpenTelemetry", otel, exporter.clear),
    ]


def measure(protocol: str, realistic: bool, rounds: int, batch: int, directory: str) -> list[Variant]:
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
        start = time.perf_counter_ns()
        if protocol == "wsgi":
            run_wsgi(variant.app, make_environ, count)
        else:
            loop.run_until_complete(run_asgi(variant.app, realistic, count))
        variant.reset()
        return (time.perf_counter_ns() - start) / count / 1000

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
    return lines + [""]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a rough look)")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    rounds = args.rounds or (5 if args.quick else 25)
    print(f"python {sys.version.split()[0]}, {rounds} rounds x {args.batch} requests per variant, interleaved\n")
    with tempfile.TemporaryDirectory() as directory:
        for protocol in ("wsgi", "asgi"):
            for realistic in (False, True):
                scenario = "realistic (POST 4 KiB, 12 headers, 8 x 1 KiB streamed)" if realistic else "hello"
                title = f"{protocol.upper()} {scenario}"
                if protocol == "asgi":
                    title += " — OpenTelemetry with exclude_spans=['receive', 'send']"
                variants = measure(protocol, realistic, rounds, args.batch, directory)
                print("\n".join(report(title, variants)), flush=True)


if __name__ == "__main__":
    main()
