"""`make demo`: the tour records every event kind, and every server stops when the UI quits or on Ctrl+C."""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
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
    assert "Stopped 4 servers." in capsys.readouterr().out


def test_ctrl_c_during_the_tour_stops_every_server(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sample_apps.demo", "--no-view", "--out", str(tmp_path / "d.jsonl")],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("WSGI showcase:"):
                break
        ports = [int(p) for p in re.findall(r"http://127\.0\.0\.1:(\d+)", "".join(lines))]
        assert len(ports) == 4 and all(is_listening(port) for port in ports)
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=5)
    assert process.returncode == 130
    assert "Stopped 4 servers." in rest
    deadline = time.monotonic() + 5
    while any(is_listening(port) for port in ports) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(is_listening(port) for port in ports)
