"""Exporting and checking a large trace file: time and peak memory.

Builds a trace file of N traces (default 100,000) by writing event records
directly with the `tracer.jsonl` helpers: a few real requests (WSGI GET and
POST, ASGI streaming, a websocket) are recorded once through the
middlewares, then copied under new ids and times, with several traces in
flight at once so their lines interleave as in a real file. Then it runs
``tracer export --format har``, ``tracer export --format chrome`` and
``tracer check`` on it, each in its own process, and reports wall time and
peak resident memory (from ``wait4``), next to the same numbers for a file
one tenth the size, and for a process that only imports tracer.

    python bench/export_scale.py            # 100,000 traces
    python bench/export_scale.py --traces 20000 --keep big.jsonl
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from typing import Any

from werkzeug.test import create_environ, run_wsgi_app

from tracer import ASGITracer, Recorder, WSGITracer
from tracer.jsonl import dumps_record, header_line

TEXT = [("Content-Type", "text/html; charset=utf-8")]
PAGE = b"<html><body>" + b"<p>item</p>" * 40 + b"</body></html>"


def page(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", TEXT + [("Content-Length", str(len(PAGE)))])
    return [PAGE]


def form(environ: dict[str, Any], start_response: Any) -> Any:
    body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    start_response("303 See Other", [("Location", "http://localhost/done"), ("Content-Length", "0")])
    return [] if body else [b""]


async def asgi_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await receive()
        await send({"type": "websocket.accept"})
        for _ in range(3):
            message = await receive()
            await send({"type": "websocket.send", "text": message["text"]})
        await receive()
        return
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    for i in range(3):
        await send({"type": "http.response.body", "body": b'{"chunk": %d}' % i, "more_body": True})
    await send({"type": "http.response.body", "body": b""})


def templates() -> list[list[dict[str, Any]]]:
    """The records of four real requests, one list per trace."""
    rec = Recorder()
    for app, options in [
        (page, {"path": "/articles/42", "query_string": "ref=home", "headers": {"User-Agent": "bench", "Cookie": "s=1"}}),
        (form, {"path": "/comments", "method": "POST", "data": {"name": "ada", "text": "hello " * 20}}),
    ]:
        app_iter, _, _ = run_wsgi_app(WSGITracer(app, sink=rec), create_environ(**options))
        b"".join(app_iter)
        app_iter.close()
    traced = ASGITracer(asgi_app, sink=rec)

    async def run(scope: dict[str, Any], inputs: list[dict[str, Any]]) -> None:
        async def receive() -> dict[str, Any]:
            return inputs.pop(0)

        async def send(message: Any) -> None:
            pass

        await traced(scope, receive, send)

    base = {"asgi": {"version": "3.0"}, "http_version": "1.1", "query_string": b"", "root_path": "",
            "headers": [(b"host", b"localhost:8000"), (b"accept", b"*/*")], "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000)}
    asyncio.run(run({**base, "type": "http", "method": "GET", "scheme": "http", "path": "/api/feed"},
                    [{"type": "http.request", "body": b""}]))
    talk = [{"type": "websocket.connect"}] + [{"type": "websocket.receive", "text": f"msg {i}"} for i in range(3)]
    asyncio.run(run({**base, "type": "websocket", "scheme": "ws", "path": "/live", "subprotocols": []},
                    talk + [{"type": "websocket.disconnect", "code": 1000}]))
    return list(rec._records.values())


def build(path: str, count: int, in_flight: int = 8) -> int:
    """Write a trace file of `count` traces, `in_flight` of them interleaved at a time."""
    kinds = templates()
    weights = [kinds[0]] * 6 + [kinds[1]] * 2 + [kinds[2]] * 2 + [kinds[3]]
    start = time.time() - count * 0.0005
    open_traces: list[tuple[str, list[dict[str, Any]], int, float]] = []
    made = 0
    with open(path, "wb") as out:
        out.write(header_line())
        while made < count or open_traces:
            while made < count and len(open_traces) < in_flight:
                template = weights[made % len(weights)]
                open_traces.append((f"bench-{made:07d}", template, 0, start + made * 0.0005))
                made += 1
            lines = []
            still = []
            for trace_id, template, index, began in open_traces:
                record = dict(template[index])
                record["trace"] = trace_id
                if index == 0:
                    record["start"] = began
                lines.append(dumps_record(record))
                if index + 1 < len(template):
                    still.append((trace_id, template, index + 1, began))
            out.write(b"".join(lines))
            open_traces = still
    return os.path.getsize(path)


def measure(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one process."""
    began = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - began
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # check exits 1 when it finds errors
        raise SystemExit(f"failed: {' '.join(args)}")
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    return elapsed, usage.ru_maxrss * scale / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=100_000)
    parser.add_argument("--keep", help="write the big trace file here and keep it")
    options = parser.parse_args()
    tracer_cli = [sys.executable, "-m", "tracer.cli"]
    with tempfile.TemporaryDirectory() as tmp:
        rows = []
        base_time, base_rss = measure([sys.executable, "-c", "import tracer.cli, tracer.exporters.har, tracer.exporters.chrome, tracer.checks"])
        for count in (options.traces // 10, options.traces):
            path = options.keep if (options.keep and count == options.traces) else os.path.join(tmp, f"t{count}.jsonl")
            began = time.perf_counter()
            size = build(path, count)
            built = time.perf_counter() - began
            print(f"built {count:,} traces ({size / 2**20:.0f} MiB) in {built:.1f} s", file=sys.stderr)
            har, chrome = os.path.join(tmp, "out.har"), os.path.join(tmp, "out.json")
            for label, extra, output in [
                ("export --format har", ["export", path, "--format", "har", "--out", har], har),
                ("export --format chrome", ["export", path, "--format", "chrome", "--out", chrome], chrome),
                ("check", ["check", path, "--json"], None),
            ]:
                elapsed, rss = measure(tracer_cli + extra)
                written = f"{os.path.getsize(output) / 2**20:.0f} MiB" if output else "-"
                rows.append((count, size, label, elapsed, rss, written))
                print(f"  {label}: {elapsed:.1f} s, peak {rss:.0f} MiB", file=sys.stderr)
    print(f"Baseline: a process that only imports tracer peaks at {base_rss:.0f} MiB.\n")
    print("| traces | file | command | wall time | traces/s | peak RSS | output |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    for count, size, label, elapsed, rss, written in rows:
        print(
            f"| {count:,} | {size / 2**20:.0f} MiB | `tracer {label}` | {elapsed:.1f} s | {count / elapsed:,.0f} "
            f"| {rss:.0f} MiB | {written} |"
        )


if __name__ == "__main__":
    main()
