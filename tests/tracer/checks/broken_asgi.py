"""Building blocks of small ASGI test apps: common messages, and apps that send them in order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
BODY = {"type": "http.response.body", "body": b"hi"}
MORE = {"type": "http.response.body", "body": b"hi", "more_body": True}
CONNECT = {"type": "websocket.connect"}
ACCEPT = {"type": "websocket.accept"}


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

