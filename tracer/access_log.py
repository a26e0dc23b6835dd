"""A sink that passes every event on and prints one line per finished trace.

`tracer run` uses it in front of the `JsonlSink`, so the terminal shows what
a development server's access log would, read off the trace itself::

    GET     /hello                     200     1.2 ms    6 events
    POST    /upload                    200    14.8 ms   19 events
    GET     /boom                      500     0.9 ms    4 events  ZeroDivisionError: division by zero
    WS      /ws                        1000  2301.4 ms   12 events
    LIFESPAN                              -  5210.7 ms    6 events

A websocket shows its close code (403 when the app closed it before
accepting: the client got an HTTP 403), a lifespan trace ends when the
server stops, and an app without lifespan support gets a line that says so.
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Any

from .model import END_KINDS
from .sink import Sink



class _Summary:
    """What the log line of one trace needs, gathered as its events pass."""

    __slots__ = ("scope_type", "method", "path", "status", "error", "accepted", "answered")

    def __init__(self, scope_type: str) -> None:
        self.scope_type = scope_type
        self.method = "-"
        self.path = "-"
        self.status: Any = None
        self.error: str | None = None
        self.accepted = False
        """A websocket: the app accepted it."""
        self.answered = False
        """Lifespan: the app answered startup, one way or the other."""


class AccessLogSink:
    """Forwards each record to `inner` and writes a line to `stream` when a trace ends.

    Args:
        inner: The sink that keeps the events (usually a `JsonlSink`).
        stream: Where the lines go; default ``sys.stdout`` at the time of writing.
    """

    def __init__(self, inner: Sink, stream: IO[str] | None = None) -> None:
        self.inner = inner
        self.stream = stream
        self._open: dict[str, _Summary] = {}
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """Pass `record` on; note what the log line needs; print the line at the trace's end."""
        self.inner.write(record)
        trace_id = record.get("trace")
        kind = record.get("kind")
        data = record.get("data") or {}
        with self._lock:
            summary = self._open.get(trace_id)  # type: ignore[arg-type]
            if summary is None:
                summary = self._open[trace_id] = _Summary(str(record.get("scope_type", "http")))  # type: ignore[index]
            if kind in END_KINDS:
                del self._open[trace_id]  # type: ignore[arg-type]
        _note(summary, kind, data)
        if kind in END_KINDS:
            self._print(format_line(summary, record.get("t_ns", 0), record.get("seq", 0) + 1))

    def _print(self, line: str) -> None:
        stream = self.stream or sys.stdout
        try:
            with self._lock:
                stream.write(line + "\n")
                stream.flush()
        except (OSError, ValueError):
            pass  # A closed terminal must not break the server.

    def close(self) -> None:
        """Close the inner sink."""
        self.inner.close()


def _note(summary: _Summary, kind: Any, data: dict[str, Any]) -> None:
    if kind == "wsgi.environ":
        environ = data.get("environ") or {}
        summary.method = _text(environ.get("REQUEST_METHOD"), "-")
        summary.path = _text(environ.get("PATH_INFO"), "/") or "/"
        query = _text(environ.get("QUERY_STRING"), "")
        if query:
            summary.path += "?" + query
    elif kind == "asgi.scope":
        scope = data.get("scope") or {}
        scope_type = scope.get("type")
        if scope_type == "http":
            summary.method = _text(scope.get("method"), "-")
        elif scope_type == "websocket":
            summary.method = "WS"
        else:
            summary.method = _text(scope_type, "-").upper()
        summary.path = _text(scope.get("path"), "-" if scope_type != "lifespan" else "")
        query = _text(scope.get("query_string"), "")
        if query:
            summary.path += "?" + query
    elif kind == "wsgi.end":
        status = data.get("status")
        if isinstance(status, str):
            summary.status = status.split(" ", 1)[0]
    elif kind == "asgi.send":
        message = data.get("message") or {}
        message_type = message.get("type")
        if message_type == "http.response.start":
            summary.status = message.get("status")
        elif message_type == "websocket.accept":
            summary.accepted = True
            summary.status = 101
        elif message_type == "websocket.http.response.start":
            summary.status = message.get("status")
        elif message_type == "websocket.close" and summary.status in (None, 101):
            # Closed before the handshake: the server answers the client with HTTP 403.
            summary.status = message.get("code", 1000) if summary.accepted else 403
        elif message_type == "lifespan.startup.complete":
            summary.answered = True
        elif message_type in ("lifespan.startup.failed", "lifespan.shutdown.failed"):
            summary.answered = True
            summary.status = "failed"
            summary.error = f"{message_type.split('.')[1]} failed: {_text(message.get('message'), '')}"
    elif kind == "asgi.receive":
        message = data.get("message") or {}
        if message.get("type") == "websocket.disconnect" and summary.status in (None, 101):
            summary.status = message.get("code", 1005)
    elif kind in ("wsgi.error", "asgi.error") and summary.error is None:
        # One line per request: the first line of the message (pytest's assertions span several).
        message = _text(data.get("message"), "").strip().split("\n", 1)[0]
        summary.error = f"{data.get('type', '?')}: {message}" if message else str(data.get("type", "?"))
    elif kind == "asgi.end" and summary.scope_type == "lifespan" and not summary.answered:
        # uvicorn goes on without lifespan when the app does not answer it.
        why = f"it raised {summary.error}" if summary.error else "it returned without answering lifespan.startup"
        summary.error = f"the app does not support lifespan ({why}); serving without it"


def format_line(summary: _Summary, t_ns: int, events: int) -> str:
    """One access-log line: method, path, status, duration and event count (and the error, if any)."""
    status = "-" if summary.status is None else str(summary.status)
    if summary.error and summary.status is None:
        status = "500" if summary.scope_type == "http" else "-"
    line = f"{summary.method:<7} {summary.path:<26} {status:>4} {t_ns / 1e6:9.1f} ms {events:4d} events"
    if summary.error:
        line += f"  {summary.error}"
    return line


def _text(value: Any, default: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("$bytes"), str):
        return value["$bytes"]
    return default
