"""Start `tracer run` in a subprocess on a free 127.0.0.1 port, and stop it again.

Used by the framework and sample-app tests. Every wait is bounded, and
`stop()` always ends the process (SIGINT, then SIGKILL), by its pid.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from tracer import TracerWarning, read_traces
from tracer.model import Trace

REPO = Path(__file__).resolve().parents[2]
_ADDRESS = re.compile(r" on (http://\S+)")


class TracerRun:
    """One `tracer run` process: its URL, trace file and everything it printed."""

    def __init__(self, reference: str, trace_file: Path, *args: str, cwd: Path = REPO, timeout: float = 20.0) -> None:
        self.reference = reference
        self.trace_file = trace_file
        self.lines: list[str] = []
        self._got_line = threading.Condition()
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        command = [sys.executable, "-m", "tracer.cli", "run", reference, "--port", "0", "--out", str(trace_file), *args]
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            preexec_fn=_ctrl_c_as_at_a_terminal,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            self.url = self._wait_for_address(timeout)
        except BaseException:
            self.stop()
            raise

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._got_line:
                self.lines.append(line.rstrip("\n"))
                self._got_line.notify_all()

    def _wait_for_address(self, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        with self._got_line:
            while True:
                for line in self.lines:
                    match = _ADDRESS.search(line)
                    if match and line.startswith("tracer: serving"):
                        return match.group(1)
                if self.process.poll() is not None and not self._reader.is_alive():
                    raise RuntimeError(f"tracer run exited with {self.process.returncode}: {self.output}")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"tracer run did not start within {timeout} s: {self.output}")
                self._got_line.wait(min(remaining, 0.1))

    @property
    def output(self) -> str:
        """Everything printed so far."""
        with self._got_line:
            return "\n".join(self.lines)

    def wait_for_line(self, predicate: Callable[[str], bool], timeout: float = 10.0) -> str:
        """The first printed line that satisfies `predicate`, waiting for it if needed."""
        deadline = time.monotonic() + timeout
        with self._got_line:
            while True:
                for line in self.lines:
                    if predicate(line):
                        return line
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(f"no such line within {timeout} s in: {self.output}")
                self._got_line.wait(min(remaining, 0.1))

    def stop(self, timeout: float = 15.0) -> int:
        """Ctrl+C the server, wait for its clean exit (SIGKILL after `timeout`); returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reader.join(5)
        if self.process.stdout is not None:
            self.process.stdout.close()
        return self.process.returncode


def _ctrl_c_as_at_a_terminal() -> None:
    """Tests may run as a background job, whose children ignore SIGINT; `stop()` stands for Ctrl+C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def wait_for_traces(path: Path, predicate: Callable[[list[Trace]], bool], timeout: float = 10.0) -> list[Trace]:
    """Read `path` until `predicate(traces)` holds; the writer flushes on its own schedule."""
    deadline = time.monotonic() + timeout
    while True:
        with warnings.catch_warnings():
            # A line still being written is cut off; the next read gets it whole.
            warnings.simplefilter("ignore", TracerWarning)
            traces = read_traces(path) if path.exists() else []
        if predicate(traces):
            return traces
        if time.monotonic() > deadline:
            summary = [(t.method, t.path, t.status, t.complete) for t in traces]
            raise TimeoutError(f"traces in {path} never satisfied the check: {summary}")
        time.sleep(0.05)


def completed(path: Path, count: int, timeout: float = 10.0, scope_type: str | None = None) -> list[Trace]:
    """The complete traces of `path` (of `scope_type`, if given), once there are at least `count`."""

    def enough(traces: list[Trace]) -> bool:
        return len(_complete(traces, scope_type)) >= count

    return _complete(wait_for_traces(path, enough, timeout), scope_type)


def _complete(traces: list[Trace], scope_type: str | None) -> list[Trace]:
    return [t for t in traces if t.complete and (scope_type is None or t.scope_type == scope_type)]


_SERVER_LOGGERS = ("werkzeug", "uvicorn", "uvicorn.error", "uvicorn.asgi")


def logger_state() -> dict[str, tuple]:
    """The server loggers' setup, for servers run inside the test process (they quieten them)."""
    loggers = {name: logging.getLogger(name) for name in _SERVER_LOGGERS}
    return {name: (list(lg.handlers), lg.level, lg.propagate) for name, lg in loggers.items()}


def restore_loggers(saved: dict[str, tuple]) -> None:
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:] = handlers
        logger.setLevel(level)
        logger.propagate = propagate
