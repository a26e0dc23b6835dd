"""A recorded request as a command or code that sends it again: curl, or httpx.

Devtools' "Copy as cURL": the method, URL, request headers and body of the
trace. Headers the trace redacted cannot be sent as they were; they are
written with the value ``[redacted]`` and named in a comment, so the person
pasting knows what to fill in. Headers a client computes itself (Host,
Content-Length) are left to the client.
"""

from __future__ import annotations

import shlex

from ..model import Trace
from ..redact import REDACTED
from ._http import Exchange, exchange

LEFT_TO_THE_CLIENT = frozenset({"host", "content-length", "connection", "transfer-encoding"})
"""Request headers a client works out itself, left out when a recorded request is sent again."""


def _request(trace: Trace) -> Exchange:
    ex = exchange(trace)
    if ex is None:
        raise ValueError("a lifespan trace has no request to send")
    return ex


def _headers(ex: Exchange) -> list[tuple[str, str]]:
    return [(name, value) for name, value in ex.request_headers if name.lower() not in LEFT_TO_THE_CLIENT]


def _redacted(headers: list[tuple[str, str]]) -> list[str]:
    return [name for name, value in headers if value == REDACTED]


def as_curl(trace: Trace) -> str:
    """A curl command that sends the recorded request (http traces; a websocket's handshake URL).

    Raises:
        ValueError: A lifespan trace.
    """
    ex = _request(trace)
    headers = _headers(ex)
    words = ["curl"]
    if ex.method != "GET" or ex.request_body:
        words += ["-X", ex.method]
    words.append(ex.url)
    for name, value in headers:
        words += ["-H", f"{name}: {value}"]
    body = bytes(ex.request_body)
    if body:
        try:
            words += ["--data-binary", body.decode("utf-8")]
        except UnicodeDecodeError:
            words += ["--data-binary", "@body.bin"]
    command = " ".join(shlex.quote(word) for word in words)
    notes = []
    if ex.request_truncated:
        notes.append("the trace kept only part of the body")
    if body and "@body.bin" in words:
        notes.append("the body is binary: save it as body.bin")
    redacted = _redacted(headers)
    if redacted:
        notes.append(f"redacted in the trace, fill in: {', '.join(redacted)}")
    return "".join(f"# {note}\n" for note in notes) + command


def as_httpx(trace: Trace) -> str:
    """Python code that sends the recorded request with httpx.

    Raises:
        ValueError: A lifespan trace.
    """
    ex = _request(trace)
    headers = _headers(ex)
    lines = ["import httpx", ""]
    redacted = _redacted(headers)
    if redacted:
        lines.append(f"# redacted in the trace, fill in: {', '.join(redacted)}")
    if ex.request_truncated:
        lines.append("# the trace kept only part of the body")
    lines.append("response = httpx.request(")
    lines.append(f"    {ex.method!r},")
    lines.append(f"    {ex.url!r},")
    if headers:
        lines.append("    headers=[")
        lines += [f"        ({name!r}, {value!r})," for name, value in headers]
        lines.append("    ],")
    if ex.request_body:
        lines.append(f"    content={bytes(ex.request_body)!r},")
    lines.append(")")
    lines.append("print(response.status_code, response.text)")
    return "\n".join(lines) + "\n"
