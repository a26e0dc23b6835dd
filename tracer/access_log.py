"""A sink that passes every event on and prints one line per finished trace.

`tracer run` uses it in front of the `JsonlSink`, so the terminal shows what
a development server's access log would, read off the trace's summary (the
same fold the UI, the exporters and `tracer check` read)::

    GET     /hello                     200     1.2 ms    6 events
    POST    /upload                    200    14.8 ms   19 events
    GET     /boom                      500     0.9 ms    4 events  ZeroDivisionError: division by zero
    WS      /ws                        101  2301.4 ms   12 events  closed 1000
    LIFESPAN                             -  5210.7 ms    6 events

A websocket shows 101 (403 when the app closed it before accepting: the
client got an HTTP 403) and its close code; a lifespan trace ends when the
server stops, and an app without lifespan support gets a line that says so.
"""

from __future__ import annotations

import sys
import threading
from typing import IO, Any

from .model import END_KINDS
from .sink import Sink
from .summary import TraceSummary
from .text import gist


class AccessLogSink:
    """Forwards each record to `inner` and writes a line to `stream` when a trace ends.

    Args:
        inner: The sink that keeps the events (usually a `JsonlSink`).
        stream: Where the lines go; default ``sys.stdout`` at the time of writing.
    """

    def __init__(self, inner: Sink, stream: IO[str] | None = None) -> None:
        self.inner = inner
        self.stream = stream
        self._open: dict[str, TraceSummary] = {}
        self._lock = threading.Lock()

    def write(self, record: dict[str, Any]) -> None:
        """Pass `record` on; note what the log line needs; print the line at the trace's end."""
        self.inner.write(record)
        trace_id = record.get("trace")
        kind = record.get("kind")
        with self._lock:
            summary = self._open.get(trace_id)  # type: ignore[arg-type]
            if summary is None:
                summary = self._open[trace_id] = TraceSummary.begin(record, keep_headers=False)  # type: ignore[index]
            if kind in END_KINDS:
                del self._open[trace_id]  # type: ignore[arg-type]
        summary.add(kind, record.get("t_ns"), record.get("data"))
        if kind in END_KINDS:
            self._print(format_line(summary))

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


PATH_WIDTH = 40
"""Characters of path and query a console line shows; longer ones are cut with an ellipsis."""


def format_line(summary: TraceSummary) -> str:
    """One access-log line: method, path with query, status, duration and event count (and what went wrong)."""
    status = "-" if summary.status is None else str(summary.status)
    if summary.error and summary.status is None and summary.scope_type == "http":
        status = "500"  # what the server answers when the app raised before starting a response
    method = "LIFESPAN" if summary.scope_type == "lifespan" else (summary.method or "-")
    path = "" if summary.scope_type == "lifespan" else (summary.display_url or "-")
    if len(path) > PATH_WIDTH:
        path = path[: PATH_WIDTH - 1] + "…"  # the columns after it stay where they are
    line = f"{method:<7} {path:<{PATH_WIDTH}} {status:>4} {summary.duration_ns / 1e6:9.1f} ms {summary.events:4d} events"
    notes = []
    if summary.close_code is not None:
        notes.append(f"closed {summary.close_code}")
    if summary.failure:
        notes.append(gist(summary.failure))
    elif summary.lifespan_unsupported:
        why = f"it raised {_error(summary)}" if summary.error_type else "it returned without answering lifespan.startup"
        notes.append(f"the app does not support lifespan ({why}); serving without it")
    elif summary.error_type:
        notes.append(_error(summary))
    if summary.stopped:
        notes.append(f"stopped: {summary.stopped}")
    if notes:
        line += "  " + "; ".join(notes)
    return line


def _error(summary: TraceSummary) -> str:
    return f"{summary.error_type}: {summary.error_message}" if summary.error_message else str(summary.error_type)
