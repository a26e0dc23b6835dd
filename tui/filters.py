"""The request list's filter language, in the spirit of mitmproxy's.

    ~m POST            method (any case)
    ~u /api            text in the path or query string
    ~c 404  ~c 5xx     status code, or a class of them; ~c none: no response yet
    ~wsgi ~asgi        protocol
    ~http ~ws ~lifespan  scope type
    ~err               the app raised, or answered 5xx
    ~live              not complete yet (in progress or cut off)
    ~b TEXT            text inside a request or response body
    ~violation         the protocol checks found an error or warning (alias ~v)
    TEXT               free text: method, path, query, status or trace id
    !  &  |  ( )       not, and, or, grouping; juxtaposition means and

`parse` turns an expression into a `Filter`; a bad expression raises
`FilterError` with a one-line message. Filters that need the events of a
trace (``~b``, ``~violation``) say so with `needs_events`, and get them
through the `load` callable passed to `matches`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tracer.model import Trace

if TYPE_CHECKING:
    from tracer.summary import TraceSummary

Loader = Callable[[], "Deep"]


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

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        """Whether the trace passes; `load` returns its events when needed."""
        raise NotImplementedError


@dataclass(slots=True)
class _Not(Filter):
    inner: Filter

    @property
    def needs_events(self) -> bool:  # type: ignore[override]
        return self.inner.needs_events

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        return not self.inner.matches(summary, load)


@dataclass(slots=True)
class _Group(Filter):
    """Parts joined by ``&`` (every part must match) or ``|`` (any part)."""

    parts: list[Filter]
    any_part: bool = False

    @property
    def needs_events(self) -> bool:  # type: ignore[override]
        return any(part.needs_events for part in self.parts)

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        results = (p.matches(summary, load) for p in self.parts)
        return any(results) if self.any_part else all(results)


@dataclass(slots=True)
class _Simple(Filter):
    test: Callable[[TraceSummary], bool]

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        return self.test(summary)


class _Body(Filter):
    needs_events = True

    def __init__(self, text: bytes) -> None:
        self.text = text
        # Printable ASCII other than quote and backslash is written as is in a
        # JSON line, so a line without it cannot hold it, unless it is base64.
        plain = all(0x20 <= byte < 0x7F and byte not in b'"\\' for byte in text)
        self.pattern = re.compile(re.escape(text), re.IGNORECASE) if plain and text else None

    def __repr__(self) -> str:
        return f"_Body({self.text!r})"

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        deep = load()
        if self.pattern is not None and deep.lines is not None:
            search = self.pattern.search
            if not any(search(line) or b'"$base64"' in line for line in deep.lines):
                return False
        needle = self.text
        return any(needle in chunk.lower() for chunk in body_chunks(deep.trace))


@dataclass(slots=True)
class _Violation(Filter):
    needs_events = True  # type: ignore[misc]

    def matches(self, summary: TraceSummary, load: Loader) -> bool:
        return any(finding.severity in ("error", "warning") for finding in load().findings)


def body_chunks(trace: Trace) -> list[bytes]:
    """Every request and response body chunk of a trace, as bytes."""
    chunks: list[bytes] = []
    for event in trace.events:
        data = event.data
        if event.kind in ("wsgi.body", "wsgi.write", "wsgi.input"):
            value = data.get("data")
            values = value if isinstance(value, list) else [value]
        elif event.kind in ("asgi.send", "asgi.receive"):
            message = data.get("message")
            if not isinstance(message, dict):
                continue
            values = [message.get("body"), message.get("bytes"), message.get("text")]
        else:
            continue
        for value in values:
            if isinstance(value, bytes):
                chunks.append(value)
            elif isinstance(value, str):
                chunks.append(value.encode("utf-8", "surrogatepass"))
    return chunks


_TOKEN = re.compile(r"""\s*(?:(?P<op>[!&|()])|"(?P<dq>[^"]*)"|'(?P<sq>[^']*)'|(?P<word>[^\s!&|()"']+))""")
_FLAGS_WITH_ARG = {"~m", "~u", "~c", "~b"}
_FLAGS = {"~wsgi", "~asgi", "~http", "~ws", "~lifespan", "~err", "~live", "~violation", "~v"}
_STATUS = re.compile(r"^(?:[1-5](?:xx|\d\d)|none)$", re.IGNORECASE)


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
        return parts[0] if len(parts) == 1 else _Group(_cheap_first(parts), any_part=True)

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
        return parts[0] if len(parts) == 1 else _Group(_cheap_first(parts))

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
            flag = value.lower()
            if flag in _FLAGS:
                return _flag(flag)
            if flag in _FLAGS_WITH_ARG:
                token = self.peek()
                if token is None or token[0] == "op":
                    raise FilterError(f"{value} needs a value, e.g. {_EXAMPLES[flag]}")
                return _flag_with_arg(flag, self.take()[1])
            raise FilterError(f"unknown filter {value!r} (try ~m ~u ~c ~b ~wsgi ~asgi ~ws ~lifespan ~err)")
        return _free_text(value)


def _cheap_first(parts: list[Filter]) -> list[Filter]:
    """Cheap tests first, so events are read only for traces that might pass."""
    return sorted(parts, key=lambda part: part.needs_events)


_EXAMPLES = {"~m": "~m POST", "~u": "~u /api", "~c": "~c 404 or ~c 5xx", "~b": "~b hello"}


def _flag(flag: str) -> Filter:
    tests: dict[str, Callable[[TraceSummary], bool]] = {
        "~wsgi": lambda s: s.protocol == "wsgi",
        "~asgi": lambda s: s.protocol == "asgi",
        "~http": lambda s: s.scope_type == "http",
        "~ws": lambda s: s.scope_type == "websocket",
        "~lifespan": lambda s: s.scope_type == "lifespan",
        "~err": lambda s: s.error or (s.status is not None and s.status >= 500),
        "~live": lambda s: not s.complete,
    }
    if flag in ("~violation", "~v"):
        return _Violation()
    return _Simple(tests[flag])


def _flag_with_arg(flag: str, arg: str) -> Filter:
    if flag == "~m":
        method = arg.upper()
        return _Simple(lambda s: (s.method or "").upper() == method)
    if flag == "~u":
        needle = arg.lower()
        return _Simple(lambda s: needle in s.url.lower())
    if flag == "~b":
        return _Body(arg.lower().encode("utf-8"))
    if not _STATUS.match(arg):
        raise FilterError(f"~c wants a status like 404, 5xx or none, not {arg!r}")
    code = arg.lower()
    if code == "none":
        return _Simple(lambda s: s.status is None)
    if code.endswith("xx"):
        family = int(code[0])
        return _Simple(lambda s: s.status is not None and s.status // 100 == family)
    number = int(code)
    return _Simple(lambda s: s.status == number)


def _free_text(text: str) -> Filter:
    needle = text.lower()

    def test(s: TraceSummary) -> bool:
        return (
            needle in s.url.lower()
            or needle == (s.method or "").lower()
            or needle == str(s.status)
            or needle in s.id.lower()
        )

    return _Simple(test)


def parse(text: str) -> Filter | None:
    """Compile a filter expression; None for an empty one.

    Raises:
        FilterError: The expression is not valid; the message says why in one line.
    """
    tokens = _tokens(text)
    if not tokens:
        return None
    return _Parser(tokens).parse()
