"""WSGI middleware that records every step of each request (PEP 3333).

    from tracer import JsonlSink, WSGITracer

    app = WSGITracer(app, sink=JsonlSink("traces.jsonl"))

    # Flask: keep the Flask object, wrap its WSGI callable
    flask_app.wsgi_app = WSGITracer(flask_app.wsgi_app, sink=...)

It observes and never changes: the app gets the environ the server passed
(with ``wsgi.input`` and ``wsgi.errors`` replaced in place by recording
proxies, as Werkzeug's lint middleware does), the server gets the status,
headers and every chunk as the app produced them, one by one, and
exceptions propagate as the same objects.

A request passes through one tracer only: the outer one records it and sets
``environ["tracer.traced"]`` (after taking its snapshot), and an inner
`WSGITracer` that finds that key passes the request on unrecorded, warning
once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Iterator
from typing import Any, Final, TYPE_CHECKING

from ._compiled import mypyc_attr
from ._options import DEFAULT_HOLD_TIMEOUT, DEFAULT_MAX_BODY_BYTES, TracerOptions, start_extras
from ._session import TRACED_KEY, TraceSession, describe_exception, line_file, new_session, unrecordable, warn_nested
from ._wsgi_streams import TracedErrors, TracedInput, traced_input  # noqa: F401 - TracedInput re-exported
from .codec import encode, encode_repr
from .redact import Redactor
from .sink import Sink

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication

    from .debug import Debugger


class WSGITracer:
    """Wraps a WSGI application and records each request as a trace.

    Args:
        app: The WSGI application.
        sink: Where events go; default a `JsonlSink` on ``$TRACER_FILE`` or ``traces.jsonl``.
        max_body_bytes: Body bytes kept per trace and direction (None: all).
        redact_headers: Header names whose values are replaced by ``"[redacted]"``;
            replaces `DEFAULT_REDACT_HEADERS`.
        exclude_paths: Paths not traced: exact, or a prefix when ending in ``*``.
        breakpoints: Turn the debugger on (True), off (False), or on with these
            breakpoints (``[FILTER] [@ KIND,...]``, docs/debugging.md); None reads
            ``$TRACER_BREAKPOINTS``. On, a control socket for this process lets
            ``tracer view FILE`` hold, step and edit requests.
        hold_timeout: Seconds after which a held request goes on by itself.
        capture_output: Record the app's log records and stdout/stderr lines, written while a
            request runs, as ``app.log`` events of that request (process-wide; off by default).
    """

    def __init__(
        self,
        app: WSGIApplication,
        sink: Sink | None = None,
        *,
        # Any where a wrong value gets a one-line UsageError: compiled, int, float and bool are checked at the call.
        max_body_bytes: Any = DEFAULT_MAX_BODY_BYTES,
        redact_headers: Iterable[str] | None = None,
        exclude_paths: Iterable[str] = (),
        breakpoints: bool | Iterable[str] | None = None,
        hold_timeout: Any = DEFAULT_HOLD_TIMEOUT,
        capture_output: Any = False,
    ) -> None:
        self.app = app
        self.options = TracerOptions(sink, max_body_bytes, redact_headers, exclude_paths)
        self._nested_warned = False
        self._open: set[_RequestState] | None = None
        self._debugger: Debugger | None = None
        self._held: Any = None
        self._hold_timeout = hold_timeout
        self._line_file = line_file(self.options.sink)
        start_extras(self, breakpoints, hold_timeout, capture_output)

    @property
    def sink(self) -> Sink:
        """The sink events go to."""
        return self.options.sink

    @property
    def debugger(self) -> Debugger | None:
        """The `Debugger` holding this tracer's requests at breakpoints, or None when breakpoints are off."""
        return self._debugger

    def _track_open_requests(self) -> None:
        """Keep the requests in progress, so that `_stop_open_requests` can close their traces."""
        if self._open is None:
            self._open = set()

    def _stop_open_requests(self, reason: str) -> int:
        """End the trace of each request still in progress with ``"stopped": reason``.

        For a server that stops with requests still running (their threads
        die with the process); needs `_track_open_requests` first. Returns how
        many traces it ended.
        """
        opened = self._open
        if not opened:
            return 0
        return sum(state.end(reason) for state in opened.copy())

    # Any, not WSGIEnvironment: compiled, a dict annotation is checked at the call, and an odd
    # environ (against PEP 3333) must reach the app as it is.
    def __call__(self, environ: Any, start_response: StartResponse) -> Iterable[bytes]:
        if TRACED_KEY in environ:
            # An outer tracer records this request.
            if not self._nested_warned:
                warn_nested(self)
            return self.app(environ, start_response)
        options = self.options
        if options._exact or options._prefixes:
            if options.excluded(environ.get("PATH_INFO")):
                return self.app(environ, start_response)
        if self._held is not None:
            return self._held(self, environ, start_response)
        failures = options.failures
        redactor = options.redactor
        # A server with many threads: a write in the request's thread would hand the GIL to another request.
        defer = environ.get("wsgi.multithread") is True
        session = new_session(self._line_file, options.sink, failures, "wsgi", "http", options.max_body_bytes, defer)
        # session.fenced() inlined here and in TracedStartResponse: they run for every request.
        try:
            data = _environ_data(redactor, environ)
        except Exception as exc:  # noqa: BLE001 - a value we cannot encode never fails a request
            failures.report(exc)
            data = unrecordable(exc)
        session.emit("wsgi.environ", data)
        try:
            # After the snapshot, so that the trace shows the environ as the server passed it;
            # removed when the trace ends, so that an environ used again (a test's) is traced again.
            environ[TRACED_KEY] = session.trace_id
        except Exception:  # noqa: BLE001 - an environ that is not a dict (against PEP 3333) only loses the mark
            pass
        state = _RequestState(session, environ, self._open)
        # The streams are replaced in place (as Werkzeug's lint does) by recording proxies.
        stream = environ.get("wsgi.input")
        if stream is not None:
            environ["wsgi.input"] = traced_input(stream, session)
        errors = environ.get("wsgi.errors")
        if errors is not None:
            environ["wsgi.errors"] = TracedErrors(errors, session)

        start = TracedStartResponse(start_response, redactor, failures, state)
        return call_app(self.app, environ, start, state)


def call_app(
    app: Any, environ: Any, start_response: Any, state: _RequestState, iterable: Any = None, sized: Any = None
) -> Any:
    """Call the app; record what it raises; wrap what it returns to record the body.

    The wrapper is a `TracedIterable` (`SizedTracedIterable` when the result has
    a length), or `iterable` (`sized`) when given: named rather than passed,
    compiled, the recording path's classes are built by their native constructors.

    The server's own ``wsgi.file_wrapper`` object goes back untouched, so that it can still send the file itself.
    """
    try:
        result = app(environ, start_response)
    except BaseException as exc:
        state.session.fenced("wsgi.error", describe_exception, exc)
        state.end()
        raise
    file_wrapper = environ.get("wsgi.file_wrapper")
    if isinstance(file_wrapper, type) and isinstance(result, file_wrapper):
        return _pass_file_wrapper(result, state)
    # On the result, not its type: a type without the attribute raises (a formatted AttributeError) inside hasattr.
    has_length = hasattr(result, "__len__")
    if iterable is None:
        return SizedTracedIterable(result, state) if has_length else TracedIterable(result, state)
    return sized(result, state) if has_length else iterable(result, state)


_ending: Final = threading.Lock()
"""Taken to end a tracked request: the server may stop it from another thread (`_stop_open_requests`)."""


class _RequestState:
    """What one request's wrappers share: its session, status line and byte count."""

    __slots__ = ("session", "environ", "status", "bytes_sent", "ended", "file_wrapper", "exhausted", "opened")

    def __init__(self, session: TraceSession, environ: Any, opened: set[_RequestState] | None = None) -> None:
        self.session = session
        self.environ = environ
        self.status: str | None = None
        self.bytes_sent = 0
        self.ended = False
        self.file_wrapper: str | None = None
        self.exhausted = False
        self.opened = opened
        if opened is not None:
            opened.add(self)

    def end(self, stopped: str | None = None) -> bool:
        """Record ``wsgi.end`` unless it is recorded already; returns whether this call did.

        `stopped` says why the server ended a request that had not finished;
        nothing the app does afterwards is recorded.
        """
        if self.ended:
            return False
        opened = self.opened
        if opened is None:
            self.ended = True
        else:
            with _ending:
                if self.ended:
                    return False
                self.ended = True
            opened.discard(self)
        try:
            self.environ.pop(TRACED_KEY, None)
        except Exception:  # noqa: BLE001
            pass
        data: dict[str, Any] = {"status": self.status, "bytes_sent": self.bytes_sent}
        if self.file_wrapper is None:
            # False when the server stopped early (a client that went away mid-body).
            data["exhausted"] = self.exhausted
        else:
            # The server sent the file itself (perhaps with sendfile); its bytes were not seen.
            data["file_wrapper"] = self.file_wrapper
        if stopped is None:
            self.session.finish("wsgi.end", data)
        else:
            data["stopped"] = stopped
            self.session.emit_last("wsgi.end", data)
        return True

    def body(self, kind: str, data: Any) -> None:
        session = self.session
        if type(data) is bytes:
            self.bytes_sent += len(data)
            session.emit(kind, {"data": session.response_body.encode(data)})
        else:
            session.fenced(kind, _odd_body, data)


def _odd_body(data: Any) -> dict[str, Any]:
    return {"data": encode(data)}


def _type_name(value: Any) -> str:
    kind = type(value)
    if kind.__module__ == "builtins":
        return kind.__qualname__
    return f"{kind.__module__}.{kind.__qualname__}"


_TUPLE_ONLY: Final = frozenset({tuple})
_EXHAUSTED: Final = object()  # what TracedIterable.__next__ takes from an app's iterable that has no more


def _iterate(iterator: Any) -> Iterator[Any]:
    """The items of an iterator that has ``__next__`` but no ``__iter__``, from an iterator that has both."""
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        yield item


def _environ_data(redactor: Redactor, environ: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"environ": redactor.encode_environ(environ)}
    # The encoding makes lists of tuples; PEP 3333's wsgi.version is a tuple, so any other type is kept.
    if type(environ) is dict:
        version = environ.get("wsgi.version", ())
        if type(version) is not tuple:
            data["wsgi_version_type"] = _type_name(version)
    return data


def start_response_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any, Any]:
    """The status, headers and exc_info of a ``start_response`` call, passed by position or by name."""
    if len(args) == 2 and not kwargs:
        # The usual call, start_response(status, headers).
        return args[0], args[1], None
    status = args[0] if args else kwargs.get("status")
    headers = args[1] if len(args) > 1 else kwargs.get("headers", kwargs.get("response_headers"))
    exc_info = args[2] if len(args) > 2 else kwargs.get("exc_info")
    return status, headers, exc_info


def _start_response_data(redactor: Redactor, status: Any, headers: Any, exc_info: Any) -> dict[str, Any]:
    described = None
    if exc_info:
        try:
            described = {"type": exc_info[0].__qualname__, "message": str(exc_info[1])}
        except Exception:  # noqa: BLE001 - a malformed exc_info is the app's bug, recorded as is
            described = {"type": "?", "message": repr(exc_info)}
    data: dict[str, Any] = {
        "status": status if type(status) is str else encode(status),
        "headers": redactor.encode_headers(headers),
        "exc_info": described,
    }
    # The encoding makes lists of tuples; the types PEP 3333 requires (a list of tuples) are kept only
    # when they are not those, so that ordinary lines stay as they are.
    kind = type(headers)
    if kind is not list:
        data["headers_type"] = _type_name(headers)
    if kind is list or kind is tuple:
        if not _TUPLE_ONLY.issuperset(map(type, headers)):
            data["header_item_types"] = [None if type(item) is tuple else _type_name(item) for item in headers]
    return data


class TracedStartResponse:
    """The ``start_response`` the app gets: records each call, then makes it.

    A class, not a closure: compiled with mypyc, a closure and its environment
    refer to each other, and every request would wait for the garbage collector.
    """

    __slots__ = ("_start_response", "_redactor", "_failures", "_state")

    def __init__(self, start_response: Any, redactor: Redactor, failures: Any, state: _RequestState) -> None:
        self._start_response = start_response
        self._redactor = redactor
        self._failures = failures
        self._state = state

    @property
    def __wrapped__(self) -> Any:
        """The server's ``start_response``, as functools.wraps would give it (for introspection)."""
        return self._start_response

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        status, headers, exc_info = start_response_arguments(args, kwargs)
        state = self._state
        try:
            data = _start_response_data(self._redactor, status, headers, exc_info)
        except Exception as exc:  # noqa: BLE001 - a value we cannot encode never fails a request
            self._failures.report(exc)
            data = unrecordable(exc)
        state.session.emit("wsgi.start_response", data)
        write = self._start_response(*args, **kwargs)
        # Only now: a server refuses a late status change (exc_info after headers went out).
        if isinstance(status, str):
            state.status = status
        return TracedWrite(write, state)


@mypyc_attr(allow_interpreted_subclasses=True)  # the debugger's HeldWrite
class TracedWrite:
    """The legacy ``write()`` callable that start_response returns, recording each call."""

    __slots__ = ("_write", "_state")

    def __init__(self, write: Any, state: _RequestState) -> None:
        self._write = write
        self._state = state

    def __call__(self, data: Any) -> Any:
        self._state.body("wsgi.write", data)
        return self._write(data)


@mypyc_attr(allow_interpreted_subclasses=True)  # the debugger's HeldIterable
class TracedIterable:
    """The app's response iterable, passed through chunk by chunk and recorded.

    A class rather than a generator: ``close()`` must reach the app's iterable
    even when the server never started iterating.
    """

    __slots__ = ("_result", "_iterator", "_state")

    def __init__(self, result: Iterable[Any], state: _RequestState) -> None:
        self._result = result
        # Of Any: compiled, bytes would be checked, and an app's str chunk must reach the server as it is.
        self._iterator: Iterator[Any] | None = None
        self._state = state

    def __del__(self) -> None:
        # A server that never calls close() still gets a complete trace.
        try:
            self._state.end()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    def __iter__(self) -> TracedIterable:
        return self

    def __next__(self) -> Any:
        iterator = self._iterator
        try:
            if iterator is None:
                iterator = iter(self._result)
                if not hasattr(type(iterator), "__iter__"):
                    iterator = _iterate(iterator)  # iter() accepts an object with __next__ alone; a loop does not
                self._iterator = iterator
            # A loop taking one item rather than next(): compiled, it is one C call (PyIter_Next) that
            # ends without a StopIteration to create and catch; next() is looked up in builtins each time.
            for chunk in iterator:
                break
            else:
                chunk = _EXHAUSTED
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                self._state.session.fenced("wsgi.error", describe_exception, exc)
            raise
        state = self._state
        if chunk is _EXHAUSTED:
            state.exhausted = True
            raise StopIteration
        if type(chunk) is bytes:
            # state.body() inlined: this runs for every chunk of every response.
            state.bytes_sent += len(chunk)
            session = state.session
            session.emit("wsgi.body", {"data": session.response_body.encode(chunk)})
        else:
            state.body("wsgi.body", chunk)
        return chunk

    def close(self) -> None:
        state = self._state
        state.session.emit("wsgi.close", {})
        close = getattr(self._result, "close", None)
        try:
            if close is not None:
                close()
        except BaseException as exc:
            state.session.fenced("wsgi.error", describe_exception, exc)
            raise
        finally:
            state.end()


# Decorated too: compiled (mypy 2.4.1), a native subclass adding no attributes to a class that allows
# interpreted subclasses never releases the attributes it inherits (every request's state leaked).
@mypyc_attr(allow_interpreted_subclasses=True)
class SizedTracedIterable(TracedIterable):
    """A `TracedIterable` for results that have ``len()``.

    Servers use ``len()`` of a one-item list to set Content-Length, and some
    (waitress) call it whenever ``__len__`` exists, so only sized results get one.
    """

    __slots__ = ()

    def __len__(self) -> int:
        return len(self._result)  # type: ignore[arg-type]


def _pass_file_wrapper(result: Any, state: _RequestState) -> Any:
    """Return the server's file wrapper object itself, so the server can still use sendfile."""
    original_close = getattr(result, "close", None)
    state.file_wrapper = encode_repr(result)["$repr"]

    def traced_close() -> None:
        state.session.emit("wsgi.close", {})
        try:
            if original_close is not None:
                original_close()
        finally:
            state.end()

    try:
        result.close = traced_close
    except (AttributeError, TypeError):
        # Not patchable (a C type): the trace ends now, as the server takes over.
        state.end()
        return result
    try:
        weakref.finalize(result, state.end)
    except TypeError:  # not weakly referenceable
        pass
    return result
