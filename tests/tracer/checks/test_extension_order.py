"""When each HTTP extension message may be sent (asgiref's docs/extensions.rst), and what asgi-extension-late says.

- Early Hints: "can be sent at any time (and multiple times) after the Response Start message but
  before the final Response Body message"; yet RFC 8297 hints precede the final response, and the
  servers that offer it (Hypercorn, uvicorn over HTTP/2) accept it only before http.response.start.
- Debug: "must be sent once, before the Response Start message".
- Trailers: after the last body message, when http.response.start said trailers=True.
- Zero Copy Send and Path Send: after Response Start, as (part of) the body.
- Server Push: after Response Start, before the final body.
"""

from __future__ import annotations

import os
import tempfile
from typing import Any

import pytest

from tracer.checks import check_trace

from .conftest import assert_clean
from .drivers import http_scope, run_asgi

START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
BODY = {"type": "http.response.body", "body": b"hi"}
MORE = {"type": "http.response.body", "body": b"one", "more_body": True}
HINT = {"type": "http.response.early_hint", "links": [b"</style.css>; rel=preload; as=style"]}
DEBUG = {"type": "http.response.debug", "info": {"template": "index.html"}}
REQUEST = {"type": "http.request", "body": b"", "more_body": False}
EVERY_EXTENSION = {name: {} for name in (
    "http.response.early_hint", "http.response.debug", "http.response.trailers", "http.response.zerocopysend",
    "http.response.pathsend", "http.response.push")}


def sends(*messages: dict[str, Any]) -> Any:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        for message in messages:
            await send(message)

    return app


async def run(*messages: dict[str, Any]) -> Any:
    return await run_asgi(sends(*messages), http_scope(extensions=EVERY_EXTENSION), [REQUEST])


def found(trace: Any) -> list[tuple[str, int, str]]:
    return [(f.rule, f.seq, f.severity) for f in check_trace(trace) if f.severity != "info"]


@pytest.mark.parametrize(
    "messages",
    [
        (HINT, START, BODY),
        (HINT, HINT, START, BODY),
        (DEBUG, START, BODY),
        ({**START, "trailers": True}, BODY, {"type": "http.response.trailers", "headers": [(b"x-sum", b"1")]}),
        ({**START, "trailers": True}, MORE, BODY, {"type": "http.response.trailers", "headers": [], "more_trailers": True},
         {"type": "http.response.trailers", "headers": [(b"x-sum", b"1")], "more_trailers": False}),
        (START, {"type": "http.response.pathsend", "path": os.path.abspath(__file__)}),
        (START, {"type": "http.response.push", "path": "/style.css", "headers": []}, BODY),
    ],
    ids=["hint-before-start", "two-hints", "debug-before-start", "trailers-after-body", "trailers-in-pieces",
         "pathsend-as-body", "push-before-final-body"],
)
async def test_extension_messages_in_their_place_are_clean(messages: tuple[dict[str, Any], ...]) -> None:
    assert_clean([await run(*messages)])


async def test_zerocopysend_mixed_with_body_messages_is_clean() -> None:
    with tempfile.TemporaryFile() as file:
        file.write(b"x" * 100)
        file.seek(0)
        trace = await run(START, MORE, {"type": "http.response.zerocopysend", "file": file, "count": 50, "more_body": True},
                          {"type": "http.response.zerocopysend", "file": file, "more_body": False})
    assert_clean([trace])


async def test_an_early_hint_after_the_start_is_a_warning_that_says_why() -> None:
    # Allowed by the extension's text, refused by the servers that implement it.
    for messages, seq in (((START, HINT, BODY), 3), ((START, MORE, HINT, BODY), 4)):
        trace = await run(*messages)
        assert found(trace) == [("asgi-extension-late", seq, "warning")]
        message = next(f.message for f in check_trace(trace) if f.rule == "asgi-extension-late")
        assert "RFC 8297" in message and "Hypercorn" in message


async def test_an_early_hint_after_the_final_body_is_an_error() -> None:
    trace = await run({**START, "trailers": True}, BODY, HINT, {"type": "http.response.trailers", "headers": []})
    assert found(trace) == [("asgi-extension-late", 4, "error")]
    assert next(f.message for f in check_trace(trace)).startswith("http.response.early_hint was sent after the final body;")
    # Without trailers the response is complete: the rule for anything sent after it applies.
    assert found(await run(START, BODY, HINT)) == [("asgi-send-after-complete", 4, "error")]


async def test_a_debug_message_after_the_start_is_an_error() -> None:
    trace = await run(START, DEBUG, BODY)
    assert found(trace) == [("asgi-extension-late", 3, "error")]


async def test_starlette_send_early_hints_before_its_response_is_clean() -> None:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def page(request: Request) -> PlainTextResponse:
        await request.send_early_hints("</style.css>; rel=preload; as=style")
        return PlainTextResponse("page")

    app = Starlette(routes=[Route("/", page)])
    trace = await run_asgi(app, http_scope(extensions={"http.response.early_hint": {}}), [REQUEST])
    sent = [e.data["message"]["type"] for e in trace.events if e.kind == "asgi.send"]
    assert sent == ["http.response.early_hint", "http.response.start", "http.response.body"]
    assert_clean([trace])
