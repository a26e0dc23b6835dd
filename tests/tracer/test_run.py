"""`tracer run`: loading the app, clear one-line errors, the access log, and --view's lifecycle."""

from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from werkzeug.test import Client

from tests.frameworks.running import logger_state, restore_loggers
from tracer import Recorder, read_traces, trace_app
from tracer.access_log import AccessLogSink
from tracer.cli import main
from tracer.errors import UsageError
from tracer.loader import load_app
from tracer.serve import bind_socket, display_address


@pytest.fixture(autouse=True)
def _server_loggers() -> Iterator[None]:
    """Servers started in this process quieten their loggers; put them back afterwards."""
    saved = logger_state()
    yield
    restore_loggers(saved)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty project directory as the current directory; its modules are forgotten afterwards."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith("proj_")]:
        del sys.modules[name]


def write_module(project: Path, name: str, source: str) -> None:
    (project / f"{name}.py").write_text(textwrap.dedent(source))


def test_load_app_finds_modules_in_the_current_directory(project: Path) -> None:
    write_module(project, "proj_ok", "def app(environ, start_response): pass\nother = app\n")
    assert load_app("proj_ok:app").__name__ == "app"
    assert load_app("proj_ok").__name__ == "app"


@pytest.mark.parametrize(
    ("reference", "source", "message"),
    [
        ("proj_missing:app", None, "cannot import 'proj_missing': no module named 'proj_missing'"),
        ("proj_attr:nope", "app = None\n", "module 'proj_attr' has no attribute 'nope'; did you mean proj_attr:app?"),
        ("proj_raise:app", "1 / 0\n", "error while importing 'proj_raise': ZeroDivisionError: division by zero ("),
        ("proj_syntax:app", "def f(:\n", "error while importing 'proj_syntax': SyntaxError: "),
        ("proj_dep:app", "import no_such_dependency_xyz\n", "ModuleNotFoundError: No module named 'no_such_dependency_xyz'"),
        ("proj_exit:app", "raise SystemExit(3)\n", "error while importing 'proj_exit': SystemExit: 3"),
        ("not a reference", None, "'not a reference' is not MODULE:ATTR"),
        ("proj_colon:", None, "'proj_colon:' is not MODULE:ATTR"),
    ],
)
def test_load_errors_are_one_usage_error(project: Path, reference: str, source: str | None, message: str) -> None:
    if source is not None:
        write_module(project, reference.split(":")[0], source)
    with pytest.raises(UsageError) as caught:
        load_app(reference)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("app = 'text'\n", "proj_cli:app is a str, not a WSGI or ASGI app"),
        ("def app(a, b, c, d): pass\n", "takes 4 arguments"),
        ("1 / 0\n", "ZeroDivisionError"),
    ],
)
def test_cli_prints_one_line_and_exits_2(
    project: Path, capsys: pytest.CaptureFixture[str], source: str, message: str
) -> None:
    write_module(project, "proj_cli", source)
    assert main(["run", "proj_cli:app", "--port", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("tracer: error: ") and message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert not (project / "traces.jsonl").exists()


def test_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = main(["run", "sample_apps.hello_wsgi:simple_app", "--port", str(port), "--out", str(tmp_path / "t.jsonl")])
    assert status == 2
    assert capsys.readouterr().err == f"tracer: error: 127.0.0.1:{port} is already in use; stop the other server or pick another --port\n"


def test_out_that_is_not_a_trace_file_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("my notes\n")
    assert main(["run", "sample_apps.hello_wsgi:simple_app", "--port", "0", "--out", str(tmp_path / "notes.txt")]) == 2
    assert capsys.readouterr().err.startswith("tracer: error: ")
    assert (tmp_path / "notes.txt").read_text() == "my notes\n"


NO_DATABASE_APP = """
async def app(scope, receive, send):
    await receive()
    await send({"type": "lifespan.startup.failed", "message": "no database"})
"""


def _tracer_run(project: Path, module: str, source: str) -> subprocess.CompletedProcess[str]:
    """``tracer run module:app --port 0`` in `project`, with `source` as the module, to its end."""
    write_module(project, module, source)
    return subprocess.run(
        [sys.executable, "-m", "tracer.cli", "run", f"{module}:app", "--port", "0"],
        capture_output=True, text=True, timeout=30, cwd=project,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p)),
    )


def test_failed_lifespan_startup_is_one_line_and_a_failed_exit(project: Path) -> None:
    done = _tracer_run(project, "proj_nodb", NO_DATABASE_APP)
    assert done.returncode == 2
    assert "LIFESPAN" in done.stdout and "startup failed: no database" in done.stdout
    assert done.stderr.endswith("tracer: error: the app's lifespan startup failed, so the server did not start (the trace file has its message)\n")
    assert "Traceback" not in done.stderr
    # The app was never served, and the console never said it was.
    assert "tracer: serving" not in done.stdout and "press Ctrl+C" not in done.stdout, done.stdout


STARTS_THEN_STOPS_APP = """
import os
import signal

async def app(scope, receive, send):
    await receive()
    print("app: startup done", flush=True)
    await send({"type": "lifespan.startup.complete"})
    # Ctrl+C as soon as startup is answered, so that the test can run tracer run to its end.
    os.kill(os.getpid(), signal.SIGINT)
    await receive()
    await send({"type": "lifespan.shutdown.complete"})
"""


def test_the_serving_line_comes_once_the_lifespan_startup_is_over(project: Path) -> None:
    done = _tracer_run(project, "proj_up", STARTS_THEN_STOPS_APP)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    serving = [n for n, line in enumerate(lines) if line.startswith("tracer: serving proj_up:app (ASGI, uvicorn) on http://127.0.0.1:")]
    assert serving and lines.index("app: startup done") < serving[0], lines
    assert lines[serving[0] + 1:serving[0] + 3] == ["tracer: trace file traces.jsonl", "tracer: press Ctrl+C to stop"]
    assert lines[-1] == "tracer: stopped"


TRACEBACK_STARTUP_APP = """
import traceback

async def app(scope, receive, send):
    await receive()
    try:
        raise RuntimeError("database unreachable")
    except RuntimeError:
        # What Starlette sends: the whole traceback as the message.
        await send({"type": "lifespan.startup.failed", "message": traceback.format_exc()})
"""


def test_a_startup_traceback_is_one_console_line(project: Path) -> None:
    done = _tracer_run(project, "proj_tb", TRACEBACK_STARTUP_APP)
    assert done.returncode == 2
    [line] = [row for row in done.stdout.splitlines() if row.startswith("LIFESPAN")]
    assert line.endswith("startup failed: RuntimeError: database unreachable")
    assert "Traceback" not in done.stdout


def test_reload_is_refused_with_the_reason(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "sample_apps.hello_wsgi:app", "--reload"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracer: error: tracer run does not reload on code changes;") and err.count("\n") == 1


def test_out_in_a_missing_directory_names_the_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "no-such-dir" / "t.jsonl"
    assert main(["run", "sample_apps.hello_wsgi:app", "--port", "0", "--out", str(out)]) == 2
    missing = str(tmp_path / "no-such-dir")
    assert capsys.readouterr().err == f"tracer: error: cannot write the trace file {str(out)!r}: the directory {missing!r} does not exist\n"


def test_every_interface_host_says_so_and_gives_a_local_address(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    sock = bind_socket("127.0.0.1", 0)  # stands in for 0.0.0.0: tests listen on 127.0.0.1 only
    port = sock.getsockname()[1]
    monkeypatch.setattr("tracer.commands.run.bind_socket", lambda host, port: sock)
    monkeypatch.setattr("tracer.commands.run.display_address", lambda sock: f"http://0.0.0.0:{port}")

    def stop_when_serving() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{port}/", timeout=2)
                break
            except httpx.ConnectError:
                time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGTERM)

    stopper = threading.Thread(target=stop_when_serving)
    stopper.start()
    try:
        assert main(["run", "sample_apps.hello_wsgi:app", "--host", "0.0.0.0", "--out", str(tmp_path / "t.jsonl")]) == 0
    finally:
        stopper.join(10)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].endswith(f"on http://0.0.0.0:{port}")
    from tracer.commands.run import lan_address

    lan = lan_address()
    there = f", from other machines: http://{lan}:{port}" if lan else ""
    assert lines[1] == (
        f"tracer: listening on every interface, so other machines can reach the app too (here: http://127.0.0.1:{port}{there})"
    )


def test_the_lan_address_is_this_machines_own(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from tracer.commands.run import lan_address

    address = lan_address()
    if address is not None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.bind((address, 0))  # only an address of this machine can be bound
        assert not address.startswith("127.")

    class Unreachable(socket.socket):
        def connect(self, *args: object) -> None:
            raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "socket", Unreachable)
    assert lan_address() is None


def test_bind_socket_port_zero_picks_a_free_port() -> None:
    with bind_socket("127.0.0.1", 0) as sock:
        assert display_address(sock).startswith("http://127.0.0.1:")
        assert sock.getsockname()[1] != 0


def wsgi_app(environ, start_response):
    if environ["PATH_INFO"] == "/boom":
        raise KeyError("gone")
    start_response("201 Created", [("Content-Type", "text/plain")])
    return [b"made", b"!"]


def test_access_log_prints_one_line_per_finished_wsgi_request() -> None:
    inner, stream = Recorder(), io.StringIO()
    client = Client(trace_app(wsgi_app, AccessLogSink(inner, stream)))
    client.post("/things?x=1", data=b"abc")
    with pytest.raises(KeyError):
        client.get("/boom")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2 and len(inner.traces()) == 2
    first = inner.traces()[0]
    method, path, status, duration, unit, events, word = lines[0].split()
    assert (method, path, status, unit, word) == ("POST", "/things?x=1", "201", "ms", "events")
    assert float(duration) == round(first.duration_ns / 1e6, 1) and int(events) == len(first.events)
    assert lines[1].split()[:3] == ["GET", "/boom", "500"] and lines[1].endswith("KeyError: 'gone'")


async def test_access_log_reads_asgi_status_and_websocket_close() -> None:
    from asgiref.testing import ApplicationCommunicator

    async def app(scope, receive, send):
        if scope["type"] == "websocket":
            await receive()
            await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": 4001})
            return
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b"tea"})

    stream = io.StringIO()
    traced = trace_app(app, AccessLogSink(Recorder(), stream))
    http = ApplicationCommunicator(traced, {"type": "http", "method": "PUT", "path": "/pot", "query_string": b"", "headers": []})
    await http.send_input({"type": "http.request", "body": b""})
    await http.receive_output(1)
    await http.wait(1)
    ws = ApplicationCommunicator(traced, {"type": "websocket", "path": "/ws", "query_string": b"", "headers": []})
    await ws.send_input({"type": "websocket.connect"})
    await ws.wait(1)
    lines = stream.getvalue().splitlines()
    assert lines[0].split()[:3] == ["PUT", "/pot", "418"]
    assert lines[1].split()[:3] == ["WS", "/ws", "101"] and lines[1].endswith("  closed 4001")


async def _log_lines(app, *scopes_and_inputs) -> list[str]:
    from asgiref.testing import ApplicationCommunicator

    stream = io.StringIO()
    traced = trace_app(app, AccessLogSink(Recorder(), stream))
    for scope, message in scopes_and_inputs:
        communicator = ApplicationCommunicator(traced, scope)
        await communicator.send_input(message)
        try:
            await communicator.wait(1)
        except Exception:  # noqa: BLE001 - the app's own error, recorded in the trace
            pass
    return stream.getvalue().splitlines()


LIFESPAN = ({"type": "lifespan", "asgi": {"version": "3.0"}}, {"type": "lifespan.startup"})


async def test_access_log_says_when_the_app_does_not_support_lifespan() -> None:
    async def http_only(scope, receive, send):
        if scope["type"] != "http":
            raise RuntimeError("http only\n(a second line the log leaves out)")

    async def ignores_others(scope, receive, send):
        if scope["type"] != "http":
            return

    (raised,) = await _log_lines(http_only, LIFESPAN)
    (returned,) = await _log_lines(ignores_others, LIFESPAN)
    assert raised.split()[:2] == ["LIFESPAN", "-"]
    assert raised.endswith("  the app does not support lifespan (it raised RuntimeError: http only); serving without it")
    assert returned.endswith("  the app does not support lifespan (it returned without answering lifespan.startup); serving without it")


async def test_access_log_of_a_lifespan_that_ends_normally_has_no_status() -> None:
    async def app(scope, receive, send):
        await receive()
        await send({"type": "lifespan.startup.complete"})
        await receive()
        await send({"type": "lifespan.shutdown.complete"})

    from asgiref.testing import ApplicationCommunicator

    stream = io.StringIO()
    communicator = ApplicationCommunicator(trace_app(app, AccessLogSink(Recorder(), stream)), LIFESPAN[0])
    await communicator.send_input({"type": "lifespan.startup"})
    await communicator.send_input({"type": "lifespan.shutdown"})
    await communicator.wait(1)
    (line,) = stream.getvalue().splitlines()
    assert line.split()[:2] == ["LIFESPAN", "-"] and line.endswith("6 events")


async def test_access_log_shows_403_for_a_websocket_closed_before_accept() -> None:
    async def app(scope, receive, send):
        await receive()
        await send({"type": "websocket.close", "code": 4404})

    (line,) = await _log_lines(app, ({"type": "websocket", "path": "/nope", "query_string": b"", "headers": []}, {"type": "websocket.connect"}))
    assert line.split()[:3] == ["WS", "/nope", "403"]


@pytest.mark.parametrize(
    ("reference", "forced"),
    [
        ("sample_apps.hello_wsgi:simple_app", []),
        ("sample_apps.hello_asgi:application", []),
        ("sample_apps.hello_wsgi:simple_app", ["--wsgi"]),
        ("sample_apps.twin_asgi:wsgi_app_on_asgi", ["--asgi"]),
    ],
)
def test_view_serves_while_the_ui_runs_and_quitting_stops_the_server(
    reference: str, forced: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "live.jsonl"
    seen: dict[str, object] = {}

    def fake_viewer(path: str, *, follow: bool) -> int:
        """Stands in for the UI: it is handed the live file while the server answers."""
        seen["path"], seen["follow"] = path, follow
        seen["response"] = httpx.get(f"http://127.0.0.1:{port}/hi", timeout=5).text
        return 0

    monkeypatch.setattr("tracer.commands.view.load_viewer", lambda: fake_viewer)
    assert main(["run", reference, "--port", str(port), "--out", str(out), "--view", *forced]) == 0
    assert seen["path"] == str(out) and seen["follow"] is True
    assert seen["response"] in ("Hello, World!", "not found\n")
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/", timeout=1)
    traces = read_traces(out)
    assert [t.path for t in traces if t.scope_type == "http"] == ["/hi"]
    assert all(t.complete for t in traces), "the sink was flushed and every trace ended, lifespan included"
    assert {t.protocol for t in traces} == {"asgi" if "asgi" in reference else "wsgi"}


def test_view_reports_a_failed_startup_before_the_ui_opens(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_module(project, "proj_nodb_view", NO_DATABASE_APP)
    monkeypatch.setattr("tracer.commands.view.load_viewer", lambda: pytest.fail("the UI must not open"))
    assert main(["run", "proj_nodb_view:app", "--port", "0", "--view"]) == 2
    assert "lifespan startup failed" in capsys.readouterr().err
    (lifespan,) = read_traces(project / "traces.jsonl")
    assert lifespan.complete and lifespan.events[2].data["message"]["message"] == "no database"


def test_wsgi_and_asgi_flags_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["run", "sample_apps.hello_wsgi:app", "--wsgi", "--asgi"])
    assert caught.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_access_log_keeps_its_columns_for_long_and_non_utf8_paths() -> None:
    from tracer.access_log import PATH_WIDTH

    inner, stream = Recorder(), io.StringIO()
    client = Client(trace_app(wsgi_app, AccessLogSink(inner, stream)))
    client.get("/" + "a" * 100)
    client.get("/caf%C3%A9")  # UTF-8 é, which WSGI hands over as latin-1 "bytes as str"
    client.get("/bad%FF%01")  # not UTF-8, and a control character
    long, cafe, bad = stream.getvalue().splitlines()
    status_column = 8 + PATH_WIDTH + 1
    for line in (long, cafe, bad):
        assert line[status_column : status_column + 4] == " 201"
    assert long[8:].startswith("/" + "a" * (PATH_WIDTH - 2) + "…")
    assert cafe.split()[1] == "/café"
    assert bad.split()[1].startswith("/bad") and bad.split()[1].endswith("\\x01")
