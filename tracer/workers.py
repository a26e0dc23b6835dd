"""``tracer run --workers N``: the app served by N worker processes, all appending to one trace file.

`tracer run` binds the socket and checks the app in its own process, then
starts a supervisor (`tracer._worker_servers`: uvicorn's for ASGI,
gunicorn's for WSGI) as a child in a process group of its own, so that the
terminal's Ctrl+C reaches only `tracer run`, which stops the group in order:
SIGTERM to the supervisor (a graceful shutdown of every worker), SIGINT to
the whole group on a second Ctrl+C (cut the requests short now), SIGKILL to
whatever is left after `STOP_TIMEOUT` seconds. Nothing of the group outlives
`WorkerGroup.stop`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from typing import IO

from ._worker_app import SPEC_VARIABLE, WorkerSpec
from .errors import UsageError
from .serve import GRACEFUL_SHUTDOWN_SECONDS, STOP_SIGNALS, handling_signals

STOP_TIMEOUT = GRACEFUL_SHUTDOWN_SECONDS + 12.0
"""Seconds the workers get to stop after the first Ctrl+C before they are killed."""


def parse_workers(text: str) -> int:
    """``--workers N``: a positive whole number."""
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of worker processes") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: there must be at least 1 worker process")
    return number


def server_description(protocol: str, workers: int) -> str:
    """What serves the app, for the console: ``uvicorn, 4 worker processes``."""
    name = "uvicorn" if protocol == "asgi" else "gunicorn, threaded workers"
    return f"{name}, {workers} worker processes"


def check_gunicorn() -> None:
    """Fail with one line if gunicorn, which serves WSGI apps with several workers, is not installed.

    Raises:
        UsageError: It is not.
    """
    try:
        import gunicorn  # noqa: F401
    except ImportError:
        raise UsageError(
            "--workers with a WSGI app needs gunicorn, which is not installed: "
            "pip install gunicorn (or pip install 'tracer[workers]')"
        ) from None


class WorkerGroup:
    """The supervisor of the workers, in its own process group, serving on an already bound socket.

    Args:
        spec: What the workers serve.
        sock: From `tracer.serve.bind_socket`; the group gets a copy, this process closes its own at `start`.
        output: Where the group's console output goes (the terminal when None).
    """

    def __init__(self, spec: WorkerSpec, sock: socket.socket, output: IO[str] | None = None) -> None:
        self.spec = spec
        self._sock = sock
        self._output = output
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        """The supervisor's pid (also its process group's id), once started."""
        return None if self.process is None else self.process.pid

    def start(self) -> None:
        """Start the supervisor; it starts the workers."""
        fd = self._sock.fileno()
        env = dict(os.environ)
        env[SPEC_VARIABLE] = self.spec.to_env()
        env.setdefault("PYTHONUNBUFFERED", "1")
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tracer._worker_servers", str(fd), str(os.getpid())],
                env=env,
                pass_fds=(fd,),
                start_new_session=True,
                stdin=subprocess.DEVNULL,
                stdout=self._output,
                stderr=self._output,
            )
        finally:
            self._sock.close()

    def wait(self) -> int:
        """Block until the supervisor exits (Ctrl+C raises `KeyboardInterrupt` here); its exit status."""
        assert self.process is not None
        return self.process.wait()

    def stop(self) -> None:
        """Stop every process of the group, gracefully first; return when none is left. Idempotent.

        A Ctrl+C while waiting cuts the requests in progress short at once.
        """
        process = self.process
        if process is None:
            return
        hurry = _Hurry(process.pid)
        # From here on Ctrl+C (and the stop signals) hurry the workers instead of interrupting this wait.
        with handling_signals((signal.SIGINT, *STOP_SIGNALS), hurry):
            if process.poll() is None:
                _signal(process.pid, signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(STOP_TIMEOUT)
            # The supervisor waits for its workers, but a worker it lost track of must not outlive it.
            deadline = time.monotonic() + 2.0
            while _group_alive(process.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            _signal(process.pid, signal.SIGKILL, group=True)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(5)


class _Hurry:
    """A signal handler: the first signal while stopping cuts the workers' requests short at once."""

    def __init__(self, pgid: int) -> None:
        self.pgid = pgid
        self.hurried = False

    def __call__(self, signum: int, frame: object) -> None:
        if not self.hurried:
            self.hurried = True
            _signal(self.pgid, signal.SIGINT, group=True)


def _signal(pid: int, signum: int, *, group: bool = False) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        if group:
            os.killpg(pid, signum)
        else:
            os.kill(pid, signum)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True
