"""`make demo`: the tour records every event kind, and every server stops when the UI quits or on Ctrl+C."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import httpx
import pytest

from sample_apps import demo
from tests.frameworks.running import REPO
from tracer import read_traces

ALL_KINDS = {
    "wsgi.environ", "wsgi.input", "wsgi.start_response", "wsgi.write", "wsgi.errors", "wsgi.body",
    "wsgi.close", "wsgi.error", "wsgi.end", "asgi.scope", "asgi.receive", "asgi.send", "asgi.error", "asgi.end",
}


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def test_demo_tours_every_app_then_stops_them_when_the_ui_quits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "demo.jsonl"
    seen: dict[str, object] = {}

    def fake_viewer(path: str, *, follow: bool) -> int:
        """The UI stand-in: the servers still answer while it is open."""
        seen["path"], seen["follow"] = path, follow
        seen["alive"] = [httpx.get(app.url + "/", timeout=5).status_code for app in demo.APPS.values()]
        return 0

    monkeypatch.setattr("tracer.commands.view.load_viewer", lambda: fake_viewer)
    assert demo.main(["--out", str(out)]) == 0
    assert seen == {"path": str(out), "follow": True, "alive": [200, 200, 200, 200]}
    assert not any(is_listening(app.port) for app in demo.APPS.values())
    assert all(app.process is not None and app.process.returncode == 0 for app in demo.APPS.values())

    traces = read_traces(out)
    assert ALL_KINDS <= {event.kind for trace in traces for event in trace.events}
    assert {trace.scope_type for trace in traces} == {"http", "websocket", "lifespan"}
    assert all(trace.complete for trace in traces), "servers shut down cleanly: lifespan traces ended too"
    # Four requests at once: on /slow they overlap, /blocking blocks the event loop so they queue.
    for path, spread in (("/slow", (0.0, 0.5)), ("/blocking", (1.2, 3.0))):
        burst = sorted(t.started_at for t in traces if t.path == path and t.duration_ns > 450_000_000)
        if path == "/slow":
            burst = burst[-4:]  # the ASGI notes burst
        assert len(burst) == 4 and spread[0] <= burst[-1] - burst[0] < spread[1], (path, burst)
    printed = capsys.readouterr().out
    assert "Stopped 4 servers." in printed
    assert printed.count(", as expected") == 3 and "failed:" not in printed
    assert printed.count(": they overlapped") == 2 and printed.count(": they queued, one after another") == 1
    assert "What to look at in the UI" in printed


def test_a_step_that_fails_by_surprise_does_not_say_expected(capsys: pytest.CaptureFixture[str]) -> None:
    def refused() -> str:
        raise ConnectionRefusedError("no server")

    demo.step("GET  /a", refused, "the server cut the response short")
    demo.step("GET  /b", refused)
    first, second = capsys.readouterr().out.splitlines()
    assert first.endswith("the server cut the response short (ConnectionRefusedError), as expected")
    assert second.endswith("failed: ConnectionRefusedError: no server")


def children_of(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def is_gone(pid: int) -> bool:
    """Exited (a zombie waiting for its reaper counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


@pytest.mark.parametrize(
    ("how", "signum"),
    [
        ("Ctrl+C at the terminal, which signals the whole process group", signal.SIGINT),
        ("kill", signal.SIGTERM),
        ("kill -9: the servers stop by themselves", signal.SIGKILL),
    ],
    ids=["ctrl-c", "sigterm", "sigkill"],
)
def test_stopping_the_demo_during_the_tour_stops_every_server_cleanly(tmp_path: Path, how: str, signum: int) -> None:
    out = tmp_path / "d.jsonl"
    process = subprocess.Popen(
        [sys.executable, "-m", "sample_apps.demo", "--no-view", "--out", str(out)],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # as at a terminal, even in a background job
    )
    lines: list[str] = []
    servers: list[int] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("WSGI showcase:"):
                break
        ports = [int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", "".join(lines))]
        servers = children_of(process.pid)
        assert len(ports) == 4 and len(servers) == 4 and all(is_listening(port) for port in ports)
        if signum == signal.SIGINT:
            os.killpg(process.pid, signum)
        else:
            process.send_signal(signum)
        rest, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=5)
        deadline = time.monotonic() + 10
        while not all(is_gone(pid) for pid in servers) and time.monotonic() < deadline:
            time.sleep(0.05)
        for pid in servers:
            if not is_gone(pid):
                os.kill(pid, signal.SIGKILL)
    assert all(is_gone(pid) for pid in servers), how
    assert not any(is_listening(port) for port in ports)
    if signum != signal.SIGKILL:
        assert process.returncode == 130 and "Stopped 4 servers." in rest
    traces = read_traces(out)
    assert all(trace.complete for trace in traces), "each server stopped once, cleanly: every trace ended"
    lifespans = [trace for trace in traces if trace.scope_type == "lifespan"]
    assert len(lifespans) == 2
    for trace in lifespans:  # uvicorn ran its graceful shutdown, not the forced one
        assert [e.kind for e in trace.events[-2:]] == ["asgi.send", "asgi.end"], how
        assert trace.events[-2].data["message"]["type"] == "lifespan.shutdown.complete", how


def test_the_hold_demo_holds_a_request_on_each_app_while_both_serve_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from sample_apps import demo_hold
    from tracer import TracerWarning
    from tracer.debug.client import attach

    out = tmp_path / "hold.jsonl"
    seen: dict[str, object] = {}
    monkeypatch.setattr(demo_hold, "EVERY", 0.2)

    def fake_viewer(path: str, *, follow: bool, tour: bool) -> int:
        """The UI stand-in: attach as the UI does, look at what is held while the traffic goes on, let it go."""
        seen["path"], seen["follow"], seen["tour"] = path, follow, tour
        connections = attach(path)
        try:
            held = {c.pid: c.held() for c in connections}
            seen["held"] = sorted((h.protocol, h.kind, h.type, h.path) for hs in held.values() for h in hs)
            # Other requests to both apps are answered while the held ones wait.
            deadline = time.monotonic() + 10
            answered: dict[str, int] = {}
            while time.monotonic() < deadline:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", TracerWarning)  # a line still being written
                    traces = read_traces(path)
                answered = {
                    protocol: sum(1 for t in traces if t.protocol == protocol and t.path == "/" and t.complete)
                    for protocol in ("asgi", "wsgi")
                }
                if min(answered.values()) >= 2:
                    break
                time.sleep(0.1)
            seen["answered_while_held"] = min(answered.values()) >= 2
            seen["still_held"] = sorted(h.protocol for c in connections for h in c.held())
            for connection in connections:
                connection.continue_all()
        finally:
            for connection in connections:
                connection.close()
        return 0

    monkeypatch.setattr("tracer.commands.view.load_viewer", lambda: fake_viewer)
    assert demo.main(["--hold", "--out", str(out)]) == 0
    assert seen.pop("held") == [
        ("asgi", "asgi.send", "http.response.start", "/slow"),
        ("wsgi", "wsgi.start_response", None, "/slow"),
    ]
    assert seen == {"path": str(out), "follow": True, "tour": True, "answered_while_held": True,
                    "still_held": ["asgi", "wsgi"]}
    keys = demo_hold.APP_KEYS
    assert not any(is_listening(demo.APPS[key].port) for key in keys)
    assert all(demo.APPS[key].process.returncode == 0 for key in keys)  # type: ignore[union-attr]
    traces = read_traces(out)
    held = [t for t in traces if "hold=1" in t.summary.query]
    assert sorted(t.protocol for t in held) == ["asgi", "wsgi"]
    assert all(t.complete and t.summary.status == 200 and t.summary.held_ns > 0 for t in held)
    # The quick requests started after the held ones and ended before them.
    for protocol in ("asgi", "wsgi"):
        [slow] = [t for t in held if t.protocol == protocol]
        quick = [t for t in traces if t.protocol == protocol and t.path == "/"]
        assert any(slow.started_at < t.started_at and t.started_at + t.duration_ns / 1e9
                   < slow.started_at + slow.duration_ns / 1e9 for t in quick), protocol
    printed = capsys.readouterr().out
    assert "Stopped 2 servers." in printed and "the one event loop serves the others" in printed
