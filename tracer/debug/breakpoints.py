"""Breakpoints: a filter of the request list's language, and the events to hold at.

    ~u /stream @ http.response.body          hold each streamed chunk of /stream
    ~m POST @ http.request, wsgi.input       hold each piece of a POST's body as the app reads it
    ~c 5xx @ http.response.start             hold a response about to start with a 5xx status
    ~ws @ websocket.*                        hold every websocket message, both ways
    ~u /admin                                hold the request at its first event (before the app runs)

The syntax is ``[FILTER] [@ KIND[,KIND...]]``. FILTER is the filter language
of `tracer.filters`, evaluated on the summary of the request so far (with the
event about to happen folded in, so ``~c 500 @ http.response.start`` sees the
status the app is sending); an empty filter matches every request. KIND is
an event kind (``wsgi.body``, ``asgi.send``...), an ASGI message type
(``http.response.body``, ``websocket.receive``...), or a prefix ending in
``.*`` (``websocket.*``). Without ``@`` the request is held at its first
event (``wsgi.environ`` / ``asgi.scope``), before the app sees it; a lifespan
scope is held only by a breakpoint that names its kinds.

Filters that read a trace's events are evaluated where a running request
allows it: the header operators (``~h``, ``~hq``, ``~hs``) read the headers
the summary holds; the body operators (``~b``, ``~bq``, ``~bs``) and
``~violation`` need the whole trace and are refused with a one-line message.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .. import filters
from ..errors import UsageError
from ..spec import MESSAGES
from .syntax import EXAMPLES, HOLD_KINDS, SYNTAX

FIRST_KINDS = frozenset({"wsgi.environ", "asgi.scope"})
"""The first event of a request: where a breakpoint without ``@`` holds it."""

MESSAGE_TYPES: tuple[str, ...] = tuple(MESSAGES)
"""The ASGI message types a breakpoint can name."""

_KNOWN = frozenset(HOLD_KINDS) | frozenset(MESSAGE_TYPES)
_PREFIXES = frozenset(name.rsplit(".", i)[0] for name in _KNOWN for i in range(1, name.count(".") + 1))

_FROM_SUMMARY = frozenset({"~h", "~hq", "~hs"})
"""Operators that read events in the list but whose answer a running request's summary holds (its headers)."""

class BreakpointError(UsageError):
    """A breakpoint that does not parse; the message names the bad part in one line."""


_ids = itertools.count(1)


@dataclass(frozen=True, slots=True)
class Breakpoint:
    """A parsed breakpoint.

    Attributes:
        text: As written (stripped).
        filter: The compiled filter, or None for every request.
        kinds: The event kinds, message types and ``prefix.*`` patterns after ``@``;
            empty for a breakpoint that holds a request at its first event.
        id: Unique within the process, for removing it.
    """

    text: str
    filter: filters.Filter | None
    kinds: tuple[str, ...]
    id: int = 0

    def wants(self, kind: str, message_type: Any) -> bool:
        """Whether an event of `kind` (an ASGI message of `message_type`) is one this breakpoint holds at."""
        if not self.kinds:
            return kind in FIRST_KINDS
        for wanted in self.kinds:
            if wanted == kind or wanted == message_type:
                return True
            if wanted[-1] == "*":
                prefix = wanted[:-1]
                if kind.startswith(prefix) or (isinstance(message_type, str) and message_type.startswith(prefix)):
                    return True
        return False

    def matches(self, summary: Any) -> bool:
        """Whether the request whose summary so far is `summary` passes the filter."""
        chosen = self.filter
        if chosen is None:
            return True
        try:
            return chosen.matches(summary, _SummaryOnly(summary).load)
        except Exception:  # noqa: BLE001 - a filter that trips over odd data holds nothing
            return False


def parse_breakpoint(text: str) -> Breakpoint:
    """Parse ``[FILTER] [@ KIND[,KIND...]]``.

    Raises:
        BreakpointError: One line naming the bad part.
    """
    written = text.strip()
    if not written:
        raise BreakpointError(f"empty breakpoint; write {SYNTAX}, e.g. {EXAMPLES[0][0]!r}")
    where = _at_sign(written)
    expression, kinds_text = (written, None) if where is None else (written[:where], written[where + 1:])
    kinds = () if kinds_text is None else _kinds(written, kinds_text)
    expression = expression.strip()
    _refuse_event_operators(written, expression)
    try:
        compiled = filters.parse(expression) if expression else None
    except filters.FilterError as exc:
        raise BreakpointError(f"breakpoint {written!r}: {exc}") from None
    return Breakpoint(written, compiled, kinds, next(_ids))


def parse_breakpoints(texts: Iterable[str]) -> list[Breakpoint]:
    """Parse each of `texts` (for options that repeat); the first bad one raises `BreakpointError`."""
    return [parse_breakpoint(text) for text in texts]


def _at_sign(text: str) -> int | None:
    """Where the ``@`` that starts the kinds is: the last one outside quotes that begins a word."""
    found = None
    quote = ""
    for index, char in enumerate(text):
        if quote:
            if char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char == "@" and (index == 0 or text[index - 1].isspace()):
            found = index
    return found


_KIND_SPLIT = re.compile(r"[,\s]+")


def _kinds(written: str, text: str) -> tuple[str, ...]:
    names = tuple(name for name in _KIND_SPLIT.split(text.strip()) if name)
    if not names:
        raise BreakpointError(f"breakpoint {written!r}: nothing after '@'; name event kinds, e.g. @ http.response.body")
    for name in names:
        if name in _KNOWN:
            continue
        if name.endswith(".*") and name[:-2] in _PREFIXES:
            continue
        raise BreakpointError(f"breakpoint {written!r}: {unknown_kind(name)}")
    return names


def unknown_kind(name: str) -> str:
    """What the parser says about an event kind it does not know."""
    close = difflib.get_close_matches(name, sorted(_KNOWN), n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"unknown event kind {name!r}{hint}; use an event kind ({', '.join(HOLD_KINDS)}), "
        "an ASGI message type (http.response.body, websocket.receive, lifespan.startup...) or a prefix like websocket.*"
    )


def _refuse_event_operators(written: str, expression: str) -> None:
    try:
        tokens = filters._tokens(expression)
    except filters.FilterError:
        return  # The parser gives the message.
    for kind, value in tokens:
        if kind != "word" or not value.startswith("~"):
            continue
        operator = filters._BY_CODE.get(value.lower())
        if operator is None or not operator.needs_events or operator.code in _FROM_SUMMARY:
            continue
        raise BreakpointError(
            f"breakpoint {written!r}: {value} reads the whole trace, which a running request does not have yet; "
            "breakpoints take the operators that read the request so far (~m ~u ~c ~d ~size ~t ~tq ~h ~hq ~hs, "
            "~wsgi ~asgi ~http ~ws ~lifespan ~err ~live, free text)"
        )


class _SummaryOnly:
    """What the header operators load, answered from a running request's summary (which keeps its headers)."""

    __slots__ = ("summary", "lines")

    def __init__(self, summary: Any) -> None:
        self.summary = summary
        self.lines = None

    @property
    def trace(self) -> _SummaryOnly:
        return self

    def load(self) -> _SummaryOnly:
        return self
