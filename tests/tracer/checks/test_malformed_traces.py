"""Checks and exports never fail on malformed traces: a trace file may hold anything."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import orjson
import pytest

from tracer.checks import check_trace
from tracer.cli import main
from tracer.codec import encode
from tracer.exporters.chrome import trace_events
from tracer.exporters.har import har_entry
from tracer.jsonl import dumps_record, header_line
from tracer.model import ASGI_KINDS, WSGI_KINDS, Event, ReprValue, Trace, TruncatedBytes

ATOMS: list[Any] = [
    None, 0, -1, 1.5, float("nan"), "", "x", "200 OK", b"", b"\xff", TruncatedBytes(b"ab", 10),
    ReprValue("<x>", "m.X"), True, [], {}, [[b"a", b"b"]], [["A", "b"]], [1, 2], {"$x": 1},
]
KEYS = [
    "type", "status", "headers", "body", "more_body", "bytes", "text", "code", "reason", "subprotocol", "trailers",
    "message", "data", "size", "method", "environ", "scope", "exc_info", "bytes_sent", "file_wrapper", "path",
    "REQUEST_METHOD", "CONTENT_LENGTH", "PATH_INFO", "wsgi.input_terminated", "extensions", "subprotocols",
]
TYPES = [
    "http.request", "http.disconnect", "http.response.start", "http.response.body", "http.response.trailers",
    "http.response.pathsend", "websocket.connect", "websocket.accept", "websocket.send", "websocket.receive",
    "websocket.close", "websocket.disconnect", "websocket.http.response.start", "lifespan.startup",
    "lifespan.shutdown", "lifespan.startup.complete", "lifespan.shutdown.failed", "bogus",
]


def random_traces(count: int, seed: int = 1, scope_types: tuple[str, ...] = ("http", "websocket", "lifespan", "weird")) -> list[Trace]:
    rng = random.Random(seed)

    def value(depth: int = 0) -> Any:
        roll = rng.random()
        if depth > 2 or roll < 0.6:
            return rng.choice(ATOMS)
        if roll < 0.8:
            return [value(depth + 1) for _ in range(rng.randint(0, 3))]
        return {rng.choice(KEYS): value(depth + 1) for _ in range(rng.randint(0, 5))}

    traces = []
    for index in range(count):
        protocol = rng.choice(["wsgi", "asgi"])
        scope_type = rng.choice(scope_types)
        events = []
        for seq in range(rng.randint(0, 8)):
            kind = rng.choice(WSGI_KINDS if protocol == "wsgi" else ASGI_KINDS)
            data = value()
            data = data if isinstance(data, dict) else {"data": data}
            if kind in ("asgi.send", "asgi.receive") and rng.random() < 0.8:
                message = value()
                message = message if isinstance(message, dict) else {}
                data = {"message": {**message, "type": rng.choice(TYPES)}}
            elif kind == "asgi.scope" and rng.random() < 0.7:
                data = {"scope": {"type": scope_type, **{key: value() for key in ("headers", "method", "path", "asgi")}}}
            elif kind == "wsgi.environ" and rng.random() < 0.7:
                data = {"environ": {key: value() for key in ("REQUEST_METHOD", "PATH_INFO", "HTTP_HOST", "wsgi.url_scheme")}}
            events.append(Event(seq, seq * 1000, kind, data))
        if events and rng.random() < 0.5:
            events[-1].kind = f"{protocol}.end"
        traces.append(Trace(f"t{index}", protocol, scope_type, rng.choice([0.0, 1.7e9]), events))
    return traces


def test_check_and_export_survive_random_traces() -> None:
    for trace in random_traces(1500):
        for finding in check_trace(trace):
            assert finding.trace == trace.id and finding.rule
        entry = har_entry(trace)
        if entry is not None:
            orjson.dumps(entry)
        orjson.dumps(trace_events(trace, 1))


@pytest.mark.parametrize("command", [["check"], ["export", "--format", "har"], ["export", "--format", "chrome"]])
def test_cli_survives_a_file_of_random_traces(
    tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], command: list[str]
) -> None:
    path = tmp_path / "random.jsonl"
    with open(path, "wb") as out:
        out.write(header_line())
        # A scope_type the format does not define makes the whole file bad input (exit status 2).
        for trace in random_traces(300, seed=2, scope_types=("http", "websocket", "lifespan")):
            for event in trace.events:
                record: dict[str, Any] = {"trace": trace.id, "seq": event.seq, "t_ns": event.t_ns, "kind": event.kind, "data": encode(event.data)}
                if event.seq == 0:
                    record.update(protocol=trace.protocol, scope_type=trace.scope_type, start=trace.started_at)
                out.write(dumps_record(record))
    status = main([command[0], str(path), *command[1:]])
    assert status in (0, 1)
    output = capsysbinary.readouterr().out
    if command[0] == "export":
        orjson.loads(output)
