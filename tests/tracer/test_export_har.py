"""HAR 1.2 export: the structure the spec requires, field by field, and what readers expect."""

from __future__ import annotations

import base64
import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tracer import read_traces
from tracer.cli import main
from tracer.exporters.har import har_entry, write_har

from .test_export_fixtures import record_mixed


@pytest.fixture(scope="module")
def har(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = record_mixed(tmp_path_factory.mktemp("har") / "t.jsonl")
    out = io.BytesIO()
    write_har(read_traces(path), out)
    return json.loads(out.getvalue())


def _nv_list(value: Any) -> None:
    assert isinstance(value, list)
    for item in value:
        assert set(item) >= {"name", "value"}
        assert isinstance(item["name"], str) and isinstance(item["value"], str)


def _custom_only(obj: dict[str, Any], allowed: set[str]) -> None:
    extra = {key for key in obj if key not in allowed}
    assert all(key.startswith("_") for key in extra), extra


ENTRY = {"pageref", "startedDateTime", "time", "request", "response", "cache", "timings", "serverIPAddress", "connection", "comment"}
REQUEST = {"method", "url", "httpVersion", "cookies", "headers", "queryString", "postData", "headersSize", "bodySize", "comment"}
RESPONSE = {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL", "headersSize", "bodySize", "comment"}
CONTENT = {"size", "compression", "mimeType", "text", "encoding", "comment"}
TIMINGS = {"blocked", "dns", "connect", "send", "wait", "receive", "ssl", "comment"}


def test_log_structure(har: dict[str, Any]) -> None:
    assert list(har) == ["log"]
    log = har["log"]
    assert log["version"] == "1.2"
    assert isinstance(log["creator"]["name"], str) and isinstance(log["creator"]["version"], str)
    assert isinstance(log["entries"], list)
    # Lifespan traces are not HTTP exchanges: 5 WSGI, 1 ASGI http, 1 websocket.
    assert len(log["entries"]) == 7


def test_every_entry_has_the_required_fields_and_types(har: dict[str, Any]) -> None:
    for entry in har["log"]["entries"]:
        _custom_only(entry, ENTRY)
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(entry)
        started = datetime.datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))
        assert started.tzinfo is not None
        assert isinstance(entry["time"], (int, float)) and entry["time"] >= 0
        assert entry["cache"] == {}

        request = entry["request"]
        _custom_only(request, REQUEST)
        assert isinstance(request["method"], str) and request["url"].split("://")[0] in ("http", "https", "ws", "wss")
        assert request["httpVersion"].startswith("HTTP/")
        assert request["cookies"] == []
        _nv_list(request["headers"])
        _nv_list(request["queryString"])
        assert request["headersSize"] == -1 and isinstance(request["bodySize"], int)
        if "postData" in request:
            post = request["postData"]
            assert isinstance(post["mimeType"], str) and isinstance(post["text"], str)

        response = entry["response"]
        _custom_only(response, RESPONSE)
        assert isinstance(response["status"], int) and isinstance(response["statusText"], str)
        assert isinstance(response["httpVersion"], str) and response["cookies"] == []
        _nv_list(response["headers"])
        assert isinstance(response["redirectURL"], str)
        assert response["headersSize"] == -1 and isinstance(response["bodySize"], int)
        content = response["content"]
        _custom_only(content, CONTENT)
        assert isinstance(content["size"], int) and isinstance(content["mimeType"], str)
        assert isinstance(content.get("text", ""), str) and content.get("encoding") in (None, "base64")

        timings = entry["timings"]
        _custom_only(timings, TIMINGS)
        for key in ("blocked", "dns", "connect", "ssl"):
            assert timings[key] == -1
        for key in ("send", "wait", "receive"):
            assert isinstance(timings[key], (int, float)) and timings[key] >= 0
        assert entry["time"] == pytest.approx(sum(v for v in timings.values() if v >= 0), abs=0.01)


def _entry(har: dict[str, Any], url_part: str) -> dict[str, Any]:
    return next(e for e in har["log"]["entries"] if url_part in e["request"]["url"])


def test_wsgi_request_line_headers_and_query(har: dict[str, Any]) -> None:
    entry = _entry(har, "/hello")
    request = entry["request"]
    assert request["method"] == "GET"
    assert request["url"] == "http://localhost/hello?a=1&b=&a=2"
    assert request["queryString"] == [{"name": "a", "value": "1"}, {"name": "b", "value": ""}, {"name": "a", "value": "2"}]
    assert {"name": "Host", "value": "localhost"} in request["headers"]
    assert "postData" not in request and request["bodySize"] == 0
    response = entry["response"]
    assert (response["status"], response["statusText"]) == (200, "OK")
    assert response["content"] == {"size": 5, "mimeType": "text/plain; charset=utf-8", "text": "hello"}
    assert response["bodySize"] == 5


def test_post_data_and_redaction(har: dict[str, Any]) -> None:
    entry = _entry(har, "/echo")
    request = entry["request"]
    assert request["postData"]["text"] == '{"x": 1}' and request["bodySize"] == 8
    assert {"name": "Authorization", "value": "[redacted]"} in request["headers"]
    assert {"name": "Set-Cookie", "value": "[redacted]"} in entry["response"]["headers"]
    assert (entry["response"]["status"], entry["response"]["statusText"]) == (201, "Created")
    assert "t0ken" not in json.dumps(entry) and "sid=secret" not in json.dumps(entry)


def test_binary_body_is_base64(har: dict[str, Any]) -> None:
    content = _entry(har, "/logo.png")["response"]["content"]
    assert content["encoding"] == "base64" and content["mimeType"] == "image/png"
    assert base64.b64decode(content["text"]) == b"\x89PNG\r\n\x1a\n\x00\xff"


def test_redirect_url(har: dict[str, Any]) -> None:
    assert _entry(har, "/old")["response"]["redirectURL"] == "http://localhost/next"


def test_app_exception_is_status_0_with_error(har: dict[str, Any]) -> None:
    entry = _entry(har, "/crash")
    assert entry["response"]["status"] == 0 and entry["response"]["_error"] == "RuntimeError: boom"


def test_asgi_entry(har: dict[str, Any]) -> None:
    entry = next(e for e in har["log"]["entries"] if e["_protocol"] == "asgi" and e["_scopeType"] == "http")
    request = entry["request"]
    assert request["url"] == "http://example.test:8000/api/items?page=2&q=a+b"
    assert request["queryString"] == [{"name": "page", "value": "2"}, {"name": "q", "value": "a b"}]
    assert {"name": "authorization", "value": "[redacted]"} in request["headers"]
    assert request["postData"] == {"mimeType": "application/octet-stream", "text": "ab"}
    assert entry["response"]["content"]["text"] == "got ab!" and entry["response"]["statusText"] == "OK"
    assert [event["kind"] for event in entry["_events"]][:2] == ["asgi.scope", "asgi.receive"]


def test_websocket_messages_as_browsers_write_them(har: dict[str, Any]) -> None:
    entry = next(e for e in har["log"]["entries"] if e["_scopeType"] == "websocket")
    assert entry["_resourceType"] == "websocket"
    assert entry["request"]["url"].startswith("ws://example.test:8000/api/items")
    assert (entry["response"]["status"], entry["response"]["statusText"]) == (101, "Switching Protocols")
    messages = entry["_webSocketMessages"]
    assert [(m["type"], m["opcode"], m["data"]) for m in messages] == [
        ("send", 1, "hi"),
        ("receive", 1, "HI"),
        ("receive", 2, base64.b64encode(b"\x00\x01").decode()),
    ]
    started = datetime.datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00")).timestamp()
    assert all(isinstance(m["time"], float) and started - 0.01 <= m["time"] < started + 60 for m in messages)


def test_timings_follow_the_events(har: dict[str, Any]) -> None:
    entry = next(e for e in har["log"]["entries"] if e["_protocol"] == "asgi" and e["_scopeType"] == "http")
    events = entry["_events"]
    t = {e["seq"]: e["t_ns"] / 1e6 for e in events}
    # seq 2: last http.request read; seq 4 and 5: first and last body chunk
    assert entry["timings"]["send"] == pytest.approx(t[2], abs=0.001)
    assert entry["timings"]["wait"] == pytest.approx(t[4] - t[2], abs=0.001)
    assert entry["timings"]["receive"] == pytest.approx(t[5] - t[4], abs=0.001)


def test_readers_view(har: dict[str, Any]) -> None:
    """Read each entry the way mitmproxy's HAR reader (mitmproxy/io/har.py) does, step by step."""
    for entry in har["log"]["entries"]:
        start = datetime.datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00")).timestamp()
        assert start + entry["time"] / 1000.0 >= start
        request = entry["request"]
        for header in request["headers"] + entry["response"]["headers"]:
            header["name"].encode(), header["value"].encode()
        assert request["httpVersion"] and entry["response"]["httpVersion"]
        if "postData" in request:
            assert isinstance(request["postData"]["text"], str)
        content = entry["response"]["content"]
        text = content.get("text", "")
        if content.get("encoding") == "base64":
            base64.b64decode(text)
        assert isinstance(entry["response"]["status"], int)


def test_chrome_devtools_importers_view(har: dict[str, Any]) -> None:
    """The checks Chrome's HAR importer (devtools HARFormat.ts) makes while it reads a file."""

    def obj(value: Any) -> dict[str, Any]:
        assert isinstance(value, dict), value  # HARBase: "First parameter is expected to be an object"
        return value

    def number(value: Any) -> None:
        assert isinstance(value, (int, float)) and not isinstance(value, bool)  # safeNumber: no NaN

    log = obj(obj(har)["log"])
    assert isinstance(log["pages"], list) and isinstance(log["entries"], list)
    obj(log["creator"])
    for entry in map(obj, log["entries"]):
        datetime.datetime.fromisoformat(entry["startedDateTime"].replace("Z", "+00:00"))  # safeDate
        number(entry["time"])
        request, response, timings = obj(entry["request"]), obj(entry["response"]), obj(entry["timings"])
        for key in ("headersSize", "bodySize"):
            number(request[key]), number(response[key])
        number(response["status"])
        for item in request["headers"] + request["queryString"] + response["headers"]:
            obj(item)
        if "postData" in request:
            obj(request["postData"])
        number(obj(response["content"])["size"])
        for key in ("send", "wait", "receive", "blocked", "dns", "connect", "ssl"):
            number(timings[key])
        for message in entry.get("_webSocketMessages", []):
            number(obj(message)["time"]), number(message["opcode"])
            assert message["type"] in ("send", "receive") and isinstance(message["data"], str)


def _one_wsgi_entry(tmp_path: Path, app: Any, environ: dict[str, Any] | None = None, **tracer_options: Any) -> dict[str, Any]:
    """Serve one request to `app` through the tracer, write the trace file, and export its HAR entry."""
    from werkzeug.test import create_environ, run_wsgi_app

    from tracer import JsonlSink, WSGITracer

    sink = JsonlSink(tmp_path / "t.jsonl")
    app_iter, _, _ = run_wsgi_app(WSGITracer(app, sink=sink, **tracer_options), environ or create_environ("/"))
    b"".join(app_iter)
    app_iter.close()
    sink.close()
    [trace] = read_traces(tmp_path / "t.jsonl")
    entry = har_entry(trace)
    assert entry is not None
    return entry


def test_truncated_body_is_marked(tmp_path: Path) -> None:
    def big(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"x" * 100, b"y" * 100]

    content = _one_wsgi_entry(tmp_path, big, max_body_bytes=150)["response"]["content"]
    assert content["size"] == 200 and content["_truncated"] is True and len(content["text"]) == 150


def test_cli_writes_har(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record_mixed(tmp_path / "t.jsonl")
    out = tmp_path / "t.har"
    assert main(["export", str(path), "--format", "har", "--out", str(out)]) == 0
    assert capsys.readouterr().err == f"tracer: wrote 7 entries to {out}\n"
    assert len(json.loads(out.read_bytes())["log"]["entries"]) == 7
    assert not (tmp_path / "t.har.part").exists()


def test_cli_no_events_and_stdout(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    path = record_mixed(tmp_path / "t.jsonl")
    assert main(["export", str(path), "-f", "har", "--no-events"]) == 0
    entries = json.loads(capfdbinary.readouterr().out)["log"]["entries"]
    assert entries and all("_events" not in e for e in entries)


def test_cli_leaves_out_events_unless_asked(tmp_path: Path, capfdbinary: pytest.CaptureFixture[bytes]) -> None:
    path = record_mixed(tmp_path / "t.jsonl")
    assert main(["export", str(path), "-f", "har"]) == 0
    assert all("_events" not in e for e in json.loads(capfdbinary.readouterr().out)["log"]["entries"])
    assert main(["export", str(path), "-f", "har", "--events"]) == 0
    assert all(e["_events"] for e in json.loads(capfdbinary.readouterr().out)["log"]["entries"])


@pytest.mark.parametrize(("name", "key"), [("out.har", "log"), ("out.JSON", "traceEvents")])
def test_cli_infers_the_format_from_the_suffix_and_writes_owner_only(tmp_path: Path, name: str, key: str) -> None:
    path = record_mixed(tmp_path / "t.jsonl")
    out = tmp_path / name
    assert main(["export", str(path), "--out", str(out)]) == 0
    assert key in json.loads(out.read_bytes())
    assert out.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--out", "x.txt"], "--out x.txt: cannot tell the format from its suffix; add --format har, chrome or otlp (or name it .har, .json or .otlp.json)"),
        ([], "--format is needed when writing to standard output (har, chrome or otlp)"),
    ],
)
def test_cli_without_a_format_says_what_to_add(tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    path = record_mixed(tmp_path / "t.jsonl")
    assert main(["export", str(path), *args]) == 2
    assert capsys.readouterr().err == f"tracer: error: {message}\n"


def test_timings_are_rounded_to_microseconds(har: dict[str, Any]) -> None:
    for entry in har["log"]["entries"]:
        for value in [entry["time"], *entry["timings"].values()]:
            assert value == round(value, 3)


@pytest.mark.parametrize("fmt", ["har", "chrome"])
@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"not json\n", "not a tracer trace file"),
        (b'{"format": "tracer", "version": 9}\n', "newer"),
        (b'{"format": "tracer", "version": 1}\n{"trace": 1}\n', "in.jsonl:2: "),
    ],
)
def test_bad_input_is_refused_like_view(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fmt: str, content: bytes | None, message: str
) -> None:
    path = tmp_path / "in.jsonl"
    if content is not None:
        path.write_bytes(content)
    out = tmp_path / "out.json"
    assert main(["export", str(path), "--format", fmt, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracer: error: ") and message in err
    assert not out.exists() and not (tmp_path / "out.json.part").exists()


def test_refuses_to_overwrite_the_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record_mixed(tmp_path / "t.jsonl")
    assert main(["export", str(path), "--format", "har", "--out", str(path)]) == 2
    assert "overwrite" in capsys.readouterr().err


def test_mitmproxy_reads_the_har_file(tmp_path: Path) -> None:
    """mitmproxy's own HAR reader loads every entry (runs where mitmproxy is installed)."""
    har_module = pytest.importorskip("mitmproxy.io.har")
    from mitmproxy.io import FlowReader

    path = record_mixed(tmp_path / "t.jsonl")
    out = tmp_path / "t.har"
    assert main(["export", str(path), "--format", "har", "--out", str(out)]) == 0
    with open(out, "rb") as handle:
        flows = list(FlowReader(handle).stream())
    assert len(flows) == 7
    entries = json.loads(out.read_bytes())["log"]["entries"]
    flow = har_module.request_to_flow(entries[1])
    assert flow.request.method == "POST" and flow.request.content == b'{"x": 1}'
    assert flow.response.status_code == 201


def test_wsgi_url_is_rebuilt_and_quoted_as_pep_3333_says(tmp_path: Path) -> None:
    from werkzeug.test import create_environ

    def ok(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"ok"]

    environ = create_environ("/a%20b/%2541/%C3%A9", "https://example.test:8443/", query_string="x=%20y")
    request = _one_wsgi_entry(tmp_path, ok, environ)["request"]
    assert request["url"] == "https://example.test:8443/a%20b/%2541/%C3%A9?x=%20y"
    assert request["queryString"] == [{"name": "x", "value": " y"}]


TEXT = "compressed hello, " * 40


@pytest.mark.parametrize("coding", ["gzip", "deflate"])
def test_compressed_body_is_exported_decoded(tmp_path: Path, coding: str) -> None:
    import gzip
    import zlib

    packed = gzip.compress(TEXT.encode()) if coding == "gzip" else zlib.compress(TEXT.encode())

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Encoding", coding)]
        start_response("200 OK", headers + [("Content-Length", str(len(packed)))])
        return [packed[:10], packed[10:]]

    response = _one_wsgi_entry(tmp_path, app)["response"]
    # HAR content is the decoded body; readers such as mitmproxy re-encode it by Content-Encoding.
    assert response["content"] == {
        "size": len(TEXT),
        "compression": len(TEXT) - len(packed),
        "mimeType": "text/plain; charset=utf-8",
        "text": TEXT,
    }
    assert response["bodySize"] == len(packed)


def test_compressed_body_that_cannot_be_decoded_stays_as_sent(tmp_path: Path) -> None:
    import gzip

    packed = gzip.compress(TEXT.encode())

    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Encoding", "gzip")])
        return [packed]

    content = _one_wsgi_entry(tmp_path, app, max_body_bytes=20)["response"]["content"]  # only the first 20 bytes kept
    assert content["_truncated"] is True and content["encoding"] == "base64" and "compression" not in content
    assert "gzip-encoded" in content["comment"]
    assert base64.b64decode(content["text"]) == packed[:20]


def test_timings_do_not_overlap_when_the_app_reads_while_it_responds() -> None:
    from tracer.model import Event, Trace

    ms = 1_000_000
    scope = {"type": "http", "method": "POST", "path": "/", "headers": [], "query_string": b""}
    start = {"type": "http.response.start", "status": 200, "headers": [[b"content-type", b"text/plain"]]}
    events = [
        Event(0, 0, "asgi.scope", {"scope": scope}),
        Event(1, 1 * ms, "asgi.send", {"message": start}),
        Event(2, 2 * ms, "asgi.receive", {"message": {"type": "http.request", "body": b"a", "more_body": True}}),
        Event(3, 3 * ms, "asgi.send", {"message": {"type": "http.response.body", "body": b"a", "more_body": True}}),
        Event(4, 5 * ms, "asgi.receive", {"message": {"type": "http.request", "body": b"b"}}),  # a streaming echo
        Event(5, 6 * ms, "asgi.send", {"message": {"type": "http.response.body", "body": b"b"}}),
        Event(6, 7 * ms, "asgi.end", {}),
    ]
    entry = har_entry(Trace("echo", "asgi", "http", 1_800_000_000.0, events))
    assert entry is not None
    # Sending ends at the last read (5 ms); receiving runs from there to the last chunk (6 ms).
    timings = entry["timings"]
    assert (timings["send"], timings["wait"], timings["receive"]) == (5.0, 0.0, 1.0)
    assert entry["time"] == 6.0


def test_a_body_generated_for_head_is_not_what_the_client_got(tmp_path: Path) -> None:
    from werkzeug.test import create_environ

    def django_like(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "5")])
        return [b"hello"]  # generated for HEAD too; the server drops it

    response = _one_wsgi_entry(tmp_path, django_like, create_environ("/", method="HEAD"))["response"]
    assert response["bodySize"] == 0 and response["content"]["size"] == 0 and "text" not in response["content"]
    assert "5 body bytes" in response["content"]["comment"]
    assert {"name": "Content-Length", "value": "5"} in response["headers"]
