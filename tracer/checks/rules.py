"""The rule catalog: every check's stable id, severity, summary, hint and broken example.

Ids are stable: tools, CI configurations and the UI's filters key on them.
A rule's id says where it applies: ``wsgi-*`` (PEP 3333), ``asgi-*`` (the
ASGI HTTP spec and the general message rules), ``ws-*`` (ASGI WebSocket),
``lifespan-*`` (ASGI Lifespan), ``http-*`` (HTTP semantics, checked on
both protocols) and ``trace-*`` (the recording itself, on both protocols).
Severities: ``error`` breaks the protocol (a server may fail, hang or
corrupt the connection); ``warning`` is very likely a bug or the server's
own fault; ``info`` is worth knowing but often deliberate.

Each rule carries a minimal app that breaks it (`Example`): the test suite
runs every one through the tracer and requires its rule at the event named,
and docs/checks.md shows them beside the rule tables.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Example:
    """A minimal app that breaks one rule, and how the server calls it.

    Attributes:
        protocol: ``"wsgi"`` or ``"asgi"``.
        app: Python source that defines ``app``, a WSGI callable or an ASGI coroutine function.
        at: The kind of the event the finding points at, e.g. ``"wsgi.start_response"``.
        server: How the server calls the app, where that matters. WSGI: ``method`` and
            ``data`` of the request, ``environ`` (keys to change; None removes one),
            ``close=False`` (close() is never called), ``iterate_after_close=True``,
            ``crash=True`` (the server stops before iterating the body) and
            ``tracer_options``. ASGI: ``scope`` (keys to change in a valid scope of
            its ``type``, http by default) and ``inputs`` (what receive() returns).
    """

    protocol: Literal["wsgi", "asgi"]
    app: str
    at: str
    server: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True, slots=True)
class Rule:
    """One protocol rule.

    Attributes:
        id: The stable id, e.g. ``"wsgi-body-before-start"``.
        severity: ``"error"``, ``"warning"`` or ``"info"``.
        summary: What went wrong, as a sentence fragment.
        hint: What to do about it, as a sentence fragment.
        source: Where the rule comes from (spec section or tool).
        examples: Minimal apps that break the rule (one per protocol it is seen through).
    """

    id: str
    severity: Severity
    summary: str
    hint: str
    source: str
    examples: tuple[Example, ...] = field(default=(), compare=False)


def _r(id: str, severity: Severity, summary: str, hint: str, source: str, *examples: Example) -> Rule:
    return Rule(id, severity, summary, hint, source, examples)


def _wsgi(app: str, at: str, **server: Any) -> Example:
    return Example("wsgi", textwrap.dedent(app).strip() + "\n", at, MappingProxyType(server))


def _asgi(app: str, at: str, **server: Any) -> Example:
    return Example("asgi", textwrap.dedent(app).strip() + "\n", at, MappingProxyType(server))


_PEP = "PEP 3333"
_ASGI = "ASGI HTTP spec"
_WS = "ASGI WebSocket spec"
_LS = "ASGI Lifespan spec"
_RFC = "RFC 9110"

# A correct WSGI app, for rules the server (or the recording) breaks.
_FINE = """
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"hi"]
"""


_ALL: tuple[Rule, ...] = (
    # WSGI: environ (the server's side of the contract)
    _r("wsgi-environ-missing-key", "warning", "the environ lacks a key PEP 3333 requires",
       "the server (or a middleware) must provide it", _PEP,
       _wsgi(_FINE, at="wsgi.environ", environ={"SERVER_NAME": None})),
    _r("wsgi-environ-value", "warning", "an environ value has the wrong type or form",
       "CGI keys hold native str, wsgi.version is (1, 0) and wsgi.url_scheme is 'http' or 'https'", _PEP,
       _wsgi(_FINE, at="wsgi.environ", environ={"wsgi.version": (1, 1)})),
    _r("wsgi-version-not-tuple", "warning", "wsgi.version is not a tuple",
       "the server must set wsgi.version to the tuple (1, 0)", _PEP,
       _wsgi(_FINE, at="wsgi.environ", environ={"wsgi.version": [1, 0]})),
    _r("wsgi-environ-path", "warning", "SCRIPT_NAME or PATH_INFO is malformed",
       "both are empty or start with '/', and SCRIPT_NAME is never '/'", _PEP,
       _wsgi(_FINE, at="wsgi.environ", environ={"PATH_INFO": "no-slash"})),
    _r("wsgi-environ-http-content", "warning", "the environ has HTTP_CONTENT_TYPE or HTTP_CONTENT_LENGTH",
       "servers must pass these as CONTENT_TYPE and CONTENT_LENGTH", "wsgiref.validate",
       _wsgi(_FINE, at="wsgi.environ", environ={"HTTP_CONTENT_LENGTH": "0"})),
    _r("wsgi-environ-query-string", "info", "the environ has no QUERY_STRING",
       "servers should always set it, empty if there is no query", "wsgiref.validate",
       _wsgi(_FINE, at="wsgi.environ", environ={"QUERY_STRING": None})),
    # WSGI: start_response
    _r("wsgi-start-response-twice", "error", "start_response() was called again without exc_info",
       "call it once, or pass exc_info=sys.exc_info() when replacing the headers after an error", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"x"]
           """, at="wsgi.start_response")),
    _r("wsgi-exc-info-invalid", "error", "start_response() was given an exc_info that is not a (type, value, traceback) tuple",
       "pass sys.exc_info() from inside the except block, or nothing", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")], "an error happened")
               return [b"x"]
           """, at="wsgi.start_response")),
    _r("wsgi-no-start-response", "error", "the app finished without calling start_response()",
       "call start_response(status, headers) before returning or yielding the body", _PEP,
       _wsgi("""
           def app(environ, start_response):
               return []
           """, at="wsgi.end")),
    _r("wsgi-status-type", "error", "the status is not a str",
       "pass a native string such as '200 OK'", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response(b"200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-status-format", "error", "the status is not three digits, a space and a reason phrase",
       "use a status line such as '404 Not Found'", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-headers-type", "error", "the response headers are not a list of (name, value) pairs",
       "pass a list of 2-tuples of str", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", {"Content-Type": "text/plain"})
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-headers-not-list", "error", "the response headers are not a list",
       "pass a list (not a tuple): wsgiref's server refuses anything else and the server may change the list",
       _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", (("Content-Type", "text/plain; charset=utf-8"),))
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-header-not-tuple", "warning", "a response header item is not a tuple",
       "give each header as a (name, value) tuple, not a [name, value] list", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [["Content-Type", "text/plain; charset=utf-8"]])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-header-type", "error", "a header name or value is not a str",
       "use native str for both (decode bytes with latin-1)", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [(b"Content-Type", "text/plain")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-header-latin1", "error", "a header name or value cannot be encoded as latin-1",
       "encode non-latin-1 text (for example with RFC 8187 or percent-encoding)", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("X-Price", "5 €")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-header-invalid", "error", "a header name is not an HTTP token or a value holds control characters",
       "strip CR, LF and other control characters, since a newline in a value allows header injection", "RFC 9110 §5",
       _wsgi(r"""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("X-Name", "a\r\nSet-Cookie: x=1")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-status-header", "error", "the app set a 'Status' header",
       "give the status as start_response's first argument only", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Status", "200 OK")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("wsgi-hop-by-hop-header", "error", "the app set a hop-by-hop header",
       "leave Connection, Keep-Alive, Transfer-Encoding, Upgrade and the like to the server", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Connection", "close")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    # WSGI: body
    _r("wsgi-body-before-start", "error", "a body chunk came before start_response() was called",
       "call start_response() before the iterable yields its first chunk", _PEP,
       _wsgi("""
           def app(environ, start_response):
               yield b"early"
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               yield b"late"
           """, at="wsgi.body")),
    _r("wsgi-body-type", "error", "a body chunk is not bytes",
       "yield bytes, e.g. text.encode('utf-8')", _PEP,
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"a", "b"]
           """, at="wsgi.body")),
    _r("wsgi-body-str-returned", "error", "the app returned a str as its body, so it is sent one character at a time",
       "return a list holding one bytes value: [text.encode('utf-8')]", "Werkzeug lint",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return "hello"
           """, at="wsgi.body")),
    _r("wsgi-body-bytes-returned", "error", "the app returned bytes as its body, so iterating it yields ints",
       "return a list holding the bytes: [data]", "wsgiref.validate",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return b"hello"
           """, at="wsgi.body")),
    _r("wsgi-write-type", "error", "write() was given something other than bytes",
       "pass bytes to the write() callable", _PEP,
       _wsgi("""
           def app(environ, start_response):
               write = start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               write("text")
               return []
           """, at="wsgi.write")),
    _r("wsgi-write-during-iteration", "warning", "write() was called while the server was iterating the body",
       "use write() only before the app returns, or yield the data from the iterable", _PEP,
       _wsgi("""
           def app(environ, start_response):
               write = start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               yield b"a"
               write(b"b")
               yield b"c"
           """, at="wsgi.write")),
    _r("wsgi-iterate-after-close", "error", "a body chunk came after close() was called",
       "stop producing data once the server has closed the iterable", "Werkzeug lint",
       _wsgi("""
           class Body:
               def __init__(self):
                   self.count, self.closed = 0, False

               def __iter__(self):
                   return self

               def __next__(self):
                   self.count += 1
                   if self.count > 2 and not self.closed:
                       raise StopIteration
                   return b"x"  # and again after close()

               def close(self):
                   self.closed = True

           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return Body()
           """, at="wsgi.body", iterate_after_close=True)),
    _r("wsgi-close-not-called", "warning", "close() was never called on the response iterable",
       "the server or a middleware must call close() so the app can release its resources "
       "(a test client calls it only when the test closes the response)", _PEP,
       _wsgi(_FINE, at="wsgi.end", close=False)),
    _r("wsgi-errors-type", "error", "wsgi.errors was given something other than str",
       "write text to wsgi.errors", _PEP,
       _wsgi("""
           def app(environ, start_response):
               environ["wsgi.errors"].write(b"oops")
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"x"]
           """, at="wsgi.errors")),
    # WSGI: wsgi.input
    _r("wsgi-input-read-no-size", "info", "wsgi.input.read() was called without a size",
       "WSGI does not promise an end-of-file marker, so read at most CONTENT_LENGTH bytes", "Werkzeug lint",
       _wsgi("""
           def app(environ, start_response):
               environ["wsgi.input"].read()
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"x"]
           """, at="wsgi.input", method="POST", data=b"0123456789")),
    _r("wsgi-input-readline-no-size", "info", "wsgi.input.readline() was called without a size",
       "on a stream without an end-of-file marker it may block, so read at most CONTENT_LENGTH bytes", "Werkzeug lint",
       _wsgi("""
           def app(environ, start_response):
               environ["wsgi.input"].readline()
               environ["wsgi.input"].read(6)
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"x"]
           """, at="wsgi.input", method="POST", data=b"0123456789")),
    _r("wsgi-input-readline-size", "info", "wsgi.input.readline() was called with a size hint",
       "PEP 3333 does not require servers to support it, though most do", "Werkzeug lint",
       _wsgi("""
           def app(environ, start_response):
               environ["wsgi.input"].readline(4)
               environ["wsgi.input"].read(6)
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"x"]
           """, at="wsgi.input", method="POST", data=b"0123456789")),
    _r("wsgi-input-read-past-length", "warning", "the app read wsgi.input past CONTENT_LENGTH",
       "read at most the remaining CONTENT_LENGTH bytes, as a server may block waiting for more", _PEP,
       _wsgi("""
           def app(environ, start_response):
               environ["wsgi.input"].read(1000)
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"x"]
           """, at="wsgi.input", method="POST", data=b"0123456789")),
    _r("wsgi-input-unread", "info", "the app stopped reading the request body before its end",
       "read or discard the whole body, or the server must drain it before reusing the connection", _PEP,
       _wsgi("""
           def app(environ, start_response):
               environ["wsgi.input"].read(3)
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
               return [b"x"]
           """, at="wsgi.input", method="POST", data=b"0123456789")),
    # ASGI: messages in general
    _r("asgi-message-invalid", "error", "a message is not a dict with a str 'type'",
       "send dicts such as {'type': 'http.response.start', ...}", "ASGI spec",
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"body": b"x"})
           """, at="asgi.send")),
    _r("asgi-unknown-message", "error", "a message type does not belong to this scope's protocol",
       "check the spelling and the scope type (an extension message needs its extension in scope['extensions'])", "ASGI spec",
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.content", "body": b"x"})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-message-value", "error", "a message holds a value ASGI does not allow (NaN, infinity or an object)",
       "use only bytes, str, int, float, bool, None, lists and dicts", "ASGI spec",
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                           "timing": float("nan")})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-scope-invalid", "warning", "the scope is missing a required key or has a malformed value",
       "the server (or a middleware that builds scopes) must follow the ASGI scope format", "ASGI spec",
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.scope", scope={"method": "get"})),
    _r("asgi-receive-invalid", "warning", "the server sent the app a malformed or out-of-order message",
       "this is the server's (or a middleware's) bug, not the app's", "ASGI spec",
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.receive", inputs=[{"type": "http.request", "body": "text"}])),
    # ASGI: HTTP
    _r("asgi-body-before-start", "error", "http.response.body was sent before http.response.start",
       "send http.response.start first", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.body", "body": b"hi"})
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-start-twice", "error", "http.response.start was sent a second time",
       "send it exactly once, guarded by a 'response started' flag", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-send-after-complete", "error", "a message was sent after the response was complete",
       "stop sending once a body with more_body=False (and any trailers) has gone out", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-send-after-disconnect", "info", "a message was sent after the client disconnected",
       "the server drops it or raises OSError, so it is harmless, but an app can stop work once receive() returns "
       "http.disconnect", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await receive()
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send", inputs=[{"type": "http.request", "body": b""}, {"type": "http.disconnect"}])),
    _r("asgi-no-response", "error", "the app returned without sending http.response.start",
       "always send a response, even an error response", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               pass
           """, at="asgi.end")),
    _r("asgi-response-incomplete", "error", "the app returned with the response body unfinished",
       "end the body with a message that has more_body=False", _ASGI,
       # Under ASGI 2.3 send() never raises, so nothing but the app can have left the body unfinished.
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi", "more_body": True})
           """, at="asgi.end", scope={"asgi": {"version": "3.0", "spec_version": "2.3"}})),
    _r("asgi-status-type", "error", "the status is not an int",
       "send 'status': 200, not a string", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": "200", "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-status-range", "warning", "the status code is outside 100-599",
       "use a standard HTTP status code", _RFC,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 999, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-headers-format", "error", "the headers are not an iterable of [name, value] pairs",
       "send a list of 2-item lists or tuples of bytes", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [b"content-type: text/plain"]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-header-type", "error", "a header name or value is not bytes",
       "encode header names and values to bytes (latin-1)", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [("content-type", "text/plain")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-header-invalid", "error", "a header name is not an HTTP token or a value holds CR, LF or NUL",
       "strip control characters, since a newline in a value allows header injection", "RFC 9110 §5",
       _asgi(r"""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200,
                           "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"x-name", b"a\r\nset-cookie: x=1")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-header-case", "info", "a response header name is not lowercase",
       "the ASGI spec requires lowercase names, and middleware matching b'content-type' will miss this one", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"Content-Type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-transfer-encoding", "info", "the app set a Transfer-Encoding header",
       "the spec allows it but the server ignores it and chooses the transfer encoding itself", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200,
                           "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"transfer-encoding", b"chunked")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("asgi-body-type", "error", "the body is not bytes",
       "send 'body': bytes, e.g. text.encode('utf-8')", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": "hi"})
           """, at="asgi.send")),
    _r("asgi-flag-type", "warning", "more_body, trailers or more_trailers is not a bool",
       "send True or False", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi", "more_body": 0})
           """, at="asgi.send")),
    _r("asgi-trailers-undeclared", "error", "http.response.trailers was sent without trailers=True in http.response.start",
       "declare trailers=True when starting the response", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.body", "body": b"hi"})
               await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")]})
           """, at="asgi.send", scope={"extensions": {"http.response.trailers": {}}})),
    _r("asgi-trailers-before-body-end", "error", "http.response.trailers was sent before the final body message",
       "send the last body chunk (more_body=False) first, then the trailers", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                           "trailers": True})
               await send({"type": "http.response.body", "body": b"hi", "more_body": True})
               await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send", scope={"extensions": {"http.response.trailers": {}}})),
    _r("asgi-trailers-unsupported", "error", "trailers were used but the server did not offer the trailers extension",
       "check 'http.response.trailers' in scope['extensions'] before using trailers", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                           "trailers": True})
               await send({"type": "http.response.body", "body": b"hi"})
               await send({"type": "http.response.trailers", "headers": [(b"x-checksum", b"abc")]})
           """, at="asgi.send")),
    _r("asgi-trailers-missing", "error", "trailers=True was declared but no http.response.trailers was sent",
       "send http.response.trailers (more_trailers=False) after the body", _ASGI,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                           "trailers": True})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.end", scope={"extensions": {"http.response.trailers": {}}})),
    _r("asgi-extension-unsupported", "error", "an extension message was sent that the server did not offer",
       "check scope['extensions'] for the extension before sending its messages", "ASGI extensions",
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.pathsend", "path": "/etc/hostname"})
           """, at="asgi.send")),
    _r("asgi-extension-fields", "error", "an extension message is missing a field or has one of the wrong type",
       "see the extension's page in the ASGI spec for the message's keys", "ASGI extensions",
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.pathsend", "path": b"/etc/hostname"})
           """, at="asgi.send", scope={"extensions": {"http.response.pathsend": {}}})),
    _r("asgi-extension-late", "error", "an early-hint or debug message was sent after the response started",
       "send it before http.response.start", "ASGI extensions",
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
               await send({"type": "http.response.debug", "info": {"template": "index.html"}})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send", scope={"extensions": {"http.response.debug": {}}})),
    # ASGI: WebSocket
    _r("ws-send-before-accept", "error", "websocket.send came before websocket.accept",
       "accept the connection first", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.send", "text": "hi"})
               await send({"type": "websocket.accept"})
           """, at="asgi.send", scope={"type": "websocket"}, inputs=[{"type": "websocket.connect"}])),
    _r("ws-accept-before-connect", "warning", "websocket.accept was sent before websocket.connect was received",
       "await receive() for websocket.connect before accepting", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "websocket.accept"})
               await send({"type": "websocket.close"})
           """, at="asgi.send", scope={"type": "websocket"})),
    _r("ws-accept-twice", "error", "websocket.accept was sent a second time",
       "accept exactly once", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.accept"})
               await send({"type": "websocket.accept"})
           """, at="asgi.send", scope={"type": "websocket"}, inputs=[{"type": "websocket.connect"}])),
    _r("ws-send-after-close", "error", "a message was sent after websocket.close",
       "stop sending once the connection is closed", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.accept"})
               await send({"type": "websocket.close"})
               await send({"type": "websocket.send", "text": "x"})
           """, at="asgi.send", scope={"type": "websocket"}, inputs=[{"type": "websocket.connect"}])),
    _r("ws-send-after-disconnect", "info", "a message was sent after the client disconnected",
       "the server drops it or raises OSError, so it is harmless, but an app can stop work once receive() returns "
       "websocket.disconnect", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await receive()
               await send({"type": "websocket.accept"})
               await send({"type": "websocket.send", "text": "bye"})
           """, at="asgi.send", scope={"type": "websocket"},
           inputs=[{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000}])),
    _r("ws-receive-after-disconnect", "error", "receive() was called again after websocket.disconnect",
       "leave the receive loop on websocket.disconnect", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.accept"})
               await receive()
               await receive()
           """, at="asgi.receive", scope={"type": "websocket"},
           inputs=[{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1000},
                   {"type": "websocket.disconnect", "code": 1000}])),
    _r("ws-payload", "error", "websocket.send does not set exactly one of 'bytes' (bytes) and 'text' (str)",
       "send {'type': 'websocket.send', 'text': ...} or {'bytes': ...}, with the other absent or None", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.accept"})
               await send({"type": "websocket.send", "text": "a", "bytes": b"b"})
           """, at="asgi.send", scope={"type": "websocket"}, inputs=[{"type": "websocket.connect"}])),
    _r("ws-close-code", "error", "the close code may not be sent",
       "use 1000 (normal), 1001, 1002, 1003, 1007-1014 or 3000-4999 (1004-1006 and 1015 are reserved)", "RFC 6455 §7.4",
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.accept"})
               await send({"type": "websocket.close", "code": 1006})
           """, at="asgi.send", scope={"type": "websocket"}, inputs=[{"type": "websocket.connect"}])),
    _r("ws-close-reason", "warning", "the close reason is not a str of at most 123 UTF-8 bytes",
       "send a short text reason, or none", "RFC 6455 §5.5",
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.accept"})
               await send({"type": "websocket.close", "code": 1000, "reason": "x" * 200})
           """, at="asgi.send", scope={"type": "websocket"}, inputs=[{"type": "websocket.connect"}])),
    _r("ws-accept-headers", "error", "websocket.accept sets a Sec-WebSocket-Protocol header",
       "choose the subprotocol with the 'subprotocol' key instead", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.accept", "headers": [(b"sec-websocket-protocol", b"chat")]})
               await send({"type": "websocket.close"})
           """, at="asgi.send", scope={"type": "websocket", "subprotocols": ["chat"]},
           inputs=[{"type": "websocket.connect"}])),
    _r("ws-subprotocol-unoffered", "error", "the accepted subprotocol is not one the client offered",
       "pick one from scope['subprotocols'] (or none), as browsers fail the connection otherwise", "RFC 6455 §4.1",
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.accept", "subprotocol": "graphql-ws"})
               await send({"type": "websocket.close"})
           """, at="asgi.send", scope={"type": "websocket", "subprotocols": ["chat"]},
           inputs=[{"type": "websocket.connect"}])),
    _r("ws-no-handshake", "error", "the app returned without accepting or closing the connection",
       "send websocket.accept or websocket.close before returning", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
           """, at="asgi.end", scope={"type": "websocket"}, inputs=[{"type": "websocket.connect"}])),
    _r("ws-denial-invalid", "error", "the HTTP denial response was misused",
       "send websocket.http.response.start once, before accepting, and only if the extension is offered", _WS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "websocket.http.response.body", "body": b"no"})
           """, at="asgi.send", scope={"type": "websocket", "extensions": {"websocket.http.response": {}}},
           inputs=[{"type": "websocket.connect"}])),
    # ASGI: Lifespan
    _r("lifespan-both-outcomes", "error", "both .complete and .failed were sent for the same phase",
       "send exactly one of them", _LS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "lifespan.startup.complete"})
               await send({"type": "lifespan.startup.failed", "message": "no"})
           """, at="asgi.send", scope={"type": "lifespan"},
           inputs=[{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])),
    _r("lifespan-duplicate", "error", "a lifespan reply was sent twice",
       "reply to each of startup and shutdown once", _LS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "lifespan.startup.complete"})
               await send({"type": "lifespan.startup.complete"})
           """, at="asgi.send", scope={"type": "lifespan"},
           inputs=[{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])),
    _r("lifespan-out-of-order", "error", "a lifespan reply was sent before its event was received",
       "await receive() for lifespan.startup (or .shutdown) before replying to it", _LS,
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "lifespan.startup.complete"})
           """, at="asgi.send", scope={"type": "lifespan"},
           inputs=[{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])),
    _r("lifespan-startup-no-reply", "error", "the app exited during startup without a reply",
       "send lifespan.startup.complete, or lifespan.startup.failed with a message", _LS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
           """, at="asgi.end", scope={"type": "lifespan"},
           inputs=[{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])),
    _r("lifespan-shutdown-no-reply", "warning", "the app exited during shutdown without a reply",
       "send lifespan.shutdown.complete (or .failed) before returning", _LS,
       _asgi("""
           async def app(scope, receive, send):
               await receive()
               await send({"type": "lifespan.startup.complete"})
               await receive()
           """, at="asgi.end", scope={"type": "lifespan"},
           inputs=[{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}])),
    # HTTP semantics, both protocols
    _r("http-body-forbidden", "error", "a 1xx, 204 or 304 response has a body",
       "send no body with these statuses", _RFC + " §6.4.1",
       _wsgi("""
           def app(environ, start_response):
               start_response("204 No Content", [])
               return [b"x"]
           """, at="wsgi.body"),
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 304, "headers": []})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("http-head-body", "info", "the response to a HEAD request has a body",
       "servers drop it, so generating it is wasted work", _RFC + " §9.3.2",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "2")])
               return [b"hi"]
           """, at="wsgi.body", method="HEAD")),
    _r("http-content-length-invalid", "error", "Content-Length is not a single non-negative integer",
       "send one Content-Length with the byte count of the body", _RFC + " §8.6",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "two")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("http-content-length-mismatch", "error", "Content-Length differs from the number of body bytes sent",
       "set it from the encoded body (len(body_bytes)), or leave it out and let the server stream", _RFC + " §8.6",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "10")])
               return [b"hi"]
           """, at="wsgi.close"),
       _asgi("""
           async def app(scope, receive, send):
               await send({"type": "http.response.start", "status": 200,
                           "headers": [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", b"1")]})
               await send({"type": "http.response.body", "body": b"hi"})
           """, at="asgi.send")),
    _r("http-no-body-content-length", "warning", "a 1xx or 204 response has a non-zero Content-Length",
       "leave Content-Length out of these responses", _RFC + " §8.6",
       _wsgi("""
           def app(environ, start_response):
               start_response("204 No Content", [("Content-Length", "5")])
               return []
           """, at="wsgi.start_response")),
    _r("http-304-representation-header", "warning", "a 304 response carries representation headers",
       "send only Cache-Control, Content-Location, Date, ETag, Expires and Vary with 304", "RFC 9110 §15.4.5",
       _wsgi("""
           def app(environ, start_response):
               start_response("304 Not Modified", [("Content-Type", "text/plain; charset=utf-8")])
               return []
           """, at="wsgi.start_response")),
    _r("http-content-type-missing", "info", "a response with a body has no Content-Type",
       "say what the body is, e.g. 'text/html; charset=utf-8'", "wsgiref.validate",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("http-content-type-no-body", "info", "a 204 or 304 response has a Content-Type",
       "these responses have no content to describe", "wsgiref.validate",
       _wsgi("""
           def app(environ, start_response):
               start_response("204 No Content", [("Content-Type", "text/plain; charset=utf-8")])
               return []
           """, at="wsgi.start_response")),
    _r("http-content-type-duplicate", "warning", "the response has more than one Content-Type",
       "send exactly one", _RFC + " §8.3",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Type", "text/plain; charset=utf-8")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("http-charset-missing", "info", "a text/* Content-Type has no charset",
       "add one, e.g. 'text/plain; charset=utf-8'", _RFC + " §8.3.1",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/html")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("http-etag-unquoted", "warning", "the ETag is not a quoted string",
       "quote it: ETag: \"abc\" (or W/\"abc\" for a weak tag)", "RFC 9110 §8.8.3",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("ETag", "abc")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("http-location-relative", "info", "the Location header is a relative URL",
       "allowed by RFC 9110, but some old clients need an absolute URL", "Werkzeug lint",
       _wsgi("""
           def app(environ, start_response):
               start_response("302 Found", [("Content-Type", "text/plain; charset=utf-8"), ("Location", "/next")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    _r("http-cookie-insecure", "info", "a cookie is set without the Secure attribute over plain http",
       "add Secure (and HttpOnly, SameSite) before serving over https",
       "RFC 6265 §4.1.2.5",
       # Set-Cookie values are redacted by default, and a redacted cookie is not judged.
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Set-Cookie", "sid=1; HttpOnly")])
               return [b"hi"]
           """, at="wsgi.start_response", tracer_options={"redact_headers": ()})),
    _r("http-cors-credentials-wildcard", "warning", "Access-Control-Allow-Origin '*' is sent with credentials allowed",
       "browsers reject this, so echo the allowed origin instead of '*'", "Fetch standard",
       _wsgi("""
           def app(environ, start_response):
               start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"),
                                         ("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")])
               return [b"hi"]
           """, at="wsgi.start_response")),
    # The recording itself, both protocols
    _r("trace-incomplete", "warning", "the trace never completed: the server stopped or its process died mid-request",
       "look for a crash or a restart in the server's log, as the checks that need the request's end could not run",
       "trace format",
       _wsgi(_FINE, at="wsgi.start_response", crash=True)),
)

RULES: dict[str, Rule] = {rule.id: rule for rule in _ALL}
"""Every rule, by id."""
