"""The same request means the same thing everywhere: console, list, replay title, check, HAR, trace events.

Each reader takes method, path with query, status and close code from the one
fold (`tracer.summary`); these tests record real exchanges and compare what
every reader says.
"""

from __future__ import annotations

import io
import json
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

import pytest
from asgiref.testing import ApplicationCommunicator
from werkzeug.test import Client

from tracer import ASGITracer, JsonlSink, TraceIndex, WSGITracer, read_traces
from tracer.access_log import AccessLogSink
from tracer.commands.check import describe
from tracer.exporters.chrome import title as chrome_title
from tracer.exporters.har import har_entry


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"made"]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return
    if scope["type"] == "websocket":
        await receive()
        if scope["path"].endswith("/deny"):
            await send({"type": "websocket.close", "code": 1008})
            return
        await send({"type": "websocket.accept"})
        await send({"type": "websocket.send", "text": "hi"})
        await send({"type": "websocket.close", "code": 1000})
        return
    await receive()
    await send({"type": "http.response.start", "status": 418, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"tea"})


def _record(path: Path) -> list[str]:
    """Record WSGI under SCRIPT_NAME, ASGI under root_path, two websockets and lifespan; return the console lines."""
    console = io.StringIO()
    sink = AccessLogSink(JsonlSink(path), console)
    client = Client(WSGITracer(wsgi_app, sink=sink))
    client.get("/users", query_string="page=2", environ_overrides={"SCRIPT_NAME": "/api"})
    traced = ASGITracer(asgi_app, sink=sink)

    async def drive() -> None:
        http = ApplicationCommunicator(
            traced,
            {"type": "http", "method": "GET", "path": "/items", "root_path": "/shop", "query_string": b"q=tea", "headers": []},
        )
        await http.send_input({"type": "http.request", "body": b""})
        await http.wait(1)
        for where in ("/ws", "/ws/deny"):
            ws = ApplicationCommunicator(traced, {"type": "websocket", "path": where, "root_path": "", "query_string": b"", "headers": []})
            await ws.send_input({"type": "websocket.connect"})
            await ws.wait(1)
        life = ApplicationCommunicator(traced, {"type": "lifespan", "asgi": {"version": "3.0"}})
        await life.send_input({"type": "lifespan.startup"})
        await life.send_input({"type": "lifespan.shutdown"})
        await life.wait(1)

    import asyncio

    asyncio.run(drive())
    sink.close()
    return console.getvalue().splitlines()


EXPECTED = [
    # title, status, close code
    ("GET /api/users?page=2", 201, None),
    ("GET /shop/items?q=tea", 418, None),
    ("WS /ws", 101, 1000),
    ("WS /ws/deny", 403, 1008),
    ("LIFESPAN", None, None),
]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    path = tmp_path_factory.mktemp("meaning") / "t.jsonl"
    return path, _record(path)


def test_the_console_says_what_the_summary_says(recorded: tuple[Path, list[str]]) -> None:
    _, lines = recorded
    assert len(lines) == len(EXPECTED)
    for line, (title, status, close_code) in zip(lines, EXPECTED):
        words = line.split()
        shown = " ".join(words[:1]) if title == "LIFESPAN" else " ".join(words[:2])
        assert shown == title
        assert words[1 if title == "LIFESPAN" else 2] == ("-" if status is None else str(status))
        assert (f"closed {close_code}" in line) == (close_code is not None)


def test_the_index_the_loaded_trace_and_check_headings_agree(recorded: tuple[Path, list[str]]) -> None:
    path, _ = recorded
    index = TraceIndex(str(path))
    index.scan()
    traces = read_traces(path)
    assert len(index.summaries) == len(traces) == len(EXPECTED)
    for listed, trace, (title, status, close_code) in zip(index.summaries, traces, EXPECTED):
        for summary in (listed, trace.summary, index.load(trace.id).summary):
            assert (summary.title, summary.status, summary.close_code) == (title, status, close_code)
        assert (trace.method, trace.status, trace.close_code) == (listed.method, status, close_code)
        heading = describe(trace)
        assert heading.startswith(title + (f" -> {status}" if status is not None else ""))
        assert (f"(closed {close_code})" in heading) == (close_code is not None)


def test_har_and_trace_events_agree(recorded: tuple[Path, list[str]]) -> None:
    path, _ = recorded
    for trace, (title, status, _close) in zip(read_traces(path), EXPECTED):
        entry = har_entry(trace)
        if title == "LIFESPAN":
            assert entry is None and chrome_title(trace) == "lifespan"
            continue
        assert entry is not None
        method, _, target = title.partition(" ")
        assert entry["request"]["method"] == ("GET" if method == "WS" else method)
        assert entry["request"]["url"].split("://", 1)[1].split("/", 1)[1] == target.lstrip("/")
        assert entry["response"]["status"] == status
        assert chrome_title(trace) == f"{title} {status}"


def slow_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/slow":
        time.sleep(0.4)
    return wsgi_app(environ, start_response)


def _worker(path: str, number: int, barrier: Any) -> None:
    sink = JsonlSink(path, flush_interval=5)  # lines reach the file when their trace ends
    client = Client(WSGITracer(slow_app, sink=sink))
    barrier.wait(10)
    if number == 0:
        client.get("/slow")  # starts first, is written last
    else:
        time.sleep(0.1)
    for i in range(5):
        client.get(f"/p{number}/{i}")
    sink.close()


def test_a_file_written_by_four_processes_reads_in_start_order(tmp_path: Path) -> None:
    path = str(tmp_path / "four.jsonl")
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    workers = [context.Process(target=_worker, args=(path, n, barrier)) for n in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    index = TraceIndex(path)
    index.scan()
    assert len(index.summaries) == 21 and not index.problems
    starts = [s.start for s in index.in_start_order()]
    assert starts == sorted(starts)
    assert index.in_start_order()[0].path == "/slow" and index.summaries[0].path != "/slow"
    # check and export read in start order too
    from tracer.cli import main

    har = tmp_path / "four.har"
    assert main(["export", path, "--format", "har", "--out", str(har)]) == 0
    entries = json.loads(har.read_text())["log"]["entries"]
    assert [e["startedDateTime"] for e in entries] == sorted(e["startedDateTime"] for e in entries)
    assert [e["request"]["url"].split("/", 3)[3] for e in entries] == [s.url.lstrip("/") for s in index.in_start_order()]
