"""The request list's filter language, in the spirit of mitmproxy's.

Every operator is declared once, in `OPERATORS`: its code, its help, the
argument it takes, whether it reads a trace's events and how costly it is.
The parser, the help screen (`help_rows`), the filter line's hint (`HINT`),
the command palette's presets (`PRESETS`) and the "unknown filter" message
are all made from that table, as mitmproxy's ``flowfilter.py`` makes its
grammar and help from its filter classes.

    ~m POST  ~c 5xx  ~d >100ms  ~size >10k  ~h "x-request-id"  ~b error
    TEXT               free text: method, path, query, status or trace id
    !  &  |  ( )       not, and, or, grouping; juxtaposition means and

`parse` turns an expression into a `Filter`; a bad expression raises
`FilterError` with a one-line message. Filters that need the events of a
trace (``~b``, ``~h``, ``~violation``...) say so with `needs_events`, and get
them through the `load` callable passed to `matches`. The parts of an
expression are tested cheapest first, so events are read only for traces
that pass the cheap tests.

The UI's list, `tracer run --break` and `tracer view --break` (breakpoints
are a filter plus event kinds) and the commands all read this one language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import Trace

if TYPE_CHECKING:
    from .summary import TraceSummary

Loader = Callable[[], "Deep"]

# What a test costs, cheapest first.
FIELDS = 0
"""Compares a few fields of the summary."""
TEXT = 1
"""Searches text held by the summary."""
LINES = 2
"""Reads the trace's lines from the file (and decodes them only if a raw pre-check passes)."""
EVENTS = 3
"""Reads and decodes every event of the trace."""
CHECKS = 4
"""Decodes the trace and runs the protocol checks on it."""


class Deep:
    """A trace's raw lines, its events decoded on first use, and its findings on first use.

    Args:
        trace: The trace, or a callable that decodes it when first needed.
        checker: The protocol checks (run only if `findings` is asked for), or the findings.
        lines: The trace's raw lines in the file, when known (lets ``~b`` skip decoding).
    """

    __slots__ = ("lines", "_trace", "_checker", "_findings")

    def __init__(
        self,
        trace: Trace | Callable[[], Trace],
        checker: Callable[[Trace], list[Any]] | list[Any],
        lines: list[bytes] | None = None,
    ) -> None:
        self.lines = lines
        self._trace = trace
        self._checker = checker
        self._findings: list[Any] | None = checker if isinstance(checker, list) else None

    @property
    def trace(self) -> Trace:
        """The decoded trace."""
        if not isinstance(self._trace, Trace):
            self._trace = self._trace()
        return self._trace

    @property
    def findings(self) -> list[Any]:
        """The protocol findings of the trace; a failing checker counts as none."""
        if self._findings is None:
            try:
                self._findings = list(self._checker(self.trace))  # type: ignore[operator]
            except Exception:  # noqa: BLE001 - a checker bug must not break the UI
                self._findings = []
        return self._findings


class FilterError(ValueError):
    """A filter expression that does not parse."""


class Filter:
    """A compiled filter expression."""

    needs_events = False
    cost = FIELDS

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        """Whether the trace passes; `load` returns its events when needed."""
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Operator:
    """One operator of the filter language.

    Attributes:
        code: How it is written, e.g. ``"~m"``.
        help: What it matches, in a few words.
        make: Builds the test: called with the argument, or with nothing when `arg` is empty.
        arg: What its argument is, e.g. ``"METHOD"``; empty for an operator without one.
        examples: Arguments a user might type (the first one is suggested when it is missing).
        aliases: Other ways to write it.
        needs_events: Whether it reads the trace's events (a background search).
        cost: How costly one test is (`FIELDS` ... `CHECKS`); cheaper parts of an expression go first.
        preset: Title of a command palette entry that filters with it alone, if any.
    """

    code: str
    help: str
    make: Callable[..., Filter]
    arg: str = ""
    examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    needs_events: bool = False
    cost: int = FIELDS
    preset: str = ""

    @property
    def syntax(self) -> str:
        """How it is written with its example arguments: ``~c 404  ~c 5xx``."""
        if not self.arg:
            return "  ".join((self.code, *self.aliases))
        return "  ".join(f"{self.code} {example}" for example in self.examples)


# The tests.


@dataclass(slots=True)
class _Not(Filter):
    inner: Filter

    @property
    def needs_events(self) -> bool:  # type: ignore[override]
        return self.inner.needs_events

    @property
    def cost(self) -> int:  # type: ignore[override]
        return self.inner.cost

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        return not self.inner.matches(summary, load)


@dataclass(slots=True)
class _Group(Filter):
    """Parts joined by ``&`` (every part must match) or ``|`` (any part), cheapest first."""

    parts: list[Filter]
    any_part: bool = False

    def __post_init__(self) -> None:
        self.parts = sorted(self.parts, key=lambda part: part.cost)

    @property
    def needs_events(self) -> bool:  # type: ignore[override]
        return any(part.needs_events for part in self.parts)

    @property
    def cost(self) -> int:  # type: ignore[override]
        return max(part.cost for part in self.parts)

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        results = (p.matches(summary, load) for p in self.parts)
        return any(results) if self.any_part else all(results)


class _Summary(Filter):
    """A test of the summary alone."""

    def __init__(self, test: Callable[[TraceSummary], bool], cost: int = FIELDS) -> None:
        self.test = test
        self.cost = cost

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        return self.test(summary)


class _Loaded(Filter):
    """A test of the loaded trace (its events, its full summary or its findings)."""

    needs_events = True

    def __init__(self, test: Callable[[Deep], bool], cost: int) -> None:
        self.test = test
        self.cost = cost

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        return self.test(load())


class _Body(Filter):
    needs_events = True
    cost = LINES

    def __init__(self, text: bytes, side: str = "") -> None:
        self.text = text
        self.side = side
        # Printable ASCII other than quote and backslash is written as is in a
        # JSON line, so a line without it cannot hold it, unless it is base64.
        plain = all(0x20 <= byte < 0x7F and byte not in b'"\\' for byte in text)
        self.pattern = re.compile(re.escape(text), re.IGNORECASE) if plain and text else None

    def __repr__(self) -> str:
        return f"_Body({self.text!r}, {self.side!r})"

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        deep = load()
        if self.pattern is not None and deep.lines is not None:
            search = self.pattern.search
            if not any(search(line) or b'"$base64"' in line for line in deep.lines):
                return False
        needle = self.text
        return any(needle in chunk.lower() for chunk in body_chunks(deep.trace, self.side))


_REQUEST_KINDS = frozenset({"wsgi.input", "asgi.receive"})
_RESPONSE_KINDS = frozenset({"wsgi.body", "wsgi.write", "asgi.send"})


def body_chunks(trace: Trace, side: str = "") -> list[bytes]:
    """Body chunks of a trace as bytes: the request's and the response's, or one `side`.

    Args:
        side: ``"request"`` (what the app read or received), ``"response"``
            (what it sent), or ``""`` for both.
    """
    kinds = {"request": _REQUEST_KINDS, "response": _RESPONSE_KINDS}.get(side, _REQUEST_KINDS | _RESPONSE_KINDS)
    chunks: list[bytes] = []
    for event in trace.events:
        if event.kind not in kinds:
            continue
        data = event.data
        if event.kind.startswith("wsgi."):
            value = data.get("data")
            values = value if isinstance(value, list) else [value]
        else:
            message = data.get("message")
            if not isinstance(message, dict):
                continue
            values = [message.get("body"), message.get("bytes"), message.get("text")]
        for value in values:
            if isinstance(value, bytes):
                chunks.append(value)
            elif isinstance(value, str):
                chunks.append(value.encode("utf-8", "surrogatepass"))
    return chunks


def _header_lines(deep: Deep, side: str) -> list[str]:
    summary = deep.trace.summary  # The index leaves headers out of its summaries; a loaded trace keeps them.
    pairs = []
    if side != "response":
        pairs += summary.request_headers
    if side != "request":
        pairs += summary.response_headers
    return [f"{name}: {value}".lower() for name, value in pairs]


# Operators with an argument.


def _method(arg: str) -> Filter:
    method = arg.upper()
    return _Summary(lambda s: (s.method or "").upper() == method)


def _url(arg: str) -> Filter:
    needle = arg.lower()
    return _Summary(lambda s: needle in s.url.lower(), TEXT)


_STATUS = re.compile(r"^(?:[1-5](?:xx|\d\d)|none)$", re.IGNORECASE)


def _status(arg: str) -> Filter:
    if not _STATUS.match(arg):
        raise FilterError(f"~c wants a status like 404, 5xx or none, not {arg!r}")
    code = arg.lower()
    if code == "none":
        return _Summary(lambda s: s.status is None)
    if code.endswith("xx"):
        family = int(code[0])
        return _Summary(lambda s: s.status is not None and s.status // 100 == family)
    number = int(code)
    return _Summary(lambda s: s.status == number)


def _content_type(attribute: str) -> Callable[[str], Filter]:
    def make(arg: str) -> Filter:
        needle = arg.lower()
        return _Summary(lambda s: needle in (getattr(s, attribute) or "").lower(), TEXT)

    return make


def _headers(side: str) -> Callable[[str], Filter]:
    def make(arg: str) -> Filter:
        needle = arg.lower()
        return _Loaded(lambda deep: any(needle in line for line in _header_lines(deep, side)), EVENTS)

    return make


def _body(side: str) -> Callable[[str], Filter]:
    return lambda arg: _Body(arg.lower().encode("utf-8"), side)


_COMPARISON = re.compile(r"^(<=|>=|<|>)\s*(\d+(?:\.\d+)?)\s*([^\d\s]*)$")
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b,
    ">": lambda a, b: a > b,
    "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b,
}
COMPARATORS = tuple(_COMPARE)
"""What ``~d`` and ``~size`` compare with: ``>`` ``<`` ``>=`` ``<=``."""
TIME_UNITS = {"ns": 1, "us": 1_000, "µs": 1_000, "μs": 1_000, "ms": 1_000_000, "s": 1_000_000_000}
"""Units of ``~d``, in nanoseconds (``µs`` may be typed as ``us``)."""
SIZE_UNITS = {"": 1, "b": 1, "k": 1024, "kb": 1024, "kib": 1024, "m": 1024**2, "mb": 1024**2, "mib": 1024**2,
              "g": 1024**3, "gb": 1024**3, "gib": 1024**3}
"""Units of ``~size``, in bytes: k, m and g are 1024-based, as the list shows sizes (KiB, MiB)."""


def _comparison(code: str, arg: str, units: dict[str, int], wanted: str) -> tuple[Callable[[float, float], bool], float]:
    match = _COMPARISON.match(arg.strip())
    unit = match.group(3).lower() if match else ""
    if match is None or unit not in units:
        raise FilterError(f"{code} wants {wanted}, not {arg!r}")
    return _COMPARE[match.group(1)], float(match.group(2)) * units[unit]


def _duration(arg: str) -> Filter:
    compare, limit = _comparison("~d", arg, {u: n for u, n in TIME_UNITS.items() if u},
                                 "a comparison and a time like >100ms or <=2s (units ns, us, µs, ms, s)")
    return _Summary(lambda s: compare(s.duration_ns, limit))


def _size(arg: str) -> Filter:
    compare, limit = _comparison("~size", arg, SIZE_UNITS, "a comparison and a size like >10k or <=512 (units b, k, m, g)")
    return _Summary(lambda s: compare(s.request_bytes + s.response_bytes, limit))


_HEX_DIGITS = re.compile(r"^[0-9a-f]{1,8}$")


def _worker(arg: str) -> Filter:
    tag = arg.lower()
    if not _HEX_DIGITS.match(tag):
        raise FilterError(f"~w wants a worker's tag or its first hex digits, like 6d29, not {arg!r}")
    return _Summary(lambda s: s.worker.startswith(tag))


def _violation() -> Filter:
    return _Loaded(lambda deep: any(finding.severity in ("error", "warning") for finding in deep.findings), CHECKS)


def _flag(test: Callable[[TraceSummary], bool]) -> Callable[[], Filter]:
    return lambda: _Summary(test)


OPERATORS: tuple[Operator, ...] = (
    Operator("~m", "method (any case)", _method, "METHOD", ("POST",)),
    Operator("~u", "text in the path or query string", _url, "TEXT", ("/api",), cost=TEXT),
    Operator("~c", "status, a class of statuses, or none (no response yet)", _status, "STATUS", ("404", "5xx", "none")),
    Operator("~d", "duration compared with a time (> < >= <=; ns us µs ms s)", _duration, "TIME",
             (">100ms", "<=2s")),
    Operator("~size", "request plus response body bytes compared (> < >= <=; k m g: KiB MiB GiB)", _size, "BYTES",
             (">10k", "<=512")),
    Operator("~t", "text in the response's content type", _content_type("content_type"), "TEXT", ("json",),
             cost=TEXT),
    Operator("~tq", "text in the request's content type", _content_type("request_content_type"), "TEXT",
             ("form",), cost=TEXT),
    Operator("~wsgi", "WSGI traces", _flag(lambda s: s.protocol == "wsgi"), preset="WSGI only"),
    Operator("~asgi", "ASGI traces", _flag(lambda s: s.protocol == "asgi"), preset="ASGI only"),
    Operator("~http", "http scopes (every WSGI trace)", _flag(lambda s: s.scope_type == "http")),
    Operator("~ws", "websocket scopes", _flag(lambda s: s.scope_type == "websocket"), preset="websockets"),
    Operator("~lifespan", "lifespan scopes", _flag(lambda s: s.scope_type == "lifespan")),
    Operator("~w", "worker: the process tag the trace id starts with, or its first hex digits (the worker column)", _worker,
             "TAG", ("6d29",)),
    Operator("~err", "the app raised, answered 5xx, or logged an exception it handled",
             _flag(lambda s: s.error or s.logged_exception or (s.status is not None and s.status >= 500)),
             preset="errors and 5xx"),
    Operator("~log", "the app logged or printed while the request ran (app.log steps)", _flag(lambda s: s.logs > 0),
             preset="requests the app logged in"),
    Operator("~exc", "the app logged an exception it handled (a framework's error log before its 500 page)",
             _flag(lambda s: s.logged_exception), preset="exceptions the app logged"),
    Operator("~live", "not complete: in progress, or cut off", _flag(lambda s: not s.complete),
             preset="in progress or cut off"),
    Operator("~h", "text in a request or response header line (name: value)", _headers(""), "TEXT",
             ('"content-type: text"',), needs_events=True, cost=EVENTS),
    Operator("~hq", "text in a request header line", _headers("request"), "TEXT", ("x-request-id",),
             needs_events=True, cost=EVENTS),
    Operator("~hs", "text in a response header line", _headers("response"), "TEXT", ('"cache-control: no"',),
             needs_events=True, cost=EVENTS),
    Operator("~b", "text in a request or response body (any case)", _body(""), "TEXT", ("hello",),
             needs_events=True, cost=LINES),
    Operator("~bq", "text in the request body", _body("request"), "TEXT", ("user_id",), needs_events=True,
             cost=LINES),
    Operator("~bs", "text in the response body", _body("response"), "TEXT", ("error",), needs_events=True,
             cost=LINES),
    Operator("~violation", "the protocol checks found an error or a warning", _violation, aliases=("~v",),
             needs_events=True, cost=CHECKS, preset="protocol violations"),
)
"""Every operator of the filter language, in the order help lists them."""

GRAMMAR: tuple[tuple[str, str], ...] = (
    ('TEXT  "two words"', "free text: path, query, method, status or trace id"),
    ("!  &  |  ( )", "not, and, or, grouping; two terms side by side mean and"),
)
"""What an expression is made of besides operators."""

_BY_CODE = {code: op for op in OPERATORS for code in (op.code, *op.aliases)}
CODES = tuple(op.code for op in OPERATORS)
"""Every operator's code, in table order."""
HINT = "filter (/): " + " ".join(min((op.code, *op.aliases), key=len) for op in OPERATORS) + "  ! & | ( )"
"""The filter line's placeholder: every operator (its shortest spelling), and how to combine them."""
PRESETS: tuple[tuple[str, str], ...] = tuple((op.preset, op.code) for op in OPERATORS if op.preset)
"""Command palette entries: (title, expression)."""


def help_rows() -> list[tuple[str, str]]:
    """(syntax, meaning) for every operator, then for free text and the combinators."""
    return [(op.syntax, op.help) for op in OPERATORS] + list(GRAMMAR)


def unknown_message(word: str) -> str:
    """What the parser says about an operator it does not know."""
    return f"unknown filter {word!r} (one of {' '.join(CODES)})"


# Parsing.

_TOKEN = re.compile(r"""\s*(?:(?P<op>[!&|()])|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<word>[^\s!&|()"']+))""")


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            rest = text[position:].strip()
            raise FilterError(f"unclosed quote in {rest!r}")
        position = match.end()
        if match.group("op"):
            tokens.append(("op", match.group("op")))
        elif match.group("word") is not None:
            tokens.append(("word", match.group("word")))
        else:
            tokens.append(("text", match.group("dq") if match.group("dq") is not None else match.group("sq")))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def parse(self) -> Filter:
        node = self.or_()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_(self) -> Filter:
        parts = [self.and_()]
        while self.peek() == ("op", "|"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else _Group(parts, any_part=True)

    def and_(self) -> Filter:
        parts = [self.not_()]
        while True:
            token = self.peek()
            if token == ("op", "&"):
                self.take()
                parts.append(self.not_())
            elif token is not None and token not in (("op", "|"), ("op", ")")):
                parts.append(self.not_())
            else:
                break
        return parts[0] if len(parts) == 1 else _Group(parts)

    def not_(self) -> Filter:
        if self.peek() == ("op", "!"):
            self.take()
            return _Not(self.not_())
        return self.atom()

    def atom(self) -> Filter:
        token = self.peek()
        if token is None:
            raise FilterError("expression ends too early")
        kind, value = self.take()
        if kind == "op":
            if value == "(":
                node = self.or_()
                if self.peek() != ("op", ")"):
                    raise FilterError("missing ')'")
                self.take()
                return node
            raise FilterError(f"unexpected {value!r}")
        if kind == "word" and value.startswith("~"):
            operator = _BY_CODE.get(value.lower())
            if operator is None:
                raise FilterError(unknown_message(value))
            if not operator.arg:
                return operator.make()
            return operator.make(self.argument(operator, value))
        return _free_text(value)

    def argument(self, operator: Operator, written: str) -> str:
        token = self.peek()
        if token is None or token[0] == "op":
            raise FilterError(f"{written} needs a value, e.g. {operator.code} {operator.examples[0]}")
        arg = self.take()[1]
        # "~d > 100ms": a comparison written with a space after its sign.
        if arg in COMPARATORS and (following := self.peek()) is not None and following[0] != "op":
            arg += self.take()[1]
        return arg


def _free_text(text: str) -> Filter:
    needle = text.lower()

    def test(s: TraceSummary) -> bool:
        return (
            needle in s.url.lower()
            or needle == (s.method or "").lower()
            or needle == str(s.status)
            or needle in s.id.lower()
        )

    return _Summary(test, TEXT)


def parse(text: str) -> Filter | None:
    """Compile a filter expression; None for an empty one.

    Raises:
        FilterError: The expression is not valid; the message says why in one line.
    """
    tokens = _tokens(text)
    if not tokens:
        return None
    return _Parser(tokens).parse()
