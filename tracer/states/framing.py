"""How the server will frame a response: Content-Length or chunked, keep-alive or close, and what HEAD and 304 change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from ..summary import header_pairs

Body = Literal["none", "content-length", "chunked", "close", "frames"]


@dataclass(frozen=True, slots=True)
class Framing:
    """How the response's end will be known, and whether the connection outlives it.

    Attributes:
        body: ``"none"`` (HEAD, 1xx, 204, 304: no body at all), ``"content-length"``
            (exactly that many bytes), ``"chunked"`` (HTTP/1.1 ``Transfer-Encoding:
            chunked``), ``"close"`` (the body ends when the connection closes) or
            ``"frames"`` (HTTP/2 and HTTP/3 frame the body themselves).
        length: The response's Content-Length, or None.
        keep_alive: The connection can carry the client's next request.
        says: The same, in sentences.
    """

    body: Body
    length: int | None
    keep_alive: bool
    says: tuple[str, ...]


def lowered_headers(headers: Any) -> tuple[tuple[str, str], ...]:
    """Recorded response headers as (lowercase name, value) text pairs, skipping malformed items."""
    return tuple((name.lower(), value) for name, value in header_pairs(headers))


def frame(
    *,
    protocol: str,
    method: str | None,
    http_version: str | None,
    request_connection: str | None,
    status: int | None,
    headers: Sequence[tuple[str, str]],
) -> Framing:
    """How a server frames a response with this status and these headers.

    Args:
        protocol: ``"wsgi"`` or ``"asgi"``.
        method: The request method.
        http_version: ``"1.0"``, ``"1.1"``, ``"2"`` or ``"3"`` (``"1.1"`` when unknown).
        request_connection: The request's Connection header, or None.
        status: The response status, or None.
        headers: The response headers as (lowercase name, value) pairs.
    """
    version = http_version if http_version in ("1.0", "1.1", "2", "3") else "1.1"
    lengths = {value.strip() for name, value in headers if name == "content-length"}
    length = int(next(iter(lengths))) if len(lengths) == 1 and next(iter(lengths)).isdigit() else None
    says: list[str] = []
    no_body = _no_body(method, status)
    body: Body
    if no_body is not None:
        body = "none"
        says.append(no_body)
    elif version in ("2", "3"):
        body = "frames"
        says.append(f"HTTP/{version} frames the body itself and marks its end, so neither Content-Length nor "
                    "chunked encoding is needed to delimit it.")
    elif length is not None:
        body = "content-length"
        says.append(f"Content-Length: {length}: the server sends exactly {length} body "
                    f"byte{'' if length == 1 else 's'}, and the client knows where the response ends.")
    elif version == "1.1":
        body = "chunked"
        says.append("No Content-Length: on HTTP/1.1 the server sends the body with Transfer-Encoding: chunked, "
                    "one chunk per piece, and ends it with an empty chunk.")
        if protocol == "wsgi":
            says.append("PEP 3333 also lets a server compute Content-Length when the iterable has a single item, "
                        "or close the connection to end the body.")
    else:
        body = "close"
        says.append("No Content-Length on HTTP/1.0, which has no chunked encoding: the server ends the body by "
                    "closing the connection.")
    if protocol == "asgi" and any(name == "transfer-encoding" for name, _ in headers):
        says.append("The app's Transfer-Encoding header is ignored: the server chooses the framing itself.")
    keep_alive, why = _keep_alive(version, body, request_connection, headers)
    says.append(why)
    return Framing(body, length, keep_alive, tuple(says))


def _no_body(method: str | None, status: int | None) -> str | None:
    if method == "HEAD":
        return ("A response to HEAD has no body: the server sends the status and headers only and drops any body "
                "the app produces. A Content-Length there gives the size a GET would have.")
    if status == 304:
        return ("A 304 Not Modified has no body: the client reuses its cached copy. A Content-Length there gives "
                "the size a 200 would have.")
    if status == 204:
        return "A 204 No Content has no body, and no Content-Length."
    if status is not None and 100 <= status < 200:
        return f"A {status} response is informational: no body, and the final response follows."
    return None


def _keep_alive(
    version: str, body: Body, request_connection: str | None, headers: Sequence[tuple[str, str]]
) -> tuple[bool, str]:
    if version in ("2", "3"):
        return True, f"HTTP/{version} carries many requests at once on one connection; this one ends its own stream."
    if body == "close":
        return False, "The connection closes after this response."
    asked = {token.strip().lower() for token in (request_connection or "").split(",")}
    answered = {token.strip().lower() for name, value in headers if name == "connection" for token in value.split(",")}
    if "close" in asked:
        return False, "The client sent Connection: close, so the server closes the connection after this response."
    if "close" in answered:
        return False, "The response says Connection: close, so the connection closes after it."
    if version == "1.0" and "keep-alive" not in asked:
        return False, "An HTTP/1.0 client that did not ask for keep-alive gets the connection closed after the response."
    return True, "The connection stays open for the client's next request (keep-alive)."
