"""Header helpers shared by the WSGI, ASGI and HTTP checks."""

from __future__ import annotations

import re
from typing import Any

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
