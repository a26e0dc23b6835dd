"""The ASGI HTTP exchange: awaiting the request body, body read, response started, streaming, complete, or disconnected."""

from __future__ import annotations

from typing import Any

from ..model import TruncatedBytes
from ..summary import header_value
from ._asgi import END, END_RAISED, MAY_RAISED, SCOPE, MessageFollow
from .framing import lowered_headers
from .machine import ANY_SEND, Machine, Mistake, State, Transition, frozen


class HTTPState(State):
    """Where an ASGI HTTP request is."""

    AWAITING_BODY = "awaiting the request body"
    BODY_READ = "body read"
    STARTED = "response started"
    STREAMING = "streaming"
    TRAILERS = "trailers due"
    COMPLETE = "complete"
    DISCONNECTED = "disconnected"


AWAITING_BODY, BODY_READ, STARTED, STREAMING, TRAILERS, COMPLETE, DISCONNECTED = HTTPState

SENDS = frozenset({"http.response.start", "http.response.body", "http.response.trailers"})
"""The messages an app sends in an http scope."""
RECEIVES = frozenset({"http.request", "http.disconnect"})
"""The messages the server gives the app in an http scope."""
EXTENSIONS = frozenset(
    {"http.response.push", "http.response.zerocopysend", "http.response.pathsend", "http.response.early_hint",
     "http.response.debug"}
)
"""The extension messages an app may send when ``scope["extensions"]`` offers them."""

REQUEST_MORE = "http.request (more_body=True)"
REQUEST_LAST = "http.request"
REQUEST_AGAIN = "http.request (after the last piece)"
DISCONNECT = "http.disconnect"
START = "http.response.start"
BODY_MORE = "http.response.body (more_body=True)"
BODY_LAST = "http.response.body"
BODY_LAST_TRAILERS = "http.response.body (trailers due)"
TRAILERS_MORE = "http.response.trailers (more_trailers=True)"
TRAILERS_LAST = "http.response.trailers"
TRAILERS_UNDECLARED = "http.response.trailers (not declared)"
EARLY_HINT = "http.response.early_hint"
DEBUG = "http.response.debug"
PUSH = "http.response.push"

_UNSTARTED = (AWAITING_BODY, BODY_READ)
_ANSWERING = (STARTED, STREAMING, TRAILERS)
_BODY = (BODY_MORE, BODY_LAST, BODY_LAST_TRAILERS)
_SENT = (START, *_BODY, TRAILERS_MORE, TRAILERS_LAST, TRAILERS_UNDECLARED, EARLY_HINT, DEBUG, PUSH)

MACHINE = Machine(
    name="http",
    title="ASGI HTTP",
    states=tuple(HTTPState),
    triggers=frozen({
        SCOPE: "the server calls await app(scope, receive, send) with an http scope",
        REQUEST_MORE: "receive() returns a piece of the request body, and more follow",
        REQUEST_LAST: "receive() returns the last piece of the request body (more_body=False)",
        REQUEST_AGAIN: "receive() returns http.request after the last piece",
        DISCONNECT: "receive() returns http.disconnect: the client went away, or the response is complete",
        START: "the app sends the status and headers",
        BODY_MORE: "the app sends a piece of the body, and more follow (http.response.zerocopysend too)",
        BODY_LAST: "the app sends the last piece of the body (more_body=False; http.response.pathsend too)",
        BODY_LAST_TRAILERS: "the app sends the last piece of the body, having declared trailers=True",
        TRAILERS_MORE: "the app sends trailing headers, and more follow",
        TRAILERS_LAST: "the app sends the last trailing headers (more_trailers=False)",
        TRAILERS_UNDECLARED: "the app sends trailers without having declared trailers=True",
        EARLY_HINT: "the app sends an early hint (a 103 response with Link headers)",
        DEBUG: "the app sends debug information for a test client",
        PUSH: "the app asks the server to push a resource (HTTP/2)",
        END: "the app returns",
        END_RAISED: "the app's exception ends it",
    }),
    transitions=(
        Transition((), SCOPE, AWAITING_BODY, "The server calls the app; the request body will come through receive()."),
        Transition((AWAITING_BODY,), REQUEST_MORE, None, "A piece of the request body; more follow."),
        Transition((AWAITING_BODY,), REQUEST_LAST, BODY_READ, "The last piece: the whole request body is in."),
        Transition((*_ANSWERING, COMPLETE), REQUEST_MORE, None, "The app reads the request body after answering."),
        Transition((*_ANSWERING, COMPLETE), REQUEST_LAST, None, "The app reads the rest of the request body."),
        Transition(_UNSTARTED, START, STARTED,
                   "The status and headers are set; the server may hold them until the first body piece."),
        Transition((STARTED, STREAMING), BODY_MORE, STREAMING, "The server sends the piece at once; more follow."),
        Transition((STARTED, STREAMING), BODY_LAST, COMPLETE, "The last piece: the response is complete."),
        Transition((STARTED, STREAMING), BODY_LAST_TRAILERS, TRAILERS,
                   "The body is complete; the server waits for the trailers the app declared."),
        Transition((TRAILERS,), TRAILERS_MORE, None, "Trailing headers; more follow."),
        Transition((TRAILERS,), TRAILERS_LAST, COMPLETE, "The last trailers: the response is complete."),
        Transition(_UNSTARTED, EARLY_HINT, None, "The server may send a 103 Early Hints response now."),
        Transition(_UNSTARTED, DEBUG, None, "The test client gets the debug information."),
        Transition((*_UNSTARTED, STARTED, STREAMING), PUSH, None, "The server may push the resource (HTTP/2)."),
        Transition((*_UNSTARTED, *_ANSWERING, COMPLETE), DISCONNECT, DISCONNECTED,
                   "The client has gone (or the response is complete): send() does nothing more, or raises "
                   "OSError (ASGI 2.4)."),
        Transition((DISCONNECTED,), DISCONNECT, None, "receive() keeps returning http.disconnect."),
    ),
    mistakes=(
        Mistake(_UNSTARTED, _BODY, "asgi-body-before-start",
                "Sending http.response.body before http.response.start.", once=True),
        Mistake(_ANSWERING, (START,), "asgi-start-twice", "Sending http.response.start again."),
        Mistake((COMPLETE,), tuple(on for on in _SENT if on != TRAILERS_UNDECLARED), "asgi-send-after-complete",
                "Sending anything more: the response is complete and the server ignores it.", once=True),
        Mistake((*_UNSTARTED, *_ANSWERING, COMPLETE, DISCONNECTED), (TRAILERS_UNDECLARED,),
                "asgi-trailers-undeclared",
                "Sending http.response.trailers when http.response.start did not declare trailers=True.", once=True),
        Mistake((STARTED, STREAMING), (TRAILERS_MORE, TRAILERS_LAST), "asgi-trailers-before-body-end",
                "Sending trailers before the last body piece.", once=True),
        Mistake(_ANSWERING, (EARLY_HINT, DEBUG), "asgi-extension-late",
                "Sending http.response.early_hint or http.response.debug after http.response.start."),
        Mistake((DISCONNECTED,), (ANY_SEND,), "asgi-send-after-disconnect",
                "Sending anything: the client has gone, so the server drops it or raises OSError.", once=True),
        Mistake(tuple(HTTPState), (REQUEST_AGAIN,), "asgi-receive-invalid",
                "The server handing the app another http.request after the last piece.",
                once=True, by="server"),
        Mistake(_UNSTARTED, (END,), "asgi-no-response", "Returning without sending a response."),
        Mistake((STARTED, STREAMING), (END,), "asgi-response-incomplete",
                "Returning before the last body piece (more_body=False)."),
        Mistake((TRAILERS,), (END,), "asgi-trailers-missing", "Returning without sending the declared trailers."),
    ),
    about=frozen({
        AWAITING_BODY: "The server called the app with the scope, which holds the method, path and headers. "
                       "The request body, if any, comes through receive() as http.request messages.",
        BODY_READ: "The last http.request (more_body=False) arrived: the app has the whole request body. "
                   "Calling receive() again now waits until the client disconnects.",
        STARTED: "http.response.start gave the status and headers. The server may hold them until the first "
                 "body message, so it can still answer with an error instead.",
        STREAMING: "Body pieces with more_body=True are going out, each as soon as it is sent.",
        TRAILERS: "The body is complete and the app declared trailers=True: the server waits for "
                  "http.response.trailers before it ends the response.",
        COMPLETE: "The last body piece (or the trailers) went out: the response is complete. receive() now "
                  "returns http.disconnect; further messages are ignored.",
        DISCONNECTED: "receive() returned http.disconnect: the client went away, or the response was complete. "
                      "send() now does nothing, or raises OSError on servers of ASGI 2.4 and later.",
    }),
    may=frozen({
        AWAITING_BODY: (
            "await receive() for the request body until more_body is False",
            "send http.response.start without reading the body (most GET requests have none)",
            "send http.response.early_hint or http.response.debug, if the server offers them",
        ),
        BODY_READ: (
            "send http.response.start with the status and headers",
            "await receive() to learn when the client disconnects",
        ),
        STARTED: (
            "send http.response.body; more_body=True streams the body piece by piece",
            "send http.response.pathsend or zerocopysend, if the server offers them",
        ),
        STREAMING: (
            "send more http.response.body pieces",
            "end the body with more_body=False",
            "await receive(): http.disconnect says the client left",
        ),
        TRAILERS: ("send http.response.trailers; more_trailers=False ends the response",),
        COMPLETE: (
            "return; background work may run on, but nothing more reaches the client",
            "await receive(): it returns http.disconnect",
        ),
        DISCONNECTED: ("stop and return: every send() is dropped or raises OSError",),
    }),
    may_raised=MAY_RAISED,
    sends=frozenset(_SENT),
    receives=frozenset({REQUEST_MORE, REQUEST_LAST, REQUEST_AGAIN, DISCONNECT}),
)


class HTTPFollow(MessageFollow):
    """Follows one http scope through `MACHINE`, and keeps what the request body and the response are so far.

    Attributes:
        request_done: The last piece of the request body has arrived.
        declared: The request's Content-Length header, or None.
        read: Request body bytes received so far.
        started: The app sent http.response.start.
        status: The response status, or None.
        raw_headers: The response headers as recorded (see `headers`).
        response_changes: How many times the status and headers were set.
        trailers_declared: http.response.start set trailers=True.
        trailers_done: The last trailers were sent.
        chunks: Non-empty body pieces sent so far.
        sent_bytes: Body bytes sent so far.
        body_known: False once the server sends bytes the trace cannot see (pathsend, zerocopysend).
    """

    machine = MACHINE
    sent_types = SENDS | EXTENSIONS
    received_types = RECEIVES

    def __init__(self, scope: dict[str, Any] | None = None) -> None:
        super().__init__(scope)
        self.request_done = False
        self.read = 0
        self.started = False
        self.status: int | None = None
        self.raw_headers: Any = None
        self.response_changes = 0
        self.trailers_declared = False
        self.trailers_done = False
        self.chunks = 0
        self.sent_bytes = 0
        self.body_known = True

    @property
    def declared(self) -> int | None:
        """The request's Content-Length header, or None."""
        value = header_value(self.scope.get("headers"), "content-length")
        value = value.strip() if value is not None else ""
        return int(value) if value.isdigit() and value.isascii() else None

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """The response headers as (lowercase name, value) text pairs."""
        return lowered_headers(self.raw_headers)

    @property
    def unread(self) -> int | None:
        """Request body bytes still to come, by the declared Content-Length; None when unknown."""
        if self.request_done:
            return 0
        declared = self.declared
        return max(declared - self.read, 0) if declared is not None else None

    def trigger_received(self, message: dict[str, Any]) -> str | None:
        if message["type"] == "http.disconnect":
            return DISCONNECT
        if self.request_done:
            return REQUEST_AGAIN
        return REQUEST_MORE if message.get("more_body", False) else REQUEST_LAST

    def trigger_sent(self, message: dict[str, Any]) -> str | None:
        kind = message["type"]
        if kind == "http.response.start":
            return START
        if kind == "http.response.trailers":
            if not self.trailers_declared:
                return TRAILERS_UNDECLARED
            return TRAILERS_MORE if message.get("more_trailers", False) else TRAILERS_LAST
        if kind in ("http.response.body", "http.response.zerocopysend", "http.response.pathsend"):
            if kind != "http.response.pathsend" and message.get("more_body", False):
                return BODY_MORE
            return BODY_LAST_TRAILERS if self.trailers_declared and not self.trailers_done else BODY_LAST
        return {"http.response.early_hint": EARLY_HINT, "http.response.debug": DEBUG}.get(kind, PUSH)

    def noted(self, message: dict[str, Any], on: str, sent: bool) -> None:
        if not sent:
            if on in (REQUEST_MORE, REQUEST_LAST):
                body = message.get("body", b"")
                self.read += _size(body)
                if on == REQUEST_LAST:
                    self.request_done = True
            return
        if self.previous is COMPLETE and on != TRAILERS_UNDECLARED:
            return  # the server ignores what comes after the response
        kind = message["type"]
        if on == START and not self.started:
            self.started = True
            status = message.get("status")
            self.status = status if isinstance(status, int) and not isinstance(status, bool) else None
            self.raw_headers = message.get("headers")
            self.response_changes += 1
            self.trailers_declared = bool(message.get("trailers", False))
        elif on == TRAILERS_LAST:
            self.trailers_done = True
        elif kind == "http.response.body":
            size = _size(message.get("body", b""))
            if size:
                self.chunks += 1
                self.sent_bytes += size
        elif kind in ("http.response.pathsend", "http.response.zerocopysend"):
            self.body_known = False


def _size(body: Any) -> int:
    if isinstance(body, TruncatedBytes):
        return body.original_length
    return len(body) if isinstance(body, bytes) else 0
