"""A trace's lines reach the file in the order its events happened, whatever the threads do."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import orjson
from werkzeug.test import Client

from tracer import JsonlSink, WSGITracer


def streaming_app(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])

    def chunks() -> Any:
        for _ in range(20):
            time.sleep(0.0005)
            yield b"x" * 3000  # more than 16 KiB in all: the sink writes the trace while it runs

    return chunks()


def test_concurrent_streams_keep_each_traces_lines_in_order(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    sink = JsonlSink(path, flush_interval=0.001)  # the writer thread and the requests race for the file
    traced = WSGITracer(streaming_app, sink=sink)

    def client() -> None:
        browser = Client(traced)
        for _ in range(15):
            response = browser.get("/stream")
            response.get_data()
            response.close()

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    sink.close()
    last: dict[str, int] = {}
    out_of_order = []
    for line in path.read_bytes().splitlines()[1:]:
        record = orjson.loads(line)
        if record["seq"] != last.get(record["trace"], -1) + 1:
            out_of_order.append((record["trace"], last.get(record["trace"]), record["seq"]))
        last[record["trace"]] = record["seq"]
    assert len(last) == 120
    assert out_of_order == []
