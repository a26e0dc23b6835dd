"""The WSGI exchange (PEP 3333): called, status and headers set, headers sent, iterating, closed."""

from __future__ import annotations

from typing import Any

from ..model import Event, TruncatedBytes
from ..summary import body_size
from .framing import lowered_headers
from .machine import Follower, Machine, Mistake, State, Transition, frozen


class WSGIState(State):
    """Where a WSGI request is."""

    CALLED = "called"
    HEADERS_SET = "status and headers set"
    HEADERS_SENT = "headers sent"
    ITERATING = "iterating"
    CLOSED = "closed"


CALLED, HEADERS_SET, HEADERS_SENT, ITERATING, CLOSED = WSGIState

ENVIRON = "wsgi.environ"
INPUT = "wsgi.input"
ERRORS = "wsgi.errors"
START = "wsgi.start_response"
START_EXC_INFO = "wsgi.start_response (exc_info)"
START_AGAIN = "wsgi.start_response (again, no exc_info)"
WRITE = "wsgi.write"
WRITE_ITERATING = "wsgi.write (while iterating)"
BODY = "wsgi.body"
BODY_EMPTY = "wsgi.body (empty)"
BODY_ODD = "wsgi.body (not bytes)"
CLOSE = "wsgi.close"
END = "wsgi.end"
END_NO_START = "wsgi.end (start_response never called)"
END_FILE = "wsgi.end (file_wrapper)"
END_RAISED = "wsgi.end (the app raised)"
END_RAISED_ITERATING = "wsgi.end (raised while iterating)"

_ANSWERING = (HEADERS_SET, HEADERS_SENT, ITERATING)
_LIVE = (CALLED, *_ANSWERING)
_BODIES = (BODY, BODY_EMPTY, BODY_ODD)

MACHINE = Machine(
    name="wsgi",
    title="WSGI",
    states=tuple(WSGIState),
    triggers=frozen({
        ENVIRON: "the server calls app(environ, start_response)",
        INPUT: "the app reads the request body from environ['wsgi.input']",
        ERRORS: "the app writes to environ['wsgi.errors']",
        START: "the app calls start_response(status, headers) for the first time",
        START_EXC_INFO: "the app calls start_response with exc_info, from an error handler",
        START_AGAIN: "the app calls start_response again without exc_info",
        WRITE: "the app calls the write() callable start_response returned, with bytes",
        WRITE_ITERATING: "the app calls write() after the server began iterating its body",
        BODY: "the server takes a non-empty bytes chunk from the app's iterable",
        BODY_EMPTY: "the server takes an empty chunk (b'') from the app's iterable",
        BODY_ODD: "the app's iterable yields something that is not bytes",
        CLOSE: "the server calls close() on the app's iterable",
        END: "the server is done with the request",
        END_NO_START: "the server is done, and the app never called start_response",
        END_FILE: "the server is done; the app returned wsgi.file_wrapper, which the server sent itself",
        END_RAISED: "the server is done; the app raised instead of returning an iterable",
        END_RAISED_ITERATING: "the server is done; the app raised while the server iterated its body",
    }),
    transitions=(
        Transition((), ENVIRON, CALLED, "The server calls the app with the request in the environ."),
        Transition(_LIVE, INPUT, None, "The app reads part of the request body; nothing changes in the response."),
        Transition(_LIVE, ERRORS, None, "The app writes to the server's error log."),
        Transition((CALLED,), START, HEADERS_SET, "start_response stores the status and headers; nothing is sent yet."),
        Transition((CALLED, HEADERS_SET), START_EXC_INFO, HEADERS_SET,
                   "start_response with exc_info replaces the stored status and headers: nothing was sent, "
                   "so the app can still change its mind."),
        Transition((HEADERS_SENT, ITERATING), START_EXC_INFO, None,
                   "The headers are already out: start_response re-raises the exception, and the server can only "
                   "cut the response short."),
        Transition((HEADERS_SET,), WRITE, HEADERS_SENT, "write() sends the status line and headers, then its bytes."),
        Transition((HEADERS_SENT,), WRITE, None, "write() sends its bytes at once."),
        Transition((HEADERS_SET,), WRITE_ITERATING, HEADERS_SENT, "write() sends the headers and its bytes."),
        Transition((HEADERS_SENT, ITERATING), WRITE_ITERATING, None, "write() sends its bytes at once."),
        Transition((HEADERS_SET,), BODY, HEADERS_SENT,
                   "The first non-empty chunk: the server sends the status line and headers, then the chunk."),
        Transition((HEADERS_SET,), BODY_EMPTY, None, "An empty chunk sends nothing: the headers still wait."),
        Transition((HEADERS_SENT, ITERATING), BODY, ITERATING, "The server sends the chunk as soon as it has it."),
        Transition((HEADERS_SENT, ITERATING), BODY_EMPTY, ITERATING, "An empty chunk: nothing to send this time."),
        Transition(_ANSWERING, CLOSE, CLOSED,
                   "The server calls close() on the iterable: the app releases what it held. If no chunk had any "
                   "bytes, the status and headers go out now, with an empty body."),
        Transition((CALLED,), CLOSE, CLOSED,
                   "The server calls close() on the iterable; the app never gave a status, so the server answers "
                   "with an error."),
        Transition(_ANSWERING, END_FILE, CLOSED,
                   "The server sent the file itself (with sendfile where it can) and closed it."),
    ),
    mistakes=(
        Mistake((CALLED,), (*_BODIES, WRITE), "wsgi-body-before-start",
                "Sending body bytes before start_response: the server has no status to send.", once=True),
        Mistake((*_ANSWERING, CLOSED), (START_AGAIN,), "wsgi-start-response-twice",
                "Calling start_response again without exc_info."),
        Mistake((*_ANSWERING, CLOSED), (WRITE_ITERATING,), "wsgi-write-during-iteration",
                "Calling write() once the server has begun iterating the body."),
        Mistake((CLOSED,), _BODIES, "wsgi-iterate-after-close", "Producing a chunk after close()."),
        Mistake((CALLED, CLOSED), (END_NO_START,), "wsgi-no-start-response",
                "Finishing without ever calling start_response."),
        Mistake(_ANSWERING, (END, END_RAISED_ITERATING), "wsgi-close-not-called",
                "The server finishing without calling close() on the iterable.", by="server"),
    ),
    about=frozen({
        CALLED: "The server called app(environ, start_response). The request is in the environ; its body "
                "waits in environ['wsgi.input']. No response exists yet.",
        HEADERS_SET: "start_response stored the status and headers. Nothing has been sent: the server holds "
                     "them until the first non-empty chunk (or write()), so an error can still replace them.",
        HEADERS_SENT: "The status line and headers went out with the first non-empty chunk. From here the "
                      "status cannot change.",
        ITERATING: "The server takes one chunk after another from the app's iterable and sends each as it "
                   "comes; it never buffers them.",
        CLOSED: "The server called close() on the iterable, as PEP 3333 requires even after an error. The "
                "app released what it held; the request is over.",
    }),
    may=frozen({
        CALLED: (
            "read the request body from wsgi.input, at most CONTENT_LENGTH bytes",
            "write log lines (str) to wsgi.errors",
            "call start_response(status, headers) once",
            "raise: the server answers with a 500 error page",
        ),
        HEADERS_SET: (
            "return or yield the body as bytes chunks",
            "call write() with bytes (a legacy way to send body bytes before returning)",
            "call start_response again, only with exc_info, to replace the status and headers after an error",
        ),
        HEADERS_SENT: (
            "yield more bytes chunks; each goes out as it comes",
            "call write() again, if it has not returned its iterable yet",
            "end the iterable: the server then calls close()",
        ),
        ITERATING: (
            "yield more bytes chunks; each goes out as it comes",
            "end the iterable: the server then calls close()",
        ),
        CLOSED: ("nothing more: close() was the last call",),
    }),
    may_raised=(
        "the server calls close() on the iterable, if the app returned one",
        "then the server ends the request: a 500 error page if no headers went out yet",
    ),
)


class WSGIFollow(Follower):
    """Follows one WSGI request through `MACHINE`, and keeps what the response and the request body are so far.

    Attributes:
        started: start_response has been called.
        iterated: The server has taken at least one chunk from the iterable.
        error: The app raised.
        environ: The environ the server passed (``{}`` until seen).
        declared: The request's CONTENT_LENGTH, or None.
        terminated: The server promises end-of-file at the body's end (``wsgi.input_terminated``).
        read: Request body bytes the app has read.
        eof: A read returned nothing: the app reached the body's end.
        status: The response's status code, or None.
        raw_headers: The response headers as recorded (see `headers`).
        response_changes: How many times the status and headers were set.
        wrote: The app used write().
        chunks: Non-empty body chunks so far.
        sent_bytes: Body bytes the app produced so far.
    """

    machine = MACHINE
    entry_kind = ENVIRON
    end_kind = END

    def __init__(self) -> None:
        super().__init__()
        self.started = False
        self.iterated = False
        self.error = False
        self.environ: dict[str, Any] = {}
        self.declared: int | None = None
        self.terminated = False
        self.read = 0
        self.eof = False
        self.status: int | None = None
        self.raw_headers: Any = None
        self.response_changes = 0
        self.wrote = False
        self.chunks = 0
        self.sent_bytes = 0
        self._called = False

    def trigger(self, event: Event) -> str | None:
        kind, data = event.kind, event.data
        if kind == START:
            if data.get("exc_info"):
                return START_EXC_INFO
            return START_AGAIN if self._called else START
        if kind == WRITE:
            if not isinstance(data.get("data"), bytes):
                return None
            return WRITE_ITERATING if self.iterated else WRITE
        if kind == BODY:
            chunk = data.get("data")
            if not isinstance(chunk, bytes):
                return BODY_ODD
            return BODY if _size(chunk) else BODY_EMPTY
        if kind == "wsgi.end":
            if self.error:
                return END_RAISED_ITERATING if self.iterated else END_RAISED
            if not self._called:
                return END_NO_START
            return END_FILE if "file_wrapper" in data else END
        if kind == "wsgi.error":
            return None
        return kind if kind in (INPUT, ERRORS, CLOSE) else None

    def unrecorded(self, event: Event) -> str | None:
        if event.kind == START:
            return START_EXC_INFO if self._called else START
        if event.kind == BODY:
            return BODY
        if event.kind == WRITE:
            return WRITE_ITERATING if self.iterated else WRITE
        return None

    def note(self, event: Event, on: str | None) -> None:
        kind, data = event.kind, event.data
        if kind == ENVIRON:
            self._environ(data.get("environ"))
        elif kind == START:
            self._called = self.started = True
            self.status = _status(data.get("status"))
            self.raw_headers = data.get("headers")
            self.response_changes += 1
        elif kind == INPUT:
            got = body_size(data.get("data"))
            self.read += got
            if not got and data.get("size") != 0:
                self.eof = True
        elif kind in (BODY, WRITE):
            self.iterated = self.iterated or kind == BODY
            self.wrote = self.wrote or kind == WRITE
            size = _size(data.get("data"))
            if size:
                self.chunks += 1
                self.sent_bytes += size
        elif kind == "wsgi.error":
            self.error = True

    def _environ(self, environ: Any) -> None:
        if not isinstance(environ, dict):
            return
        self.environ = environ
        length = environ.get("CONTENT_LENGTH")
        if isinstance(length, str) and length.strip().isdigit():
            self.declared = int(length)
        self.terminated = bool(environ.get("wsgi.input_terminated"))

    @property
    def headers(self) -> tuple[tuple[str, str], ...]:
        """The response headers as (lowercase name, value) text pairs."""
        return lowered_headers(self.raw_headers)

    @property
    def unread(self) -> int | None:
        """Request body bytes still unread (by the declared CONTENT_LENGTH), or None when unknown."""
        if self.declared is not None:
            return max(self.declared - self.read, 0)
        return 0 if self.eof else None


def _size(data: Any) -> int:
    if isinstance(data, TruncatedBytes):
        return data.original_length
    return len(data) if isinstance(data, bytes) else 0


def _status(status: Any) -> int | None:
    if isinstance(status, str) and status[:3].isdigit():
        return int(status[:3])
    return None
