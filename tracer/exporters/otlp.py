"""OpenTelemetry export: one span per request, each protocol event a span event on it.

    from tracer import iter_traces
    from tracer.exporters.otlp import write_otlp_json

    with open("traces.otlp.json", "wb") as out:
        write_otlp_json(iter_traces("traces.jsonl"), out)

A request (an http or websocket trace) becomes one ``SERVER`` span named
``GET /path``, with attributes from OpenTelemetry's HTTP semantic conventions
read off the trace's summary; a lifespan trace becomes one ``INTERNAL`` span
named ``lifespan``. Every protocol event becomes a span event (not a child
span), named after its kind or its ASGI message type, with a short summary
of its payload (sizes, status, flags; never bodies). A ``traceparent``
request header puts the span into the caller's trace, as a child of the
caller's span; otherwise the trace id is derived from tracer's own, so an
export of the same file always gives the same ids.

`SpanBuilder` folds records one at a time, so the live `tracer.OTLPSink`
and the file export build the same spans. This module needs no OpenTelemetry
package: `write_otlp_json` writes OTLP/JSON itself. Sending to a collector
goes through the SDK (`tracer.otlp_sink`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import orjson

from ..__about__ import __version__
from ..model import ERROR_KINDS, Trace, TruncatedBytes
from ..summary import TraceSummary, body_size, text

SERVER = 2
"""OTLP's ``SPAN_KIND_SERVER``."""
INTERNAL = 1
"""OTLP's ``SPAN_KIND_INTERNAL``."""
STATUS_UNSET, STATUS_ERROR = 0, 2
"""OTLP's ``STATUS_CODE_UNSET`` and ``STATUS_CODE_ERROR``."""

SCOPE_NAME = "tracer"
"""The instrumentation scope every span is reported under."""
SCOPE_VERSION = __version__

HTTP_METHODS = frozenset({"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"})
"""Methods the HTTP semantic conventions know; others are reported as ``_OTHER``."""

_FLAGS_HAS_IS_REMOTE = 0x100
_FLAGS_IS_REMOTE = 0x200

Attributes = dict[str, Any]


@dataclass(slots=True)
class SpanEvent:
    """One protocol event as a span event.

    Attributes:
        name: The event kind (``wsgi.body``) or the ASGI message type (``http.response.start``).
        t_ns: Nanoseconds since the trace's first event.
        attributes: ``tracer.kind``, ``tracer.seq`` and a short payload summary.
    """

    name: str
    t_ns: int
    attributes: Attributes


@dataclass(slots=True)
class Span:
    """One trace as an OpenTelemetry span, independent of the SDK.

    Attributes:
        trace_id: 32 lowercase hex digits.
        span_id: 16 lowercase hex digits.
        parent_span_id: The caller's span (from ``traceparent``), or None.
        trace_state: The caller's ``tracestate``, normalised, or ``""``.
        name: ``GET /path`` (``WS /path`` for a websocket, ``lifespan``).
        kind: `SERVER` or `INTERNAL`.
        start_ns: Epoch nanoseconds.
        end_ns: Epoch nanoseconds: when the app returned, or the last event.
        attributes: Span attributes.
        events: The protocol events, in order.
        status_code: `STATUS_UNSET` or `STATUS_ERROR`.
        status_message: What went wrong, for `STATUS_ERROR`.
    """

    trace_id: str
    span_id: str
    parent_span_id: str | None
    trace_state: str
    name: str
    kind: int
    start_ns: int
    end_ns: int
    attributes: Attributes
    events: list[SpanEvent] = field(default_factory=list)
    status_code: int = STATUS_UNSET
    status_message: str = ""


class SpanBuilder:
    """Folds one trace's records, as they come, into a `Span`.

    Records may carry their data encoded as in a trace file or decoded, as
    `TraceSummary` accepts. Only a small summary of each event is kept.

    Args:
        first: The trace's first record (``trace``, ``protocol``, ``scope_type``, ``start``, ``kind``).
    """

    __slots__ = ("summary", "events", "_request")

    def __init__(self, first: dict[str, Any]) -> None:
        self.summary = TraceSummary.begin(first)
        self.events: list[SpanEvent] = []
        self._request: dict[str, Any] = {}

    def add(self, kind: Any, seq: Any, t_ns: Any, data: Any) -> None:
        """Fold one event."""
        self.summary.add(kind, t_ns, data)
        kind = kind if isinstance(kind, str) else str(kind)
        data = data if isinstance(data, dict) else {}
        if kind in ("wsgi.environ", "asgi.scope") and not self._request:
            self._request = _request_facts(kind, data)
        when = t_ns if isinstance(t_ns, int) and not isinstance(t_ns, bool) else self.summary.duration_ns
        name, attributes = event_summary(kind, data, seq if isinstance(seq, int) and not isinstance(seq, bool) else None)
        self.events.append(SpanEvent(name, when, attributes))

    def span(self) -> Span:
        """The span for what has been folded so far."""
        return build_span(self.summary, self.events, self._request)


def span_of_trace(trace: Trace) -> Span:
    """The span of a whole (decoded) trace."""
    builder = SpanBuilder(
        {"trace": trace.id, "protocol": trace.protocol, "scope_type": trace.scope_type, "start": trace.started_at}
    )
    for event in trace.events:
        builder.add(event.kind, event.seq, event.t_ns, event.data)
    return builder.span()


# The span


def build_span(summary: TraceSummary, events: list[SpanEvent], request: dict[str, Any]) -> Span:
    """A span from a trace's summary, its events and the facts of its first event."""
    start_ns = round(summary.start * 1e9)
    lifespan = summary.scope_type == "lifespan"
    attributes: Attributes = {
        "tracer.trace_id": summary.id,
        "tracer.protocol": summary.protocol,
        "tracer.scope_type": summary.scope_type,
        "tracer.complete": summary.complete,
    }
    if summary.stopped:
        attributes["tracer.stopped"] = summary.stopped
    status_code, status_message = STATUS_UNSET, ""
    if summary.error:
        attributes["error.type"] = summary.error_type or "Exception"
        status_code = STATUS_ERROR
        status_message = f"{summary.error_type}: {summary.error_message}" if summary.error_message else str(summary.error_type)
    if lifespan:
        name, kind = "lifespan", INTERNAL
        if summary.lifespan_unsupported:
            attributes["tracer.lifespan.unsupported"] = True
        if summary.failure:
            attributes["tracer.lifespan.failure"] = summary.failure
            attributes.setdefault("error.type", summary.failure.split(":", 1)[0].replace(" ", "_"))
            status_code, status_message = STATUS_ERROR, status_message or summary.failure
        parent = None
    else:
        kind = SERVER
        method = summary.method if summary.method in HTTP_METHODS or summary.method == "WS" else "HTTP"
        path = _text(summary, summary.path)
        name = f"{method} {path}" if path else method
        attributes.update(http_attributes(summary, request))
        if summary.status is not None and summary.status >= 500 and summary.scope_type == "http":
            attributes.setdefault("error.type", str(summary.status))
            status_code = STATUS_ERROR
        parent = traceparent(summary.request_headers)
    if parent is not None:
        trace_id, parent_span_id, trace_state = parent
    else:
        trace_id, parent_span_id, trace_state = _derived_id(summary.id, "trace", 32), None, ""
    return Span(
        trace_id=trace_id,
        span_id=_derived_id(summary.id, "span", 16),
        parent_span_id=parent_span_id,
        trace_state=trace_state,
        name=name,
        kind=kind,
        start_ns=start_ns,
        end_ns=start_ns + summary.duration_ns,
        attributes=attributes,
        events=events,
        status_code=status_code,
        status_message=status_message if status_code == STATUS_ERROR else "",
    )


def http_attributes(summary: TraceSummary, request: dict[str, Any]) -> Attributes:
    """The HTTP semantic-convention attributes of an http or websocket trace."""
    websocket = summary.scope_type == "websocket"
    method = "GET" if websocket else (summary.method or "")
    out: Attributes = {}
    if method in HTTP_METHODS:
        out["http.request.method"] = method
    elif method:
        out["http.request.method"] = "_OTHER"
        out["http.request.method_original"] = method
    if summary.path is not None:
        out["url.path"] = _text(summary, summary.path)
    if summary.query:
        out["url.query"] = _text(summary, summary.query)
    out["url.scheme"] = request.get("scheme") or ("ws" if websocket else "http")
    headers: dict[str, list[str]] = {}
    for key, value in summary.request_headers:
        headers.setdefault(key.lower(), []).append(value)
    host, port = _host_port(headers["host"][0]) if headers.get("host") else (None, None)
    host = host or request.get("server_address")
    port = port if port is not None else request.get("server_port")
    if host:
        out["server.address"] = host
    if port is not None:
        out["server.port"] = port
    if request.get("client_address"):
        out["client.address"] = request["client_address"]
    if request.get("client_port") is not None:
        out["client.port"] = request["client_port"]
    out["network.protocol.name"] = "http"
    if request.get("protocol_version"):
        out["network.protocol.version"] = request["protocol_version"]
    if headers.get("user-agent"):
        out["user_agent.original"] = headers["user-agent"][0]
    if summary.status is not None:
        out["http.response.status_code"] = summary.status
    if not websocket:
        out["http.request.body.size"] = summary.request_bytes
        out["http.response.body.size"] = summary.response_bytes
    elif summary.close_code is not None:
        out["tracer.websocket.close_code"] = summary.close_code
    for key, values in headers.items():
        out[f"http.request.header.{key}"] = values
    response: dict[str, list[str]] = {}
    for key, value in summary.response_headers:
        response.setdefault(key.lower(), []).append(value)
    for key, values in response.items():
        out[f"http.response.header.{key}"] = values
    return out


def _text(summary: TraceSummary, value: str | None) -> str | None:
    """WSGI's "bytes as latin-1" path or query read as UTF-8 where it is (as `TraceSummary.display_url` does)."""
    if value and summary.protocol == "wsgi" and not value.isascii():
        try:
            return value.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return value


def _request_facts(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Scheme, server, client and protocol version from an environ or a scope, in either encoding."""
    facts: dict[str, Any] = {}
    if kind == "wsgi.environ":
        environ = data.get("environ")
        if not isinstance(environ, dict):
            return facts
        facts["scheme"] = _str(environ.get("wsgi.url_scheme"))
        facts["server_address"] = _str(environ.get("SERVER_NAME"))
        facts["server_port"] = _port(environ.get("SERVER_PORT"))
        facts["client_address"] = _str(environ.get("REMOTE_ADDR"))
        facts["client_port"] = _port(environ.get("REMOTE_PORT"))
        protocol = _str(environ.get("SERVER_PROTOCOL")) or ""
        facts["protocol_version"] = protocol.partition("/")[2] if protocol.upper().startswith("HTTP/") else None
        return facts
    scope = data.get("scope")
    if not isinstance(scope, dict):
        return facts
    facts["scheme"] = _str(scope.get("scheme"))
    for prefix, pair in (("server", scope.get("server")), ("client", scope.get("client"))):
        if isinstance(pair, (list, tuple)) and len(pair) == 2:
            facts[f"{prefix}_address"] = _str(pair[0])
            facts[f"{prefix}_port"] = _port(pair[1])
    # The ASGI spec's default when a server leaves http_version out.
    facts["protocol_version"] = _str(scope.get("http_version")) or "1.1"
    return facts


def _host_port(host: str) -> tuple[str | None, int | None]:
    host = host.strip()
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        return address or None, _port(rest[1:]) if rest.startswith(":") else None
    name, colon, port = host.rpartition(":")
    if colon and port.isdigit():
        return name or None, _port(port)
    return host or None, None


def _port(value: Any) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 65535:
        return value
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _derived_id(trace_id: str, what: str, digits: int) -> str:
    """A stable id for `trace_id`: the same trace always gets the same span (and, alone, trace) id."""
    value = hashlib.sha256(f"tracer.{what}:{trace_id}".encode("utf-8", "surrogatepass")).hexdigest()[:digits]
    return value if value.strip("0") else "1".rjust(digits, "0")


# W3C Trace Context

_TRACEPARENT = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?")
_TRACESTATE_MEMBER = re.compile(
    r"([a-z][_0-9a-z\-*/]{0,255}|[a-z0-9][_0-9a-z\-*/]{0,240}@[a-z][_0-9a-z\-*/]{0,13})"
    r"=([\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e])"
)


def traceparent(headers: Iterable[tuple[str, str]]) -> tuple[str, str, str] | None:
    """The caller's trace id, span id and tracestate from recorded request headers, or None.

    Follows W3C Trace Context: a version ``ff``, an all-zero id or a
    malformed value is ignored (the request starts a trace of its own); a
    version ``00`` value must have exactly four fields; later versions may add
    fields. A tracestate that is not well formed is dropped whole.
    """
    parents = [value for key, value in headers if key.lower() == "traceparent"]
    if len(parents) != 1:
        return None
    match = _TRACEPARENT.fullmatch(parents[0].strip(" \t"))
    if match is None:
        return None
    version, trace_id, span_id, _flags, rest = match.groups()
    if version == "ff" or (version == "00" and rest) or not trace_id.strip("0") or not span_id.strip("0"):
        return None
    states = [value for key, value in headers if key.lower() == "tracestate"]
    return trace_id, span_id, _tracestate(",".join(states))


def _tracestate(value: str) -> str:
    members: dict[str, str] = {}
    for member in value.split(","):
        member = member.strip(" \t")
        if not member:
            continue
        match = _TRACESTATE_MEMBER.fullmatch(member)
        if match is None or match.group(1) in members:
            return ""
        members[match.group(1)] = match.group(2)
    if len(members) > 32:
        return ""
    return ",".join(f"{key}={item}" for key, item in members.items())


# Span events


def event_summary(kind: str, data: dict[str, Any], seq: int | None = None) -> tuple[str, Attributes]:
    """A span event's name and attributes for one protocol event: what it carried, never the bytes."""
    attributes: Attributes = {"tracer.kind": kind}
    if seq is not None:
        attributes["tracer.seq"] = seq
    message = data.get("message")
    if kind in ("asgi.send", "asgi.receive") and isinstance(message, dict):
        name = message.get("type") if isinstance(message.get("type"), str) else kind
        _message_summary(message, attributes)
        return name, attributes
    if kind in ERROR_KINDS:
        attributes["exception.type"] = text(data.get("type")) or "Exception"
        attributes["exception.message"] = text(data.get("message"))
        if text(data.get("traceback")):
            attributes["exception.stacktrace"] = text(data.get("traceback"))
    elif kind in ("wsgi.body", "wsgi.write", "wsgi.input"):
        _body(attributes, "body.size", data.get("data"))
        if kind == "wsgi.input":
            _copy(attributes, "read.method", data.get("method"), str)
            _copy(attributes, "read.size", data.get("size"), int)
    elif kind == "wsgi.errors":
        attributes["text.size"] = body_size(data.get("data"))
    elif kind == "wsgi.start_response":
        status = text(data.get("status"))
        attributes["status"] = status
        if status[:3].isdigit():
            attributes["http.response.status_code"] = int(status[:3])
        headers = data.get("headers")
        if isinstance(headers, list):
            attributes["headers.count"] = len(headers)
        exc_info = data.get("exc_info")
        if isinstance(exc_info, dict):
            attributes["exception.type"] = text(exc_info.get("type")) or "Exception"
    elif kind == "wsgi.end":
        _copy(attributes, "status", data.get("status"), str)
        for key in ("bytes_sent",):
            _copy(attributes, key, data.get(key), int)
        for key in ("exhausted", "file_wrapper"):
            _copy(attributes, key, data.get(key), bool)
        _copy(attributes, "stopped", data.get("stopped"), str)
    elif kind == "asgi.end":
        _copy(attributes, "stopped", data.get("stopped"), str)
    elif kind == "asgi.scope":
        scope = data.get("scope")
        if isinstance(scope, dict):
            _copy(attributes, "type", scope.get("type"), str)
            headers = scope.get("headers")
            if isinstance(headers, list):
                attributes["headers.count"] = len(headers)
    elif kind == "wsgi.environ":
        environ = data.get("environ")
        if isinstance(environ, dict):
            attributes["headers.count"] = sum(1 for key in environ if isinstance(key, str) and key.startswith("HTTP_"))
    return kind, attributes


def _message_summary(message: dict[str, Any], attributes: Attributes) -> None:
    for key in ("status", "code"):
        _copy(attributes, key, message.get(key), int)
    if "status" in attributes:
        attributes["http.response.status_code"] = attributes["status"]
    _copy(attributes, "more_body", message.get("more_body"), bool)
    for key in ("reason", "subprotocol"):
        if isinstance(message.get(key), str):
            attributes[key] = _short(message[key])
    if isinstance(message.get("message"), str):  # lifespan.*.failed
        attributes["message"] = _short(message["message"])
    for key in ("body", "bytes", "text"):
        if message.get(key) is not None:
            _body(attributes, f"{key}.size", message[key])
    headers = message.get("headers")
    if isinstance(headers, list):
        attributes["headers.count"] = len(headers)


def _body(attributes: Attributes, key: str, value: Any) -> None:
    attributes[key] = body_size(value)
    if isinstance(value, TruncatedBytes) or (isinstance(value, dict) and "$truncated" in value):
        attributes["truncated"] = True


def _copy(attributes: Attributes, key: str, value: Any, kind: type) -> None:
    if isinstance(value, kind) and (kind is bool or not isinstance(value, bool)):
        if kind is not int or -(2**63) <= value < 2**63:  # OTLP integers are 64-bit
            attributes[key] = value


def _short(value: str, limit: int = 200) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


# OTLP/JSON


def write_otlp_json(traces: Iterable[Trace], out: IO[bytes], *, service_name: str = "tracer") -> int:
    """Write an OTLP/JSON ``ExportTraceServiceRequest`` for `traces` to the binary stream `out`, span by span.

    The JSON follows OTLP's mapping of the protobuf messages: ids in hex,
    64-bit integers as strings, enums as numbers.

    Args:
        traces: Traces in any order.
        out: A binary stream.
        service_name: The resource's ``service.name``.

    Returns:
        The number of spans written.
    """
    resource = {"attributes": json_attributes({"service.name": service_name})}
    head = {"resource": resource, "scopeSpans": [{"scope": {"name": SCOPE_NAME, "version": SCOPE_VERSION}, "spans": []}]}
    opening = orjson.dumps({"resourceSpans": [head]})
    # Stream the spans between the opening and the closing of the (empty) spans array.
    cut = opening.rindex(b"[]")
    out.write(opening[: cut + 1] + b"\n")
    count = 0
    for trace in traces:
        out.write((b",\n" if count else b"") + orjson.dumps(span_json(span_of_trace(trace))))
        count += 1
    out.write(b"\n" + opening[cut + 1 :] + b"\n")
    return count


def span_json(span: Span) -> dict[str, Any]:
    """One span in OTLP/JSON."""
    out: dict[str, Any] = {"traceId": span.trace_id, "spanId": span.span_id}
    if span.trace_state:
        out["traceState"] = span.trace_state
    if span.parent_span_id:
        out["parentSpanId"] = span.parent_span_id
    out["flags"] = _FLAGS_HAS_IS_REMOTE | (_FLAGS_IS_REMOTE if span.parent_span_id else 0)
    out.update(
        name=span.name,
        kind=span.kind,
        startTimeUnixNano=str(span.start_ns),
        endTimeUnixNano=str(span.end_ns),
        attributes=json_attributes(span.attributes),
        events=[
            {"timeUnixNano": str(span.start_ns + event.t_ns), "name": event.name, "attributes": json_attributes(event.attributes)}
            for event in span.events
        ],
        status={"code": span.status_code, "message": span.status_message} if span.status_code else {},
    )
    return out


def json_attributes(attributes: Attributes) -> list[dict[str, Any]]:
    """Attributes as OTLP/JSON ``KeyValue`` objects."""
    return [{"key": key, "value": json_value(value)} for key, value in attributes.items()]


def json_value(value: Any) -> dict[str, Any]:
    """One value as an OTLP/JSON ``AnyValue``."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, (list, tuple)):
        return {"arrayValue": {"values": [json_value(item) for item in value]}}
    return {"stringValue": str(value)}
