"""Drive small apps through the tracer middlewares and return their one trace."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.test import create_environ

from tracer import ASGITracer, Recorder, WSGITracer
from tracer.model import Trace


class LenientErrors:
    """A wsgi.errors stream that accepts anything, so an app's wrong type is recorded, not raised."""

    def write(self, data: Any) -> None:
        pass

    def writelines(self, lines: Any) -> None:
        pass

    def flush(self) -> None:
        pass


def run_wsgi(
    app: Callable[..., Any],
    *,
    environ: Callable[[dict[str, Any]], None] | None = None,
    close: bool = True,
    iterate_after_close: bool = False,
    crash: bool = False,
    tracer_options: dict[str, Any] | None = None,
    outer: Callable[[Any], Any] | None = None,
    **request: Any,
) -> Trace:
    """Call `app` like a server would (start_response, iterate, close) and return its trace.

    `outer` wraps the traced app (another middleware between it and the server). With
    `crash`, the server stops after calling the app: the trace is taken before the body
    is iterated, so it never completes.
    """
    rec = Recorder()
    traced = WSGITracer(app, sink=rec, **(tracer_options or {}))
    if outer is not None:
        traced = outer(traced)
    env = create_environ(**request)
    env["wsgi.errors"] = LenientErrors()
    if environ is not None:
        environ(env)

    def start_response(status: Any, headers: Any, exc_info: Any = None) -> Callable[[Any], None]:
        return lambda data: None

    try:
        result = traced(env, start_response)
    except Exception:  # noqa: BLE001 - some corpus apps raise on purpose
        return _one(rec)
    if crash:
        trace = _one(rec)
        result.close()
        return trace
    try:
        for _ in result:
            pass
    except Exception:  # noqa: BLE001
        pass
    if close:
        result.close()
        if iterate_after_close:
            next(iter(result), None)
    del result
    gc.collect()
    return _one(rec)


def http_scope(method: str = "GET", path: str = "/", **extra: Any) -> dict[str, Any]:
    """A complete, valid ASGI http scope."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "extensions": {},
    }
    scope.update(extra)
    return scope


def ws_scope(**extra: Any) -> dict[str, Any]:
    """A complete, valid ASGI websocket scope."""
    scope = http_scope(path="/ws", type="websocket", scheme="ws", subprotocols=[])
    del scope["method"]
    scope.update(extra)
    return scope


def lifespan_scope() -> dict[str, Any]:
    """An ASGI lifespan scope."""
    return {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}


async def run_asgi(app: Any, scope: dict[str, Any] | None = None, inputs: Iterable[dict[str, Any]] = ()) -> Trace:
    """Run `app` with `inputs` as what receive() returns, and return its trace."""
    rec = Recorder()
    traced = ASGITracer(app, sink=rec)
    queue = list(inputs) or [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        await asyncio.sleep(30)  # never reached by the corpus apps
        raise AssertionError("receive() called once too often")

    async def send(message: Any) -> None:
        pass

    try:
        await asyncio.wait_for(traced(scope or http_scope(), receive, send), 5)
    except Exception:  # noqa: BLE001 - some corpus apps raise on purpose
        pass
    return _one(rec)


def _one(rec: Recorder) -> Trace:
    traces = rec.traces()
    assert len(traces) == 1, traces
    return traces[0]
