"""Response headers, checked the same way for WSGI (native str) and ASGI (bytes)."""

from __future__ import annotations

import re
from typing import Any, Literal

from .findings import Collector, kind_of

TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
     "transfer-encoding", "upgrade"}
)


def text(value: Any) -> str | None:
    """A header name or value as text (bytes decoded as latin-1), or None if it is neither."""
    if isinstance(value, bytes):
        return value.decode("latin-1")
    if isinstance(value, str):
        return value
    return None


def pairs(headers: Any) -> list[tuple[Any, Any]] | None:
    """The headers as (name, value) pairs, or None if they are not a list of 2-item lists."""
    if not isinstance(headers, list):
        return None
    out = []
    for item in headers:
        if not isinstance(item, list) or len(item) != 2:
            return None
        out.append((item[0], item[1]))
    return out


def normalized(headers: list[tuple[Any, Any]]) -> list[tuple[str, str]]:
    """(lowercase name, value) text pairs, skipping items that are not text."""
    out = []
    for name, value in headers:
        n, v = text(name), text(value)
        if n is not None and v is not None:
            out.append((n.lower(), v))
    return out


def invalid(name: str, value: str) -> str | None:
    """Why a header is malformed (not a token name, control characters in the value), or None."""
    if not TOKEN.fullmatch(name):
        return f"header name {name!r} is not an HTTP token"
    if BAD_VALUE.search(value):
        return f"header {name!r} has a control character in its value {value!r}"
    return None


def check_headers(
    headers: Any, seq: int, out: Collector, protocol: Literal["wsgi", "asgi"], what: str = ""
) -> list[tuple[str, str]]:
    """Check a header list the app sent and return it as (lowercase name, value) text pairs.

    Args:
        headers: The recorded headers: start_response's list (WSGI) or a message's ``headers`` (ASGI).
        seq: The event to report at.
        out: Where findings go.
        protocol: ``"wsgi"`` wants native str names and values, ``"asgi"`` bytes.
        what: Says which headers in a message, e.g. ``"trailer "`` (ASGI).
    """
    asgi = protocol == "asgi"
    items = pairs([] if asgi and headers is None else headers)
    if items is None:
        if asgi:
            out.add("asgi-headers-format", seq, f"the {what}headers are not an iterable of [name, value] pairs")
        else:
            described = f"{kind_of(headers)}, not a list" if not isinstance(headers, list) else "not all (name, value) pairs"
            out.add("wsgi-headers-type", seq, f"the headers are {described}")
        return []
    native, wanted = (bytes, "bytes belong") if asgi else (str, "a str belongs")
    for name, value in items:
        if not isinstance(name, native) or not isinstance(value, native):
            bad = name if not isinstance(name, native) else value
            out.add(f"{protocol}-header-type", seq, f"header {name!r} has {kind_of(bad)} where {wanted}")
            continue
        if asgi:
            problem = invalid(name.decode("latin-1"), value.decode("latin-1"))
        else:
            try:
                name.encode("latin-1")
                value.encode("latin-1")
            except UnicodeEncodeError:
                out.add("wsgi-header-latin1", seq, f"header {name!r}: {value!r} is not latin-1")
            problem = invalid(name, value)
        if problem:
            out.add(f"{protocol}-header-invalid", seq, problem)
        if asgi:
            if name != name.lower():
                out.add("asgi-header-case", seq, f"header name {name!r} is not lowercase")
        elif name.lower() == "status":
            out.add("wsgi-status-header", seq)
        elif name.lower() in HOP_BY_HOP:
            out.add("wsgi-hop-by-hop-header", seq, f"the app set the hop-by-hop header {name!r}")
    return normalized(items)
