"""Why orjson: encoding and decoding trace lines, stdlib json versus orjson.

Records the events of the realistic WSGI and ASGI requests of overhead.py
and times encoding them as trace file lines, and parsing them back, with
both codecs in the same run (interleaved rounds, medians).

    python bench/codec.py
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import time

import orjson

sys.path.insert(0, os.path.dirname(__file__))

import overhead  # noqa: E402

from tracer import ASGITracer, Recorder, WSGITracer  # noqa: E402


def recorded_lines() -> list[dict]:
    rec = Recorder()
    overhead.run_wsgi(WSGITracer(overhead.wsgi_realistic, sink=rec), overhead.wsgi_environ(True), 1)
    asyncio.run(overhead.run_asgi(ASGITracer(overhead.asgi_realistic, sink=rec), True, 1))
    return [record for records in rec._records.values() for record in records]


def main() -> None:
    records = recorded_lines()
    encoders = {
        "json.dumps": lambda r: json.dumps(r, separators=(",", ":"), ensure_ascii=False).encode() + b"\n",
        "orjson.dumps": lambda r: orjson.dumps(r, option=orjson.OPT_APPEND_NEWLINE),
    }
    lines = [encoders["orjson.dumps"](r) for r in records]
    decoders = {"json.loads": json.loads, "orjson.loads": orjson.loads}
    samples: dict[str, list[float]] = {name: [] for name in [*encoders, *decoders]}
    for _ in range(30):
        for name, encode in encoders.items():
            start = time.perf_counter_ns()
            for _ in range(50):
                for record in records:
                    encode(record)
            samples[name].append((time.perf_counter_ns() - start) / 50 / 1000)
        for name, decode in decoders.items():
            start = time.perf_counter_ns()
            for _ in range(50):
                for line in lines:
                    decode(line)
            samples[name].append((time.perf_counter_ns() - start) / 50 / 1000)
    size = sum(map(len, lines))
    print(f"{len(records)} events ({size} bytes of JSON): two realistic requests, one WSGI, one ASGI\n")
    print("| codec | median µs for all events |")
    print("|---|---:|")
    for name, values in samples.items():
        print(f"| {name} | {statistics.median(values):.1f} |")


if __name__ == "__main__":
    main()
