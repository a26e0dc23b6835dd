"""The trace model: a `Trace` is the ordered list of `Event`s of one request."""

from __future__ import annotations

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


# Plain classes with slots, written out rather than made by `dataclass` (which builds each one's methods from source
# at import: about 0.3 ms a class, and the UI imports this module before its first paint). They behave as
# ``@dataclass(slots=True)`` would: keyword or positional arguments, a repr of the fields, equal when the fields are.


class ReprValue:
    """An object that JSON cannot hold, kept as its repr and its type's dotted name (immutable, hashable)."""

    __slots__ = ("repr", "type")
    __match_args__ = ("repr", "type")

    repr: str
    type: str

    def __init__(self, repr: str, type: str) -> None:  # noqa: A002 - the field names
        object.__setattr__(self, "repr", repr)
        object.__setattr__(self, "type", type)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"cannot delete field {name!r}")

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.repr, self.type) == (other.repr, other.type)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((self.repr, self.type))

    def __repr__(self) -> str:
        return f"ReprValue(repr={self.repr!r}, type={self.type!r})"

    def __reduce__(self) -> Any:
        return (ReprValue, (self.repr, self.type))

    def __str__(self) -> str:
        return self.repr


class Event:
    """One step of a request's lifecycle.

    Attributes:
        seq: Position within its trace, 0, 1, 2, ...
        t_ns: Nanoseconds since the trace's first event (monotonic clock).
        kind: One of the dotted event kinds, e.g. ``"wsgi.body"``.
        data: The event's payload, decoded (bytes are bytes).
    """

    __slots__ = ("seq", "t_ns", "kind", "data")
    __match_args__ = ("seq", "t_ns", "kind", "data")

    seq: int
    t_ns: int
    kind: str
    data: dict[str, Any]

    def __init__(self, seq: int, t_ns: int, kind: str, data: dict[str, Any]) -> None:
        self.seq = seq
        self.t_ns = t_ns
        self.kind = kind
        self.data = data

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.seq, self.t_ns, self.kind, self.data) == (
            other.seq, other.t_ns, other.kind, other.data)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq is

    def __repr__(self) -> str:
        return f"Event(seq={self.seq!r}, t_ns={self.t_ns!r}, kind={self.kind!r}, data={self.data!r})"


class Trace:
    """Every event of one request (or one websocket or lifespan session), in order.

    Attributes:
        id: Unique id of the trace.
        protocol: ``"wsgi"`` or ``"asgi"``.
        scope_type: ``"http"``, ``"websocket"`` or ``"lifespan"`` (``"http"`` for WSGI).
        started_at: Wall-clock start, epoch seconds.
        events: The events, ordered by ``seq``.
    """

    __slots__ = ("id", "protocol", "scope_type", "started_at", "events", "_summary", "_summary_events")
    __match_args__ = ("id", "protocol", "scope_type", "started_at", "events")

    id: str
    protocol: str
    scope_type: str
    started_at: float
    events: list[Event]

    def __init__(
        self, id: str, protocol: str, scope_type: str, started_at: float,  # noqa: A002 - the field's name
        events: list[Event] | None = None,
    ) -> None:
        self.id = id
        self.protocol = protocol
        self.scope_type = scope_type
        self.started_at = started_at
        self.events = [] if events is None else events
        self._summary: Any = None
        self._summary_events = -1

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.id, self.protocol, self.scope_type, self.started_at, self.events) == (
            other.id, other.protocol, other.scope_type, other.started_at, other.events)  # type: ignore[attr-defined]

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dataclass with eq is

    def __repr__(self) -> str:
        return (f"Trace(id={self.id!r}, protocol={self.protocol!r}, scope_type={self.scope_type!r}, "
                f"started_at={self.started_at!r}, events={self.events!r})")

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


