"""The trace model: a `Trace` is the ordered list of `Event`s of one request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:
    from .summary import TraceSummary

EventKind = Literal[
    "wsgi.environ",
    "wsgi.input",
    "wsgi.start_response",
    "wsgi.write",
    "wsgi.errors",
    "wsgi.body",
    "wsgi.close",
    "wsgi.error",
    "wsgi.end",
    "asgi.scope",
    "asgi.receive",
    "asgi.send",
    "asgi.error",
    "asgi.end",
    "app.log",
]

WSGI_KINDS: tuple[str, ...] = tuple(kind for kind in get_args(EventKind) if kind.startswith("wsgi."))
ASGI_KINDS: tuple[str, ...] = tuple(kind for kind in get_args(EventKind) if kind.startswith("asgi."))
END_KINDS = frozenset({"wsgi.end", "asgi.end"})
ERROR_KINDS = frozenset({"wsgi.error", "asgi.error"})
APP_LOG = "app.log"
"""A log record or an output line the app wrote while the request ran: not part of the protocol exchange."""

Protocol = Literal["wsgi", "asgi"]
ScopeType = Literal["http", "websocket", "lifespan"]


class TruncatedBytes(bytes):
    """Bytes cut at `max_body_bytes`; `original_length` is how long the value really was."""

    original_length: int

    def __new__(cls, value: bytes, original_length: int) -> TruncatedBytes:
        self = super().__new__(cls, value)
        self.original_length = original_length
        return self

    def __repr__(self) -> str:
        return f"TruncatedBytes({bytes(self)!r}, original_length={self.original_length})"

    def __reduce__(self) -> Any:
        return (TruncatedBytes, (bytes(self), self.original_length))


@dataclass(frozen=True, slots=True)
class ReprValue:
    """An object that JSON cannot hold, kept as its repr and its type's dotted name."""

    repr: str
    type: str

    def __str__(self) -> str:
        return self.repr


@dataclass(slots=True)
class Event:
    """One step of a request's lifecycle.

    Attributes:
        seq: Position within its trace, 0, 1, 2, ...
        t_ns: Nanoseconds since the trace's first event (monotonic clock).
        kind: One of the dotted event kinds, e.g. ``"wsgi.body"``.
        data: The event's payload, decoded (bytes are bytes).
    """

    seq: int
    t_ns: int
    kind: str
    data: dict[str, Any]


@dataclass(slots=True)
class Trace:
    """Every event of one request (or one websocket or lifespan session), in order.

    Attributes:
        id: Unique id of the trace.
        protocol: ``"wsgi"`` or ``"asgi"``.
        scope_type: ``"http"``, ``"websocket"`` or ``"lifespan"`` (``"http"`` for WSGI).
        started_at: Wall-clock start, epoch seconds.
        events: The events, ordered by ``seq``.
    """

    id: str
    protocol: str
    scope_type: str
    started_at: float
    events: list[Event] = field(default_factory=list)

    _summary: Any = field(default=None, init=False, repr=False, compare=False)
    _summary_events: int = field(default=-1, init=False, repr=False, compare=False)

    @property
    def summary(self) -> TraceSummary:
        """What the trace means (method, path, status, timings, sizes...), folded from its events.

        The same fold the trace index runs over a file's lines; recomputed only
        when events were added since the last call.
        """
        if self._summary is None or self._summary_events != len(self.events):
            from .summary import summarize

            self._summary = summarize(self)
            self._summary_events = len(self.events)
        return self._summary

    @property
    def missing_steps(self) -> list[int]:
        """The seqs between the first and the last event that the trace lacks (lines of the file that could not be read)."""
        seqs = {event.seq for event in self.events}
        if not seqs:
            return []
        return [seq for seq in range(0, max(seqs)) if seq not in seqs]

    @property
    def complete(self) -> bool:
        """Whether the last event is ``wsgi.end`` / ``asgi.end``."""
        return bool(self.events) and self.events[-1].kind in END_KINDS

    @property
    def error(self) -> bool:
        """Whether the app raised (see `TraceSummary.error`)."""
        return self.summary.error

    @property
    def duration_ns(self) -> int:
        """Time from the first to the last recorded event."""
        return self.summary.duration_ns

    @property
    def request_info(self) -> dict[str, Any]:
        """The environ (WSGI) or scope (ASGI) the server passed, or ``{}``."""
        if not self.events:
            return {}
        first = self.events[0]
        info = None
        if first.kind == "wsgi.environ":
            info = first.data.get("environ")
        elif first.kind == "asgi.scope":
            info = first.data.get("scope")
        return info if isinstance(info, dict) else {}

    @property
    def method(self) -> str | None:
        """The request method, ``"WS"`` for a websocket, None for lifespan."""
        return self.summary.method

    @property
    def path(self) -> str | None:
        """The request path without query string (SCRIPT_NAME + PATH_INFO; root_path + path), or None (lifespan)."""
        return self.summary.path

    @property
    def query(self) -> str:
        """The query string, ``""`` when there is none."""
        return self.summary.query

    @property
    def status(self) -> int | None:
        """The response status code (101/403 for websockets), or None if the response never started."""
        return self.summary.status

    @property
    def close_code(self) -> int | None:
        """A websocket's close code, or None."""
        return self.summary.close_code


