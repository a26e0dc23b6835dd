"""The spec beside each step: the rules an event, a message or a check rule is under, and where they come from.

    from tracer.spec import notes_for, RULES

    for note in notes_for(event):          # the event kind's, then its ASGI message type's
        print(note.text)
        for section in note.sections:
            print("  ", section.label, section.url)
    RULES["wsgi-start-response-twice"].sections[0].title   # 'The start_response() Callable'

Each `SpecNote` explains in the project's words what PEP 3333 or the ASGI
specification (HTTP, WebSocket, Lifespan, extensions) asks at that step,
and names the sections it comes from with links. The replay, text commands
and docs/protocols.md show the same notes; `tracer.explain` says in one
sentence what a step did.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from . import _sections as s
from ._rule_spec import RULE_NOTES
from ._sections import Section, SpecNote
from .model import Event

__all__ = ["KINDS", "MESSAGES", "RULES", "Section", "SpecNote", "note_for_message", "notes_for"]


def _n(text: str, *sections: Section) -> SpecNote:
    return SpecNote(text, sections)


KINDS: Mapping[str, SpecNote] = MappingProxyType({
    "wsgi.environ": _n(
        "The server calls the app once per request with two positional arguments: the environ, a dict of CGI "
        "variables (REQUEST_METHOD, SCRIPT_NAME, PATH_INFO, QUERY_STRING...), the request headers as HTTP_* "
        "keys and the wsgi.* keys, all native strings; and start_response.",
        s.APPLICATION_SIDE, s.ENVIRON, s.STRING_TYPES),
    "wsgi.input": _n(
        "environ['wsgi.input'] is the request body as a byte stream with read(size), readline(), readlines() and "
        "iteration. The app should read no more than CONTENT_LENGTH bytes, since a server need not give an "
        "end-of-file there, and must not close the stream.", s.STREAMS),
    "wsgi.start_response": _n(
        "start_response(status, headers, exc_info=None) begins the response: a status such as '200 OK' and a "
        "list of (name, value) string tuples, with no hop-by-hop headers. The server keeps them until the first "
        "non-empty body bytestring, so an error handler can still replace them by calling it again with exc_info.",
        s.START_RESPONSE, s.ERRORS, s.HTTP_FEATURES),
    "wsgi.write": _n(
        "write(data), returned by start_response, sends bytes at once, before anything the iterable yields. It "
        "exists for old imperative frameworks: new apps should not use it, must not call it from inside their "
        "iterable, and still return an iterable.", s.WRITE, s.BUFFERING),
    "wsgi.errors": _n(
        "environ['wsgi.errors'] is a text stream to the server's error log: the app writes str to it, flushes "
        "when it must be seen, and never closes it.", s.STREAMS),
    "wsgi.body": _n(
        "The app returns an iterable of bytestrings, most often a list of one. The server sends each bytestring "
        "as it comes, never buffering or delaying it, and sends the status and headers with the first "
        "non-empty one.", s.APPLICATION_SIDE, s.BUFFERING, s.START_RESPONSE),
    "wsgi.close": _n(
        "If the iterable has close(), the server must call it when the request is done, whether it ended "
        "normally, with an error, or because the client went away, so the app can release its resources.",
        s.SPEC_DETAILS),
    "wsgi.error": _n(
        "An exception escaped the app. While no header has been sent, the server can still answer with an "
        "error; after that it can only abort the response. Error handlers in the app call start_response "
        "with exc_info.", s.ERRORS),
    "wsgi.end": _n(
        "The server is done with the request: it has sent what the app gave it and called close(), or sent the "
        "file of a wsgi.file_wrapper itself, with platform tools such as sendfile.",
        s.SERVER_SIDE, s.FILE_HANDLING),
    "asgi.scope": _n(
        "The server calls the app once per connection: await app(scope, receive, send). The scope holds what "
        "is known up front, with 'type' naming the protocol (http, websocket or lifespan); everything after "
        "goes through receive() and send() as event dicts.", s.APPLICATIONS, s.CONNECTION_SCOPE),
    "asgi.receive": _n(
        "receive() waits for the next event from the server and returns it: a dict whose 'type' says what it "
        "is.", s.APPLICATIONS, s.EVENTS),
    "asgi.send": _n(
        "send(message) hands the server an event dict whose 'type' belongs to the scope's protocol; it holds only "
        "bytes, str, int, finite float, bool, None, lists and dicts. It returns once the server has taken it.",
        s.APPLICATIONS, s.EVENTS),
    "asgi.error": _n(
        "An exception escaped the app. The server logs it and must close the connection, answering 500 if no "
        "response had started; an app that does not support a scope type, such as lifespan, raises on purpose.",
        s.ERROR_HANDLING, s.LIFESPAN_SCOPE),
    "asgi.end": _n(
        "The app's coroutine returned: its connection scope is over. An HTTP response must be complete by "
        "then; a websocket's socket is closed with it.", s.APPLICATIONS, s.CONNECTION_SCOPE, s.WS_SCOPE),
    "app.log": _n(
        "Not a protocol step: neither PEP 3333 nor the ASGI specification defines it. It is a log record (its "
        "level, logger, message, and the traceback of an exception it carries) or a line written to stdout or "
        "stderr while the request ran. A WSGI app's error stream in the protocol is environ['wsgi.errors'], "
        "recorded as wsgi.errors.", s.LOG_RECORD_OBJECTS, s.LOGGER_OBJECTS, s.STREAMS),
})
"""The spec behind every event kind."""

MESSAGES: Mapping[str, SpecNote] = MappingProxyType({
    "http.request": _n(
        "A piece of the request body: 'body' bytes, and more_body=True while more pieces follow. The server "
        "has already undone any chunked transfer encoding.", s.REQUEST),
    "http.disconnect": _n(
        "receive() returns http.disconnect once the response has been sent or the connection has closed; "
        "after it, send() does nothing or raises OSError.", s.DISCONNECT, s.DISCONNECTED_CLIENT),
    "http.response.start": _n(
        "The status (an int) and the headers (lowercase byte names and byte values), sent once and followed by "
        "at least one body message. The server may hold them until the first body message; it ignores "
        "Transfer-Encoding and frames the body itself. trailers=True promises http.response.trailers.",
        s.RESPONSE_START),
    "http.response.body": _n(
        "A piece of the body, flushed to the client before send() returns. more_body=False (the default) "
        "completes the response, unless trailers were declared; the server ignores messages after that.",
        s.RESPONSE_BODY),
    "http.response.trailers": _n(
        "Trailing headers, after the last body message, when http.response.start set trailers=True and the "
        "server offers the trailers extension; more_trailers=False completes the response.",
        s.TRAILERS, s.RESPONSE_START),
    "http.response.push": _n(
        "Asks an HTTP/2 server to push the resource at 'path' with 'headers', when it offers the push "
        "extension.", s.PUSH),
    "http.response.zerocopysend": _n(
        "Sends the body from an open file ('file'), which the server copies without Python reading it, when "
        "it offers the zero copy send extension; counts as a body message.", s.ZERO_COPY),
    "http.response.pathsend": _n(
        "Sends the file at 'path' as the whole body, once, after http.response.start and instead of body "
        "messages, when the server offers the path send extension.", s.PATH_SEND),
    "http.response.early_hint": _n(
        "Asks the server to send a 103 Early Hints response with these Link headers, when it offers the "
        "extension; the server may ignore it.", s.EARLY_HINTS),
    "http.response.debug": _n(
        "Debug information for a test client, sent once before http.response.start, when the scope offers the "
        "debug extension; real servers do not.", s.DEBUG),
    "websocket.connect": _n(
        "The client is opening a websocket. The server holds the handshake until the app answers with "
        "websocket.accept or websocket.close, and refuses it with 403 on close.", s.CONNECT),
    "websocket.accept": _n(
        "Accepts the connection, with an optional 'subprotocol' from those the client offered and optional "
        "'headers' (never sec-websocket-protocol).", s.ACCEPT),
    "websocket.receive": _n(
        "A whole message from the client: exactly one of 'bytes' and 'text' is set.", s.WS_RECEIVE),
    "websocket.send": _n(
        "A message to the client: exactly one of 'bytes' and 'text' is set.", s.WS_SEND),
    "websocket.disconnect": _n(
        "The connection is gone, closed by either side or lost, with the close 'code' (1005 when the client "
        "gave none); after it, send() does nothing or raises OSError.", s.WS_DISCONNECT, s.DISCONNECTED_CLIENT),
    "websocket.close": _n(
        "Closes the connection with a 'code' (1000 by default) and an optional 'reason'. Before accepting, the "
        "server refuses the handshake with 403 instead.", s.CLOSE),
    "websocket.http.response.start": _n(
        "Answers the handshake with an HTTP response of this status and these headers instead of accepting, "
        "when the server offers the websocket denial response extension.", s.DENIAL),
    "websocket.http.response.body": _n(
        "A piece of the denial response's body; more_body=False ends it, and the server closes the "
        "connection.", s.DENIAL),
    "lifespan.startup": _n(
        "The server is about to take connections and waits for the app to answer.", s.STARTUP),
    "lifespan.startup.complete": _n(
        "The app is ready: the server waits for this before it processes any connection.", s.STARTUP_COMPLETE),
    "lifespan.startup.failed": _n(
        "The app could not start: the server logs the 'message' and exits.", s.STARTUP_FAILED),
    "lifespan.shutdown": _n(
        "The server has stopped accepting connections and closed the open ones; it waits for the app's answer.",
        s.SHUTDOWN),
    "lifespan.shutdown.complete": _n(
        "The app has cleaned up: the server waits for this before it terminates.", s.SHUTDOWN_COMPLETE),
    "lifespan.shutdown.failed": _n(
        "The app could not clean up: the server logs the 'message' and terminates.", s.SHUTDOWN_FAILED),
})
"""The spec behind every ASGI message type the checks know."""

RULES: Mapping[str, SpecNote] = MappingProxyType(RULE_NOTES)
"""The spec behind every check rule, by rule id (`tracer.checks.rules.RULES`)."""


def note_for_message(message: Any) -> SpecNote | None:
    """The note of an ASGI message's type, or None when the message has no known type."""
    kind = message.get("type") if isinstance(message, dict) else None
    return MESSAGES.get(kind) if isinstance(kind, str) else None


def notes_for(event: Event) -> list[SpecNote]:
    """The notes an event is under: its kind's, then (for ``asgi.send`` / ``asgi.receive``) its message type's."""
    notes = [KINDS[event.kind]] if event.kind in KINDS else []
    if event.kind in ("asgi.send", "asgi.receive"):
        data = event.data if isinstance(event.data, dict) else {}
        message = note_for_message(data.get("message"))
        if message is not None:
            notes.append(message)
    return notes
