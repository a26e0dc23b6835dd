"""Sending traces to an OpenTelemetry collector, live (`OTLPSink`) or from a file (`send_otlp`).

    from tracer import JsonlSink, OTLPSink, trace_app

    sink = OTLPSink("http://collector:4318", service_name="shop", inner=JsonlSink("traces.jsonl"))
    app = trace_app(app, sink=sink)

Each finished trace becomes one span (`tracer.exporters.otlp` builds it)
handed to the OpenTelemetry SDK: a ``BatchSpanProcessor`` in front of the
OTLP/HTTP exporter (protobuf, ``POST /v1/traces``). The SDK is an optional
extra (``pip install 'tracer[otlp]'``) and is imported only when a sink is
made or a file is sent, so ``import tracer`` stays light.
"""

from __future__ import annotations

import atexit
import logging
import os
import re
import socket
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._failsafe import FailureReporter
from .errors import TracerError, UsageError
from .exporters.otlp import SCOPE_NAME, SCOPE_VERSION, SERVER, STATUS_ERROR, Span, SpanBuilder, span_of_trace
from .model import END_KINDS, Trace
from .sink import Sink

INSTALL_HINT = "pip install 'tracer[otlp]'"
"""How to get the optional OpenTelemetry dependencies."""

TRACES_PATH = "/v1/traces"
"""Where OTLP/HTTP takes spans, below the collector's base URL."""


class CollectorError(TracerError):
    """A collector could not be reached, or did not accept the spans sent to it."""


def load_sdk() -> SimpleNamespace:
    """The OpenTelemetry SDK classes tracer uses.

    Raises:
        UsageError: The ``otlp`` extra is not installed.
    """
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import Event, ReadableSpan
        from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope
        from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags, TraceState
    except ImportError:
        raise UsageError(f"sending to an OpenTelemetry collector needs the OpenTelemetry SDK: {INSTALL_HINT}") from None
    return SimpleNamespace(**{name: value for name, value in locals().items() if name[0].isupper()})


def traces_url(endpoint: str) -> str:
    """The OTLP/HTTP traces URL for a collector's base URL (``http://host:4318`` → ``…/v1/traces``).

    A URL that already ends in ``/v1/traces`` is kept as it is.

    Raises:
        UsageError: Not an http or https URL with a host.
    """
    try:
        parts = urlsplit(endpoint.strip())
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"endpoint {endpoint!r}: expected an http:// or https:// URL, such as http://127.0.0.1:4318")
    path = parts.path.rstrip("/")
    if not path.endswith(TRACES_PATH):
        path += TRACES_PATH
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def default_service_name() -> str:
    """``$OTEL_SERVICE_NAME``, else ``"tracer"``."""
    return os.environ.get("OTEL_SERVICE_NAME") or "tracer"


def readable_span(sdk: SimpleNamespace, span: Span, resource: Any) -> Any:
    """`span` as the SDK's finished span (``ReadableSpan``), what its processors and exporters take.

    The span is complete when it is built, from history, so it is made as a
    finished span directly rather than started and ended through a ``Tracer``
    (which would stamp its own ids and times). Every span is marked sampled:
    tracer records every request, whatever the caller's sampling decision.
    """
    flags = sdk.TraceFlags(sdk.TraceFlags.SAMPLED)
    state = sdk.TraceState.from_header([span.trace_state]) if span.trace_state else None
    trace_id = int(span.trace_id, 16)
    context = sdk.SpanContext(trace_id, int(span.span_id, 16), is_remote=False, trace_flags=flags, trace_state=state)
    parent = None
    if span.parent_span_id:
        parent = sdk.SpanContext(trace_id, int(span.parent_span_id, 16), is_remote=True, trace_flags=flags, trace_state=state)
    if span.status_code == STATUS_ERROR:
        status = sdk.Status(sdk.StatusCode.ERROR, span.status_message or None)
    else:
        status = sdk.Status(sdk.StatusCode.UNSET)
    return sdk.ReadableSpan(
        name=span.name,
        context=context,
        parent=parent,
        resource=resource,
        attributes=span.attributes,
        events=[sdk.Event(event.name, event.attributes, span.start_ns + event.t_ns) for event in span.events],
        kind=sdk.SpanKind.SERVER if span.kind == SERVER else sdk.SpanKind.INTERNAL,
        status=status,
        start_time=span.start_ns,
        end_time=span.end_ns,
        instrumentation_scope=sdk.InstrumentationScope(SCOPE_NAME, SCOPE_VERSION),
    )


class OTLPSink:
    """Sends each trace, when it ends, as one span to an OpenTelemetry collector over OTLP/HTTP.

    Each protocol event is a span event on the request's span; a request
    that carried a W3C ``traceparent`` header joins the caller's trace.
    Spans are batched and sent from a background thread by the SDK, which
    logs (``opentelemetry.exporter`` logger) when a collector cannot be
    reached; requests are never slowed down by the collector.

    Args:
        endpoint: The collector's base URL (``http://127.0.0.1:4318``) or its
            full traces URL; by default the SDK's: ``$OTEL_EXPORTER_OTLP_TRACES_ENDPOINT``,
            ``$OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/traces``, or ``http://localhost:4318/v1/traces``.
        service_name: The resource's ``service.name``; default ``$OTEL_SERVICE_NAME`` or ``"tracer"``.
        inner: A sink that gets every record first (a `JsonlSink` to keep a trace file too), or None.
        headers: HTTP headers for the collector (an API key); default ``$OTEL_EXPORTER_OTLP_HEADERS``.
        exporter: Any OpenTelemetry ``SpanExporter`` to use instead of OTLP/HTTP (gRPC, console, in memory).

    Raises:
        UsageError: The ``otlp`` extra is not installed, or `endpoint` is not an http(s) URL.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        *,
        service_name: str | None = None,
        inner: Sink | None = None,
        headers: Mapping[str, str] | None = None,
        exporter: Any = None,
    ) -> None:
        sdk = load_sdk()
        self.endpoint = traces_url(endpoint) if endpoint else None
        self.service_name = service_name or default_service_name()
        self.inner = inner
        self._sdk = sdk
        self._resource = sdk.Resource.create({"service.name": self.service_name})
        if exporter is None:
            exporter = sdk.OTLPSpanExporter(endpoint=self.endpoint, headers=dict(headers) if headers else None)
        self._processor = sdk.BatchSpanProcessor(exporter)
        self._open: dict[Any, SpanBuilder] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._failure = FailureReporter("building an OpenTelemetry span")
        _live_sinks.add(self)

    def __repr__(self) -> str:
        return f"OTLPSink({self.endpoint or 'the OTEL_EXPORTER_OTLP_* endpoint'!r}, service_name={self.service_name!r})"

    def write(self, record: dict[str, Any]) -> None:
        """Pass `record` to the inner sink, fold it into its trace's span, send the span when the trace ends."""
        if self.inner is not None:
            self.inner.write(record)
        try:
            kind = record.get("kind")
            trace_id = record.get("trace")
            with self._lock:
                builder = self._open.get(trace_id)
                if builder is None:
                    if self._closed:
                        return
                    builder = self._open[trace_id] = SpanBuilder(record)
                builder.add(kind, record.get("seq"), record.get("t_ns"), record.get("data"))
                if kind in END_KINDS:
                    del self._open[trace_id]
                else:
                    return
            self._send(builder)
        except Exception as exc:  # noqa: BLE001 - a span that cannot be built must not reach the app
            self._failure.report(exc)

    def _send(self, builder: SpanBuilder) -> None:
        span = readable_span(self._sdk, builder.span(), self._resource)
        self._processor.on_end(span)

    def flush(self) -> None:
        """Send the spans of finished traces now (and flush the inner sink)."""
        self._processor.force_flush()
        flush = getattr(self.inner, "flush", None)
        if callable(flush):
            flush()

    def close(self) -> None:
        """Send traces still open as incomplete spans, send everything queued, and close the inner sink."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            unfinished = list(self._open.values())
            self._open.clear()
        for builder in unfinished:
            try:
                self._send(builder)
            except Exception as exc:  # noqa: BLE001
                self._failure.report(exc)
        self._processor.shutdown()
        if self.inner is not None:
            self.inner.close()


_live_sinks: weakref.WeakSet[OTLPSink] = weakref.WeakSet()


def _close_live_sinks() -> None:
    for sink in list(_live_sinks):
        try:
            sink.close()
        except Exception:  # noqa: BLE001 - never fail interpreter exit
            pass


atexit.register(_close_live_sinks)


# From a file: `tracer export --endpoint`

BATCH_SIZE = 512
"""Spans per OTLP request when sending a file."""


def send_otlp(
    traces: Iterable[Trace],
    endpoint: str,
    *,
    service_name: str | None = None,
    timeout: float = 10.0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Send `traces` to the collector at `endpoint`, one span each, in batches; returns the number sent.

    Args:
        traces: Traces in any order.
        endpoint: The collector's base URL or its full traces URL.
        service_name: The resource's ``service.name``; default ``$OTEL_SERVICE_NAME`` or ``"tracer"``.
        timeout: Seconds to wait for the collector, per batch.
        progress: Called with the number of spans sent after each batch.

    Raises:
        UsageError: The ``otlp`` extra is missing or `endpoint` is not an http(s) URL.
        CollectorError: The collector cannot be reached or refused a batch (one line saying why).
    """
    sdk = load_sdk()
    url = traces_url(endpoint)
    _probe(url, timeout)
    resource = sdk.Resource.create({"service.name": service_name or default_service_name()})
    exporter = sdk.OTLPSpanExporter(endpoint=url, timeout=timeout)
    sent = 0
    batch: list[Any] = []
    with _sdk_messages() as messages:
        try:
            for trace in traces:
                batch.append(readable_span(sdk, span_of_trace(trace), resource))
                if len(batch) == BATCH_SIZE:
                    sent = _export(sdk, exporter, batch, sent, url, messages)
                    if progress is not None:
                        progress(sent)
            if batch:
                sent = _export(sdk, exporter, batch, sent, url, messages)
        finally:
            exporter.shutdown()
    return sent


def _export(sdk: SimpleNamespace, exporter: Any, batch: list[Any], sent: int, url: str, messages: list[str]) -> int:
    if exporter.export(batch) is not sdk.SpanExportResult.SUCCESS:
        why = messages[-1] if messages else "the export failed"
        status = re.search(r"code: (\d+), reason: (.+)", why)
        if status:
            why = f"HTTP {status.group(1)} {status.group(2)}"
        before = f" ({sent} were sent before)" if sent else ""
        raise CollectorError(f"the collector at {url} did not take the spans: {why}{before}")
    sent += len(batch)
    batch.clear()
    return sent


def _probe(url: str, timeout: float) -> None:
    """Fail at once, in one line, when nothing listens at the collector's address.

    The SDK retries a refused connection with backoff for the whole timeout;
    a command should say straight away that the address is wrong. Behind a
    proxy the collector's address is not ours to reach, so it is not probed.
    """
    import urllib.request

    parts = urlsplit(url)
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(parts.hostname or ""):
        return
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=timeout).close()
    except OSError as exc:
        raise CollectorError(f"cannot reach the collector at {url}: {exc.strerror or exc}") from None


class _Collect(logging.Handler):
    def __init__(self, messages: list[str]) -> None:
        super().__init__(logging.WARNING)
        self.messages = messages

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.messages.append(record.getMessage().splitlines()[0])
        except Exception:  # noqa: BLE001
            pass


@contextmanager
def _sdk_messages() -> Iterator[list[str]]:
    """The SDK exporter's log messages while a command sends, kept for its one-line error instead of printed."""
    messages: list[str] = []
    logger = logging.getLogger("opentelemetry.exporter")
    handler = _Collect(messages)
    propagate = logger.propagate
    logger.addHandler(handler)
    logger.propagate = False
    try:
        yield messages
    finally:
        logger.removeHandler(handler)
        logger.propagate = propagate
