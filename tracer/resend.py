"""Send a recorded HTTP request again to a running app (the library side of ``tracer resend``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, TYPE_CHECKING
from urllib.parse import urlsplit

from .exporters._http import Exchange, exchange
from .exporters.client_code import LEFT_TO_THE_CLIENT
from .model import Trace
from .redact import REDACTED

if TYPE_CHECKING:
    import httpx

_HANDSHAKE = frozenset({"upgrade", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions", "sec-websocket-protocol"})


def request_headers(
    ex: Exchange, supplied: Sequence[tuple[str, str]] = (), *, websocket: bool = False, warn: IO[str] | None = None,
) -> list[tuple[str, str]]:
    """The recorded headers to send: without those the client sets, the replaced and the redacted ones, plus `supplied`.

    A redacted header is left out; with `warn`, a line saying so is written there.
    """
    replaced = {name.lower() for name, _ in supplied}
    skipped = LEFT_TO_THE_CLIENT | (_HANDSHAKE if websocket else frozenset())
    headers = []
    for name, value in ex.request_headers:
        if name.lower() in skipped or name.lower() in replaced:
            continue
        if value == REDACTED:
            if warn is not None:
                print(f"tracer: warning: {name} was redacted in the recording and is not sent; "
                      f"supply it with --header '{name}: …'", file=warn)
            continue
        headers.append((name, value))
    return headers + list(supplied)


def target_url(ex: Exchange, base: str, scheme: str | None = None) -> str:
    """The recorded request's path and query under `base` (``http://HOST:PORT``), with `scheme` if given."""
    parts = urlsplit(ex.url)
    url = base.rstrip("/") + parts.path + (f"?{parts.query}" if parts.query else "")
    return url if scheme is None else scheme + url[url.index(":"):]


def sendable(trace: Trace) -> Exchange:
    """The exchange of an HTTP trace that can be sent again.

    Raises:
        ValueError: A websocket or lifespan trace, or one whose request body was cut short.
    """
    if trace.scope_type == "websocket":
        raise ValueError(f"trace {trace.id} is a websocket session: only HTTP requests can be re-sent here (use tracer resend)")
    ex = exchange(trace)
    if ex is None:
        raise ValueError(f"trace {trace.id} is a {trace.scope_type} trace: there is no request to send")
    if ex.request_truncated:
        raise ValueError(f"trace {trace.id} kept only part of the request body (max_body_bytes): it cannot be sent again")
    return ex


def send_again(
    trace: Trace, base_url: str, *, timeout: float = 10.0, headers: Sequence[tuple[str, str]] = (),
    warn: IO[str] | None = None,
) -> httpx.Response:
    """Send `trace`'s recorded HTTP request to the app at `base_url` (``http://HOST:PORT``) and return the response.

    The response is read; its body bytes as the app sent them (before any
    content-encoding is undone) are in ``response.extensions["raw_body"]``.
    `headers` replace or add to the recorded ones; redacted ones are left out
    (said on `warn`, if given). Redirects are not followed.

    Raises:
        ValueError: `trace` is not an HTTP request that can be sent again (a websocket, say).
        httpx.HTTPError: The app could not be reached or did not answer within `timeout` seconds.
    """
    import httpx

    ex = sendable(trace)
    sent = request_headers(ex, headers, warn=warn)
    body = bytes(ex.request_body)
    with httpx.Client(timeout=timeout, follow_redirects=False) as client:
        with client.stream(ex.method, target_url(ex, base_url), headers=sent, content=body or None) as streamed:
            raw = b"".join(streamed.iter_raw())
    response = httpx.Response(
        streamed.status_code, headers=streamed.headers, stream=httpx.ByteStream(raw), request=streamed.request,
        extensions={**streamed.extensions, "raw_body": raw},
    )
    response.read()
    return response


__all__ = ["request_headers", "send_again", "sendable", "target_url"]

