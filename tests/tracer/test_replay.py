"""`tracer replay`: recorded requests played into the app again, in-process, and compared.

Recordings are made once per module, in-process: WSGI through Werkzeug's
test client, ASGI through asgiref's `ApplicationCommunicator`, which gives
exact control over the messages (a JSON body in three ``http.request``
messages, a client that disconnects, a websocket chat).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgiref.testing import ApplicationCommunicator
from werkzeug.test import Client

from tests.tracer.replay_apps import asgi_app, wsgi_app
from tracer import ASGITracer, JsonlSink, WSGITracer, read_traces
from tracer.client_side import ReplayError, client_side, environ_to_scope, scope_to_environ
from tracer.commands import replay as replay_command
from tracer.errors import TracerError
from tracer.redrive import Redriver, ReplayInput
from sample_apps import twin_asgi, twin_notes, twin_wsgi

APPS = "tests.tracer.replay_apps"
UPLOAD = b"a line of notes\n" * 1500


def replay_cli(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `tracer replay` as the CLI does (TracerError -> one line, exit 2); returns (status, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="tracer")
    replay_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["replay", *argv])
    try:
        code = replay_command.run(args)
    except TracerError as exc:
        print(f"tracer: error: {exc}", file=sys.stderr)
        code = 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _record_wsgi(path: Path) -> None:
    sink = JsonlSink(path)
    client = Client(WSGITracer(wsgi_app, sink=sink))
    client.get("/").close()
    client.post("/form", data={"name": "Ada", "lang": "python"}).close()
    client.post("/upload", data={"note": "hi", "file": (io.BytesIO(UPLOAD), "notes.txt")}).close()
    client.post("/echo-json", json={"name": "Ada", "likes": ["wsgi", "asgi"]}).close()
    client.get("/stream").close()
    left = client.get("/slow", buffered=False)  # the client reads two chunks and hangs up
    chunks = iter(left.response)
    next(chunks), next(chunks)
    left.close()
    client.get("/private", headers={"Authorization": "Bearer s3cret"}).close()
    sink.close()


def _scope(kind: str, path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": kind, "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "http" if kind == "http" else "ws",
        "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
        "headers": [(b"host", b"testserver"), *(headers or [])], "client": ("127.0.0.1", 5000), "server": ("testserver", 80),
    }
    if kind == "http":
        scope["method"] = method
    return scope


async def _run(app: Any, scope: dict[str, Any], messages: list[dict[str, Any]]) -> None:
    communicator = ApplicationCommunicator(app, scope)
    for message in messages:
        await communicator.send_input(message)
    await communicator.wait(5)


def _record_asgi(path: Path) -> None:
    sink = JsonlSink(path)
    app = ASGITracer(asgi_app, sink=sink)

    async def session() -> None:
        state: dict[str, Any] = {}
        lifespan = ApplicationCommunicator(app, {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state})
        await lifespan.send_input({"type": "lifespan.startup"})
        assert (await lifespan.receive_output(2))["type"] == "lifespan.startup.complete"

        def http(path: str, method: str = "GET", headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
            return {**_scope("http", path, method, headers), "state": dict(state)}

        await _run(app, http("/"), [{"type": "http.request", "body": b""}])
        form = [(b"content-type", b"application/x-www-form-urlencoded")]
        await _run(app, http("/form", "POST", form), [{"type": "http.request", "body": b"name=Ada&lang=python"}])
        multipart = httpx.Request("POST", "http://t/upload", data={"note": "hi"}, files={"file": ("notes.txt", UPLOAD)})
        body = multipart.read()
        pieces = [body[i:i + 8192] for i in range(0, len(body), 8192)]
        upload = [{"type": "http.request", "body": p, "more_body": i < len(pieces) - 1} for i, p in enumerate(pieces)]
        await _run(app, http("/upload", "POST", [(b"content-type", multipart.headers["content-type"].encode())]), upload)
        json_pieces = [b'{"name": "Ada", ', b'"likes": ["wsgi", ', b'"asgi"]}', b""]
        chunked = [{"type": "http.request", "body": p, "more_body": bool(p)} for p in json_pieces]
        await _run(app, http("/echo-json", "POST", [(b"content-type", b"application/json")]), chunked)
        await _run(app, http("/stream"), [{"type": "http.request", "body": b""}])
        await _run(app, http("/slow"), [{"type": "http.request", "body": b""}, {"type": "http.disconnect"}])
        chat = [
            {"type": "websocket.connect"},
            {"type": "websocket.receive", "text": "hello"},
            {"type": "websocket.receive", "bytes": b"\x00\x01 raw"},
            {"type": "websocket.receive", "text": "bye"},
        ]
        await _run(app, {**_scope("websocket", "/chat"), "subprotocols": [], "state": dict(state)}, chat)
        await lifespan.send_input({"type": "lifespan.shutdown"})
        await lifespan.receive_output(2)
        await lifespan.wait(2)

    asyncio.run(session())
    sink.close()


@pytest.fixture(scope="module")
def recordings(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("replay")
    files = {"wsgi": folder / "wsgi.jsonl", "asgi": folder / "asgi.jsonl"}
    _record_wsgi(files["wsgi"])
    _record_asgi(files["asgi"])
    return files


def _id(path: Path, title: str) -> str:
    [trace] = [t for t in read_traces(path) if t.summary.title == title]
    return trace.id


WSGI_KINDS = ["GET /", "POST /form", "POST /upload", "POST /echo-json", "GET /stream", "GET /slow"]
ASGI_KINDS = [*WSGI_KINDS, "WS /chat"]


@pytest.mark.parametrize("title", WSGI_KINDS)
def test_a_wsgi_recording_replays_the_same(recordings: dict[str, Path], title: str, capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{recordings['wsgi']}#{_id(recordings['wsgi'], title)}"
    code, out, err = replay_cli(ref, "--app", f"{APPS}:wsgi_app", capsys=capsys)
    assert (code, err) == (0, ""), out
    assert out.rstrip().splitlines()[-1].startswith("same")


@pytest.mark.parametrize("title", ASGI_KINDS)
def test_an_asgi_recording_replays_the_same(recordings: dict[str, Path], title: str, capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{recordings['asgi']}#{_id(recordings['asgi'], title)}"
    code, out, err = replay_cli(ref, "--app", f"{APPS}:asgi_app", capsys=capsys)
    assert (code, err) == (0, ""), out
    assert out.rstrip().splitlines()[-1].startswith("same")


def test_the_upload_is_read_in_the_recorded_pieces(recordings: dict[str, Path]) -> None:
    [recorded] = [t for t in read_traces(recordings["wsgi"]) if t.summary.title == "POST /upload"]
    with Redriver(wsgi_app) as redriver:
        replay = redriver.replay(recorded)
    recorded_reads = [len(e.data["data"]) for e in recorded.events if e.kind == "wsgi.input"]
    reads = [len(e.data["data"]) for e in replay.trace.events if e.kind == "wsgi.input"]
    assert recorded_reads[:5] == [4096] * 5 and len(recorded_reads) == 6
    assert reads == recorded_reads
    assert b"in 6 pieces" in b"".join(e.data["data"] for e in replay.trace.events if e.kind == "wsgi.body")


def test_chunked_json_arrives_in_the_recorded_messages(recordings: dict[str, Path]) -> None:
    [recorded] = [t for t in read_traces(recordings["asgi"]) if t.summary.title == "POST /echo-json"]
    with Redriver(asgi_app) as redriver:
        replay = redriver.replay(recorded)
    bodies = [e.data["message"]["body"] for e in replay.trace.events if e.kind == "asgi.receive"]
    assert bodies == [b'{"name": "Ada", ', b'"likes": ["wsgi", ', b'"asgi"]}', b""]
    sent = [e.data["message"] for e in replay.trace.events if e.kind == "asgi.send"]
    assert json.loads(sent[1]["body"])["messages"] == 4


def test_the_client_that_left_leaves_again(recordings: dict[str, Path]) -> None:
    [wsgi] = [t for t in read_traces(recordings["wsgi"]) if t.summary.title == "GET /slow"]
    [asgi] = [t for t in read_traces(recordings["asgi"]) if t.summary.title == "GET /slow"]
    with Redriver(wsgi_app) as redriver:
        replayed = redriver.replay(wsgi).trace
    assert [e.kind for e in replayed.events].count("wsgi.body") == 2
    assert replayed.events[-1].data["exhausted"] is False
    with Redriver(asgi_app, timeout=2) as redriver:
        replayed = redriver.replay(asgi).trace
    assert [e.data["message"]["type"] for e in replayed.events if e.kind == "asgi.receive"] == ["http.request", "http.disconnect"]
    assert replayed.summary.status is None and replayed.complete


def test_the_lifespan_state_reaches_the_replayed_request(recordings: dict[str, Path]) -> None:
    [recorded] = [t for t in read_traces(recordings["asgi"]) if t.summary.title == "GET /"]
    with Redriver(asgi_app) as redriver:
        replay = redriver.replay(recorded)
    assert b"hello from the lifespan" in b"".join(
        e.data["message"].get("body", b"") for e in replay.trace.events if e.kind == "asgi.send"
    )


def test_a_changed_app_differs_and_the_report_names_the_difference(recordings: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{recordings['wsgi']}#{_id(recordings['wsgi'], 'POST /form')}"
    code, out, _ = replay_cli(ref, "--app", f"{APPS}:changed_wsgi_app", capsys=capsys)
    assert code == 1
    assert "status: 200 → 202" in out
    assert "-form: name=Ada, lang=python" in out and "+FORM name=Ada, lang=python" in out
    assert out.rstrip().splitlines()[-1].startswith("different")


def test_a_changed_websocket_app_names_the_messages(recordings: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{recordings['asgi']}#{_id(recordings['asgi'], 'WS /chat')}"
    code, out, _ = replay_cli(ref, "--app", f"{APPS}:changed_asgi_app", "--json", capsys=capsys)
    assert code == 1
    document = json.loads(out)
    assert [d["message"] for d in document["differences"]] == ["message 2: app text 'echo: hello' → app text 'ECHO: HELLO'"]


def test_a_whole_session_replays_as_a_regression_check(recordings: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = replay_cli(str(recordings["asgi"]), "--app", f"{APPS}:asgi_app", capsys=capsys)
    assert (code, err) == (0, ""), out
    assert out.rstrip().splitlines()[-1] == f"7 traces replayed into {APPS}:asgi_app: 7 same, 0 different (1 lifespan trace left out)"
    code, out, _ = replay_cli(str(recordings["asgi"]), "--all", "--app", f"{APPS}:changed_asgi_app", capsys=capsys)
    assert code == 1
    assert "7 traces replayed" in out and "5 same, 2 different" in out
    form_row = next(line for line in out.splitlines() if "POST /form" in line)
    assert form_row.split()[-3:] == ["200", "202", "different"]


def test_redacted_headers_are_said_to_be_missing_and_can_be_supplied(recordings: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{recordings['wsgi']}#{_id(recordings['wsgi'], 'GET /private')}"
    code, out, err = replay_cli(ref, "--app", f"{APPS}:wsgi_app", capsys=capsys)
    assert code == 1
    assert err == "tracer: warning: Authorization was redacted in the recording and is not sent; supply it with --header 'Authorization: …'\n"
    # Not sending it was the replay's doing, said once above; what the app did without it is the difference.
    assert "request header removed" not in out and "status: 200 → 401" in out
    code, out, err = replay_cli(ref, "--app", f"{APPS}:wsgi_app", "--header", "Authorization: Bearer s3cret", capsys=capsys)
    assert (code, err) == (0, ""), out


def test_a_wsgi_trace_replays_into_the_asgi_twin_and_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(twin_notes, "STREAM_DELAY", 0.0)
    for module in (twin_wsgi, twin_asgi):
        monkeypatch.setattr(module, "_notes", [])
    files = {"wsgi": tmp_path / "wsgi.jsonl", "asgi": tmp_path / "asgi.jsonl"}
    sink = JsonlSink(files["wsgi"])
    with httpx.Client(transport=httpx.WSGITransport(app=WSGITracer(twin_wsgi.app, sink=sink)), base_url="http://notes") as client:
        _notes_tour(client)
    sink.close()
    code, out, _ = replay_cli(str(files["wsgi"]), "--app", "sample_apps.twin_asgi:app", capsys=capsys)
    assert code == 0, out
    assert "5 traces replayed into sample_apps.twin_asgi:app: 5 same, 0 different" in out
    monkeypatch.setattr(twin_wsgi, "_notes", [])
    monkeypatch.setattr(twin_asgi, "_notes", [])
    sink = JsonlSink(files["asgi"])

    async def tour() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ASGITracer(twin_asgi.app, sink=sink)), base_url="http://notes") as client:
            await client.post("/notes", json={"text": "hello"})
            await client.get("/notes/1")

    asyncio.run(tour())
    sink.close()
    code, out, _ = replay_cli(str(files["asgi"]), "--app", "sample_apps.twin_wsgi:app", capsys=capsys)
    assert code == 0, out
    assert "2 same, 0 different" in out


def _notes_tour(client: httpx.Client) -> None:
    client.get("/")
    client.post("/notes", json={"text": "hello"})
    client.get("/notes/1")
    client.get("/notes/9")
    client.get("/stream")


def test_a_body_cut_at_max_body_bytes_cannot_be_replayed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cut.jsonl"
    sink = JsonlSink(path)
    client = Client(WSGITracer(wsgi_app, sink=sink, max_body_bytes=10))
    client.post("/echo-json", json={"a long": "body, longer than ten bytes"}).close()
    client.get("/").close()
    sink.close()
    [cut, _] = read_traces(path)
    code, _, err = replay_cli(f"{path}#{cut.id}", "--app", f"{APPS}:wsgi_app", capsys=capsys)
    assert code == 2
    assert err.count("\n") == 1 and re.search(r"kept only 10 of \d+ request body bytes \(max_body_bytes\)", err)
    code, out, _ = replay_cli(str(path), "--app", f"{APPS}:wsgi_app", capsys=capsys)
    assert code == 0
    assert "skipped: trace" in out and "1 same, 0 different, 1 could not be replayed" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{wsgi}#nope", "--app", f"{APPS}:wsgi_app"], "no trace 'nope'"),
        (["{wsgi}", "--app", "no_such_module:app"], "cannot import 'no_such_module'"),
        (["{asgi}#{chat}", "--app", f"{APPS}:wsgi_app"], "a websocket session: a WSGI app cannot take it"),
        (["{wsgi}#x", "--all", "--app", f"{APPS}:wsgi_app"], "--all replays a whole file"),
        (["{wsgi}", "--app", f"{APPS}:wsgi_app", "--header", "no colon"], "write it as 'Name: value'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(recordings: dict[str, Path], argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    chat = _id(recordings["asgi"], "WS /chat")
    argv = [arg.format(wsgi=recordings["wsgi"], asgi=recordings["asgi"], chat=chat) for arg in argv]
    code, _, err = replay_cli(*argv, capsys=capsys)
    assert code == 2
    assert err.startswith("tracer: error: ") and err.count("\n") == 1 and message in err


def test_replay_input_stops_at_the_recorded_pieces() -> None:
    stream = ReplayInput.offering({"readinto"})([b"abc", b"defg", b"h\nij"])
    assert stream.read(100) == b"abc"
    buffer = bytearray(2)
    assert stream.readinto(buffer) == 2 and buffer == b"de"
    assert stream.read() == b"fgh\nij"
    assert stream.read(5) == b""
    assert not hasattr(ReplayInput([b""]), "readinto")
    assert ReplayInput([b"one\ntwo\n"]).readlines() == [b"one\n", b"two\n"]


def test_environ_and_scope_translate_both_ways() -> None:
    environ = {
        "REQUEST_METHOD": "POST", "SCRIPT_NAME": "/app", "PATH_INFO": "/caf\xc3\xa9", "QUERY_STRING": "a=1",
        "SERVER_NAME": "example", "SERVER_PORT": "8080", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "https",
        "CONTENT_TYPE": "text/plain", "CONTENT_LENGTH": "3", "HTTP_X_TOKEN": "t", "REMOTE_ADDR": "10.0.0.1", "REMOTE_PORT": "5555",
    }
    scope = environ_to_scope(environ)
    assert scope["path"] == "/app/café" and scope["root_path"] == "/app" and scope["query_string"] == b"a=1"
    assert scope["headers"] == [(b"content-type", b"text/plain"), (b"content-length", b"3"), (b"x-token", b"t")]
    assert scope["server"] == ("example", 8080) and scope["client"] == ("10.0.0.1", 5555) and scope["scheme"] == "https"
    back = scope_to_environ(scope)
    for key in ("REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH", "HTTP_X_TOKEN", "SERVER_PORT"):
        assert back[key] == environ[key], key


def test_a_lifespan_trace_is_not_a_request(recordings: dict[str, Path]) -> None:
    [lifespan] = [t for t in read_traces(recordings["asgi"]) if t.scope_type == "lifespan"]
    with pytest.raises(ReplayError, match="lifespan trace"):
        client_side(lifespan)


def test_the_new_traces_can_be_kept_in_a_file(recordings: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "replayed.jsonl"
    code, _, _ = replay_cli(str(recordings["wsgi"]), "--app", f"{APPS}:wsgi_app", "--out", str(out_file), capsys=capsys)
    assert code == 1  # /private, without its redacted Authorization
    titles = [t.summary.title for t in read_traces(out_file)]
    assert titles == [t.summary.title for t in read_traces(recordings["wsgi"])]


def test_a_starlette_session_replays_the_same_also_when_the_app_is_slower(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.frameworks.apps import starlette_app

    path = tmp_path / "starlette.jsonl"
    sink = JsonlSink(path)
    app = ASGITracer(starlette_app.app, sink=sink)
    monkeypatch.setattr(starlette_app, "CHUNK_DELAY", 0.05)

    async def session() -> None:
        state: dict[str, Any] = {}
        lifespan = ApplicationCommunicator(app, {"type": "lifespan", "asgi": {"version": "3.0"}, "state": state})
        await lifespan.send_input({"type": "lifespan.startup"})
        assert (await lifespan.receive_output(2))["type"] == "lifespan.startup.complete"
        request = [{"type": "http.request", "body": b""}]
        await _run(app, {**_scope("http", "/hello"), "state": dict(state)}, request)
        echo = {**_scope("http", "/echo", "POST", [(b"content-type", b"application/json")]), "query_string": b"q=1", "state": dict(state)}
        await _run(app, echo, [{"type": "http.request", "body": b'{"a": [1, 2]}'}])
        await _run(app, {**_scope("http", "/stream"), "state": dict(state)}, request)
        # A client that goes away after the second chunk.
        left = ApplicationCommunicator(app, {**_scope("http", "/stream"), "state": dict(state)})
        await left.send_input(request[0])
        for _ in range(3):
            await left.receive_output(2)
        await left.send_input({"type": "http.disconnect"})
        await left.wait(2)
        chat = [{"type": "websocket.connect"}, {"type": "websocket.receive", "text": "hi"}, {"type": "websocket.disconnect", "code": 1000}]
        await _run(app, {**_scope("websocket", "/ws"), "subprotocols": [], "state": dict(state)}, chat)
        await lifespan.send_input({"type": "lifespan.shutdown"})
        await lifespan.receive_output(2)
        await lifespan.wait(2)

    asyncio.run(session())
    sink.close()
    monkeypatch.setattr(starlette_app, "CHUNK_DELAY", 0.15)  # slower than when it was recorded
    code, out, err = replay_cli(str(path), "--app", "tests.frameworks.apps.starlette_app:app", capsys=capsys)
    assert (code, err) == (0, ""), out
    assert out.splitlines()[-1].endswith("5 same, 0 different (1 lifespan trace left out)")
    full, left_early = sorted((t for t in read_traces(path) if t.summary.title == "GET /stream"), key=lambda t: -t.summary.response_bytes)
    assert (full.summary.response_bytes, left_early.summary.response_bytes) == (32, 16)
    with Redriver(starlette_app.app) as redriver:
        replayed = redriver.replay(left_early).trace
    assert [e.data["message"].get("body") for e in replayed.events if e.data.get("message", {}).get("type") == "http.response.body"] == [b"chunk 0\n", b"chunk 1\n"]


def test_a_supplied_header_replaces_a_recorded_one_and_adds_none(recordings: dict[str, Path]) -> None:
    traces = {t.summary.title: t for t in read_traces(recordings["wsgi"])}
    supplied = [("Authorization", "Bearer s3cret")]
    private = client_side(traces["GET /private"], supplied)
    assert private.environ is not None and private.environ["HTTP_AUTHORIZATION"] == "Bearer s3cret"
    assert private.missing_headers == []
    assert "HTTP_AUTHORIZATION" not in (client_side(traces["GET /"], supplied).environ or {})
    assert client_side(traces["GET /private"]).missing_headers == ["Authorization"]


def test_a_chunked_asgi_body_replays_into_a_flask_app_read_to_its_end(recordings: dict[str, Path]) -> None:
    from flask import Flask, jsonify, request

    flask_app = Flask("replay_chunked")

    @flask_app.post("/echo-json")
    def echo() -> Any:
        return jsonify(received=request.get_json())

    [recorded] = [t for t in read_traces(recordings["asgi"]) if t.summary.title == "POST /echo-json"]
    assert recorded.summary.request_length is None  # no Content-Length: the body came chunked
    with Redriver(flask_app.wsgi_app) as redriver:
        replayed = redriver.replay(recorded).trace
    assert replayed.summary.request_bytes == recorded.summary.request_bytes == 42
    body = b"".join(e.data["data"] for e in replayed.events if e.kind == "wsgi.body")
    assert json.loads(body) == {"received": {"name": "Ada", "likes": ["wsgi", "asgi"]}}


def test_an_app_factory_is_called_for_the_app(recordings: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{recordings['wsgi']}#{_id(recordings['wsgi'], 'POST /form')}"
    code, out, _ = replay_cli(ref, "--app", f"{APPS}:make_wsgi_app", "--factory", capsys=capsys)
    assert code == 0, out
    code, _, err = replay_cli(ref, "--app", f"{APPS}:make_wsgi_app", capsys=capsys)
    assert code == 2 and err.startswith("tracer: error: ") and err.count("\n") == 1 and err.endswith("; if it makes the app, add --factory\n")
