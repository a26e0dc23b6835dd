"""The supervisor process of ``tracer run --workers N``: ``python -m tracer._worker_servers FD``.

`tracer run` binds the listening socket, then starts this module in a
process group of its own with the socket's descriptor and a
`tracer._worker_app.WorkerSpec` in the environment. It runs one of two
supervisors, each forking or spawning N workers that share the socket:

- ASGI: uvicorn's own (``uvicorn.supervisors.Multiprocess``), whose workers
  import ``tracer._worker_app:create_app`` as a factory;
- WSGI: gunicorn's arbiter, through its custom application API
  (``gunicorn.app.base.BaseApplication``), with threaded (gthread) workers.

SIGTERM stops it gracefully: each worker finishes its requests for up to
`tracer.serve.GRACEFUL_SHUTDOWN_SECONDS`, cuts short (and closes the traces
of) those still running, and closes the trace file. SIGINT afterwards cuts
them short at once. If `tracer run` goes away without stopping it, it stops
itself.
"""

from __future__ import annotations

import inspect
import os
import signal
import socket
import sys
import threading
import time
from typing import Any

from ._worker_app import WorkerSpec
from .errors import TracerError
from .serve import GRACEFUL_SHUTDOWN_SECONDS

THREADS_PER_WORKER = 8
"""Requests a gunicorn worker serves at once (gthread), so that a stream or a held request does not block the rest."""


def serve_uvicorn(spec: WorkerSpec, sock: socket.socket) -> None:
    """uvicorn's supervisor and `spec.workers` workers on `sock`, until SIGTERM or SIGINT."""
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        "tracer._worker_app:create_app",
        factory=True,
        workers=spec.workers,
        # "auto" runs the lifespan protocol and still serves apps that reject it (Django's ASGIHandler).
        lifespan="auto",
        log_config=None,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    if "target" in inspect.signature(Multiprocess).parameters:
        # uvicorn before 0.30 takes the workers' function too.
        Multiprocess(config, target=uvicorn.Server(config).run, sockets=[sock]).run()  # type: ignore[call-arg]
    else:
        Multiprocess(config, sockets=[sock]).run()


def serve_gunicorn(spec: WorkerSpec, fd: int) -> None:
    """gunicorn's arbiter and `spec.workers` threaded workers on the socket `fd`, until SIGTERM or SIGINT."""
    from gunicorn.app.base import BaseApplication
    from gunicorn.errors import AppImportError, HaltServer
    from gunicorn.workers.gthread import ThreadWorker

    from ._worker_app import load_worker_app

    class TracerWorker(ThreadWorker):  # type: ignore[misc]
        """gunicorn's gthread worker; stopping at once (SIGINT, SIGQUIT) still closes every trace."""

        def handle_exit(self, sig: int, frame: Any) -> None:
            global _stop_began
            if _stop_began is None:
                _stop_began = time.monotonic()
            super().handle_exit(sig, frame)

        def handle_quit(self, sig: int, frame: Any) -> None:
            self.alive = False
            _finish_worker()
            sys.stdout.flush()
            os._exit(0)

    def post_fork(server: Any, worker: Any) -> None:
        # The arbiter waits longer than the worker does, so that the worker has time to close its traces.
        worker.cfg.set("graceful_timeout", GRACEFUL_SHUTDOWN_SECONDS)

    def worker_exit(server: Any, worker: Any) -> None:
        if worker.pid == os.getpid():  # gunicorn also calls it in the arbiter, for workers that died
            _finish_worker()

    class TracerApplication(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            settings = {
                "bind": [f"fd://{fd}"],
                "workers": spec.workers,
                "worker_class": TracerWorker,
                "threads": THREADS_PER_WORKER,
                "graceful_timeout": GRACEFUL_SHUTDOWN_SECONDS + 5,
                "loglevel": "warning",
                "post_fork": post_fork,
                "worker_exit": worker_exit,
                "proc_name": "tracer",
            }
            for key, value in settings.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            try:
                return load_worker_app()
            except TracerError as exc:
                # gunicorn prints this one line and stops, as tracer run does for a mistake.
                raise AppImportError(f"tracer: error: worker {os.getpid()}: {exc}") from None

    try:
        TracerApplication().run()
    except HaltServer as exc:
        # A worker that fails to boot stops the arbiter; it has said why in one line already.
        sys.exit(exc.exit_status)


_stop_began: float | None = None
"""When this gunicorn worker was asked to stop (monotonic seconds)."""


def _finish_worker() -> None:
    """In a gunicorn worker whose serving loop has ended: close the traces of requests still running, and the file.

    Threads still inside the app would keep the process alive (and be killed
    by the arbiter later), so when any were cut short the worker exits here.
    """
    from ._worker_app import worker_tracing

    tracing = worker_tracing()
    if tracing is None:
        return
    running = tracing.traced._open
    cut = bool(running)
    if cut:
        began = _stop_began if _stop_began is not None else time.monotonic()
        tracing.cut_short(len(running), time.monotonic() - began)
    tracing.close()
    if cut:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


def _stop_with_parent(parent: int) -> None:
    """Stop gracefully (SIGTERM to this process) once `parent` (``tracer run``) is gone."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="tracer-parent-watch", daemon=True).start()


def main(argv: list[str]) -> int:
    """Serve the spec of the environment on the inherited socket ``argv[0]`` (a descriptor number)."""
    spec = WorkerSpec.from_env()
    fd = int(argv[0])
    _stop_with_parent(int(argv[1]) if len(argv) > 1 else os.getppid())
    if spec.protocol == "asgi":
        sock = socket.socket(fileno=fd)
        serve_uvicorn(spec, sock)
    else:
        serve_gunicorn(spec, fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
