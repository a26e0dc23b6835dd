"""One plain sentence per step: what this event means in the protocol.

Shown under the step's heading in the replay (and by any text view of a
trace), so a developer who has never read PEP 3333 or the ASGI spec learns
the protocol by stepping through a real exchange. `tracer.spec` gives the
rules each step is under, with the sections they come from.
"""

from __future__ import annotations

from typing import Any

from .model import Event

WSGI = {
    "wsgi.environ": "The server called the app: app(environ, start_response). The environ holds the request "
                    "as CGI keys and HTTP_* headers, plus the wsgi.* keys.",
    "wsgi.input": "The app read the request body from environ['wsgi.input'], the stream the server gave it.",
    "wsgi.start_response": "The app chose the status and headers. Nothing is sent yet: the server sends them "
                           "with the first body chunk.",
    "wsgi.write": "The app called write(), the legacy callable start_response returns: the bytes go out at once, "
                  "before any chunk of the iterable.",
    "wsgi.errors": "The app wrote to environ['wsgi.errors'], the server's error log.",
    "wsgi.body": "The server took the next chunk from the iterable the app returned and sent it to the client. "
                 "A server sends each chunk as it comes: a single chunk means the whole body arrives at once.",
    "wsgi.close": "The server called close() on the iterable, as PEP 3333 requires once it is done with it "
                  "(even after an error).",
    "wsgi.error": "An exception escaped the app.",
    "wsgi.end": "The server is done with this request: the status it kept and the body bytes it was given.",
}

ASGI_MESSAGES = {
    "http.request": "A piece of the request body.",
    "http.disconnect": "The client went away (or the response is complete): receive() has nothing more to give.",
    "http.response.start": "The status and headers. Nothing is sent until the first http.response.body.",
    "http.response.body": "A piece of the response body, sent as soon as the app sends it.",
    "http.response.trailers": "Trailing headers, after the body.",
    "websocket.connect": "A client asks to open a websocket; the app must accept or close it.",
    "websocket.accept": "The app accepted the websocket: the handshake completes.",
    "websocket.receive": "A message from the client, text or bytes.",
    "websocket.send": "A message to the client, text or bytes.",
    "websocket.close": "The app closes the websocket (before accepting it: the server refuses the handshake).",
    "websocket.disconnect": "The websocket is closed, by the client or the server.",
    "websocket.http.response.start": "Instead of accepting, the app answers the handshake with an HTTP response.",
    "websocket.http.response.body": "The body of the HTTP response that refuses the websocket.",
    "lifespan.startup": "The server is starting: the app may set up (connect to a database...) and must answer.",
    "lifespan.startup.complete": "The app is ready: the server starts taking requests.",
    "lifespan.startup.failed": "The app could not start: the server stops.",
    "lifespan.shutdown": "The server is stopping: the app may clean up and must answer.",
    "lifespan.shutdown.complete": "The app has cleaned up.",
    "lifespan.shutdown.failed": "The app could not clean up.",
}

_MORE_BODY = {
    "http.request": ("more_body is False: this is the last piece, the whole body has arrived.",
                     "more_body is True: more pieces follow."),
    "http.response.body": ("more_body is False: this ends the response.",
                           "more_body is True: more pieces follow."),
}
"""The sentence that says what this message's own more_body means: (when False, when True)."""

ASGI = {
    "asgi.scope": "The server called the app: await app(scope, receive, send). The scope describes the connection; "
                  "every message after this goes through receive() or send().",
    "asgi.error": "An exception escaped the app.",
    "asgi.end": "The app's coroutine returned: the server is done with this connection.",
}


_APP_LOG = {
    "logging": "The app logged a record while this request ran: not part of the protocol, but what the app said "
               "about it (its logging configuration decides which records reach the trace).",
    "stdout": "The app printed this line to stdout while this request ran: not part of the protocol.",
    "stderr": "The app wrote this line to stderr while this request ran: not part of the protocol.",
}
_LOGGED_EXCEPTION = (" It carries an exception the app or its framework caught and logged, as Django and Flask do "
                     "before they answer 500: the app did not raise, so the trace has no error event.")


RAISED_END = {
    "asgi.end": "The app raised instead of returning: the exception an earlier step shows ended its coroutine, "
                "and the server is done with this connection.",
    "wsgi.end": "The server is done with this request after the app raised (an earlier step shows the exception): "
                "the status it kept and the body bytes it was given.",
}
"""The end event's sentence when an exception escaped the app before it."""


def explain(event: Event, *, raised: bool = False) -> str:
    """What `event` means, in one or two plain sentences; "" for kinds it does not know.

    `raised` says an exception escaped the app before this event (an error event
    came first): the end event then says the app raised, not that it returned.
    """
    if raised and event.kind in RAISED_END:
        return RAISED_END[event.kind]
    if event.kind == "app.log":
        data: Any = event.data if isinstance(event.data, dict) else {}
        sentence = _APP_LOG.get(data.get("source"), _APP_LOG["logging"])
        return sentence + _LOGGED_EXCEPTION if data.get("exception") else sentence
    if event.kind in WSGI:
        return WSGI[event.kind]
    if event.kind in ASGI:
        return ASGI[event.kind]
    if event.kind in ("asgi.receive", "asgi.send"):
        message: Any = event.data.get("message") if isinstance(event.data, dict) else None
        kind = message.get("type") if isinstance(message, dict) else None
        direction = "The app awaited receive(): " if event.kind == "asgi.receive" else "The app awaited send(): "
        text = ASGI_MESSAGES.get(kind, "") if isinstance(kind, str) else ""
        if text and kind in _MORE_BODY:
            text += " " + _MORE_BODY[kind][bool(message.get("more_body", False))]
        return direction + text[:1].lower() + text[1:] if text else ""
    return ""
