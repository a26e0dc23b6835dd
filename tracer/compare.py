"""Two traces side by side: what differs between two exchanges, phase by phase.

    from tracer.compare import compare

    result = compare(recorded, replayed, labels=("recorded", "replayed"))
    if not result.same:
        for difference in result.differences:
            print(difference.phase, difference.message)

Both traces may be WSGI, both ASGI, or one of each: the phases of an
exchange line up across the protocols (environ ↔ scope, ``wsgi.input`` reads
↔ ``http.request`` messages, ``start_response`` ↔ ``http.response.start``,
body chunks ↔ body messages, ``close()`` ↔ the end of the exchange).
What a trace means (method, path, status, headers, close code, error) is
read from its `TraceSummary` and its bodies from the exporters' exchange;
this module adds only what a comparison needs on top: which phase each event
belongs to, and the pieces a body came in.

Timings are shown per phase but never make two exchanges differ: no two runs
take the same time. The pieces a body came in are compared (one 4 KiB read
against four 1 KiB reads is a difference). Event counts per phase are
compared when both traces speak the same protocol and nothing else in that
phase differs (an extra empty read, a missing ``close()``); across protocols
they are only shown, since the protocols need different events for the same
exchange.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from .body_diff import Body, compare_bodies
from .compare_ws import message_differences, websocket_messages
from .exporters._http import Exchange, exchange
from .model import Event, Trace
from .phases import HTTP_PHASES, WEBSOCKET_PHASES, event_names, grouped, phase_times, phases
from .summary import TraceSummary, body_size

SERVER_ADDRESS_HEADER = "host"
"""The header that names the server a request was sent to. While it is left out, so is the
server's own address (WSGI's SERVER_NAME and SERVER_PORT, ASGI's ``scope["server"]``): two
recordings of one app on two servers (a WSGI one and an ASGI one, on different ports) differ
there and nowhere that matters."""

DEFAULT_IGNORED_HEADERS: frozenset[str] = frozenset(
    {
        SERVER_ADDRESS_HEADER,
        "date",
        "server",
        "x-request-id",
        "x-correlation-id",
        "request-id",
        "x-trace-id",
        "traceparent",
        "tracestate",
        "x-amzn-trace-id",
        "x-b3-traceid",
        "x-b3-spanid",
        "x-cloud-trace-context",
        "sec-websocket-key",
        "sec-websocket-accept",
    }
)
"""Headers whose values change from run to run or from server to server, left out of a
comparison unless ``ignore_headers`` replaces this set (``DEFAULT_IGNORED_HEADERS - {"host"}``
compares the Host header and the server's address too). Content-Length is left out as well
whenever the bodies themselves are compared."""

_PHASE_ORDER = {phase: index for index, phase in enumerate(
    [*dict.fromkeys(p for p in (*HTTP_PHASES, *WEBSOCKET_PHASES) if p != "end"), "end"]
)}
"""Differences are listed in this order: the phases of every scope type, the end last."""
_RESPONSE_BODY = frozenset({"http.response.body", "websocket.http.response.body"})
_BOUNDARY = re.compile(r";\s*boundary=(\"[^\"]*\"|[^;]*)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Difference:
    """One way two exchanges differ.

    Attributes:
        phase: The phase it belongs to (``"response started"`` for a status).
        aspect: What differs: ``"status"``, ``"request header"``, ``"response body"``,
            ``"request pieces"``, ``"events"``, ``"websocket message"``, ``"close code"``, ...
        message: One line that says it.
        detail: More lines where there are some (a unified diff of two bodies).
        a: The first side's value (JSON-ready), when it has one.
        b: The second side's value.
    """

    phase: str
    aspect: str
    message: str
    detail: str = ""
    a: Any = None
    b: Any = None


@dataclass(frozen=True, slots=True)
class PhaseRow:
    """One phase of both traces: how many events each spent in it, and how long.

    Attributes:
        phase: The phase.
        events: Events of each side in this phase.
        time_ns: From the phase's first event to the next phase's first event
            (to its own last event, for the last phase); None where a side has none.
    """

    phase: str
    events: tuple[int, int]
    time_ns: tuple[int | None, int | None]


@dataclass(slots=True)
class Comparison:
    """What differs between two traces.

    Attributes:
        a: The first trace's summary.
        b: The second trace's summary.
        labels: Names of the two sides (``"A"``, ``"B"`` by default).
        differences: Every difference, in phase order; empty when the exchanges are the same.
        phases: Events and time per phase, side by side.
        notes: Asides that do not make the exchanges differ (protocols, what a WSGI server
            sends when, bodies that are the same JSON written differently).
        ignored_headers: Header names left out of the comparison.
    """

    a: TraceSummary
    b: TraceSummary
    labels: tuple[str, str] = ("A", "B")
    differences: list[Difference] = field(default_factory=list)
    phases: list[PhaseRow] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    ignored_headers: tuple[str, ...] = ()

    @property
    def same(self) -> bool:
        """Whether the exchanges are the same (timings aside)."""
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        """The comparison as JSON-ready values (what ``tracer diff --json`` prints)."""
        return {
            "same": self.same,
            "a": _side_dict(self.a, self.labels[0]),
            "b": _side_dict(self.b, self.labels[1]),
            "differences": [
                {"phase": d.phase, "aspect": d.aspect, "message": d.message, "detail": d.detail, "a": d.a, "b": d.b}
                for d in self.differences
            ],
            "phases": [{"phase": r.phase, "events": list(r.events), "time_ns": list(r.time_ns)} for r in self.phases],
            "notes": list(self.notes),
            "ignored_headers": list(self.ignored_headers),
        }


def _side_dict(summary: TraceSummary, label: str) -> dict[str, Any]:
    return {
        "label": label,
        "trace": summary.id,
        "protocol": summary.protocol,
        "scope_type": summary.scope_type,
        "title": summary.title,
        "status": summary.status,
        "close_code": summary.close_code,
    }


@dataclass(slots=True)
class _Side:
    trace: Trace
    summary: TraceSummary
    exchange: Exchange | None
    groups: dict[str, list[Event]]
    request_pieces: list[int]
    response_pieces: list[int]


def _side(trace: Trace) -> _Side:
    side = _Side(trace, trace.summary, exchange(trace), grouped(trace), [], [])
    for event in trace.events:
        kind, data = event.kind, event.data
        if kind == "wsgi.input":
            _piece(side.request_pieces, data.get("data"))
        elif kind in ("wsgi.body", "wsgi.write"):
            _piece(side.response_pieces, data.get("data"))
        elif kind in ("asgi.receive", "asgi.send"):
            message = data.get("message")
            if not isinstance(message, dict):
                continue
            if message.get("type") == "http.request":
                _piece(side.request_pieces, message.get("body"))
            elif message.get("type") in _RESPONSE_BODY:
                _piece(side.response_pieces, message.get("body"))
    return side


def _piece(pieces: list[int], value: Any) -> None:
    size = body_size(value)
    if size:
        pieces.append(size)


def compare(
    a: Trace,
    b: Trace,
    *,
    ignore_headers: Iterable[str] | None = None,
    labels: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Compare two traces phase by phase.

    Args:
        a: The first trace (the recorded one, in a replay).
        b: The second trace.
        ignore_headers: Header names (any case) left out of the comparison;
            replaces `DEFAULT_IGNORED_HEADERS` (pass ``DEFAULT_IGNORED_HEADERS | {...}`` to extend it,
            ``DEFAULT_IGNORED_HEADERS - {"host"}`` to compare the Host header and the server's address).
        labels: Names of the two sides in messages and diffs.

    Returns:
        The `Comparison`; ``.same`` tells whether anything but timings differs.
    """
    ignored = frozenset(name.lower() for name in (DEFAULT_IGNORED_HEADERS if ignore_headers is None else ignore_headers))
    left, right = _side(a), _side(b)
    result = Comparison(left.summary, right.summary, labels, ignored_headers=tuple(sorted(ignored)))
    out = result.differences
    sa, sb = left.summary, right.summary
    if sa.scope_type != sb.scope_type:
        out.append(Difference("request", "scope type", f"scope type: {sa.scope_type} → {sb.scope_type}", a=sa.scope_type, b=sb.scope_type))
    for aspect, x, y in (("method", sa.method, sb.method), ("path", sa.path, sb.path), ("query", sa.query, sb.query)):
        if x != y:
            out.append(Difference("request", aspect, f"{aspect}: {x!r} → {y!r}", a=x, b=y))
    bodies_known = _bodies_known(left, right)
    if SERVER_ADDRESS_HEADER not in ignored:
        x, y = server_address(a), server_address(b)
        if x != y:
            out.append(Difference("request", "server address", f"server address: {x!r} → {y!r}", a=x, b=y))
    request_ignored = ignored | {"content-length"}
    out += _header_differences("request", "request header", sa.request_headers, sb.request_headers, request_ignored)
    websocket = sa.scope_type == sb.scope_type == "websocket"
    if not websocket:
        out += _body_differences(result, left, right, "request")
    start_phase = "handshake" if websocket else "response started"
    if sa.status != sb.status:
        out.append(Difference(start_phase, "status", f"status: {_status(sa.status)} → {_status(sb.status)}", a=sa.status, b=sb.status))
    elif sa.reason and sb.reason and sa.reason != sb.reason:
        out.append(Difference(start_phase, "reason", f"reason phrase: {sa.reason!r} → {sb.reason!r}", a=sa.reason, b=sb.reason))
    response_ignored = ignored | ({"content-length"} if bodies_known else set())
    out += _header_differences(start_phase, "response header", sa.response_headers, sb.response_headers, response_ignored)
    if websocket:
        out += [
            Difference("messages", "websocket message", message, a=x, b=y)
            for message, x, y in message_differences(websocket_messages(a), websocket_messages(b), labels)
        ]
    else:
        out += _body_differences(result, left, right, "response")
    if sa.protocol == sb.protocol:
        # Event counts say what nothing else does: a phase that already differs needs none besides.
        explained = {d.phase for d in out} | ({"end"} if _error(sa) != _error(sb) else set())
        out += [d for d in _event_differences(left, right, labels) if d.phase not in explained]
    out += _end_differences(sa, sb, labels)
    result.phases = _phase_rows(left, right)
    result.notes[:0] = _protocol_notes(left, right, labels)
    out.sort(key=lambda d: _PHASE_ORDER.get(d.phase, 0))
    return result


def server_address(trace: Trace) -> str | None:
    """``host:port`` of the server the request came through: SERVER_NAME and SERVER_PORT, or ``scope["server"]``.

    Just the host when there is no port (a Unix socket's ``[path, None]``); None when the trace does not say.
    """
    first = trace.events[0] if trace.events else None
    data = first.data if first is not None and isinstance(first.data, dict) else {}
    if first is not None and first.kind == "wsgi.environ":
        environ = data.get("environ")
        if isinstance(environ, dict) and isinstance(environ.get("SERVER_NAME"), str):
            port = environ.get("SERVER_PORT")
            return f"{environ['SERVER_NAME']}:{port}" if isinstance(port, str) and port else environ["SERVER_NAME"]
        return None
    scope = data.get("scope")
    server = scope.get("server") if isinstance(scope, dict) else None
    if isinstance(server, list) and len(server) == 2 and isinstance(server[0], str):
        return server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    return None


def _bodies_known(left: _Side, right: _Side) -> bool:
    return all(side.exchange is not None and side.exchange.response_body_known for side in (left, right))


def _status(status: int | None) -> str:
    return "no response" if status is None else str(status)


def _header_map(pairs: Iterable[tuple[str, str]], ignored: frozenset[str] | set[str]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for name, value in pairs:
        key = name.lower()
        if key not in ignored:
            if key == "content-type" and value.lower().startswith("multipart/"):
                value = _BOUNDARY.sub("", value)  # the boundary is part of the body's encoding, compared with the body
            found.setdefault(key, []).append(value)
    return found


def _header_differences(phase: str, aspect: str, a: Iterable[tuple[str, str]], b: Iterable[tuple[str, str]],
                        ignored: frozenset[str] | set[str]) -> list[Difference]:
    left, right = _header_map(a, ignored), _header_map(b, ignored)
    found = []
    for name in sorted(left.keys() | right.keys()):
        x, y = left.get(name), right.get(name)
        if x == y:
            continue
        if x is None:
            message = f"{aspect} added: {name}: {_values(y)}"
        elif y is None:
            message = f"{aspect} removed: {name}: {_values(x)}"
        else:
            message = f"{aspect} changed: {name}: {_values(x)} → {_values(y)}"
        found.append(Difference(phase, aspect, message, a=x, b=y))
    return found


def _values(values: list[str] | None) -> str:
    values = values or []
    return repr(values[0]) if len(values) == 1 else repr(values)


def _body_differences(result: Comparison, left: _Side, right: _Side, which: str) -> list[Difference]:
    ea, eb = left.exchange, right.exchange
    if ea is None or eb is None:
        return []
    phase = "body read" if which == "request" else "body sent"
    if which == "response" and not (ea.response_body_known and eb.response_body_known):
        result.notes.append("a response body was handed to the server as a file (wsgi.file_wrapper or pathsend): not compared")
        return []
    body_a, body_b = _body(left, which), _body(right, which)
    outcome = compare_bodies(body_a, body_b, result.labels, form=which == "request")
    pieces_a = left.request_pieces if which == "request" else left.response_pieces
    pieces_b = right.request_pieces if which == "request" else right.response_pieces
    found = []
    if not outcome.same:
        found.append(Difference(phase, f"{which} body", f"{which} body: {outcome.message}", outcome.diff,
                                a=body_a.size, b=body_b.size))
    elif outcome.message:
        result.notes.append(f"{which} body: {outcome.message}")
    same_bytes = outcome.same and body_a.data == body_b.data
    if outcome.same and pieces_a and pieces_b and (len(pieces_a) != len(pieces_b) or (same_bytes and pieces_a != pieces_b)):
        verb = "read" if which == "request" else "sent"
        message = f"{which} body {verb} in {_pieces(pieces_a)} → {_pieces(pieces_b)}"
        found.append(Difference(phase, f"{which} pieces", message, a=pieces_a, b=pieces_b))
    return found


def _body(side: _Side, which: str) -> Body:
    ex = side.exchange
    assert ex is not None
    summary = side.summary
    if which == "request":
        return Body(bytes(ex.request_body), ex.request_body_size, summary.request_content_type, ex.request_truncated)
    return Body(bytes(ex.response_body), ex.response_body_size, summary.content_type, ex.response_truncated)


def _pieces(pieces: list[int]) -> str:
    if not pieces:
        return "no pieces"
    sizes = ", ".join(str(size) for size in pieces[:8]) + (", …" if len(pieces) > 8 else "")
    return f"{len(pieces)} piece{'s' if len(pieces) != 1 else ''} ({sizes} bytes)"


def _event_differences(left: _Side, right: _Side, labels: tuple[str, str]) -> list[Difference]:
    found = []
    for phase in phases(left.summary.scope_type):
        x, y = (event_names(side.groups.get(phase, ()), side.summary.response_end_ns) for side in (left, right))
        if x != y:
            message = f"{phase}: {_count(x)} in {labels[0]}, {_count(y)} in {labels[1]}"
            found.append(Difference(phase, "events", message, a=dict(x), b=dict(y)))
    return found


def _count(names: Counter[str]) -> str:
    total = sum(names.values())
    parts = ", ".join(f"{name} ×{count}" for name, count in sorted(names.items()))
    return f"{total} event{'s' if total != 1 else ''}" + (f" ({parts})" if parts else "")


def _end_differences(sa: TraceSummary, sb: TraceSummary, labels: tuple[str, str]) -> list[Difference]:
    found = []
    if sa.close_code != sb.close_code:
        found.append(Difference("end", "close code", f"close code: {sa.close_code} → {sb.close_code}", a=sa.close_code, b=sb.close_code))
    error_a, error_b = _error(sa), _error(sb)
    if error_a != error_b:
        found.append(Difference("end", "error", f"error: {error_a or 'none'} → {error_b or 'none'}", a=error_a, b=error_b))
    if sa.complete != sb.complete:
        label = labels[0] if not sa.complete else labels[1]
        found.append(Difference("end", "complete", f"{label}'s trace is incomplete (the app had not returned)", a=sa.complete, b=sb.complete))
    if sa.stopped != sb.stopped:
        found.append(Difference("end", "stopped", f"stopped by the server: {sa.stopped or 'no'} → {sb.stopped or 'no'}", a=sa.stopped, b=sb.stopped))
    return found


def _error(summary: TraceSummary) -> str | None:
    if not summary.error_type:
        return None
    return f"{summary.error_type}: {summary.error_message}" if summary.error_message else summary.error_type


def _phase_rows(left: _Side, right: _Side) -> list[PhaseRow]:
    order = list(phases(left.summary.scope_type))
    order += [p for p in phases(right.summary.scope_type) if p not in order]
    times_a, times_b = phase_times(left.groups, order), phase_times(right.groups, order)
    return [
        PhaseRow(phase, (len(left.groups.get(phase, ())), len(right.groups.get(phase, ()))), (times_a.get(phase), times_b.get(phase)))
        for phase in order
    ]


def _protocol_notes(left: _Side, right: _Side, labels: tuple[str, str]) -> list[str]:
    notes = []
    sa, sb = left.summary, right.summary
    if sa.protocol != sb.protocol:
        notes.append(
            f"{labels[0]} is {sa.protocol.upper()}, {labels[1]} is {sb.protocol.upper()}: environ ↔ scope, wsgi.input reads ↔ "
            "http.request messages, start_response ↔ http.response.start, chunks ↔ body messages, close() ↔ the end; "
            "event counts are shown, body pieces compared"
        )
        for label, summary in zip(labels, (sa, sb)):
            if summary.protocol == "wsgi" and summary.response_start_ns is not None and summary.first_byte_ns is not None:
                notes.append(
                    f"{label} (WSGI) called start_response at {_ms(summary.response_start_ns)}; the server sent the status "
                    f"and headers with the first body chunk, at {_ms(summary.first_byte_ns)}"
                )
    return notes


def _ms(ns: int) -> str:
    return f"{ns / 1e6:.2f} ms"


def pair_summaries(
    a: Iterable[TraceSummary], b: Iterable[TraceSummary]
) -> tuple[list[tuple[TraceSummary, TraceSummary]], list[TraceSummary], list[TraceSummary]]:
    """Pair the traces of two files by method, path and order (the n-th ``GET /x`` of one with the n-th of the other).

    Lifespan traces are left out (`pair_lifespans` pairs them). Give each side in start order.

    Returns:
        The pairs (in the first side's order), then the traces found only in `a`, then only in `b`.
    """
    a, b = list(a), list(b)
    waiting: dict[tuple[str | None, str | None], deque[TraceSummary]] = {}
    for summary in b:
        if summary.scope_type != "lifespan":
            waiting.setdefault((summary.method, summary.path), deque()).append(summary)
    pairs, only_a = [], []
    for summary in a:
        if summary.scope_type == "lifespan":
            continue
        queue = waiting.get((summary.method, summary.path))
        if queue:
            pairs.append((summary, queue.popleft()))
        else:
            only_a.append(summary)
    paired = {id(right) for _, right in pairs}
    only_b = [s for s in b if s.scope_type != "lifespan" and id(s) not in paired]
    return pairs, only_a, only_b


def pair_lifespans(
    a: Iterable[TraceSummary], b: Iterable[TraceSummary]
) -> tuple[list[tuple[TraceSummary, TraceSummary]], list[TraceSummary], list[TraceSummary]]:
    """Pair the lifespan traces of two files in order: the n-th of one with the n-th of the other.

    A lifespan trace is a server process's startup and shutdown, not a request: one without a
    partner (a file recorded by more worker processes, or by a server that ran no lifespan: a
    WSGI server, a test client without one) says how the app was served, not what it did, so it
    is left out rather than found in one file only. Give each side in start order.

    Returns:
        The pairs, then the lifespan traces left out of `a`, then those left out of `b`.
    """
    left = [s for s in a if s.scope_type == "lifespan"]
    right = [s for s in b if s.scope_type == "lifespan"]
    count = min(len(left), len(right))
    return list(zip(left[:count], right[:count])), left[count:], right[count:]
