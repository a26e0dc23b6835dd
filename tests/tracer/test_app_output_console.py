"""Under `tracer run`, the app's log output reaches the console as without tracer, and its trace once."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.frameworks.running import REPO, completed
from tracer.model import Trace

APPS = "tests.tracer.app_output_apps"


def serve(reference: str, out: Path, stderr_file: Path) -> tuple[subprocess.Popen[str], str]:
    """`tracer run` with its stderr in a file of its own; returns the process and its URL."""
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "tracer.cli", "run", reference, "--port", "0", "--out", str(out)]
    with stderr_file.open("w") as err:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=err, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r" on (http://\S+)", line)
        if line.startswith("tracer: serving") and match:
            return process, match.group(1)
        if not line and process.poll() is not None:
            break
    stop(process)
    raise RuntimeError(f"tracer run did not start: {stderr_file.read_text()}")


def stop(process: subprocess.Popen[str]) -> str:
    """Ctrl+C the server (SIGKILL if it hangs); returns what it printed on stdout after starting."""
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        stdout, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, _ = process.communicate(timeout=5)
    return stdout


def logs(trace: Trace) -> list[dict[str, object]]:
    return [event.data for event in trace.events if event.kind == "app.log"]


def test_flasks_logged_exception_reaches_stderr_and_its_trace_once(tmp_path: Path) -> None:
    out, err = tmp_path / "t.jsonl", tmp_path / "stderr.txt"
    process, url = serve(f"{APPS}:flask_untouched", out, err)
    try:
        assert httpx.get(f"{url}/boom", timeout=10).status_code == 500
        assert httpx.get(f"{url}/bare", timeout=10).status_code == 200
        traces = completed(out, 2)
    finally:
        stdout = stop(process)
    stderr = err.read_text()
    # Flask's own handler printed it (its format), to wsgi.errors, which is Werkzeug's stderr.
    assert re.search(r"ERROR in app: Exception on /boom \[GET\]\nTraceback \(most recent call last\):", stderr)
    assert stderr.count("IndexError: list index out of range") == 1
    # Python's last-resort handler prints a record no handler takes.
    assert "no handler for this\n" in stderr
    assert "Traceback" not in stdout

    [boom] = [t for t in traces if t.path == "/boom"]
    [record] = logs(boom)
    assert (record["level"], record["logger"], record["message"]) == ("ERROR", "flask_untouched", "Exception on /boom [GET]")
    assert "IndexError: list index out of range" in str(record["exception"])
    assert boom.summary.logged_exception
    # What Flask's handler wrote to wsgi.errors is that stream's event, not a second record.
    [errors] = [event for event in boom.events if event.kind == "wsgi.errors"]
    assert "Exception on /boom [GET]" in str(errors.data["data"])

    [bare] = [t for t in traces if t.path == "/bare"]
    assert [(d["source"], d["logger"], d["message"]) for d in logs(bare)] == [("logging", "app_output_bare", "no handler for this")]
