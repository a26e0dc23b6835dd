"""Trace Event Format export: one track per concurrent request slot, a bar per trace, an instant per event."""

from __future__ import annotations

import io
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from tracer import read_traces
from tracer.cli import main
from tracer.exporters.chrome import SlotAllocator, write_chrome
from tracer.model import Event, Trace

from .test_export_fixtures import record_mixed


def _trace(trace_id: str, start: float, duration_s: float, path: str = "/") -> Trace:
    ns = int(duration_s * 1e9)
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SCRIPT_NAME": ""}
    return Trace(
        trace_id,
        "wsgi",
        "http",
        start,
        [
            Event(0, 0, "wsgi.environ", {"environ": environ}),
            Event(1, ns // 2, "wsgi.start_response", {"status": "200 OK", "headers": [["Content-Type", "text/plain; charset=utf-8"]], "exc_info": None}),
            Event(2, ns // 2, "wsgi.body", {"data": b"ok"}),
            Event(3, ns, "wsgi.close", {}),
            Event(4, ns, "wsgi.end", {"status": "200 OK", "bytes_sent": 2}),
        ],
    )


def _export(traces: list[Trace]) -> dict[str, Any]:
    out = io.BytesIO()
    write_chrome(traces, out)
    return json.loads(out.getvalue())


def test_every_event_has_the_required_fields(tmp_path: Path) -> None:
    doc = _export(read_traces(record_mixed(tmp_path / "t.jsonl")))
    assert doc["displayTimeUnit"] == "ms"
    for event in doc["traceEvents"]:
        assert isinstance(event["name"], str) and event["ph"] in ("X", "i", "M")
        assert event["pid"] == 1 and isinstance(event["tid"], int)
        if event["ph"] != "M":
            assert isinstance(event["ts"], (int, float)) and isinstance(event["cat"], str)
            assert isinstance(event["args"], dict)
        if event["ph"] == "X":
            assert event["dur"] >= 0
        if event["ph"] == "i":
            assert event["s"] == "t"


def test_one_bar_per_trace_and_one_instant_per_event(tmp_path: Path) -> None:
    traces = read_traces(record_mixed(tmp_path / "t.jsonl"))
    events = _export(traces)["traceEvents"]
    bars = [e for e in events if e["ph"] == "X"]
    assert [b["args"]["trace"] for b in bars] == [t.id for t in traces]
    assert [b["name"] for b in bars][:2] == ["GET /hello?a=1&b=&a=2 200", "POST /echo 201"]
    assert bars[-1]["name"] == "lifespan"
    assert len([e for e in events if e["ph"] == "i"]) == sum(len(t.events) for t in traces)
    for bar, trace in zip(bars, traces, strict=True):
        instants = [e for e in events if e["ph"] == "i" and e["tid"] == bar["tid"] and bar["ts"] <= e["ts"] <= bar["ts"] + bar["dur"]]
        assert len(instants) >= len(trace.events)
        assert bar["dur"] == pytest.approx(trace.duration_ns / 1000)


def test_instant_events_carry_a_payload_summary(tmp_path: Path) -> None:
    events = _export(read_traces(record_mixed(tmp_path / "t.jsonl")))["traceEvents"]
    start = next(e for e in events if e["name"] == "wsgi.start_response")
    assert start["args"] == {"seq": 1, "status": "200 OK", "headers": 2}
    body = next(e for e in events if e["name"] == "wsgi.body")
    assert body["args"] == {"seq": 2, "bytes": 3, "preview": "hel"}
    ws = next(e for e in events if e["name"] == "send websocket.send")
    assert ws["args"]["text"] == {"size": 2, "preview": "HI"}
    assert "secret" not in json.dumps(events)
    end = next(e for e in events if e["name"] == "wsgi.end")
    assert end["args"] == {"seq": 5, "status": "200 OK", "bytes_sent": 5, "exhausted": True}


def test_a_server_that_stopped_early_shows_on_the_end_event() -> None:
    from werkzeug.test import create_environ

    from tracer import Recorder, WSGITracer
    from tracer.exporters.chrome import summary

    def streaming(environ: Any, start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        yield b"one"
        yield b"two"

    rec = Recorder()
    result = WSGITracer(streaming, sink=rec)(create_environ("/"), lambda *a: None)
    next(iter(result))
    result.close()  # type: ignore[attr-defined]  # the client went away
    end = rec.traces()[0].events[-1]
    assert summary(end) == {"status": "200 OK", "bytes_sent": 3, "exhausted": False}


def test_findings_are_attached_where_they_happened() -> None:
    trace = _trace("t1", 1000.0, 0.01)
    trace.events[1].data["headers"].append(["Connection", "close"])
    events = _export([trace])["traceEvents"]
    start = next(e for e in events if e["name"] == "wsgi.start_response")
    assert start["args"]["findings"][0]["rule"] == "wsgi-hop-by-hop-header"
    assert "finding" in start["cat"]
    from tracer.checks import check_trace

    assert next(e for e in events if e["ph"] == "X")["args"]["findings"] == len(check_trace(trace))


def test_concurrent_traces_get_their_own_tracks() -> None:
    traces = [
        _trace("a", 100.0, 1.0),   # 100.0-101.0
        _trace("b", 100.5, 1.0),   # overlaps a
        _trace("c", 100.7, 0.1),   # overlaps a and b
        _trace("d", 101.2, 0.1),   # after a ended: reuses a track
    ]
    events = _export(traces)["traceEvents"]
    tid = {e["args"]["trace"]: e["tid"] for e in events if e["ph"] == "X"}
    assert len({tid["a"], tid["b"], tid["c"]}) == 3
    assert tid["d"] in {tid["a"], tid["b"], tid["c"]}
    names = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    assert sorted(names) == [1, 2, 3] and names[1] == "slot 1"
    for slot in tid.values():
        instants = [e for e in events if e["ph"] == "i" and e["tid"] == slot]
        assert instants


@pytest.mark.parametrize("order", ["start", "end", "reversed"])
def test_slots_never_overlap_whatever_the_order(order: str) -> None:
    import random

    rng = random.Random(7)
    spans = [(s, s + rng.uniform(0.01, 3)) for s in (rng.uniform(0, 20) for _ in range(200))]
    if order == "start":
        spans.sort()
    elif order == "end":
        spans.sort(key=lambda span: span[1])
    else:
        spans.sort(key=lambda span: -span[0])
    slots = SlotAllocator()
    placed: dict[int, list[tuple[float, float]]] = {}
    for start, end in spans:
        placed.setdefault(slots.place(start, end), []).append((start, end))
    for items in placed.values():
        items.sort()
        assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(items))
    peak = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    if order in ("start", "end"):
        assert len(slots) == peak


def test_cli_writes_chrome_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record_mixed(tmp_path / "t.jsonl")
    out = tmp_path / "t.json"
    assert main(["export", str(path), "--format", "chrome", "-o", str(out)]) == 0
    assert capsys.readouterr().err == f"tracer: wrote 8 traces to {out}\n"
    doc = json.loads(out.read_bytes())
    assert doc["traceEvents"][0] == {"name": "process_name", "ph": "M", "pid": 1, "tid": 0, "args": {"name": "t.jsonl"}}


def test_lifespan_traces_get_their_own_track(tmp_path: Path) -> None:
    traces = read_traces(record_mixed(tmp_path / "t.jsonl"))
    events = _export(traces)["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e["name"] == "thread_name"}
    lifespan_bar = next(e for e in events if e["ph"] == "X" and e["name"] == "lifespan")
    assert names[lifespan_bar["tid"]] == "lifespan"
    # The request slots hold only requests: as many as were in flight at once.
    request_bars = [e for e in events if e["ph"] == "X" and e["name"] != "lifespan"]
    assert {e["tid"] for e in request_bars} == {tid for tid, name in names.items() if name.startswith("slot ")}
    spans = [(e["ts"], e["ts"] + e["dur"]) for e in request_bars]
    peak = max(sum(1 for s, e in spans if s <= t < e) for t, _ in spans)
    assert len({e["tid"] for e in request_bars}) == peak
