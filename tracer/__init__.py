"""tracer: record every step of WSGI and ASGI requests, replay them in a terminal UI.

    from tracer import JsonlSink, trace_app

    app = trace_app(app, sink=JsonlSink("traces.jsonl"))
"""


from .__about__ import __version__
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

__all__ = [
    "ASGITracer",
    "DEFAULT_REDACT_HEADERS",
    "Event",
    "JsonlSink",
    "OTLPSink",
    "Recorder",
    "Trace",
    "TraceIndex",
    "TraceSummary",
    "TracerError",
    "TracerWarning",
    "WSGITracer",
    "__version__",
    "iter_traces",
    "read_traces",
    "trace_app",
]
