"""`tracer run --workers N`: uvicorn's and gunicorn's workers on 127.0.0.1, all appending to one trace file.

Real servers in subprocesses (`tests.frameworks.running.TracerRun`), every
wait bounded; each test checks that no worker process outlives `tracer run`.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import signal
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.frameworks.running import TracerRun, wait_for_traces
from tracer import read_traces
from tracer.cli import main
from tracer.errors import UsageError
from tracer.workers import check_gunicorn

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker processes in /proc")

APPS = """
    import asyncio
    import os
    import time

    def wsgi_app(environ, start_response):
        if environ["PATH_INFO"] == "/slow":
            time.sleep(8)
        else:
            time.sleep(0.05)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [str(os.getpid()).encode()]

    async def asgi_app(scope, receive, send):
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                await send({"type": message["type"] + ".complete"})
                if message["type"] == "lifespan.shutdown":
                    return
        await asyncio.sleep(8 if scope["path"] == "/slow" else 0.05)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": str(os.getpid()).encode()})
"""

WORKER_LINE = re.compile(r"^tracer: worker (\d+) started; its trace ids begin ([0-9a-f]+)-$")


def start(tmp_path: Path, reference: str, *args: str, workers: int = 2) -> tuple[TracerRun, dict[str, int]]:
    """`tracer run` with `workers` workers, once each has said it serves; and the workers' pids by trace-id tag."""
    (tmp_path / "worker_apps.py").write_text(textwrap.dedent(APPS))
    run = TracerRun(reference, tmp_path / "t.jsonl", "--workers", str(workers), *args, cwd=tmp_path, timeout=30)
    try:
        deadline = time.monotonic() + 30
        while len(worker_lines(run)) < workers:
            if time.monotonic() > deadline or run.process.poll() is not None:
                raise TimeoutError(f"the workers did not all start: {run.output}")
            time.sleep(0.05)
    except BaseException:
        run.stop()
        raise
    return run, worker_lines(run)


def worker_lines(run: TracerRun) -> dict[str, int]:
    found = {}
    for line in run.output.splitlines():
        match = WORKER_LINE.match(line)
        if match:
            found[match.group(2)] = int(match.group(1))
    return found


def descendants(pid: int) -> set[int]:
    """The processes below `pid`, read from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """The pids of `pids` still alive after waiting up to `timeout` seconds for them to go."""
    deadline = time.monotonic() + timeout
    while True:
        alive = set()
        for pid in pids:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                continue
            # A zombie is gone but for its parent's wait.
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.add(pid)
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def hit_until_two_workers_answer(url: str) -> set[str]:
    """Concurrent requests, in rounds, until two worker processes have answered (bounded); the pids that answered."""
    answered: set[str] = set()
    with httpx.Client(timeout=10) as client, concurrent.futures.ThreadPoolExecutor(12) as pool:
        for _ in range(20):
            bodies = pool.map(lambda i: client.get(f"{url}/work?i={i}").text, range(24))
            answered.update(bodies)
            if len(answered) >= 2:
                break
    return answered


@pytest.mark.parametrize(
    ("reference", "server"),
    [("worker_apps:asgi_app", "uvicorn"), ("worker_apps:wsgi_app", "gunicorn")],
)
def test_workers_append_complete_traces_of_every_process_to_one_file_and_ctrl_c_stops_them_all(
    tmp_path: Path, reference: str, server: str
) -> None:
    run, workers = start(tmp_path, reference)
    try:
        assert f"{server}" in run.output and "2 worker processes" in run.output
        processes = descendants(run.process.pid)
        assert set(workers.values()) <= processes
        answered = hit_until_two_workers_answer(run.url)
        assert len(answered) >= 2, answered
        assert {int(pid) for pid in answered} <= set(workers.values())
        http = lambda traces: [t for t in traces if t.scope_type == "http" and t.complete]  # noqa: E731
        wait_for_traces(run.trace_file, lambda traces: len(http(traces)) >= 24, timeout=10)
        with httpx.Client(timeout=20) as client, concurrent.futures.ThreadPoolExecutor(1) as pool:
            slow = pool.submit(_quietly, client.get, f"{run.url}/slow")
            wait_for_traces(run.trace_file, lambda traces: any(t.path == "/slow" for t in traces), timeout=10)
            run.process.send_signal(signal.SIGINT)  # Ctrl+C
            assert run.process.wait(30) == 0
            slow.result(20)
    finally:
        run.stop()
    assert gone(processes) == set(), run.output
    traces = read_traces(run.trace_file)
    assert traces and all(t.complete for t in traces), [(t.id, t.path) for t in traces if not t.complete]
    tags = {t.id.split("-")[0] for t in traces if t.scope_type == "http"}
    assert len(tags) >= 2 and tags <= set(workers)
    (cut,) = [t for t in traces if t.path == "/slow"]
    assert cut.summary.stopped == "server shutdown"
    # One console line per request, led by the tag of the worker that served it.
    lines = run.output.splitlines()
    for trace in traces:
        if trace.scope_type == "http" and trace.path == "/work":
            assert any(line.startswith(f"{trace.id.split('-')[0]} GET ") and "/work?i=" in line for line in lines)
    tag = cut.id.split("-")[0]
    assert any(line.startswith(f"{tag} GET") and "/slow" in line and "stopped: server shutdown" in line for line in lines)
    assert f"tracer: worker {workers[tag]}: 1 request was still running after " in run.output
    assert lines[-1] == "tracer: stopped"
    assert "Traceback" not in run.output


def _quietly(call: Any, *args: Any) -> Any:
    try:
        return call(*args)
    except httpx.HTTPError:
        return None  # the server cut the request short: expected


def test_workers_rotate_one_trace_file_set_without_losing_a_trace(tmp_path: Path) -> None:
    run, workers = start(tmp_path, "worker_apps:wsgi_app", "--max-size", "8K", "--backups", "200")
    try:
        with httpx.Client(timeout=10) as client, concurrent.futures.ThreadPoolExecutor(8) as pool:
            statuses = list(pool.map(lambda i: client.get(f"{run.url}/work?i={i}").status_code, range(150)))
        assert statuses == [200] * 150
        assert run.stop() == 0
    finally:
        run.stop()
    assert len(list(tmp_path.glob("t.jsonl.*"))) >= 2  # it did rotate
    traces = [t for t in read_traces(run.trace_file) if t.path == "/work"]
    assert len(traces) == 150 and all(t.complete for t in traces)


def test_workers_with_the_view_attach_to_each_worker_and_quitting_stops_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--view`: the UI (a stand-in here) follows the file and reaches every worker's breakpoints; quitting stops all."""
    from tracer.debug.client import attach

    (tmp_path / "view_worker_apps.py").write_text(textwrap.dedent(APPS))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "t.jsonl"
    seen: dict[str, Any] = {}

    def stand_in_ui(path: str, *, follow: bool = False, app_url: str | None = None, **_: Any) -> int:
        seen["follow"], seen["app_url"] = follow, app_url
        deadline = time.monotonic() + 30
        connections: list[Any] = []
        while len(connections) < 2 and time.monotonic() < deadline:
            for connection in connections:
                connection.close()
            connections = attach(path)
            time.sleep(0.1)
        try:
            seen["pids"] = {connection.pid for connection in connections}
            seen["breakpoints"] = [[bp.text for bp in connection.breakpoints()] for connection in connections]
            # Those of this run only: other tests' servers (a session's fixtures) may be running too.
            seen["processes"] = descendants(os.getpid()) - before
        finally:
            for connection in connections:
                connection.close()
        return 0

    monkeypatch.setattr("tracer.commands.view.open_viewer", stand_in_ui)
    before = descendants(os.getpid())
    status = main(
        ["run", "view_worker_apps:asgi_app", "--workers", "2", "--port", "0", "--out", str(out), "--view", "--break", "~u /x"]
    )
    printed = capsys.readouterr().out
    assert status == 0
    assert seen["follow"] is True and seen["app_url"].startswith("http://127.0.0.1:")
    assert len(seen["pids"]) == 2
    assert seen["breakpoints"] == [["~u /x"], ["~u /x"]]
    assert seen["pids"] <= seen["processes"]
    assert gone(seen["processes"]) == set()
    assert f"the servers' own output to {out}.log" in printed
    assert printed.splitlines()[-1] == f"tracer: stopped the server on {seen['app_url']}; the trace is in {out}"
    log = (tmp_path / "t.jsonl.log").read_text()
    assert log.count("tracer: worker ") == 2  # the workers' own lines went to the log, not over the UI


@pytest.mark.parametrize("value", ["0", "-3", "two"])
def test_a_bad_worker_count_is_one_line_naming_the_option(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["run", "anything:app", "--workers", value])
    assert exited.value.code == 2
    error = capsys.readouterr().err.strip().splitlines()[-1]
    assert "--workers" in error and repr(value) in error


def test_a_wsgi_app_with_workers_and_no_gunicorn_says_how_to_install_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "gunicorn", None)  # `import gunicorn` raises ImportError
    with pytest.raises(UsageError, match=r"pip install gunicorn \(or pip install 'tracer\[workers\]'\)"):
        check_gunicorn()
    (tmp_path / "nogunicorn_apps.py").write_text(textwrap.dedent(APPS))
    monkeypatch.chdir(tmp_path)
    status = main(["run", "nogunicorn_apps:wsgi_app", "--workers", "2", "--port", "0", "--out", str(tmp_path / "t.jsonl")])
    err = capsys.readouterr().err
    assert status == 2
    assert err.strip().splitlines() == [
        "tracer: error: --workers with a WSGI app needs gunicorn, which is not installed: "
        "pip install gunicorn (or pip install 'tracer[workers]')"
    ]
    assert not (tmp_path / "t.jsonl").exists()  # nothing started


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_an_app_that_fails_only_in_the_workers_is_one_line_each_and_tracer_run_exits(tmp_path: Path, protocol: str) -> None:
    (tmp_path / "fails_in_workers.py").write_text(
        textwrap.dedent(
            """
            import os
            if os.environ.get("TRACER_WORKER_SPEC"):
                raise RuntimeError("only in workers")
            def wsgi_app(environ, start_response):
                return []
            async def asgi_app(scope, receive, send):
                pass
            """
        )
    )
    run = TracerRun(f"fails_in_workers:{protocol}_app", tmp_path / "t.jsonl", "--workers", "2", cwd=tmp_path, timeout=30)
    try:
        status = run.process.wait(30)
    finally:
        run.stop()
    assert status == 1
    assert "tracer: error: worker " in run.output
    assert "error while importing 'fails_in_workers': RuntimeError: only in workers" in run.output
    assert "Traceback" not in run.output
    lines = run.output.splitlines()
    assert lines[-1] == "tracer: stopped"
    assert lines[-2].startswith("tracer: the worker processes stopped by themselves")
