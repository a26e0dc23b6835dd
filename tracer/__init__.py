"""tracer: record every step of WSGI and ASGI requests, replay them in a terminal UI.

    from tracer import JsonlSink, trace_app

    app = trace_app(app, sink=JsonlSink("traces.jsonl"))
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .__about__ import __version__
from ._lazy import lazy_attributes

# Each public name is imported on first use: ``import tracer`` (the pytest plugin, the UI) stays cheap.
_MODULES = {
    "ASGITracer": "asgi",
    "DEFAULT_REDACT_HEADERS": "redact",
    "Event": "model",
    "JsonlSink": "jsonl",
    "OTLPSink": "otlp_sink",
    "Recorder": "recorder",
    "Trace": "model",
    "TraceIndex": "index",
    "TraceSummary": "summary",
    "TracerError": "errors",
    "TracerWarning": "errors",
    "WSGITracer": "wsgi",
    "iter_traces": "reader",
    "read_traces": "reader",
    "trace_app": "detect",
}

__all__ = sorted([*_MODULES, "__version__"])

if TYPE_CHECKING:
    from .asgi import ASGITracer
    from .detect import trace_app
    from .errors import TracerError, TracerWarning
    from .index import TraceIndex
    from .jsonl import JsonlSink
    from .model import Event, Trace
    from .otlp_sink import OTLPSink
    from .reader import iter_traces, read_traces
    from .recorder import Recorder
    from .redact import DEFAULT_REDACT_HEADERS
    from .summary import TraceSummary
    from .wsgi import WSGITracer


__getattr__ = lazy_attributes(__name__, _MODULES)


def __dir__() -> list[str]:
    return list(__all__)
