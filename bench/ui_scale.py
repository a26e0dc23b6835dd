"""How fast `tracer view` shows a large trace file, and how much memory it takes.

    python bench/ui_scale.py                 # 100,000 traces (~190 MB) in a temp dir
    python bench/ui_scale.py --traces 20000 --keep big.jsonl

It generates a trace file by recording a handful of real requests through
`WSGITracer` and `ASGITracer` and repeating their events with new ids,
times and paths (interleaved in pairs, as concurrent requests are), brings
the bytecode of tracer, tui, Textual and Rich up to date (as an installed
package's is: with PYTHONDONTWRITEBYTECODE set, a module changed since its
.pyc would be compiled from source in every child), then runs the UI
headless in a child process and reports:

- time to first rows: from process start to the first screen update that
  shows the request list with rows (and, as before, to the list holding rows),
  as a ratio to two bare Textual apps run in the same harness, in turn with
  it: one showing a `Static` (its first paint), and issue 14's baseline, one
  `DataTable` with one column and one row (its first screen update with that
  row, measured as the list's is);
- the same first rows through the command, `tracer view FILE` run headless
  (the command's own imports, and how it finds and loads the UI, included),
  against the same `DataTable` app;
- time to full scan: until the background scan has indexed every trace;
- peak resident memory (RSS) of that process after the scan;
- time to read one trace's events back by offset, and to open its replay;
- follow latency: appending a line to a followed file until its row shows.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def _record_templates() -> list[list[dict]]:
    """A few real traces (as records) to repeat: WSGI GET/POST, ASGI GET/POST/streaming."""
    from werkzeug.test import Client

    from tracer import ASGITracer, Recorder, WSGITracer

    rec = Recorder()

    def wsgi_app(environ, start_response):
        stream = environ["wsgi.input"]
        body = stream.read(1024)
        if body:
            stream.read(1024)  # the empty read at the end
            start_response("201 Created", [("Content-Type", "application/json")])
            return [b'{"ok": true, "echo": %d}' % len(body), b"\n"]
        start_response("200 OK", [("Content-Type", "application/json"), ("X-Bench", "1")])
        return [b'{"items": [', b"1, ", b"2, ", b"3", b"]}\n"]

    client = Client(WSGITracer(wsgi_app, sink=rec))
    for method, path, data in (("GET", "/api/items?page=2", None), ("POST", "/api/items", b'{"name": "widget"}')):
        response = client.open(path, method=method, data=data,
                               headers={"Accept": "application/json", "User-Agent": "bench/1.0",
                                        "Accept-Language": "en-GB,en;q=0.9,de;q=0.8", "Accept-Encoding": "gzip, deflate, br"})
        response.get_data()
        response.close()

    async def asgi_app(scope, receive, send):
        more = True
        while more:
            message = await receive()
            more = message.get("more_body", False)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for part in (b"chunk one\n", b"chunk two\n", b"chunk three\n"):
            await send({"type": "http.response.body", "body": part, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    traced = ASGITracer(asgi_app, sink=rec)

    async def drive(path: str, body: bytes) -> None:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST" if body else "GET",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
            "headers": [(b"host", b"localhost"), (b"user-agent", b"bench/1.0"), (b"accept-language", b"en-GB,en;q=0.9,de;q=0.8"),
                        (b"accept-encoding", b"gzip, deflate, br")],
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        }
        messages = [{"type": "http.request", "body": body, "more_body": False}]

        async def receive():
            return messages.pop(0) if messages else {"type": "http.disconnect"}

        async def send(message):
            pass

        await traced(scope, receive, send)

    asyncio.run(drive("/stream", b""))
    asyncio.run(drive("/upload", b"x" * 300))
    from tracer.codec import encode

    templates = []
    for trace in rec.traces():
        templates.append([
            {"kind": e.kind, "t_ns": e.t_ns, "data": encode(e.data), "protocol": trace.protocol,
             "scope_type": trace.scope_type}
            for e in trace.events
        ])
    return templates


def generate(path: str, traces: int) -> None:
    """Write a trace file of `traces` requests."""
    from tracer.jsonl import dumps_record, header_line

    templates = _record_templates()
    start = 1_700_000_000.0
    with open(path, "wb") as out:
        out.write(header_line())
        buf: list[bytes] = []
        for pair in range(0, traces, 2):
            pending = []
            for k in range(2):
                n = pair + k
                if n >= traces:
                    break
                template = templates[n % len(templates)]
                trace_id = f"bench-{n:07d}"
                records = []
                for seq, event in enumerate(template):
                    record = {"trace": trace_id, "seq": seq, "t_ns": event["t_ns"] * (1 + n % 7), "kind": event["kind"],
                              "data": event["data"]}
                    if seq == 0:
                        record.update(protocol=event["protocol"], scope_type=event["scope_type"],
                                      start=start + n * 0.01)
                    records.append(record)
                pending.append(records)
            # Interleave the pair, as two concurrent requests would be.
            longest = max(len(r) for r in pending)
            for i in range(longest):
                for records in pending:
                    if i < len(records):
                        buf.append(dumps_record(records[i]))
            if len(buf) > 5000:
                out.write(b"".join(buf))
                buf.clear()
        out.write(b"".join(buf))


_CHILD = r"""
# Only what the baselines import before their first paint: what the numbers after it need is imported there.
import asyncio, sys, time
t0 = float(sys.argv[2])
from textual.app import App
from tui.app import make_app
from tui.widgets.request_table import RequestTable

painted = []
shown = App.post_display_hook

def post_display_hook(self):
    # Called after every screen update (headless too): the first one with rows in the list is the first paint.
    if not painted:
        try:
            if self.screen.query_one(RequestTable).row_count:
                painted.append(time.time() - t0)
        except Exception:
            pass
    shown(self)

App.post_display_hook = post_display_hook

async def main():
    app = make_app(sys.argv[1])
    async with app.run_test(size=(160, 45)) as pilot:
        table = app.screen.query_one(RequestTable)
        while table.row_count == 0:
            await asyncio.sleep(0.005)
        first = time.time() - t0
        while not painted:
            await asyncio.sleep(0.005)
        while app.scanning:
            await asyncio.sleep(0.02)
        full = time.time() - t0
        rows = table.row_count
        t1 = time.perf_counter()
        for summary in table.rows[rows // 2 : rows // 2 + 100]:
            app.index.read_trace(summary)
        load_ms = (time.perf_counter() - t1) * 1000 / 100
        t1 = time.perf_counter()
        await pilot.press("enter")
        await pilot.pause()
        open_ms = (time.perf_counter() - t1) * 1000
        import resource
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print({"first_rows_s": round(painted[0], 3), "first_list_s": round(first, 3), "full_scan_s": round(full, 2), "rows": rows,
           "peak_rss_mb": round(rss, 1), "read_trace_ms": round(load_ms, 3), "open_replay_ms": round(open_ms, 1),
           "follow_latency_s": await follow(sys.argv[1])})

async def follow(source):
    # Append one trace at a time to a followed file; time until its row shows.
    import os, statistics, tempfile
    with open(source, "rb") as handle:
        lines = [handle.readline() for _ in range(41)]
    header, events = lines[0], lines[1:]
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "live.jsonl")
        with open(path, "wb") as out:
            out.write(header)
        app = make_app(path, live=True)
        latencies = []
        async with app.run_test(size=(160, 45)) as pilot:
            table = app.screen.query_one(RequestTable)
            await pilot.pause(0.3)
            for i in range(10):
                before = table.row_count
                start = time.perf_counter()
                with open(path, "ab") as out:
                    out.write(events[i].replace(b'"bench-', b'"live%d-' % i))
                while table.row_count == before:
                    await asyncio.sleep(0.002)
                latencies.append(time.perf_counter() - start)
        return {"median": round(statistics.median(latencies), 3), "max": round(max(latencies), 3)}

asyncio.run(main())
"""


_BASELINE = r"""
import asyncio, sys, time
t0 = float(sys.argv[1])
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static("hello")

async def main():
    async with Bare().run_test(size=(160, 45)) as pilot:
        await pilot.pause()
        print(round(time.time() - t0, 3))

asyncio.run(main())
"""


_DATATABLE = r"""
import asyncio, sys, time
t0 = float(sys.argv[1])
from textual.app import App
from textual.widgets import DataTable

painted = []

class Bare(App):
    def compose(self):
        yield DataTable()

    def on_mount(self):
        table = self.query_one(DataTable)
        table.add_column("request")
        table.add_row("GET /")

    def post_display_hook(self):
        # As in the measured app: the first screen update with the row in the table.
        if not painted and self.screen.query(DataTable) and self.screen.query_one(DataTable).row_count:
            painted.append(time.time() - t0)
        super().post_display_hook()

async def main():
    async with Bare().run_test(size=(160, 45)) as pilot:
        while not painted:
            await asyncio.sleep(0.005)
        print(round(painted[0], 3))

asyncio.run(main())
"""


_CLI = r"""
import importlib.abc, importlib.util, sys, time
t0 = float(sys.argv[1])
painted = []

def hook(App):
    # As in the measured app, on Textual's App as `tracer view` imports it: nothing of Textual is imported sooner.
    from tui.widgets.request_table import RequestTable
    shown, run = App.post_display_hook, App.run

    def post_display_hook(self):
        if not painted:
            try:
                if self.screen.query_one(RequestTable).row_count:
                    painted.append(time.time() - t0)
                    self.exit()
            except Exception:
                pass
        shown(self)

    def headless(self, *args, **kwargs):
        return run(self, *args, **{**kwargs, "headless": True, "size": (160, 45)})

    App.post_display_hook, App.run = post_display_hook, headless

class Finder(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "textual.app":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        exec_module = spec.loader.exec_module

        def loaded(module):
            exec_module(module)
            hook(module.App)

        spec.loader.exec_module = loaded
        return spec

sys.meta_path.insert(0, Finder())
from tracer.cli import main
main(["view", sys.argv[2]])
print(round(painted[0], 3))
"""


def through_cli(path: str) -> float:
    """Seconds from process start until `tracer view PATH` (the command, headless) has painted its first rows."""
    out = subprocess.run(
        [sys.executable, "-c", _CLI, repr(time.time()), path], capture_output=True, text=True, timeout=60, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def baseline(code: str = _BASELINE) -> float:
    """Seconds from process start until a bare Textual app has shown its widget (same harness)."""
    out = subprocess.run(
        [sys.executable, "-c", code, repr(time.time())], capture_output=True, text=True, timeout=60, check=True
    )
    return float(out.stdout.strip().splitlines()[-1])


def measure(path: str) -> dict:
    """Run the UI headless on `path` in a fresh process and return its numbers."""
    out = subprocess.run(
        [sys.executable, "-c", _CHILD, path, repr(time.time())],
        capture_output=True, text=True, timeout=600, check=True,
    )
    return eval(out.stdout.strip().splitlines()[-1])  # noqa: S307 - our own child's dict


_COMPILE = r"""
import compileall, rich, textual, tracer, tui
for package in (tracer, tui, textual, rich):
    for directory in package.__path__:
        compileall.compile_dir(directory, quiet=1)
"""


def compile_bytecode() -> None:
    """Bring the bytecode of the packages the children import up to date, as an installed package's is.

    With ``PYTHONDONTWRITEBYTECODE`` set, a module changed since its ``.pyc`` was
    written would be compiled from source at every start of every child.
    """
    subprocess.run([sys.executable, "-c", _COMPILE], check=True, timeout=600)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=100_000)
    parser.add_argument("--keep", metavar="FILE", help="write the trace file here and keep it")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or os.path.join(tmp, "big.jsonl")
        if not os.path.exists(path):
            t = time.perf_counter()
            generate(path, args.traces)
            print(f"generated {path}: {os.path.getsize(path) / 1e6:.0f} MB in {time.perf_counter() - t:.1f} s")
        with open(path, "rb") as handle:
            events = sum(1 for _ in handle) - 1
        print(f"{args.traces} traces, {events} events")
        compile_bytecode()
        seen: list[tuple[float, float, float, float]] = []
        for run in range(args.runs):
            # The machine may be shared: the two baselines and the app in turn, in a different order each run,
            # so that a slower moment is not always met by the same one.
            jobs = [("static", lambda: baseline(_BASELINE)), ("datatable", lambda: baseline(_DATATABLE)),
                    ("app", lambda: measure(path)), ("cli", lambda: through_cli(path))]
            shift = run % len(jobs)
            results = {name: job() for name, job in jobs[shift:] + jobs[:shift]}
            numbers = results["app"]
            seen.append((results["static"], results["datatable"], numbers["first_rows_s"], results["cli"]))
            print(json.dumps({
                "bare_static_s": results["static"], "bare_datatable_s": results["datatable"],
                "first_rows_vs_static": round(numbers["first_rows_s"] / results["static"], 2),
                "first_rows_vs_datatable": round(numbers["first_rows_s"] / results["datatable"], 2),
                "tracer_view_first_rows_s": results["cli"],
                "tracer_view_vs_datatable": round(results["cli"] / results["datatable"], 2),
                **numbers,
            }))
        # One slow moment moves one run's ratio a lot: the medians of the runs, and the range of the ratios.
        static, datatable, first, cli = (statistics.median(column) for column in zip(*seen))
        print(json.dumps({
            "runs": len(seen), "median_bare_static_s": static, "median_bare_datatable_s": datatable,
            "median_first_rows_s": first, "medians_vs_static": round(first / static, 2),
            "medians_vs_datatable": round(first / datatable, 2),
            "vs_datatable_range": [round(min(f / d for _, d, f, _ in seen), 2), round(max(f / d for _, d, f, _ in seen), 2)],
            "median_tracer_view_s": cli, "tracer_view_medians_vs_datatable": round(cli / datatable, 2),
            "tracer_view_vs_datatable_range": [round(min(c / d for _, d, _, c in seen), 2),
                                               round(max(c / d for _, d, _, c in seen), 2)],
        }))


if __name__ == "__main__":
    main()
