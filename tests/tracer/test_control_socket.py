"""The control socket: another process's middleware found from its trace file, stepped and edited through it."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from tests.frameworks.running import REPO, TracerRun, logger_state, restore_loggers
from tests.tracer.breakpoint_servers import STREAM_CHUNKS, StreamReader, complete_traces, wait_until, wsgi_app
from tracer import TracerWarning, WSGITracer
from tracer.debug import BreakpointError, ControlError
from tracer.debug.client import BreakpointsChanged, RequestHeld, SocketConnection, attach
from tracer.debug.paths import file_key, socket_path, sockets_for
from tracer.recorder import Recorder


@pytest.fixture(autouse=True)
def _server_loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


class Served:
    """The middleware serving in a second process; stopped by closing its stdin (then killed if need be)."""

    def __init__(self, protocol: str, trace_file: Path, breakpoints: str = "1") -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1", TRACER_BREAKPOINTS=breakpoints)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.tracer.breakpoint_servers", protocol, str(trace_file)],
            cwd=REPO, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("serving on "):
            self.stop()
            raise RuntimeError(f"the server did not start: {line!r}")
        self.url = line.split()[-1]

    def stop(self) -> int:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


@pytest.fixture
def trace_file(tmp_path: Path) -> Path:
    return tmp_path / "traces.jsonl"


def test_another_process_is_found_from_the_trace_file_and_stepped_through_its_socket(trace_file: Path) -> None:
    served = Served("asgi", trace_file)
    try:
        [connection] = attach(trace_file)
        assert isinstance(connection, SocketConnection)
        assert connection.pid == served.process.pid
        assert connection.trace_file == os.path.realpath(trace_file)
        assert connection.hold_timeout == 20
        # Owner-only: the socket 0600, in a directory 0700.
        info = os.stat(connection.path)
        assert stat.S_ISSOCK(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
        assert stat.S_IMODE(os.stat(os.path.dirname(connection.path)).st_mode) == 0o700
        assert Path(connection.path).name == f"{file_key(trace_file)}-{served.process.pid}.sock"

        heard: list = []
        connection.subscribe(heard.append)
        added = connection.add_breakpoint("~u /stream @ http.response.body")
        assert (added.owner, added.kinds) == ("you", ("http.response.body",))
        reader = StreamReader("GET", served.url + "/stream")
        wait_until(lambda: any(isinstance(e, RequestHeld) for e in heard), 5, "a held event pushed")
        [held] = connection.held()
        assert held.pid == served.process.pid and held.title == "GET /stream"
        connection.next(held)
        wait_until(lambda: reader.body == b"one\n", 5, "the first chunk")
        [second] = wait_until(lambda: connection.held(), 5, "the second chunk held")
        time.sleep(0.2)
        assert reader.body == b"one\n"
        edited = connection.edit(second, {"body": "TWO\n"})
        assert edited.message["body"] == b"TWO\n" and edited.original["message"]["body"] == b"two\n"
        connection.continue_(second)
        assert reader.join().body == b"one\nTWO\nthree\n"
        assert any(isinstance(e, BreakpointsChanged) for e in heard)
        connection.close()
    finally:
        assert served.stop() == 0
    [trace] = complete_traces(trace_file)
    bodies = [e.data for e in trace.events if e.data.get("message", {}).get("type") == "http.response.body"]
    assert [d.get("released") for d in bodies] == ["next", "continue", None]
    assert bodies[1]["original"]["message"]["body"] == b"two\n"
    # The socket goes with the process.
    assert sockets_for(trace_file) == []


def test_closing_the_connection_releases_a_held_request_of_another_process(trace_file: Path) -> None:
    served = Served("wsgi", trace_file)
    try:
        [connection] = attach(trace_file)
        connection.add_breakpoint("~u /hello @ wsgi.start_response")
        reader = StreamReader("GET", served.url + "/hello")
        wait_until(lambda: connection.held(), 5, "a held request")
        time.sleep(0.2)
        assert reader.status is None
        connection.close()
        assert reader.join().body == b"hello"
        # Its breakpoint went with it: the next request is not held.
        assert httpx.get(served.url + "/hello", timeout=5).content == b"hello"
    finally:
        assert served.stop() == 0
    traces = complete_traces(trace_file, 2)
    [start] = [e for e in traces[0].events if e.kind == "wsgi.start_response"]
    assert start.data["released"] == "detached"


def test_without_breakpoints_there_is_no_socket(trace_file: Path) -> None:
    served = Served("asgi", trace_file, breakpoints="0")
    try:
        assert httpx.get(served.url + "/hello", timeout=5).content == b"hello"
        assert sockets_for(trace_file) == [] and attach(trace_file) == []
    finally:
        assert served.stop() == 0


def test_tracer_run_holds_at_its_break_options_until_a_viewer_lets_go(trace_file: Path) -> None:
    run = TracerRun(
        "tests.tracer.breakpoint_servers:asgi_app", trace_file,
        "--break", "~u /stream @ http.response.body", "--hold-timeout", "20",
    )
    try:
        run.wait_for_line(lambda line: line.startswith(
            "tracer: breakpoints '~u /stream @ http.response.body'; release held requests with: tracer view"))
        reader = StreamReader("GET", run.url + "/stream")
        run.wait_for_line(lambda line: line.startswith("tracer: held GET /stream at http.response.body (no viewer attached"))
        [connection] = attach(trace_file)
        [breakpoint] = connection.breakpoints()
        assert breakpoint.owner == "process"
        [held] = connection.held()
        connection.continue_(held)
        assert reader.join().body == b"".join(STREAM_CHUNKS)
        connection.close()
    finally:
        assert run.stop() == 0
    assert sockets_for(trace_file) == []


def test_tracer_run_releases_held_requests_when_it_stops(trace_file: Path) -> None:
    run = TracerRun("tests.tracer.breakpoint_servers:wsgi_app", trace_file, "--break", "~u /hello @ wsgi.start_response")
    try:
        reader = StreamReader("GET", run.url + "/hello")
        run.wait_for_line(lambda line: line.startswith("tracer: held GET /hello"))
    finally:
        assert run.stop() == 0
    assert reader.join().body == b"hello"
    [trace] = complete_traces(trace_file)
    [start] = [e for e in trace.events if e.kind == "wsgi.start_response"]
    assert start.data["released"] == "shutdown"


# The protocol, one line at a time


@pytest.fixture
def debugged() -> Iterator[WSGITracer]:
    tracer = WSGITracer(wsgi_app, sink=Recorder(), breakpoints=True)
    try:
        yield tracer
    finally:
        tracer.debugger.close()


def _ask(sock: socket.socket, request: bytes) -> dict:
    sock.sendall(request + b"\n")
    reader = sock.makefile("rb")
    while True:
        line = reader.readline()
        assert line, "the socket closed"
        reply = orjson.loads(line)
        if "event" not in reply:
            return reply


def test_a_bad_request_is_answered_with_one_line_and_the_connection_stays(debugged: WSGITracer) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(debugged.debugger.control.path)
        assert _ask(sock, b"not json")["ok"] is False
        assert "unknown command 'bogus'" in _ask(sock, b'{"id": 1, "cmd": "bogus"}')["error"]
        assert "needs 'hold'" in _ask(sock, b'{"id": 2, "cmd": "next"}')["error"]
        assert "no held event 'x:1'" in _ask(sock, b'{"id": 3, "cmd": "continue", "hold": "x:1"}')["error"]
        reply = _ask(sock, b'{"id": 4, "cmd": "add_breakpoint", "text": "~u /x @ nope"}')
        assert reply["type"] == "BreakpointError" and "unknown event kind 'nope'" in reply["error"]
        hello = _ask(sock, b'{"id": 5, "cmd": "hello"}')
        assert hello["id"] == 5 and hello["result"]["pid"] == os.getpid() and hello["result"]["version"] == 1


def test_the_client_raises_the_process_s_errors(debugged: WSGITracer) -> None:
    connection = SocketConnection(debugged.debugger.control.path)
    try:
        with pytest.raises(BreakpointError, match="unknown filter '~q'"):
            connection.add_breakpoint("~q x")
        with pytest.raises(ControlError, match="no held event"):
            connection.next("nothing:1")
        assert connection.remove_breakpoint(999) is False
    finally:
        connection.close()
    with pytest.raises(ControlError, match="is closed"):
        connection.held()


def test_a_socket_left_by_a_process_that_is_gone_is_removed(trace_file: Path) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(10)
    path = socket_path(os.fspath(trace_file), gone.pid)
    path.parent.mkdir(mode=0o700, exist_ok=True)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as stale:
        stale.bind(os.fspath(path))
    assert path.exists()
    assert attach(trace_file) == []
    assert not path.exists()


def test_a_socket_directory_others_can_enter_is_refused_and_requests_still_complete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = tmp_path / "runtime"
    (runtime / "tracer").mkdir(parents=True)
    os.chmod(runtime / "tracer", 0o755)
    monkeypatch.setenv("XDG_RUNTIME_DIR", os.fspath(runtime))
    with pytest.warns(TracerWarning, match="could not open the debugger.s control socket .*can be entered by other users"):
        tracer = WSGITracer(wsgi_app, sink=Recorder(), breakpoints=True)
    try:
        assert tracer.debugger.control is None
        from werkzeug.test import Client

        assert Client(tracer).get("/hello").get_data() == b"hello"
    finally:
        tracer.debugger.close()


FORKING = '''
import json, os, sys
from werkzeug.test import Client
from tracer import JsonlSink, WSGITracer
from tracer.debug.paths import sockets_for

def app(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hi"]

path = sys.argv[1]
tracer = WSGITracer(app, sink=JsonlSink(path), breakpoints=True)
read_end, write_end = os.pipe()
child = os.fork()
if child == 0:
    before = [pid for pid, _ in sockets_for(path)]
    body = Client(tracer).get("/").get_data()
    after = [pid for pid, _ in sockets_for(path)]
    tracer.debugger.close()
    os.write(write_end, json.dumps({"before": before, "after": after, "body": body.decode(), "pid": os.getpid()}).encode())
    os._exit(0)
os.close(write_end)
os.waitpid(child, 0)
result = json.loads(os.read(read_end, 65536))
result.update(parent=os.getpid(), left=[pid for pid, _ in sockets_for(path)])
print(json.dumps(result))
'''


def test_a_forked_worker_opens_its_own_socket_and_leaves_the_parent_s(trace_file: Path) -> None:
    done = subprocess.run([sys.executable, "-c", FORKING, str(trace_file)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    result = orjson.loads(done.stdout)
    assert result["body"] == "hi"
    assert result["before"] == [result["parent"]]
    assert sorted(result["after"]) == sorted([result["parent"], result["pid"]])
    assert result["left"] == [result["parent"]]
    assert sockets_for(trace_file) == []
