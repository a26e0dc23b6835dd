"""OpenTelemetry: one span per request, each protocol event a span event, sent to a real OTLP/HTTP receiver.

The receiver is an HTTP server on 127.0.0.1 that takes ``POST /v1/traces``
and decodes the body with opentelemetry-proto's ``ExportTraceServiceRequest``,
as a collector does. What it decodes is compared with the recorded traces:
the span events read back into the same steps, in the same order.
"""

from __future__ import annotations

import base64
import gzip
import http.server
import io
import json
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.test import Client

from tracer import ASGITracer, JsonlSink, OTLPSink, Recorder, Trace, WSGITracer, read_traces
from tracer.cli import main
from tracer.errors import UsageError
from tracer.exporters.otlp import span_of_trace, traceparent, write_otlp_json
from tracer.otlp_sink import INSTALL_HINT, traces_url

from .test_export_fixtures import record_mixed

trace_service_pb2 = pytest.importorskip("opentelemetry.proto.collector.trace.v1.trace_service_pb2")
pytest.importorskip("opentelemetry.sdk")

PARENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"


# The receiver


class Receiver:
    """An OTLP/HTTP traces endpoint on 127.0.0.1 that keeps every request it decodes."""

    def __init__(self) -> None:
        self.requests: list[Any] = []
        self.paths: list[str] = []
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - the http.server API
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.paths.append(self.path)
                if self.path != "/v1/traces":
                    self.send_error(404)
                    return
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                request = trace_service_pb2.ExportTraceServiceRequest()
                request.ParseFromString(body)
                receiver.requests.append(request)
                reply = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    def spans(self) -> list[dict[str, Any]]:
        """Every span received, as plain values (see `proto_span`), with its resource's attributes."""
        return [
            {**proto_span(span), "resource": attributes_of(resource_spans.resource.attributes), "scope": scope_spans.scope.name}
            for request in self.requests
            for resource_spans in request.resource_spans
            for scope_spans in resource_spans.scope_spans
            for span in scope_spans.spans
        ]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    running = Receiver()
    try:
        yield running
    finally:
        running.stop()


def any_value(value: Any) -> Any:
    which = value.WhichOneof("value")
    if which == "array_value":
        return [any_value(item) for item in value.array_value.values]
    return getattr(value, which) if which else None


def attributes_of(items: Any) -> dict[str, Any]:
    return {item.key: any_value(item.value) for item in items}


def proto_span(span: Any) -> dict[str, Any]:
    """A decoded protobuf span as plain values, comparable with `json_span`."""
    return {
        "traceId": span.trace_id.hex(),
        "spanId": span.span_id.hex(),
        "parentSpanId": span.parent_span_id.hex() or None,
        "traceState": span.trace_state,
        "flags": span.flags,
        "name": span.name,
        "kind": span.kind,
        "start": span.start_time_unix_nano,
        "end": span.end_time_unix_nano,
        "attributes": attributes_of(span.attributes),
        "events": [(event.name, event.time_unix_nano, attributes_of(event.attributes)) for event in span.events],
        "status": (span.status.code, span.status.message),
    }


def json_value(value: dict[str, Any]) -> Any:
    (key, item), = value.items()
    if key == "arrayValue":
        return [json_value(v) for v in item.get("values", [])]
    return int(item) if key == "intValue" else item


def json_span(span: dict[str, Any]) -> dict[str, Any]:
    """A span of OTLP/JSON as plain values, comparable with `proto_span`."""
    attrs = lambda items: {kv["key"]: json_value(kv["value"]) for kv in items}  # noqa: E731
    return {
        "traceId": span["traceId"],
        "spanId": span["spanId"],
        "parentSpanId": span.get("parentSpanId"),
        "traceState": span.get("traceState", ""),
        "flags": span["flags"],
        "name": span["name"],
        "kind": span["kind"],
        "start": int(span["startTimeUnixNano"]),
        "end": int(span["endTimeUnixNano"]),
        "attributes": attrs(span["attributes"]),
        "events": [(e["name"], int(e["timeUnixNano"]), attrs(e["attributes"])) for e in span["events"]],
        "status": (span["status"].get("code", 0), span["status"].get("message", "")),
    }


def steps(trace: Trace) -> list[tuple[str, str, int]]:
    """Each event of a trace as (name, kind, seq): the ASGI message type for a message, else the event kind."""
    out = []
    for event in trace.events:
        message = event.data.get("message")
        name = message["type"] if event.kind in ("asgi.send", "asgi.receive") and isinstance(message, dict) else event.kind
        out.append((name, event.kind, event.seq))
    return out


def span_steps(span: dict[str, Any]) -> list[tuple[str, str, int]]:
    """The steps a span's events read back into."""
    return [(name, attrs["tracer.kind"], attrs["tracer.seq"]) for name, _, attrs in span["events"]]


def exported(path: Path) -> list[dict[str, Any]]:
    out = io.BytesIO()
    write_otlp_json(read_traces(path), out)
    document = json.loads(out.getvalue())
    return [json_span(span) for span in document["resourceSpans"][0]["scopeSpans"][0]["spans"]]


# Apps

BOOM = RuntimeError("boom")


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    if environ["PATH_INFO"] == "/boom":
        raise BOOM
    if environ["PATH_INFO"] == "/fail":
        start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
        return [b"down"]
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", "sid=secret")])
    return [b"hello ", body]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"got ", "more_body": True})
    await send({"type": "http.response.body", "body": body})


# OTLP/JSON from a file


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return record_mixed(tmp_path_factory.mktemp("otlp") / "t.jsonl")


def test_export_writes_otlp_json_one_span_per_trace(mixed: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    assert main(["export", str(mixed), "--format", "otlp"]) == 0
    document = json.loads(capfdbinary.readouterr().out)
    (resource_spans,) = document["resourceSpans"]
    assert resource_spans["resource"]["attributes"] == [{"key": "service.name", "value": {"stringValue": "tracer"}}]
    (scope_spans,) = resource_spans["scopeSpans"]
    assert scope_spans["scope"]["name"] == "tracer"
    spans = scope_spans["spans"]
    traces = read_traces(mixed)
    assert len(spans) == len(traces) == 8
    for span, trace in zip(spans, traces):
        assert re.fullmatch(r"[0-9a-f]{32}", span["traceId"]) and re.fullmatch(r"[0-9a-f]{16}", span["spanId"])
        assert isinstance(span["startTimeUnixNano"], str) and isinstance(span["endTimeUnixNano"], str)
        assert int(span["startTimeUnixNano"]) == round(trace.started_at * 1e9)
        assert int(span["endTimeUnixNano"]) == int(span["startTimeUnixNano"]) + trace.summary.duration_ns
        for item in span["attributes"] + [kv for event in span["events"] for kv in event["attributes"]]:
            assert set(item) == {"key", "value"} and len(item["value"]) == 1
            assert set(item["value"]) <= {"stringValue", "intValue", "boolValue", "doubleValue", "arrayValue"}
            if "intValue" in item["value"]:
                assert isinstance(item["value"]["intValue"], str)
        assert span_steps(json_span(span)) == steps(trace)
        times = [int(event["timeUnixNano"]) for event in span["events"]]
        assert times == sorted(times) and times[0] == int(span["startTimeUnixNano"])
    names = [span["name"] for span in spans]
    assert names == ["GET /hello", "POST /echo", "GET /logo.png", "GET /old", "GET /crash", "POST /api/items", "WS /api/items", "lifespan"]
    assert [span["kind"] for span in spans] == [2] * 7 + [1]  # SERVER, and INTERNAL for lifespan


def test_otlp_json_is_a_valid_export_request(mixed: Path) -> None:
    """Parsed by protobuf's own JSON reader (ids turned from OTLP's hex into protobuf's base64)."""
    from google.protobuf import json_format

    out = io.BytesIO()
    write_otlp_json(read_traces(mixed), out)
    document = json.loads(out.getvalue())
    for span in document["resourceSpans"][0]["scopeSpans"][0]["spans"]:
        for key in ("traceId", "spanId", "parentSpanId"):
            if key in span:
                span[key] = base64.b64encode(bytes.fromhex(span[key])).decode()
    request = json_format.ParseDict(document, trace_service_pb2.ExportTraceServiceRequest())
    assert len(request.resource_spans[0].scope_spans[0].spans) == 8


def test_attributes_follow_the_http_semantic_conventions(mixed: Path) -> None:
    spans = {span["name"]: span for span in exported(mixed)}
    hello = spans["GET /hello"]["attributes"]
    assert hello["http.request.method"] == "GET"
    assert hello["url.path"] == "/hello" and hello["url.query"] == "a=1&b=&a=2" and hello["url.scheme"] == "http"
    assert hello["http.response.status_code"] == 200 and hello["http.response.body.size"] == 5
    assert hello["server.address"] == "localhost" and hello["network.protocol.version"] == "1.1"
    assert hello["tracer.protocol"] == "wsgi" and hello["tracer.scope_type"] == "http" and hello["tracer.complete"] is True
    echo = spans["POST /echo"]["attributes"]
    assert echo["http.request.body.size"] == 8
    assert echo["http.request.header.authorization"] == ["[redacted]"]
    assert echo["http.response.header.set-cookie"] == ["[redacted]"]
    crash = spans["GET /crash"]
    assert crash["attributes"]["error.type"] == "RuntimeError"
    assert crash["status"] == (2, "RuntimeError: boom")
    error_event = next(attrs for name, _, attrs in crash["events"] if name == "wsgi.error")
    assert error_event["exception.type"] == "RuntimeError" and "boom" in error_event["exception.stacktrace"]
    asgi = spans["POST /api/items"]["attributes"]
    assert asgi["server.address"] == "example.test" and asgi["server.port"] == 8000
    assert asgi["client.address"] == "127.0.0.1" and asgi["client.port"] == 5000
    assert asgi["http.request.body.size"] == 2 and asgi["tracer.protocol"] == "asgi"
    ws = spans["WS /api/items"]["attributes"]
    assert ws["http.request.method"] == "GET" and ws["url.scheme"] == "ws"
    assert ws["http.response.status_code"] == 101 and ws["tracer.websocket.close_code"] == 1000
    assert "http.response.body.size" not in ws
    lifespan = spans["lifespan"]["attributes"]
    assert lifespan["tracer.scope_type"] == "lifespan" and "http.request.method" not in lifespan


def test_events_summarise_payloads_without_bodies(mixed: Path) -> None:
    spans = {span["name"]: span for span in exported(mixed)}
    events = spans["POST /api/items"]["events"]
    assert [(name, attrs.get("body.size"), attrs.get("more_body")) for name, _, attrs in events if name.startswith("http.")] == [
        ("http.request", 1, True),
        ("http.request", 1, False),
        ("http.response.start", None, None),
        ("http.response.body", 6, True),
        ("http.response.body", 1, None),
    ]
    start = next(attrs for name, _, attrs in events if name == "http.response.start")
    assert start["status"] == 200 and start["headers.count"] == 1
    text = json.dumps(spans)
    assert "got ab" not in text and "HI" not in text  # bodies and messages stay out


def test_export_out_suffix_and_format(mixed: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "spans.otlp.json"
    assert main(["export", str(mixed), "--out", str(out)]) == 0
    assert capsys.readouterr().err == f"tracer: wrote 8 spans to {out}\n"
    assert "resourceSpans" in json.loads(out.read_bytes())
    assert out.stat().st_mode & 0o777 == 0o600
    plain = tmp_path / "spans.json"
    assert main(["export", str(mixed), "--format", "otlp", "--out", str(plain)]) == 0
    assert plain.read_bytes() == out.read_bytes()  # the same ids every time


# W3C traceparent


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ([("traceparent", f"00-{PARENT_TRACE}-{PARENT_SPAN}-01")], (PARENT_TRACE, PARENT_SPAN, "")),
        ([("Traceparent", f"00-{PARENT_TRACE}-{PARENT_SPAN}-00"), ("Tracestate", "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7")],
         (PARENT_TRACE, PARENT_SPAN, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")),
        ([("traceparent", f"01-{PARENT_TRACE}-{PARENT_SPAN}-01-future")], (PARENT_TRACE, PARENT_SPAN, "")),
        ([("traceparent", f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"), ("tracestate", "Bad Key=1")], (PARENT_TRACE, PARENT_SPAN, "")),
        ([("traceparent", f"00-{PARENT_TRACE}-{PARENT_SPAN}-01-extra")], None),
        ([("traceparent", f"ff-{PARENT_TRACE}-{PARENT_SPAN}-01")], None),
        ([("traceparent", f"00-{'0' * 32}-{PARENT_SPAN}-01")], None),
        ([("traceparent", f"00-{PARENT_TRACE}-{'0' * 16}-01")], None),
        ([("traceparent", f"00-{PARENT_TRACE.upper()}-{PARENT_SPAN}-01")], None),
        ([("traceparent", "[redacted]")], None),
        ([], None),
    ],
)
def test_traceparent_follows_w3c_trace_context(headers: list[tuple[str, str]], expected: Any) -> None:
    assert traceparent(headers) == expected


def test_a_request_with_traceparent_joins_the_callers_trace() -> None:
    rec = Recorder()
    client = Client(WSGITracer(wsgi_app, sink=rec))
    client.get("/joined", headers={"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-01", "tracestate": "vendor=x"})
    client.get("/alone")
    joined, alone = (span_of_trace(trace) for trace in rec.traces())
    assert (joined.trace_id, joined.parent_span_id, joined.trace_state) == (PARENT_TRACE, PARENT_SPAN, "vendor=x")
    assert joined.span_id != PARENT_SPAN
    assert alone.parent_span_id is None and alone.trace_id != PARENT_TRACE
    assert span_of_trace(rec.traces()[1]).trace_id == alone.trace_id  # derived from tracer's id: stable


# Sending a file: tracer export --endpoint


def test_endpoint_sends_the_same_spans_as_the_json(mixed: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(mixed), "--endpoint", receiver.url, "--service-name", "shop"]) == 0
    assert capsys.readouterr().err == f"tracer: sent 8 spans to {receiver.url}/v1/traces\n"
    received = receiver.spans()
    assert {span["resource"]["service.name"] for span in received} == {"shop"}
    assert {span["scope"] for span in received} == {"tracer"}
    strip = lambda span: {k: v for k, v in span.items() if k not in ("resource", "scope")}  # noqa: E731
    assert [strip(span) for span in received] == exported(mixed)
    for span, trace in zip(received, read_traces(mixed)):
        assert span_steps(span) == steps(trace)


def test_endpoint_with_a_full_traces_url(mixed: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(mixed), "-f", "otlp", "--endpoint", receiver.url + "/v1/traces/"]) == 0
    assert receiver.paths == ["/v1/traces"]


def test_an_unreachable_collector_is_one_line(mixed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["export", str(mixed), "--endpoint", f"http://127.0.0.1:{port}"]) == 1
    err = capsys.readouterr().err
    assert err == f"tracer: error: cannot reach the collector at http://127.0.0.1:{port}/v1/traces: Connection refused\n"


def test_a_collector_that_refuses_is_one_line(mixed: Path, receiver: Receiver, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(mixed), "--endpoint", receiver.url + "/elsewhere"]) == 1
    url = receiver.url + "/elsewhere/v1/traces"
    assert capsys.readouterr().err == f"tracer: error: the collector at {url} did not take the spans: HTTP 404 Not Found\n"


def test_unreachable_collector_from_the_command_line_has_no_traceback(mixed: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = subprocess.run(
        [sys.executable, "-m", "tracer.cli", "export", str(mixed), "--endpoint", f"http://127.0.0.1:{port}"],
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("tracer: error: cannot reach the collector") and result.stderr.count("\n") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--endpoint", "ftp://collector"], "endpoint 'ftp://collector': expected an http:// or https:// URL, such as http://127.0.0.1:4318"),
        (["--endpoint", "http://127.0.0.1:4318", "-f", "har"], "--endpoint sends OpenTelemetry spans; it does not go with --format har"),
    ],
)
def test_bad_endpoint_options_are_one_line(mixed: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(["export", str(mixed), *args]) == 2
    assert capsys.readouterr().err == f"tracer: error: {message}\n"


def test_traces_url() -> None:
    assert traces_url("http://127.0.0.1:4318") == "http://127.0.0.1:4318/v1/traces"
    assert traces_url("https://otlp.example/base/") == "https://otlp.example/base/v1/traces"
    assert traces_url("http://h:4318/v1/traces") == "http://h:4318/v1/traces"
    with pytest.raises(UsageError):
        traces_url("http://h:port")


# Without the extra


def _hide_the_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("opentelemetry.sdk.trace", "opentelemetry.exporter.otlp.proto.http.trace_exporter"):
        monkeypatch.setitem(sys.modules, name, None)


def test_without_the_extra_the_sink_names_the_install(monkeypatch: pytest.MonkeyPatch) -> None:
    _hide_the_sdk(monkeypatch)
    with pytest.raises(UsageError, match=re.escape(INSTALL_HINT)):
        OTLPSink("http://127.0.0.1:4318")


def test_without_the_extra_export_endpoint_is_one_line(mixed: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _hide_the_sdk(monkeypatch)
    assert main(["export", str(mixed), "--endpoint", "http://127.0.0.1:4318"]) == 2
    assert capsys.readouterr().err == f"tracer: error: sending to an OpenTelemetry collector needs the OpenTelemetry SDK: {INSTALL_HINT}\n"
    assert main(["export", str(mixed), "--format", "otlp"]) == 0  # the JSON needs no SDK


def test_import_tracer_does_not_load_opentelemetry() -> None:
    code = "import sys, tracer; print(sorted(m for m in sys.modules if m.startswith(('opentelemetry', 'google'))))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


# Live: OTLPSink


def test_sink_sends_wsgi_requests_live(receiver: Receiver, tmp_path: Path) -> None:
    sink = OTLPSink(receiver.url, service_name="shop", inner=JsonlSink(tmp_path / "t.jsonl"))
    client = Client(WSGITracer(wsgi_app, sink=sink))
    try:
        client.post(
            "/hello?x=1",
            data=b"world",
            headers={"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-01", "User-Agent": "pytest/1", "Authorization": "Bearer s"},
        )
        client.get("/fail")
        with pytest.raises(RuntimeError):
            client.get("/boom")
    finally:
        sink.close()
    traces = read_traces(tmp_path / "t.jsonl")  # the inner sink got every record
    spans = receiver.spans()
    assert [span["name"] for span in spans] == ["POST /hello", "GET /fail", "GET /boom"]
    hello, fail, boom = spans
    assert hello["resource"]["service.name"] == "shop"
    assert (hello["traceId"], hello["parentSpanId"]) == (PARENT_TRACE, PARENT_SPAN)
    assert hello["flags"] & 0x300 == 0x300  # the parent is remote
    assert hello["kind"] == trace_service_pb2.opentelemetry_dot_proto_dot_trace_dot_v1_dot_trace__pb2.Span.SPAN_KIND_SERVER
    attributes = hello["attributes"]
    assert attributes["user_agent.original"] == "pytest/1"
    assert attributes["http.request.header.authorization"] == ["[redacted]"]
    assert attributes["url.query"] == "x=1" and attributes["http.request.body.size"] == 5
    assert attributes["tracer.trace_id"] == traces[0].id
    assert fail["status"][0] == 2 and fail["attributes"]["error.type"] == "503"
    assert boom["status"] == (2, "RuntimeError: boom") and boom["attributes"]["error.type"] == "RuntimeError"
    for span, trace in zip(spans, traces):
        assert span_steps(span) == steps(trace)
        assert span["start"] == round(trace.started_at * 1e9)


async def test_sink_sends_asgi_requests_live(receiver: Receiver) -> None:
    rec = Recorder()
    sink = OTLPSink(receiver.url, inner=rec)
    transport = httpx.ASGITransport(app=ASGITracer(asgi_app, sink=sink))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            response = await client.post("/items", content=b"tea", headers={"traceparent": f"00-{PARENT_TRACE}-{PARENT_SPAN}-01"})
            assert response.status_code == 201 and response.content == b"got tea"
            await client.get("/other")
    finally:
        sink.close()
    spans = receiver.spans()
    assert [span["name"] for span in spans] == ["POST /items", "GET /other"]
    assert spans[0]["parentSpanId"] == PARENT_SPAN and spans[1]["parentSpanId"] is None
    assert spans[0]["attributes"]["http.response.status_code"] == 201
    assert spans[0]["attributes"]["server.address"] == "testserver"
    for span, trace in zip(spans, rec.traces()):
        assert span_steps(span) == steps(trace)
        names = [name for name, _, _ in span["events"]]
        assert names[0] == "asgi.scope" and names[-1] == "asgi.end" and "http.response.start" in names


def test_sink_sends_unfinished_traces_as_incomplete_on_close() -> None:
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    memory = InMemorySpanExporter()
    sink = OTLPSink(exporter=memory)
    sink.write({"trace": "t-1", "seq": 0, "t_ns": 0, "kind": "asgi.scope", "protocol": "asgi", "scope_type": "http",
                "start": 1.5, "data": {"scope": {"type": "http", "method": "GET", "path": "/slow", "headers": []}}})
    sink.write({"trace": "t-1", "seq": 1, "t_ns": 2000, "kind": "asgi.receive", "data": {"message": {"type": "http.request"}}})
    assert memory.get_finished_spans() == ()
    sink.close()
    (span,) = memory.get_finished_spans()
    assert span.name == "GET /slow" and span.attributes["tracer.complete"] is False
    assert (span.start_time, span.end_time) == (1_500_000_000, 1_500_002_000)
    assert [event.name for event in span.events] == ["asgi.scope", "http.request"]
    sink.write({"trace": "t-2", "seq": 0, "t_ns": 0, "kind": "asgi.scope", "data": {}})  # after close: ignored
    assert len(memory.get_finished_spans()) == 1
