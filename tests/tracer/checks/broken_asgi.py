"""Small ASGI apps that each break one rule, with the rule and the event kind where it shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .drivers import http_scope, lifespan_scope, ws_scope

START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
BODY = {"type": "http.response.body", "body": b"hi"}
MORE = {"type": "http.response.body", "body": b"hi", "more_body": True}
CONNECT = {"type": "websocket.connect"}
ACCEPT = {"type": "websocket.accept"}
DISCONNECT = {"type": "websocket.disconnect", "code": 1000}
TRAILERS = {"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")]}
WITH_TRAILERS = {**START, "trailers": True}
TRAILER_EXT = {"extensions": {"http.response.trailers": {}}}


@dataclass
class Case:
    rule: str
    kind: str  # the event kind the finding must point at
    app: Callable[..., Any]
    scope: dict[str, Any] = field(default_factory=http_scope)
    inputs: list[dict[str, Any]] = field(default_factory=list)


def sends(*messages: Any, receive_first: int = 0, receive_after: int = 0) -> Callable[..., Any]:
    """An app that receives `receive_first` messages, sends `messages`, then receives `receive_after`."""

    async def app(scope: Any, receive: Any, send: Any) -> None:
        for _ in range(receive_first):
            await receive()
        for message in messages:
            await send(message)
        for _ in range(receive_after):
            await receive()

    return app


def ws(*messages: Any, receive_after: int = 0) -> Callable[..., Any]:
    """A websocket app that receives websocket.connect, then sends `messages`."""
    return sends(*messages, receive_first=1, receive_after=receive_after)


def headers(*pairs: Any) -> dict[str, Any]:
    return {**START, "headers": list(pairs)}


_CT = (b"content-type", b"text/plain; charset=utf-8")
_WS_IN = [CONNECT]
_WS = {"scope": ws_scope(), "inputs": _WS_IN}
_LIFE = {"scope": lifespan_scope(), "inputs": [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]}
_STARTUP_OK = {"type": "lifespan.startup.complete"}
_SHUTDOWN_OK = {"type": "lifespan.shutdown.complete"}

CASES = [
    # general
    Case("asgi-message-invalid", "asgi.send", sends(START, {"body": b"x"})),
    Case("asgi-unknown-message", "asgi.send", sends(START, {"type": "http.response.content", "body": b"x"}, BODY)),
    Case("asgi-message-value", "asgi.send", sends({**START, "timing": float("nan")}, BODY)),
    Case("asgi-scope-invalid", "asgi.scope", sends(START, BODY), http_scope(method="get")),
    Case("asgi-receive-invalid", "asgi.receive", sends(START, BODY, receive_first=1), inputs=[{"type": "http.request", "body": "text"}]),
    # http
    Case("asgi-body-before-start", "asgi.send", sends(BODY, START, BODY)),
    Case("asgi-start-twice", "asgi.send", sends(START, START, BODY)),
    Case("asgi-send-after-complete", "asgi.send", sends(START, BODY, BODY)),
    Case(
        "asgi-send-after-disconnect",
        "asgi.send",
        sends(START, BODY, receive_first=2),
        inputs=[{"type": "http.request", "body": b""}, {"type": "http.disconnect"}],
    ),
    Case("asgi-no-response", "asgi.end", sends()),
    # Under ASGI 2.3 send() never raises, so nothing but the app can have left the body unfinished.
    Case("asgi-response-incomplete", "asgi.end", sends(START, MORE), http_scope(asgi={"version": "3.0", "spec_version": "2.3"})),
    Case("asgi-status-type", "asgi.send", sends({**START, "status": "200"}, BODY)),
    Case("asgi-status-range", "asgi.send", sends({**START, "status": 999}, BODY)),
    Case("asgi-headers-format", "asgi.send", sends(headers(b"content-type: text/plain"), BODY)),
    Case("asgi-header-type", "asgi.send", sends(headers(("content-type", "text/plain")), BODY)),
    Case("asgi-header-invalid", "asgi.send", sends(headers(_CT, (b"x-name", b"a\r\nset-cookie: x=1")), BODY)),
    Case("asgi-header-case", "asgi.send", sends(headers((b"Content-Type", b"text/plain; charset=utf-8")), BODY)),
    Case("asgi-transfer-encoding", "asgi.send", sends(headers(_CT, (b"transfer-encoding", b"chunked")), BODY)),
    Case("asgi-body-type", "asgi.send", sends(START, {"type": "http.response.body", "body": "hi"})),
    Case("asgi-flag-type", "asgi.send", sends(START, {**BODY, "more_body": 0})),
    Case("asgi-trailers-undeclared", "asgi.send", sends(START, BODY, TRAILERS), http_scope(**TRAILER_EXT)),
    Case("asgi-trailers-before-body-end", "asgi.send", sends(WITH_TRAILERS, MORE, TRAILERS, BODY), http_scope(**TRAILER_EXT)),
    Case("asgi-trailers-unsupported", "asgi.send", sends(WITH_TRAILERS, BODY, TRAILERS)),
    Case("asgi-trailers-missing", "asgi.end", sends(WITH_TRAILERS, BODY), http_scope(**TRAILER_EXT)),
    Case("asgi-extension-unsupported", "asgi.send", sends(START, {"type": "http.response.pathsend", "path": "/etc/hostname"})),
    Case(
        "asgi-extension-fields",
        "asgi.send",
        sends(START, {"type": "http.response.pathsend", "path": b"/etc/hostname"}),
        http_scope(extensions={"http.response.pathsend": {}}),
    ),
    Case(
        "asgi-extension-late",
        "asgi.send",
        sends(START, {"type": "http.response.early_hint", "links": [b"</a.css>; rel=preload"]}, BODY),
        http_scope(extensions={"http.response.early_hint": {}}),
    ),
    # http semantics seen through ASGI
    Case("http-body-forbidden", "asgi.send", sends({**START, "status": 304, "headers": []}, BODY)),
    Case("http-content-length-mismatch", "asgi.send", sends(headers(_CT, (b"content-length", b"1")), BODY)),
    # websocket
    Case("ws-send-before-accept", "asgi.send", ws({"type": "websocket.send", "text": "hi"}, ACCEPT), **_WS),
    Case("ws-accept-before-connect", "asgi.send", sends(ACCEPT, {"type": "websocket.close"}), ws_scope()),
    Case("ws-accept-twice", "asgi.send", ws(ACCEPT, ACCEPT), **_WS),
    Case("ws-send-after-close", "asgi.send", ws(ACCEPT, {"type": "websocket.close"}, {"type": "websocket.send", "text": "x"}), **_WS),
    Case(
        "ws-send-after-disconnect",
        "asgi.send",
        sends(ACCEPT, {"type": "websocket.send", "text": "bye"}, receive_first=2),
        ws_scope(),
        [CONNECT, DISCONNECT],
    ),
    Case("ws-receive-after-disconnect", "asgi.receive", ws(ACCEPT, receive_after=2), ws_scope(), [CONNECT, DISCONNECT, DISCONNECT]),
    Case("ws-payload", "asgi.send", ws(ACCEPT, {"type": "websocket.send", "text": "a", "bytes": b"b"}), **_WS),
    Case("ws-close-code", "asgi.send", ws(ACCEPT, {"type": "websocket.close", "code": 1006}), **_WS),
    Case("ws-close-reason", "asgi.send", ws(ACCEPT, {"type": "websocket.close", "code": 1000, "reason": "x" * 200}), **_WS),
    Case(
        "ws-accept-headers",
        "asgi.send",
        ws({**ACCEPT, "headers": [(b"sec-websocket-protocol", b"chat")]}, {"type": "websocket.close"}),
        ws_scope(subprotocols=["chat"]),
        _WS_IN,
    ),
    Case(
        "ws-subprotocol-unoffered",
        "asgi.send",
        ws({**ACCEPT, "subprotocol": "graphql-ws"}, {"type": "websocket.close"}),
        ws_scope(subprotocols=["chat"]),
        _WS_IN,
    ),
    Case("ws-no-handshake", "asgi.end", ws(), **_WS),
    Case(
        "ws-denial-invalid",
        "asgi.send",
        ws({"type": "websocket.http.response.body", "body": b"no"}),
        ws_scope(extensions={"websocket.http.response": {}}),
        _WS_IN,
    ),
    # lifespan
    Case(
        "lifespan-both-outcomes",
        "asgi.send",
        sends(_STARTUP_OK, {"type": "lifespan.startup.failed", "message": "no"}, receive_first=1),
        **_LIFE,
    ),
    Case("lifespan-duplicate", "asgi.send", sends(_STARTUP_OK, _STARTUP_OK, receive_first=1), **_LIFE),
    Case("lifespan-out-of-order", "asgi.send", sends(_STARTUP_OK), **_LIFE),
    Case("lifespan-startup-no-reply", "asgi.end", sends(receive_first=1), **_LIFE),
    Case("lifespan-shutdown-no-reply", "asgi.end", sends(_STARTUP_OK, receive_first=1, receive_after=1), **_LIFE),
]
