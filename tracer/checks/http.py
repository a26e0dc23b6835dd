"""HTTP semantics of a response, checked the same way for WSGI and ASGI traces."""

from __future__ import annotations

from dataclasses import dataclass, field

from .findings import Collector

# RFC 9110 §15.4.5: a 304 carries only what guides cache updates. Content-Length
# and Last-Modified are allowed there (Werkzeug's lint flags them; RFC 9110 does not).
_NOT_IN_304 = frozenset({"content-type", "content-encoding", "content-language", "content-range", "content-md5", "allow"})


@dataclass(slots=True)
class ResponseView:
    """What the HTTP checks need to know about one response, from either protocol.

    Attributes:
        method: The request method.
        scheme: ``"http"`` or ``"https"``.
        status: The status code, or None if it is not a valid number.
        start_seq: The seq of the event that set the status and headers.
        headers: (lowercase name, value) text pairs.
        chunks: (seq, length) of each non-empty body chunk.
        body_known: False when the server sent bytes the trace could not see (file wrapper, pathsend).
        finished: The body ended normally (no exception, no disconnect, not cut short).
        end_seq: The seq where the body was complete.
    """

    method: str | None
    scheme: str | None
    status: int | None
    start_seq: int
    headers: list[tuple[str, str]]
    chunks: list[tuple[int, int]] = field(default_factory=list)
    body_known: bool = True
    finished: bool = True
    end_seq: int = 0


def no_body_status(status: int | None) -> bool:
    """Whether HTTP forbids a body with this status (1xx, 204, 304)."""
    return status is not None and (100 <= status < 200 or status in (204, 304))


def check_response(view: ResponseView, out: Collector) -> None:
    """Report the HTTP-level mistakes of one response."""
    status, seq, headers = view.status, view.start_seq, view.headers
    names = [name for name, _ in headers]
    body_bytes = sum(length for _, length in view.chunks)
    first_chunk = view.chunks[0][0] if view.chunks else None

    if no_body_status(status) and first_chunk is not None:
        size = f"{body_bytes} byte{'' if body_bytes == 1 else 's'}"
        out.add("http-body-forbidden", first_chunk, f"a {status} response has a body ({size})")
    elif view.method == "HEAD" and first_chunk is not None:
        out.add("http-head-body", first_chunk)

    _check_content_length(view, out, body_bytes)

    if status is not None and (100 <= status < 200 or status == 204):
        for name, value in headers:
            if name == "content-length" and value.strip() != "0":
                out.add("http-no-body-content-length", seq, f"a {status} response has Content-Length: {value}")
    if status == 304:
        for name in names:
            if name in _NOT_IN_304:
                out.add("http-304-representation-header", seq, f"a 304 response carries {name!r}")

    content_types = [value for name, value in headers if name == "content-type"]
    if len(content_types) > 1:
        out.add("http-content-type-duplicate", seq)
    if status in (204, 304) and content_types:
        out.add("http-content-type-no-body", seq, f"a {status} response has a Content-Type")
    if not content_types and body_bytes and not no_body_status(status) and view.method != "HEAD":
        out.add("http-content-type-missing", seq)
    for value in content_types[:1]:
        media = value.split(";")[0].strip().lower()
        if media.startswith("text/") and media != "text/event-stream" and "charset" not in value.lower():
            out.add("http-charset-missing", seq, f"Content-Type {value!r} has no charset")

    for name, value in headers:
        if name == "etag":
            tag = value[2:] if value.startswith(("W/", "w/")) else value
            if value.startswith("w/") or not (len(tag) >= 2 and tag[0] == tag[-1] == '"'):
                out.add("http-etag-unquoted", seq, f"the ETag {value!r} is not a quoted string")
        elif name == "location" and "://" not in value and not value.startswith("//"):
            out.add("http-location-relative", seq, f"Location {value!r} is relative")

    if view.scheme == "http":
        for name, value in headers:
            if name == "set-cookie" and value != "[redacted]":
                attributes = {part.strip().split("=")[0].lower() for part in value.split(";")[1:]}
                if "secure" not in attributes:
                    out.add("http-cookie-insecure", seq, f"cookie {value.split('=')[0].strip()!r} is set without Secure over plain http")
    origin = [v.strip() for n, v in headers if n == "access-control-allow-origin"]
    creds = [v.strip().lower() for n, v in headers if n == "access-control-allow-credentials"]
    if "*" in origin and "true" in creds:
        out.add("http-cors-credentials-wildcard", seq)


def _check_content_length(view: ResponseView, out: Collector, body_bytes: int) -> None:
    values = [value.strip() for name, value in view.headers if name == "content-length"]
    if not values:
        return
    if len(set(values)) != 1 or not values[0].isdigit():
        out.add("http-content-length-invalid", view.start_seq, f"Content-Length is {', '.join(map(repr, values))}")
        return
    declared = int(values[0])
    if not view.body_known or view.method == "HEAD" or no_body_status(view.status):
        return
    total = 0
    for chunk_seq, length in view.chunks:
        total += length
        if total > declared:
            out.add(
                "http-content-length-mismatch",
                chunk_seq,
                f"Content-Length is {declared} but the body reached {total} bytes here",
            )
            return
    if view.finished and total < declared:
        out.add(
            "http-content-length-mismatch",
            view.end_seq,
            f"Content-Length is {declared} but the body ended after {total} bytes",
        )
