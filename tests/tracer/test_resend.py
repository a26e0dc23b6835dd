"""`tracer resend`: a recorded request sent again to a real server on 127.0.0.1; and real-server recordings replayed.

The deterministic apps of `replay_apps` run traced behind Werkzeug's
development server (WSGI) and uvicorn (ASGI, for the websocket), each in a
thread of this process on a free 127.0.0.1 port, and are stopped after the
module's tests.
"""

from __future__ import annotations

import argparse
import socket
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from websockets.sync.client import connect
from werkzeug.serving import make_server

from tests.frameworks.running import logger_state, restore_loggers
from tests.tracer.replay_apps import asgi_app, wsgi_app
from tracer import ASGITracer, JsonlSink, TraceSummary, WSGITracer, read_traces
from tracer.commands import diff as diff_command
from tracer.commands import replay as replay_command
from tracer.commands import resend as resend_command
from tracer.errors import TracerError

TIMEOUT = 10


@dataclass
class Servers:
    wsgi_url: str
    asgi_url: str
    trace_file: Path


def _cli(module: object, name: str, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="tracer")
    module.add_parser(parser.add_subparsers())  # type: ignore[attr-defined]
    try:
        code = module.run(parser.parse_args([name, *argv]))  # type: ignore[attr-defined]
    except TracerError as exc:
        print(f"tracer: error: {exc}", file=sys.stderr)
        code = 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    saved = logger_state()
    trace_file = tmp_path_factory.mktemp("resend") / "traces.jsonl"
    sink = JsonlSink(trace_file, flush_interval=0.01)
    wsgi_server = make_server("127.0.0.1", 0, WSGITracer(wsgi_app, sink=sink), threaded=True)
    wsgi_thread = threading.Thread(target=wsgi_server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    wsgi_thread.start()
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(ASGITracer(asgi_app, sink=sink), lifespan="off", log_config=None, access_log=False)
    asgi_server = uvicorn.Server(config)
    asgi_thread = threading.Thread(target=asgi_server.run, kwargs={"sockets": [sock]}, daemon=True)
    asgi_thread.start()
    try:
        deadline = time.monotonic() + TIMEOUT
        while not asgi_server.started:
            assert time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield Servers(f"http://127.0.0.1:{wsgi_server.server_port}", f"http://127.0.0.1:{sock.getsockname()[1]}", trace_file)
    finally:
        asgi_server.should_exit = True
        wsgi_server.shutdown()
        wsgi_server.server_close()
        asgi_thread.join(TIMEOUT)
        wsgi_thread.join(TIMEOUT)
        sock.close()
        sink.close()
        restore_loggers(saved)


def _traces(path: Path, count: int) -> list:
    """The complete traces of `path` once there are `count` (the sink flushes on its own schedule)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        traces = [t for t in read_traces(path) if t.complete] if path.exists() else []
        if len(traces) >= count or time.monotonic() > deadline:
            return traces
        time.sleep(0.02)


@pytest.fixture(scope="module")
def recorded(servers: Servers) -> dict[str, str]:
    with httpx.Client(timeout=TIMEOUT) as client:
        client.post(f"{servers.wsgi_url}/form", data={"name": "Ada", "lang": "python"})
        client.post(f"{servers.wsgi_url}/upload", data={"note": "hi"}, files={"file": ("notes.txt", b"a line of notes\n" * 1500)})
        client.get(f"{servers.wsgi_url}/private", headers={"Authorization": "Bearer s3cret"})
        client.post(f"{servers.asgi_url}/echo-json", content=iter([b'{"name": ', b'"Ada"}']))
    with connect(servers.asgi_url.replace("http", "ws") + "/chat", open_timeout=TIMEOUT, close_timeout=TIMEOUT) as ws:
        for message in ("hello", b"\x00\x01 raw", "bye"):
            ws.send(message)
            ws.recv(timeout=TIMEOUT)
    return {trace.summary.title: trace.id for trace in _traces(servers.trace_file, 5)}


def test_a_recorded_request_is_sent_again(servers: Servers, recorded: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{servers.trace_file}#{recorded['POST /form']}"
    code, out, err = _cli(resend_command, "resend", [ref, "--to", servers.wsgi_url], capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == f"recorded  POST /form -> 200  [wsgi http, trace {recorded['POST /form']}]"
    assert lines[1] == f"sent      POST {servers.wsgi_url}/form (20 bytes)"
    assert "HTTP/1.1 200 OK" in lines and "form: name=Ada, lang=python" in lines
    assert lines[-1] == "recorded: 200, 27 bytes; now: 200, 27 bytes (the same status and body)"
    # The server is traced: the new exchange is in its file, the same as the recorded one.
    new = _traces(servers.trace_file, len(recorded) + 1)[-1]
    assert new.summary.title == "POST /form"
    code, out, _ = _cli(diff_command, "diff", [ref, f"{servers.trace_file}#{new.id}"], capsys)
    assert code == 0, out


def test_redacted_headers_are_named_and_can_be_supplied(servers: Servers, recorded: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{servers.trace_file}#{recorded['GET /private']}"
    code, out, err = _cli(resend_command, "resend", [ref, "--to", servers.wsgi_url], capsys)
    assert code == 0
    assert err == "tracer: warning: Authorization was redacted in the recording and is not sent; supply it with --header 'Authorization: …'\n"
    assert "HTTP/1.1 401 UNAUTHORIZED" in out.upper() and out.splitlines()[-1].endswith("(differs)")
    code, out, err = _cli(resend_command, "resend", [ref, "--to", servers.wsgi_url, "-H", "Authorization: Bearer s3cret"], capsys)
    assert (code, err) == (0, "")
    assert "welcome" in out and out.splitlines()[-1].endswith("(the same status and body)")


def test_a_websocket_session_is_played_again(servers: Servers, recorded: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    ref = f"{servers.trace_file}#{recorded['WS /chat']}"
    code, out, err = _cli(resend_command, "resend", [ref, "--to", servers.asgi_url, "--timeout", "5"], capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[1:] == [
        f"sent      websocket {servers.asgi_url.replace('http', 'ws')}/chat",
        "→ text 'hello'",
        "← text 'echo: hello'",
        "→ bytes b'\\x00\\x01 raw'",
        "← bytes b'\\x00\\x01 raw'",
        "→ text 'bye'",
        "← text 'bye!'",
        "closed by the app: 1000 (recorded: 1000)",
    ]


def test_an_app_that_cannot_be_reached_is_one_line(servers: Servers, recorded: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    ref = f"{servers.trace_file}#{recorded['POST /form']}"
    code, _, err = _cli(resend_command, "resend", [ref, "--to", f"http://127.0.0.1:{closed_port}", "--timeout", "2"], capsys)
    assert code == 2 and err.startswith(f"tracer: error: http://127.0.0.1:{closed_port}/form: ConnectError") and err.count("\n") == 1
    code, _, err = _cli(resend_command, "resend", [ref, "--to", "127.0.0.1:8000"], capsys)
    assert code == 2 and err == "tracer: error: --to '127.0.0.1:8000': give the app's address as http://HOST:PORT\n"


@pytest.mark.parametrize("title", ["POST /form", "POST /upload", "POST /echo-json", "WS /chat"])
def test_real_server_recordings_replay_the_same_in_process(servers: Servers, recorded: dict[str, str], title: str, capsys: pytest.CaptureFixture[str]) -> None:
    app = "wsgi_app" if title != "POST /echo-json" and title != "WS /chat" else "asgi_app"
    ref = f"{servers.trace_file}#{recorded[title]}"
    code, out, _ = _cli(replay_command, "replay", [ref, "--app", f"tests.tracer.replay_apps:{app}"], capsys)
    assert code == 0, out


def test_resend_through_tracer_run_records_a_second_trace_that_diffs_the_same(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tests.frameworks.running import TracerRun
    from tracer.cli import main

    trace_file = tmp_path / "t.jsonl"
    run = TracerRun("sample_apps.twin_asgi:app", trace_file)
    try:
        created = httpx.post(run.url + "/notes", json={"text": "hello"}, timeout=10)
        assert created.status_code == 201
        run.wait_for_line(lambda line: line.split()[:3] == ["POST", "/notes", "201"])
        (first,) = [s for s in _summaries(trace_file) if s.path == "/notes"]
        assert main(["resend", f"{trace_file}#{first.id}", "--to", run.url]) == 0
        assert "201" in capsys.readouterr().out
        deadline = time.monotonic() + 10
        while len([s for s in _summaries(trace_file) if s.path == "/notes" and s.complete]) < 2:
            assert time.monotonic() < deadline, "the re-sent request was not traced"
            time.sleep(0.05)
    finally:
        assert run.stop() == 0
    again = [s for s in _summaries(trace_file) if s.path == "/notes"][1]
    assert (again.method, again.status, again.request_bytes) == ("POST", 201, first.request_bytes)
    # The notes app numbers its notes: the bodies differ in the id, and diff says so (exit 1) naming the body.
    assert main(["diff", f"{trace_file}#{first.id}", f"{trace_file}#{again.id}"]) == 1
    assert "body" in capsys.readouterr().out


def _summaries(path: Path) -> list[TraceSummary]:
    from tracer import TraceIndex

    index = TraceIndex(str(path))
    index.scan()
    summaries = index.in_start_order()
    index.close()
    return summaries
