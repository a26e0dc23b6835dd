"""How a breakpoint is written and what it can hold at: for help texts, without the parser's imports."""

from __future__ import annotations

HOLD_KINDS: tuple[str, ...] = (
    "wsgi.environ",
    "wsgi.input",
    "wsgi.start_response",
    "wsgi.write",
    "wsgi.body",
    "asgi.scope",
    "asgi.receive",
    "asgi.send",
)
"""The event kinds a request can be held at (the others are the middleware's own or the end)."""

SYNTAX = "[FILTER] [@ KIND[,KIND...]]"
"""How a breakpoint is written."""

EXAMPLES: tuple[tuple[str, str], ...] = (
    ("~u /stream @ http.response.body", "hold each body chunk a /stream response sends"),
    ("~m POST @ http.request,wsgi.input", "hold each piece of a POST's body as the app gets it"),
    ("~c 5xx @ http.response.start,wsgi.start_response", "hold a response about to start with a 5xx status"),
    ("~ws @ websocket.*", "hold every websocket message, both ways"),
    ("~u /admin", "hold the request at its first event, before the app sees it"),
)
"""Breakpoints with what they do, for help texts."""
