"""What a trace means: one incremental fold over its events.

Method, path, query, status, websocket close code, timings, body sizes,
content types, headers, complete or not, error or not: these are decided
here and nowhere else. The access log, the trace index (and through it the
UI's list), `Trace`'s properties, the exporters, the checks' headings and
every title read a `TraceSummary`.

The fold takes events one at a time, so a file being written can feed it
line by line. It accepts event data in either form: as a trace file stores
it (``{"$bytes": ...}``) or decoded (``bytes``), so the index can fold raw
records without decoding them and `Trace.summary` can fold decoded events.
Whatever a file holds, every field keeps its documented type and folding
never raises::

    summary = TraceSummary.begin(record)       # the trace's first record
    summary.add(record["kind"], record["t_ns"], record["data"])
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any

from .model import APP_LOG, END_KINDS, ERROR_KINDS, TruncatedBytes

PROTOCOLS = ("wsgi", "asgi")
"""The protocols the trace format defines."""
SCOPE_TYPES = ("http", "websocket", "lifespan")
"""The scope types the trace format defines (WSGI traces are ``"http"``)."""

_RESPONSE_BODY = frozenset({"http.response.body", "websocket.http.response.body"})
_RESPONSE_START = frozenset({"http.response.start", "websocket.http.response.start"})
_FILE_SEND = frozenset({"http.response.pathsend", "http.response.zerocopysend"})


# Its repr and equality are written out below (over `fields`) rather than built by `dataclass`, which makes each
# from source at import, and the UI imports this module before its first paint.
@dataclass(slots=True, repr=False, eq=False)
class TraceSummary:
    """The meaning of one trace, without its events.

    Times are nanoseconds since the trace's first event. Every field has the
    type given here whatever the trace holds.

    Attributes:
        id: The trace id.
        protocol: ``"wsgi"`` or ``"asgi"``.
        scope_type: ``"http"``, ``"websocket"`` or ``"lifespan"``.
        start: Wall-clock start, epoch seconds (0.0 when unknown).
        method: Request method, ``"WS"`` for websockets, None for lifespan.
        path: SCRIPT_NAME + PATH_INFO (WSGI) or root_path + path (ASGI); None for lifespan.
        query: The query string, ``""`` when there is none.
        status: The response status: 101 for an accepted websocket, 403 for
            one closed before accept, None while no response has started.
        reason: The reason phrase WSGI's status line gave, or None.
        close_code: A websocket's close code (from the app's close or the
            client's disconnect), else None.
        duration_ns: Offset of the latest event: until the app returned, once complete.
        events: Number of events folded.
        request_bytes: Body bytes the app read (WSGI) or received (ASGI; websocket messages too).
        response_bytes: Body bytes the app sent (websocket messages too).
        reads: How many reads (WSGI ``wsgi.input``) or request messages (``http.request``,
            ``websocket.receive``) brought the request body.
        chunks: How many chunks or messages carried the response body.
        content_type: The response's Content-Type, or None.
        request_content_type: The request's Content-Type, or None.
        request_length: The request's declared Content-Length, or None.
        request_headers: ``(name, value)`` text pairs; empty when not kept (see `begin`).
        response_headers: ``(name, value)`` text pairs; empty when not kept.
            (Method, content types and reason phrases are interned: an index of
            a large file holds one copy of each.)
        response_start_ns: When the app gave the status (start_response,
            ``http.response.start``, a websocket's accept or denial).
        first_byte_ns: When the first non-empty body chunk left the app.
        response_end_ns: When the response was complete for the client (the
            last body chunk, WSGI's close(), a websocket's close); a background
            task may run long after it.
        app_return_ns: When the app returned (the end event), None while it runs.
        complete: Whether the end event has been seen.
        error: Whether the app raised (not counting an app that refuses the
            lifespan scope by raising, which the ASGI spec allows).
        error_type: The exception type's name, or None.
        error_message: The first line of the exception's message, or None.
        stopped: Why the server cut the request short, or None.
        held_ns: How long its events were held at breakpoints, in all (0 when never held).
        edits: How many of its events went on edited in the debugger (the fold reads
            what was exchanged, the edit; the event's ``original`` keeps what it replaced).
        lifespan_unsupported: A lifespan trace whose app raised or returned without answering startup.
        failure: A lifespan ``startup.failed`` / ``shutdown.failed`` with its message, or None.
        logs: How many ``app.log`` events (log records and output lines the app wrote) the trace has.
        logged_exception: A log record with an exception was recorded: an exception the app or its
            framework handled itself, such as Django's ``Internal Server Error:`` or Flask's
            ``Exception on / [GET]`` before their 500 page.
        logged_error: The first line of the first such record's message (``Internal Server Error: /x``), or None.
        worker: The process tag of the trace id (``6d29d4dd`` of ``6d29d4dd-000001``): which
            process recorded it, when several append to one file (``gunicorn -w 4``,
            ``tracer run --workers N``); ``""`` for an id not written by tracer's middlewares.
        number: Order of first appearance in the file, from 0 (set by `TraceIndex`).
        line: Line number of the trace's first event (set by `TraceIndex`).
        spans: ``offset, length`` pairs of the trace's event lines (set by `TraceIndex`).
    """

    id: str
    protocol: str = "wsgi"
    scope_type: str = "http"
    start: float = 0.0
    method: str | None = None
    path: str | None = None
    query: str = ""
    status: int | None = None
    reason: str | None = None
    close_code: int | None = None
    duration_ns: int = 0
    events: int = 0
    request_bytes: int = 0
    response_bytes: int = 0
    reads: int = 0
    chunks: int = 0
    content_type: str | None = None
    request_content_type: str | None = None
    request_length: int | None = None
    request_headers: tuple[tuple[str, str], ...] = ()
    response_headers: tuple[tuple[str, str], ...] = ()
    response_start_ns: int | None = None
    first_byte_ns: int | None = None
    response_end_ns: int | None = None
    app_return_ns: int | None = None
    complete: bool = False
    error: bool = False
    error_type: str | None = None
    error_message: str | None = None
    stopped: str | None = None
    held_ns: int = 0
    edits: int = 0
    lifespan_unsupported: bool = False
    failure: str | None = None
    logs: int = 0
    logged_exception: bool = False
    logged_error: str | None = None
    worker: str = field(default="", init=False)
    number: int = 0
    line: int = 0
    spans: array = field(default_factory=lambda: array("q"))
    keep_headers: bool = field(default=True, repr=False)
    _answered: bool = field(default=False, repr=False)
    _status_final: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        self.worker = process_tag(self.id)

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={getattr(self, name)!r}" for name in _REPR_FIELDS)
        return f"{type(self).__qualname__}({values})"

    def __eq__(self, other: object) -> bool:
        """Equal when every field is, as a dataclass's."""
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _compared(self) == _compared(other)

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable, as a dataclass with eq is

    @classmethod
    def begin(cls, record: dict[str, Any], *, keep_headers: bool = True) -> TraceSummary:
        """A summary for the trace that `record` (its first event record) opens.

        Args:
            record: A trace-file record (``trace``, ``kind``, and on a first
                event ``protocol``, ``scope_type`` and ``start``).
            keep_headers: Keep the request and response headers; an index of a
                large file leaves them out to stay small.
        """
        kind = record.get("kind")
        protocol = _choice(record.get("protocol"), PROTOCOLS) or _choice(
            kind.partition(".")[0] if isinstance(kind, str) else None, PROTOCOLS) or "wsgi"
        scope_type = _choice(record.get("scope_type"), SCOPE_TYPES) or "http"
        trace_id = record.get("trace")
        return cls(
            trace_id if isinstance(trace_id, str) else str(trace_id),
            protocol=protocol,
            scope_type=scope_type,
            start=epoch(record.get("start")),
            keep_headers=keep_headers,
        )

    @property
    def url(self) -> str:
        """Path and query string as requested (``/items?page=2``); ``""`` for lifespan."""
        path = self.path or ""
        return f"{path}?{self.query}" if self.query else path

    @property
    def display_url(self) -> str:
        """`url` for a person: WSGI's latin-1 "bytes as str" read as UTF-8 where it is, control characters escaped."""
        url = self.url
        if self.protocol == "wsgi" and not url.isascii():
            try:
                url = url.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
        if url.isprintable():
            return url
        return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in url)

    @property
    def title(self) -> str:
        """``METHOD /path?query`` (``LIFESPAN`` for a lifespan trace): how every heading names a request."""
        if self.scope_type == "lifespan":
            return "LIFESPAN"
        return f"{self.method or '?'} {self.url or '?'}"

    @property
    def end(self) -> float:
        """Wall-clock time of the latest event, epoch seconds."""
        return self.start + self.duration_ns / 1e9

    @property
    def response_ns(self) -> int:
        """How long the client waited for the whole response (the duration when unknown)."""
        return self.response_end_ns if self.response_end_ns is not None else self.duration_ns

    def add(self, kind: Any, t_ns: Any, data: Any) -> None:
        """Fold one event (its data encoded as in a trace file, or decoded)."""
        self.events += 1
        when = t_ns if _is_int(t_ns) else self.duration_ns
        if when > self.duration_ns:
            self.duration_ns = when
        if not isinstance(data, dict):
            return
        if "held_ns" in data:
            _held(self, data)
        try:
            _fold(self, kind, when, data)
        except (AttributeError, TypeError, ValueError, KeyError, OverflowError):
            pass  # Odd data shows in the replay; the summary just stays sparse.


_HEX = frozenset("0123456789abcdef")

_REPR_FIELDS = tuple(f.name for f in fields(TraceSummary) if f.repr)
_compared = attrgetter(*(f.name for f in fields(TraceSummary) if f.compare))


def process_tag(trace_id: Any) -> str:
    """The process tag of a trace id tracer wrote (8 hex digits, ``-``, a counter), else ``""``.

    Every process that records (each worker of a server) draws its own tag, so
    the tag tells which process served a request. Tags are interned: a file of
    many traces holds one copy of each.
    """
    if type(trace_id) is not str:
        return ""
    tag, dash, count = trace_id.rpartition("-")
    if dash and len(tag) == 8 and count.isdigit() and count.isascii() and _HEX.issuperset(tag):
        return sys.intern(tag)
    return ""


def summarize(trace: Any, *, keep_headers: bool = True) -> TraceSummary:
    """Fold every event of a `Trace` (decoded) into its summary."""
    summary = TraceSummary(
        str(trace.id),
        protocol=_choice(trace.protocol, PROTOCOLS) or "wsgi",
        scope_type=_choice(trace.scope_type, SCOPE_TYPES) or "http",
        start=epoch(trace.started_at),
        keep_headers=keep_headers,
    )
    for event in trace.events:
        summary.add(event.kind, event.t_ns, event.data)
    return summary


def first_event_summary(kind: str, data: Any) -> TraceSummary:
    """The summary a trace has after its first event alone (what the first step of a replay can say)."""
    scope = data.get("scope") if isinstance(data, dict) else None
    scope_type = scope.get("type") if isinstance(scope, dict) else None
    summary = TraceSummary.begin({"trace": "", "kind": kind, "scope_type": _choice(scope_type, SCOPE_TYPES)})
    summary.add(kind, 0, data)
    return summary


def _fold(s: TraceSummary, kind: str, t_ns: int, data: dict[str, Any]) -> None:
    if kind == "wsgi.body" or kind == "wsgi.write":
        size = _size(data.get("data"))
        s.chunks += 1
        if size:
            s.response_bytes += size
            if s.first_byte_ns is None:
                s.first_byte_ns = t_ns
    elif kind == "asgi.send" or kind == "asgi.receive":
        message = data.get("message")
        if isinstance(message, dict):
            _message(s, kind == "asgi.send", t_ns, message)
    elif kind == "wsgi.input":
        s.request_bytes += _size(data.get("data"))
        s.reads += 1
    elif kind == "wsgi.environ":
        _environ(s, data.get("environ"))
    elif kind == "asgi.scope":
        _scope(s, data.get("scope"))
    elif kind == "wsgi.start_response":
        if not s._status_final:
            _wsgi_status(s, data.get("status"))
            headers = data.get("headers")
            s.content_type = _interned(header_value(headers, "content-type"))
            if s.keep_headers:
                s.response_headers = header_pairs(headers)
        if s.response_start_ns is None:
            s.response_start_ns = t_ns
    elif kind == "wsgi.close":
        if s.response_end_ns is None:
            s.response_end_ns = t_ns
    elif kind == APP_LOG:
        s.logs += 1
        if not s.logged_exception and data.get("source") == "logging" and text(data.get("exception")):
            s.logged_exception = True
            message = text(data.get("message"))
            s.logged_error = message.strip().split("\n", 1)[0] if message else None
    elif kind in END_KINDS:
        _end(s, kind, t_ns, data)
    elif kind in ERROR_KINDS:
        if s.error_type is None:
            s.error_type = text(data.get("type")) or "Exception"
            message = text(data.get("message"))
            s.error_message = message.strip().split("\n", 1)[0] if message else None
        s.error = not (s.scope_type == "lifespan" and not s._answered)
        s.lifespan_unsupported = s.scope_type == "lifespan" and not s._answered


def _held(s: TraceSummary, data: dict[str, Any]) -> None:
    """An event held at a breakpoint (docs/trace-format.md): how long, and whether it went on edited."""
    held = data.get("held_ns")
    if _is_int(held) and held > 0:
        s.held_ns += held
    if "original" in data:
        s.edits += 1


def _end(s: TraceSummary, kind: str, t_ns: int, data: dict[str, Any]) -> None:
    s.complete = True
    s.app_return_ns = t_ns
    if kind == "wsgi.end":
        # The status the server accepted: a late exc_info call does not change it.
        if isinstance(data.get("status"), str):
            _wsgi_status(s, data["status"])
            s._status_final = True
        if s.response_end_ns is None:
            s.response_end_ns = t_ns
    elif s.scope_type == "http" and s.response_end_ns is None and s.status is not None:
        s.response_end_ns = t_ns
    elif s.scope_type == "websocket" and s.response_end_ns is None:
        s.response_end_ns = t_ns
    elif s.scope_type == "lifespan" and not s._answered:
        s.lifespan_unsupported = True
        s.error = False
    stopped = data.get("stopped")
    if isinstance(stopped, str) and stopped:
        s.stopped = stopped


def _environ(s: TraceSummary, environ: Any) -> None:
    if not isinstance(environ, dict):
        return
    s.method = _interned(environ.get("REQUEST_METHOD"))
    s.path = ((_str(environ.get("SCRIPT_NAME")) or "") + (_str(environ.get("PATH_INFO")) or "")) or "/"
    s.query = _str(environ.get("QUERY_STRING")) or ""
    s.request_content_type = _interned(environ.get("CONTENT_TYPE")) or None
    s.request_length = _length(environ.get("CONTENT_LENGTH"))
    if s.keep_headers:
        s.request_headers = environ_headers(environ)


def _scope(s: TraceSummary, scope: Any) -> None:
    if not isinstance(scope, dict):
        return
    if s.scope_type == "websocket":
        s.method = "WS"
    elif s.scope_type == "http":
        s.method = _interned(scope.get("method"))
    if s.scope_type == "lifespan":
        return
    path = _str(scope.get("path"))
    root = _str(scope.get("root_path")) or ""
    # Servers differ on whether path already holds root_path; never count it twice.
    s.path = path if path is None or not root or path.startswith(root) else root + path
    s.query = text(scope.get("query_string"))
    headers = scope.get("headers")
    s.request_content_type = _interned(header_value(headers, "content-type"))
    s.request_length = _length(header_value(headers, "content-length"))
    if s.keep_headers:
        s.request_headers = header_pairs(headers)


def _message(s: TraceSummary, sent: bool, t_ns: int, message: dict[str, Any]) -> None:
    kind = message.get("type")
    if kind in _RESPONSE_BODY:
        size = _size(message.get("body"))
        s.response_bytes += size
        s.chunks += 1
        if size and s.first_byte_ns is None:
            s.first_byte_ns = t_ns
        if not message.get("more_body", False) and s.response_end_ns is None:
            s.response_end_ns = t_ns
    elif kind == "http.request":
        s.request_bytes += _size(message.get("body"))
        s.reads += 1
    elif kind in _RESPONSE_START:
        status = message.get("status")
        s.status = status if _is_int(status) else None
        headers = message.get("headers")
        s.content_type = _interned(header_value(headers, "content-type"))
        if s.keep_headers:
            s.response_headers = header_pairs(headers)
        if s.response_start_ns is None:
            s.response_start_ns = t_ns
    elif kind in _FILE_SEND:
        if s.first_byte_ns is None:
            s.first_byte_ns = t_ns
        if s.response_end_ns is None:
            s.response_end_ns = t_ns
    elif kind == "websocket.send" or kind == "websocket.receive":
        size = _size(message.get("bytes")) + _size(message.get("text"))
        if sent:
            s.response_bytes += size
            s.chunks += 1
            if size and s.first_byte_ns is None:
                s.first_byte_ns = t_ns
        else:
            s.request_bytes += size
            s.reads += 1
    elif kind == "websocket.accept":
        if s.status is None:
            s.status = 101
            s.response_start_ns = t_ns
            if s.keep_headers:
                s.response_headers = header_pairs(message.get("headers"))
    elif kind == "websocket.close" and sent:
        if s.status is None:
            # Closed before the handshake: the server answers the client with HTTP 403.
            s.status = 403
            s.response_start_ns = t_ns
        if s.close_code is None:
            code = message.get("code", 1000)
            s.close_code = code if _is_int(code) else None
        if s.response_end_ns is None:
            s.response_end_ns = t_ns
    elif kind == "websocket.disconnect" and not sent:
        if s.close_code is None:
            code = message.get("code", 1005)
            s.close_code = code if _is_int(code) else None
        if s.response_end_ns is None:
            s.response_end_ns = t_ns
    elif isinstance(kind, str) and kind.startswith("lifespan."):
        if kind in ("lifespan.startup.complete", "lifespan.startup.failed"):
            s._answered = True
        if kind.endswith(".failed") and s.failure is None:
            phase = kind.split(".")[1]
            detail = text(message.get("message"))
            s.failure = f"{phase} failed: {detail}" if detail else f"{phase} failed"


def _wsgi_status(s: TraceSummary, status: Any) -> None:
    if isinstance(status, str) and len(status) >= 3 and status[:3].isdigit():
        s.status = int(status[:3])
        s.reason = sys.intern(status[4:]) if len(status) > 4 else None
    else:
        s.status = None
        s.reason = None


# Reading values in either form: encoded as in a file, or decoded.


def text(value: Any) -> str:
    """A str, bytes (as latin-1) or encoded ``$bytes`` value as text; ``""`` for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, dict):
        encoded = value.get("$bytes")
        if isinstance(encoded, str):
            return encoded
    return ""


def header_pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    """Recorded headers as ``(name, value)`` text pairs, skipping malformed items."""
    if not isinstance(headers, list):
        return ()
    return tuple((text(item[0]), text(item[1])) for item in headers if isinstance(item, (list, tuple)) and len(item) == 2)


def header_value(headers: Any, name: str) -> str | None:
    """The first value of header `name` (lower case) in recorded headers, or None."""
    if not isinstance(headers, list):
        return None
    for item in headers:
        if isinstance(item, (list, tuple)) and len(item) == 2 and text(item[0]).lower() == name:
            return text(item[1])
    return None


def environ_headers(environ: dict[str, Any]) -> tuple[tuple[str, str], ...]:
    """The request headers a WSGI environ holds (``HTTP_*``, ``CONTENT_TYPE``, ``CONTENT_LENGTH``)."""
    headers = []
    for key, value in environ.items():
        if not isinstance(key, str):
            continue
        if key.startswith("HTTP_"):
            headers.append((key[5:].replace("_", "-").title(), text(value)))
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            headers.append((key.replace("_", "-").title(), text(value)))
    return tuple(headers)


def body_size(value: Any) -> int:
    """Length in bytes of a recorded body value (its original length when cut), in either form."""
    return _size(value)


def _size(value: Any) -> int:
    if isinstance(value, bytes):
        return value.original_length if isinstance(value, TruncatedBytes) else len(value)
    if isinstance(value, dict):
        cut = value.get("$truncated")
        if _is_int(cut):
            return cut
        encoded = value.get("$bytes")
        if isinstance(encoded, str):
            return len(encoded) if encoded.isascii() else len(encoded.encode("utf-8", "surrogatepass"))
        encoded = value.get("$base64")
        if isinstance(encoded, str):
            return len(encoded) * 3 // 4 - encoded[-2:].count("=")
    elif isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    elif isinstance(value, list):
        return sum(_size(item) for item in value)
    return 0


def _length(value: Any) -> int | None:
    value = text(value)
    value = value.strip()
    if value.isdigit() and value.isascii():
        return int(value)
    return None


def epoch(value: Any) -> float:
    """A start time a clock can show: finite and within years 1970 to 9999, else 0.0 (unknown)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value < 253402300800:
        return float(value)
    return 0.0  # NaN fails the comparison too


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _str(value: Any) -> str | None:
    """`value` if it is a str (odd data may put a number where a method or path goes), else None."""
    return value if isinstance(value, str) else None


def _interned(value: Any) -> str | None:
    """A str shared by every summary that has it (methods, content types: few values, many traces)."""
    return sys.intern(value) if type(value) is str else None


def _choice(value: Any, allowed: tuple[str, ...]) -> str | None:
    """The one copy of `value` among `allowed`, or None."""
    for option in allowed:
        if value == option:
            return option
    return None
