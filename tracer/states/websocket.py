"""The ASGI WebSocket exchange: connecting, accepted or denied, open, closing, closed."""

from __future__ import annotations

from typing import Any

from ._asgi import END, END_RAISED, MAY_RAISED, SCOPE, MessageFollow
from .machine import ANY_RECEIVE, ANY_SEND, Machine, Mistake, State, Transition, frozen


class WSState(State):
    """Where an ASGI websocket is."""

    CONNECTING = "connecting"
    ACCEPTED = "accepted"
    DENYING = "denial response started"
    DENIED = "denied"
    OPEN = "open"
    CLOSING = "closing"
    CLOSED = "closed"


CONNECTING, ACCEPTED, DENYING, DENIED, OPEN, CLOSING, CLOSED = WSState

SENDS = frozenset(
    {"websocket.accept", "websocket.send", "websocket.close", "websocket.http.response.start",
     "websocket.http.response.body"}
)
"""The messages an app sends in a websocket scope."""
RECEIVES = frozenset({"websocket.connect", "websocket.receive", "websocket.disconnect"})
"""The messages the server gives the app in a websocket scope."""

CONNECT = "websocket.connect"
CONNECT_AGAIN = "websocket.connect (again)"
RECEIVE = "websocket.receive"
DISCONNECT = "websocket.disconnect"
ACCEPT = "websocket.accept"
ACCEPT_EARLY = "websocket.accept (before websocket.connect)"
SEND = "websocket.send"
CLOSE = "websocket.close"
DENIAL_START = "websocket.http.response.start"
DENIAL_MORE = "websocket.http.response.body (more_body=True)"
DENIAL_LAST = "websocket.http.response.body"

_ACCEPTED = (ACCEPTED, OPEN)
_SENT = (ACCEPT, ACCEPT_EARLY, SEND, CLOSE, DENIAL_START, DENIAL_MORE, DENIAL_LAST)

MACHINE = Machine(
    name="websocket",
    title="ASGI WebSocket",
    states=tuple(WSState),
    triggers=frozen({
        SCOPE: "the server calls await app(scope, receive, send) with a websocket scope",
        CONNECT: "receive() returns websocket.connect: the client asks to open the websocket",
        CONNECT_AGAIN: "receive() returns websocket.connect a second time",
        RECEIVE: "receive() returns a message from the client, text or bytes",
        DISCONNECT: "receive() returns websocket.disconnect: the connection is gone, with its close code",
        ACCEPT: "the app accepts the websocket",
        ACCEPT_EARLY: "the app accepts before it has received websocket.connect",
        SEND: "the app sends a message to the client, text or bytes",
        CLOSE: "the app closes the websocket (before accepting: refuses it)",
        DENIAL_START: "the app answers the handshake with an HTTP response instead (denial response extension)",
        DENIAL_MORE: "the app sends a piece of the denial response's body, and more follow",
        DENIAL_LAST: "the app sends the last piece of the denial response's body",
        END: "the app returns",
        END_RAISED: "the app's exception ends it",
    }),
    transitions=(
        Transition((), SCOPE, CONNECTING,
                   "The server calls the app with the upgrade request in the scope and holds the handshake open."),
        Transition((CONNECTING,), CONNECT, None, "The server hands over the handshake: the app must accept or refuse it."),
        Transition((CONNECTING,), ACCEPT, ACCEPTED, "The server completes the handshake (101 Switching Protocols)."),
        Transition((CONNECTING,), ACCEPT_EARLY, ACCEPTED, "The server completes the handshake (101 Switching Protocols)."),
        Transition((CONNECTING,), CLOSE, DENIED, "Closing before accepting: the server refuses the handshake with 403."),
        Transition((CONNECTING,), DENIAL_START, DENYING,
                   "The server answers the upgrade request with this status and these headers instead of 101."),
        Transition((DENYING,), DENIAL_MORE, None, "A piece of the denial response's body; more follow."),
        Transition((DENYING,), DENIAL_LAST, DENIED, "The denial response is complete; the server closes the connection."),
        Transition(_ACCEPTED, SEND, OPEN, "The server sends the message to the client as one frame."),
        Transition(_ACCEPTED, RECEIVE, OPEN, "A whole message from the client (the server joins its fragments)."),
        Transition(_ACCEPTED, CLOSE, CLOSING, "The server sends a close frame with the app's code and waits for the client's."),
        Transition((CLOSING,), RECEIVE, None, "A message the client sent before it saw the close."),
        Transition((CONNECTING, *_ACCEPTED, CLOSING, DENYING, DENIED), DISCONNECT, CLOSED,
                   "The connection is gone: closed by either side, or lost."),
        Transition((*_ACCEPTED, CLOSING), END, CLOSED, "The app returned: the server closes the socket."),
        Transition((*_ACCEPTED, CLOSING), END_RAISED, CLOSED, "The app raised: the server closes the socket."),
        Transition((CONNECTING,), END, DENIED, "The app returned without answering: the server refuses with 403."),
        Transition((CONNECTING,), END_RAISED, DENIED, "The app raised before answering: the server refuses the handshake."),
    ),
    mistakes=(
        Mistake((CONNECTING,), (SEND,), "ws-send-before-accept", "Sending a message before accepting.", once=True),
        Mistake((CONNECTING,), (ACCEPT_EARLY,), "ws-accept-before-connect",
                "Accepting before receive() has returned websocket.connect."),
        Mistake(_ACCEPTED, (ACCEPT, ACCEPT_EARLY), "ws-accept-twice", "Accepting again."),
        Mistake(_ACCEPTED, (DENIAL_START,), "ws-denial-invalid", "Starting an HTTP denial response after accepting."),
        Mistake((DENYING,), (DENIAL_START,), "ws-denial-invalid", "Starting a second HTTP denial response."),
        Mistake((CONNECTING, *_ACCEPTED), (DENIAL_MORE, DENIAL_LAST), "ws-denial-invalid",
                "Sending a denial response body before websocket.http.response.start."),
        Mistake((DENYING,), (SEND, ACCEPT, ACCEPT_EARLY), "ws-denial-invalid",
                "Accepting or sending messages during the HTTP denial response."),
        Mistake((CLOSING, DENIED), (ANY_SEND,), "ws-send-after-close",
                "Sending anything after the connection was closed.", once=True),
        Mistake((CLOSED,), (ANY_SEND,), "ws-send-after-disconnect",
                "Sending anything: the client has gone, so the server drops it or raises OSError.", once=True),
        Mistake((CLOSED,), (ANY_RECEIVE,), "ws-receive-after-disconnect",
                "Calling receive() again after websocket.disconnect.", once=True),
        Mistake(tuple(WSState), (CONNECT_AGAIN,), "asgi-receive-invalid",
                "The server handing over websocket.connect twice.", by="server"),
        Mistake((CONNECTING,), (END,), "ws-no-handshake", "Returning without accepting or closing."),
        Mistake((DENYING,), (END,), "ws-denial-invalid", "Returning with the HTTP denial response unfinished."),
    ),
    about=frozen({
        CONNECTING: "The client sent an HTTP upgrade request; the server holds the handshake open until the app "
                    "accepts or refuses. No message can flow yet.",
        ACCEPTED: "The app sent websocket.accept: the server answered 101 Switching Protocols and the "
                  "connection is a websocket now.",
        DENYING: "The app is answering the upgrade request with an ordinary HTTP response (the denial "
                 "response extension); its body follows.",
        DENIED: "The handshake was refused: by websocket.close before accepting (the server answers 403) or "
                "by a complete HTTP denial response. The connection is closed.",
        OPEN: "Messages flow both ways: websocket.receive from the client, websocket.send from the app.",
        CLOSING: "The app sent websocket.close: the server sent a close frame with its code and waits for the "
                 "client's answer.",
        CLOSED: "The connection is gone (websocket.disconnect, with the close code), or the app returned and "
                "the server closed it.",
    }),
    may=frozen({
        CONNECTING: (
            "await receive() for websocket.connect",
            "accept with websocket.accept, choosing a subprotocol the client offered (or none)",
            "refuse with websocket.close: the server answers 403",
            "answer with websocket.http.response.start, if the server offers the denial response extension",
        ),
        ACCEPTED: (
            "send websocket.send with text or bytes",
            "await receive() for the client's messages",
            "close with websocket.close and a close code",
        ),
        DENYING: ("send websocket.http.response.body until more_body is False",),
        DENIED: ("return: the connection is closed",),
        OPEN: (
            "send websocket.send with text or bytes",
            "await receive() for the client's messages",
            "close with websocket.close and a close code",
        ),
        CLOSING: ("await receive() for websocket.disconnect, then return",),
        CLOSED: ("return: the connection is gone",),
    }),
    may_raised=MAY_RAISED,
    sends=frozenset(_SENT),
    receives=frozenset({CONNECT, CONNECT_AGAIN, RECEIVE, DISCONNECT}),
)


class WSFollow(MessageFollow):
    """Follows one websocket scope through `MACHINE`.

    Attributes:
        connected: receive() has returned websocket.connect.
    """

    machine = MACHINE
    sent_types = SENDS
    received_types = RECEIVES

    def __init__(self, scope: dict[str, Any] | None = None) -> None:
        super().__init__(scope)
        self.connected = False

    def trigger_received(self, message: dict[str, Any]) -> str | None:
        kind = message["type"]
        if kind == "websocket.connect":
            return CONNECT_AGAIN if self.connected else CONNECT
        return RECEIVE if kind == "websocket.receive" else DISCONNECT

    def trigger_sent(self, message: dict[str, Any]) -> str | None:
        kind = message["type"]
        if kind == "websocket.accept":
            return ACCEPT if self.connected else ACCEPT_EARLY
        if kind == "websocket.http.response.body":
            return DENIAL_MORE if message.get("more_body", False) else DENIAL_LAST
        return {"websocket.send": SEND, "websocket.close": CLOSE}.get(kind, DENIAL_START)

    def noted(self, message: dict[str, Any], on: str, sent: bool) -> None:
        if on == CONNECT:
            self.connected = True
