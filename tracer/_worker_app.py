"""The traced app inside each worker process of ``tracer run --workers N``.

uvicorn's workers import ``tracer._worker_app:create_app`` (``factory=True``)
and gunicorn's call `WorkerTracing` from their ``load()``: either way each
worker loads the app itself, wraps it in the tracer and appends to the one
trace file (`JsonlSink` takes several processes; each process's trace ids
begin with its own tag), with its own control socket for breakpoints. What
to serve comes from `tracer run` through one environment variable
(`SPEC_VARIABLE`), as JSON.
"""

from __future__ import annotations

import atexit
import json
import os
import sys
import threading
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from ._session import STOPPED_BY_SERVER, process_tag
from .access_log import AccessLogSink
from .app_output import capture_output, release_output
from .asgi import ASGITracer
from .debug import enable
from .detect import retrace, trace_app
from .django_static import with_static_files
from .errors import TracerError, UsageError
from .jsonl import JsonlSink
from .loader import load_app
from .serve import cut_short_line, say_when_held
from .wsgi import WSGITracer

SPEC_VARIABLE = "TRACER_WORKER_SPEC"
"""The environment variable that carries a `WorkerSpec` to the workers."""


@dataclass
class WorkerSpec:
    """What every worker serves, and how."""

    app: str
    protocol: str
    out: str
    workers: int
    factory: bool = False
    breakpoints: list[str] = field(default_factory=list)
    hold_timeout: float = 60.0
    access_log: bool = True
    """One console line per finished request (off under the terminal UI, which owns the screen)."""
    max_bytes: int | None = None
    backups: int = 5

    def to_env(self) -> str:
        """The value of `SPEC_VARIABLE`."""
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> WorkerSpec:
        """The spec `tracer run` left in the environment.

        Raises:
            UsageError: There is none (the module was imported outside ``tracer run --workers``).
        """
        text = os.environ.get(SPEC_VARIABLE)
        if not text:
            raise UsageError(f"{__name__} serves the app of 'tracer run --workers N'; ${SPEC_VARIABLE} is not set")
        return cls(**json.loads(text))


def _say(line: str, stream: IO[str] | None = None) -> None:
    """Write `line` and its newline in one call: the workers share the terminal, and with unbuffered output
    print()'s two writes (the text, then the newline) of two workers can interleave into one line."""
    stream = stream or sys.stdout
    stream.write(line + "\n")
    stream.flush()


class _TaggedConsole:
    """Standard output, each access-log line led by the tag of the worker that served the request."""

    def write(self, text: str) -> int:
        return sys.stdout.write(f"{process_tag()} {text}")

    def flush(self) -> None:
        sys.stdout.flush()


class WorkerTracing:
    """One worker's traced app, its trace file and its debugger; `close()` at the worker's end.

    Args:
        spec: What to serve.
    """

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        app = load_app(spec.app, factory=spec.factory)
        inner = app.app if isinstance(app, (WSGITracer, ASGITracer)) else app
        served, _ = with_static_files(inner)  # tracer run has said so once, for every worker
        self.jsonl = JsonlSink(spec.out, max_bytes=spec.max_bytes, backups=spec.backups)
        console: IO[str] = _TaggedConsole()  # type: ignore[assignment]
        self.sink: Any = AccessLogSink(self.jsonl, stream=console) if spec.access_log else self.jsonl
        if isinstance(app, (WSGITracer, ASGITracer)):
            app.app = served  # tracer run warned about the tracer already; trace the app inside it once
            self.traced: Any = retrace(app, self.sink)
        else:
            self.traced = trace_app(served, self.sink, protocol=spec.protocol)  # type: ignore[arg-type]
        self.traced._track_open_requests()
        self.debugger = enable(self.traced, spec.breakpoints, hold_timeout=spec.hold_timeout)
        capture_output(self.traced)
        if spec.breakpoints and spec.access_log:
            say_when_held(self.debugger, prefix=f"tracer: worker {os.getpid()}: ")
        self._closed = False
        self._lock = threading.Lock()
        _say(f"tracer: worker {os.getpid()} started; its trace ids begin {process_tag()}-")

    def cut_short(self, count: int, seconds: float) -> None:
        """The server is about to abandon `count` requests: end their traces as stopped, and say so."""
        marked = self.traced._stop_open_requests(STOPPED_BY_SERVER)
        if count or marked:
            line = cut_short_line(count or marked, seconds)
            _say(line.replace("tracer: ", f"tracer: worker {os.getpid()}: ", 1))

    def close(self) -> None:
        """Let held requests go, stop capturing output, and write and close the trace file. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self.debugger.close()
        release_output(self.traced)
        self.sink.close()


_tracing: WorkerTracing | None = None


def worker_tracing() -> WorkerTracing | None:
    """This worker's `WorkerTracing`, once the app is loaded."""
    return _tracing


def load_worker_app() -> Any:
    """Load and wrap the app of `SPEC_VARIABLE` in this worker (once); returns the traced app."""
    global _tracing
    if _tracing is None or _tracing.debugger.pid != os.getpid():
        _tracing = WorkerTracing(WorkerSpec.from_env())
    return _tracing.traced


def create_app() -> Any:
    """uvicorn's factory (``tracer._worker_app:create_app``, ``factory=True``): this worker's traced app.

    The worker's requests still running when its graceful shutdown runs out
    are cut short with their traces closed, as under ``tracer run`` with one
    process; the trace file is closed when the worker exits.
    """
    import logging

    from .serve import _CutShortFilter, _quiet_logger

    try:
        traced = load_worker_app()
    except TracerError as exc:
        # One line, as tracer run gives; uvicorn's supervisor stops on this exit status instead of restarting.
        _say(f"tracer: error: worker {os.getpid()}: {exc}", sys.stderr)
        from uvicorn.config import STARTUP_FAILURE

        sys.exit(STARTUP_FAILURE)
    tracing = _tracing
    assert tracing is not None
    for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi"):
        _quiet_logger(name, False)
    logging.getLogger("uvicorn.error").addFilter(_CutShortFilter(tracing.cut_short))
    atexit.register(tracing.close)
    return traced
