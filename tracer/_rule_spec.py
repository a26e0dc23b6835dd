"""The spec behind each check rule of `tracer.checks.rules`, in the project's words, with its sections."""

from __future__ import annotations

from . import _sections as s
from ._sections import Section, SpecNote


def _n(text: str, *sections: Section) -> SpecNote:
    return SpecNote(text, sections)


RULE_NOTES: dict[str, SpecNote] = {
    # WSGI: environ
    "wsgi-environ-missing-key": _n(
        "The server must put REQUEST_METHOD, SERVER_NAME, SERVER_PORT and the wsgi.* keys in every environ; "
        "the other CGI variables may be left out only when they would be empty.", s.ENVIRON),
    "wsgi-environ-value": _n(
        "CGI and HTTP_* values are native strings; wsgi.version is (1, 0) and wsgi.url_scheme 'http' or 'https'.",
        s.ENVIRON, s.STRING_TYPES),
    "wsgi-version-not-tuple": _n(
        "wsgi.version is the tuple (1, 0): a list compares unequal to (1, 0), so an app that checks the "
        "version the way the PEP writes it sees a different one.", s.ENVIRON),
    "wsgi-environ-path": _n(
        "SCRIPT_NAME is where the app is mounted and PATH_INFO the rest of the path: each is empty or starts "
        "with '/', so the app at the root has SCRIPT_NAME '' and PATH_INFO '/'.", s.ENVIRON),
    "wsgi-environ-http-content": _n(
        "The request's Content-Type and Content-Length are CONTENT_TYPE and CONTENT_LENGTH, the CGI names; "
        "every other header becomes an HTTP_* key.", s.ENVIRON, s.WSGIREF_VALIDATE),
    "wsgi-environ-query-string": _n(
        "PEP 3333 lets a server leave out an empty QUERY_STRING; wsgiref.validate asks for it always, "
        "so apps that read environ['QUERY_STRING'] do not fail.", s.ENVIRON, s.WSGIREF_VALIDATE),
    # WSGI: start_response
    "wsgi-start-response-twice": _n(
        "start_response may be called more than once only with exc_info, from an error handler that replaces "
        "a response nothing of which was sent yet.", s.START_RESPONSE, s.ERRORS),
    "wsgi-exc-info-invalid": _n(
        "exc_info, when given, is the tuple sys.exc_info() returns inside the except block.",
        s.START_RESPONSE, s.ERRORS),
    "wsgi-no-start-response": _n(
        "The app must call start_response before its iterable yields the first body bytestring: without it "
        "the server has no status to send.", s.SPEC_DETAILS, s.START_RESPONSE),
    "wsgi-status-type": _n(
        "The status is a native string such as '200 OK'.", s.START_RESPONSE, s.STRING_TYPES),
    "wsgi-status-format": _n(
        "The status is a status code and a reason phrase separated by one space, with no control characters "
        "and nothing around them.", s.START_RESPONSE),
    "wsgi-headers-type": _n(
        "The headers are a Python list of (name, value) tuples; the server may change the list.", s.START_RESPONSE),
    "wsgi-headers-not-list": _n(
        "response_headers must be a Python list, type(response_headers) is ListType: the server may change "
        "its contents, and a tuple, or a list subclass, is refused by servers that check.", s.START_RESPONSE),
    "wsgi-header-not-tuple": _n(
        "Each item of response_headers is a (header_name, header_value) tuple; wsgiref.validate and "
        "Werkzeug's lint check that type(item) is tuple.", s.START_RESPONSE, s.WSGIREF_VALIDATE, s.WERKZEUG_LINT),
    "wsgi-header-type": _n(
        "Header names and values are native strings, like every string WSGI passes that is not body.",
        s.START_RESPONSE, s.STRING_TYPES),
    "wsgi-header-latin1": _n(
        "Native strings in headers must hold only code points that latin-1 encodes, since the server sends "
        "them as ISO-8859-1 bytes.", s.UNICODE, s.STRING_TYPES),
    "wsgi-header-invalid": _n(
        "A header name is an HTTP token, and a value holds no control characters: a CR or LF in a value "
        "would start a new header.", s.START_RESPONSE, s.FIELD_NAMES, s.FIELD_VALUES),
    "wsgi-status-header": _n(
        "The status goes in start_response's first argument; a 'Status' header is CGI's way and conflicts "
        "with it.", s.START_RESPONSE, s.WSGIREF_VALIDATE),
    "wsgi-hop-by-hop-header": _n(
        "Connection, Keep-Alive, Transfer-Encoding, Upgrade and the other hop-by-hop headers belong to the "
        "server: an app must not set them.", s.START_RESPONSE, s.HTTP_FEATURES),
    # WSGI: body
    "wsgi-body-before-start": _n(
        "start_response must be called before the iterable yields its first body bytestring, so the server "
        "can send the headers first.", s.SPEC_DETAILS, s.START_RESPONSE),
    "wsgi-body-type": _n(
        "The iterable yields bytestrings; text must be encoded by the app.", s.APPLICATION_SIDE, s.STRING_TYPES),
    "wsgi-body-str-returned": _n(
        "The app returns an iterable of bytestrings: a str is an iterable too, of one-character strings, "
        "so a server would send it a character at a time, if at all.", s.APPLICATION_SIDE, s.WERKZEUG_LINT),
    "wsgi-body-bytes-returned": _n(
        "The app returns an iterable of bytestrings: iterating a bare bytes value gives ints.",
        s.APPLICATION_SIDE, s.WSGIREF_VALIDATE),
    "wsgi-write-type": _n("write() takes a bytestring, like the chunks of the iterable.", s.WRITE),
    "wsgi-write-during-iteration": _n(
        "Applications must not call write() from within their iterable: what write() sends all goes out "
        "before the iterable's chunks.", s.WRITE),
    "wsgi-iterate-after-close": _n(
        "close() ends the request for the iterable: the server must not take more chunks from it after.",
        s.SPEC_DETAILS, s.WERKZEUG_LINT),
    "wsgi-close-not-called": _n(
        "If the iterable has close(), the server must call it when the request ends, normally, after an "
        "error or after the client went away, so the app can release its resources.", s.SPEC_DETAILS),
    "wsgi-errors-type": _n("wsgi.errors is a text stream: write str to it.", s.STREAMS),
    # WSGI: wsgi.input
    "wsgi-input-read-no-size": _n(
        "PEP 3333 lets servers allow read() without a size, but a server need not give an end-of-file at "
        "CONTENT_LENGTH, so a bare read() can wait for bytes that never come.", s.STREAMS, s.WERKZEUG_LINT),
    "wsgi-input-readline-no-size": _n(
        "readline() stops at a newline, which the body may never have: on a stream without an end-of-file "
        "it can block.", s.STREAMS, s.WERKZEUG_LINT),
    "wsgi-input-readline-size": _n(
        "Servers should support readline(size), but WSGI 1.0 did not require it, so some may not.",
        s.STREAMS, s.WERKZEUG_LINT),
    "wsgi-input-read-past-length": _n(
        "The app should not read more than CONTENT_LENGTH bytes: the server need not read past the client's "
        "Content-Length, and may block or give an end-of-file there.", s.STREAMS),
    "wsgi-input-unread": _n(
        "An unread request body stays in the connection: the server must read and discard it before it can "
        "take the next request on the same connection.", s.STREAMS),
    # ASGI: messages and scope
    "asgi-message-invalid": _n(
        "Every event is a dict with a 'type' key holding a string.", s.EVENTS, s.ERROR_HANDLING),
    "asgi-unknown-message": _n(
        "Message types are namespaced by protocol (http.*, websocket.*, lifespan.*); an extension's messages "
        "may be sent only when scope['extensions'] offers it.", s.PROTOCOLS, s.EXTENSIONS),
    "asgi-message-value": _n(
        "Events may hold only byte strings, text, integers, finite floats, lists, dicts, booleans and None, "
        "so they can be serialized.", s.EVENTS),
    "asgi-scope-invalid": _n(
        "The scope is a dict with 'type' and 'asgi' and the keys its protocol defines: an uppercase method, "
        "a path starting with '/', headers as [name, value] byte pairs, and so on.",
        s.CONNECTION_SCOPE, s.HTTP_SCOPE, s.WS_SCOPE, s.LIFESPAN_SCOPE),
    "asgi-receive-invalid": _n(
        "What receive() returns must follow the protocol too: the server's mistakes (a malformed message, "
        "a second http.request after the last) are the server's bugs.", s.ERROR_HANDLING, s.REQUEST),
    # ASGI: HTTP
    "asgi-body-before-start": _n(
        "http.response.start comes first; http.response.body messages follow it.", s.RESPONSE_START, s.RESPONSE_BODY),
    "asgi-start-twice": _n(
        "http.response.start is sent once, followed by at least one body message.", s.RESPONSE_START),
    "asgi-send-after-complete": _n(
        "A body message with more_body=False (and the trailers, if declared) completes the response; the "
        "server ignores any message after it.", s.RESPONSE_BODY, s.TRAILERS),
    "asgi-send-after-disconnect": _n(
        "Once receive() has returned http.disconnect, send() does nothing, or raises an OSError on servers "
        "of spec version 2.4 and later.", s.DISCONNECT, s.DISCONNECTED_CLIENT, s.ERROR_HANDLING),
    "asgi-no-response": _n(
        "The app answers every request with http.response.start and at least one body message; servers "
        "answer 500 for an app that returns without them.", s.RESPONSE_START, s.APPLICATIONS),
    "asgi-response-incomplete": _n(
        "The response is complete only with a body message that has more_body=False; an app that catches "
        "the OSError of a departed client may return without it.", s.RESPONSE_BODY, s.DISCONNECTED_CLIENT),
    "asgi-status-type": _n("The status is an int.", s.RESPONSE_START),
    "asgi-status-range": _n(
        "HTTP status codes are three digits from 100 to 599.", s.RESPONSE_START, s.STATUS_CODES),
    "asgi-headers-format": _n(
        "Headers are an iterable of [name, value] two-item iterables.", s.RESPONSE_START),
    "asgi-header-type": _n(
        "Header names and values are byte strings.", s.RESPONSE_START),
    "asgi-header-invalid": _n(
        "A header name is an HTTP token, and a value holds no CR, LF or NUL: a line break in a value would "
        "start a new header.", s.RESPONSE_START, s.FIELD_NAMES, s.FIELD_VALUES),
    "asgi-header-case": _n(
        "Response header names must be lowercased.", s.RESPONSE_START),
    "asgi-transfer-encoding": _n(
        "An app may send a Transfer-Encoding header, but the server must ignore it: it chooses the transfer "
        "encoding itself, chunked when there is no Content-Length.", s.RESPONSE_START),
    "asgi-body-type": _n("The body is a byte string.", s.RESPONSE_BODY),
    "asgi-flag-type": _n(
        "more_body, trailers and more_trailers are booleans.", s.RESPONSE_BODY, s.RESPONSE_START, s.TRAILERS),
    "asgi-trailers-undeclared": _n(
        "An app that will send trailers sets trailers=True in http.response.start, so the server waits for "
        "them.", s.TRAILERS, s.RESPONSE_START),
    "asgi-trailers-before-body-end": _n(
        "Trailers come after the last body message (more_body=False).", s.TRAILERS),
    "asgi-trailers-unsupported": _n(
        "Trailers are an extension: an app uses them only when scope['extensions'] holds "
        "'http.response.trailers'.", s.TRAILERS, s.EXTENSIONS),
    "asgi-trailers-missing": _n(
        "With trailers=True the server waits for http.response.trailers after the body, and the response is "
        "not complete until they come.", s.RESPONSE_START, s.TRAILERS),
    "asgi-extension-unsupported": _n(
        "A server lists the extensions it supports in scope['extensions']; an app sends an extension's "
        "messages only when it is listed.", s.EXTENSIONS),
    "asgi-extension-fields": _n(
        "Each extension message has the keys its extension defines, with their types.",
        s.EXTENSIONS, s.PATH_SEND, s.ZERO_COPY, s.EARLY_HINTS, s.PUSH, s.DEBUG),
    "asgi-extension-late": _n(
        "The Debug extension's message is sent once, before the Response Start message. The Early Hints "
        "extension's text lets its message come after Response Start but before the final body; yet a 103 "
        "response precedes the final response (RFC 8297), and Hypercorn and uvicorn send it only before "
        "http.response.start and raise on it later, so an early hint after the start is a warning and one "
        "after the final body an error.",
        s.DEBUG, s.EARLY_HINTS),
    # ASGI: WebSocket
    "ws-send-before-accept": _n(
        "websocket.connect must be answered with websocket.accept or websocket.close before any message "
        "passes.", s.CONNECT, s.ACCEPT),
    "ws-accept-before-connect": _n(
        "The server sends websocket.connect during the handshake; the app answers it, so it receives it first.",
        s.CONNECT),
    "ws-accept-twice": _n("A websocket is accepted once.", s.ACCEPT),
    "ws-send-after-close": _n(
        "websocket.close ends the connection (before accepting, the server refuses it with 403); nothing "
        "more can be sent on it.", s.CLOSE),
    "ws-send-after-disconnect": _n(
        "Once receive() has returned websocket.disconnect, send() does nothing, or raises an OSError on "
        "servers of spec version 2.4 and later.", s.WS_DISCONNECT, s.DISCONNECTED_CLIENT),
    "ws-receive-after-disconnect": _n(
        "websocket.disconnect is the last message of a connection: a receive loop ends on it.", s.WS_DISCONNECT),
    "ws-payload": _n(
        "websocket.send holds exactly one of 'bytes' (a byte string) and 'text' (a str); the other is "
        "absent or None.", s.WS_SEND),
    "ws-close-code": _n(
        "The close code is an int a close frame may carry: 1000-1003, 1007-1014 or 3000-4999; 1004 is reserved, "
        "and 1005, 1006 and 1015 only describe a closed connection.", s.CLOSE, s.WS_STATUS_CODES),
    "ws-close-reason": _n(
        "The close reason is text; a close frame holds at most 125 bytes, 2 of them the code, so the reason "
        "is at most 123 UTF-8 bytes.", s.CLOSE, s.WS_CLOSE_FRAME),
    "ws-accept-headers": _n(
        "websocket.accept chooses the subprotocol with its 'subprotocol' key; its headers must not include "
        "sec-websocket-protocol.", s.ACCEPT),
    "ws-subprotocol-unoffered": _n(
        "The accepted subprotocol must be one the client listed (scope['subprotocols']); a client fails the "
        "connection otherwise.", s.ACCEPT, s.WS_SCOPE, s.WS_CLIENT),
    "ws-no-handshake": _n(
        "websocket.connect must be answered with websocket.accept or websocket.close; a server refuses an "
        "unanswered handshake with 403.", s.CONNECT),
    "ws-denial-invalid": _n(
        "With the denial response extension, an app answers the handshake with websocket.http.response.start "
        "and .body instead of accepting; no websocket message may follow them.", s.DENIAL),
    # ASGI: Lifespan
    "lifespan-both-outcomes": _n(
        "Each phase is answered with .complete or .failed, not both.",
        s.STARTUP_COMPLETE, s.STARTUP_FAILED, s.SHUTDOWN_COMPLETE, s.SHUTDOWN_FAILED),
    "lifespan-duplicate": _n(
        "Each of lifespan.startup and lifespan.shutdown is answered once.",
        s.STARTUP_COMPLETE, s.SHUTDOWN_COMPLETE),
    "lifespan-out-of-order": _n(
        "The app answers lifespan.startup after receiving it and before lifespan.shutdown, then answers "
        "lifespan.shutdown after receiving it.", s.STARTUP, s.SHUTDOWN),
    "lifespan-startup-no-reply": _n(
        "The server waits for lifespan.startup.complete before taking connections; an app that raises "
        "instead is taken to have no lifespan support.", s.STARTUP_COMPLETE, s.LIFESPAN_SCOPE),
    "lifespan-shutdown-no-reply": _n(
        "The server waits for lifespan.shutdown.complete before it terminates.", s.SHUTDOWN_COMPLETE),
    # HTTP semantics
    "http-body-forbidden": _n(
        "1xx, 204 and 304 responses have no content; the server cannot send a body with them.",
        s.CONTENT_SEMANTICS, s.START_RESPONSE, s.RESPONSE_START),
    "http-head-body": _n(
        "A response to HEAD is the headers a GET would get, without the body: the server drops what the app "
        "sends.", s.HEAD, s.CONTENT_SEMANTICS),
    "http-content-length-invalid": _n(
        "Content-Length is one non-negative decimal number of bytes.", s.CONTENT_LENGTH_FIELD, s.CONTENT_LENGTH),
    "http-content-length-mismatch": _n(
        "The server should not send more bytes than Content-Length says, and should close the connection when "
        "the app sends fewer.", s.CONTENT_LENGTH, s.CONTENT_LENGTH_FIELD),
    "http-no-body-content-length": _n(
        "A 1xx or 204 response has no Content-Length.", s.CONTENT_LENGTH_FIELD),
    "http-304-representation-header": _n(
        "A 304 carries only the headers a 200 would have that update the client's cache (Cache-Control, "
        "Content-Location, Date, ETag, Expires, Vary).", s.NOT_MODIFIED),
    "http-content-type-missing": _n(
        "A response with content should say what it is; without Content-Type a client may guess.",
        s.CONTENT_TYPE, s.WSGIREF_VALIDATE),
    "http-content-type-no-body": _n(
        "A 204 or 304 has no content for a Content-Type to describe.", s.CONTENT_SEMANTICS, s.WSGIREF_VALIDATE),
    "http-content-type-duplicate": _n("Content-Type is a single value.", s.CONTENT_TYPE),
    "http-charset-missing": _n(
        "The charset parameter says how text/* content is encoded; without it a client may guess.", s.CHARSET),
    "http-etag-unquoted": _n(
        "An entity tag is a quoted string, with W/ in front for a weak one.", s.ETAG),
    "http-location-relative": _n(
        "Location may be a relative reference, resolved against the request's URL; some old clients expect "
        "an absolute one.", s.LOCATION, s.WERKZEUG_LINT),
    "http-cookie-insecure": _n(
        "A cookie without Secure is also sent over plain http, where anyone on the path can read it.",
        s.SECURE_COOKIE),
    "http-cors-credentials-wildcard": _n(
        "A response to a request with credentials must name the allowed origin: browsers reject '*' there.",
        s.CORS_CREDENTIALS),
    # The recording
    "trace-incomplete": _n(
        "A trace ends with wsgi.end or asgi.end, written when the server is done with the request (after the "
        "iterable's close()) or the app's coroutine returns; a trace without it was cut short.",
        s.SPEC_DETAILS, s.APPLICATIONS),
}
"""The spec behind every rule, by rule id."""
