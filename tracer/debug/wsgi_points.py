"""`WSGITracer` with breakpoints: the request's thread waits at a held event, before it takes effect.

Where a WSGI request can be held, and what an edit replaces:

- ``wsgi.environ``: before the app is called (not editable);
- ``wsgi.input``: after the stream returned, before the app gets the bytes;
- ``wsgi.start_response``: before the server's ``start_response`` gets the status and headers;
- ``wsgi.write``: before the server's ``write()`` gets the bytes;
- ``wsgi.body``: after the app's iterable yielded a chunk, before the server gets it.

The server's other threads go on serving; Werkzeug's threaded server, for
one, keeps answering other requests while one waits here. Each event is
recorded once it goes on, as what went on (see `DebugSession.annotate`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._session import TRACED_KEY, describe_exception
from .._wsgi_streams import TracedErrors, TracedInput, traced_input
from ..codec import encode
from ..wsgi import (
    SizedTracedIterable,
    TracedIterable,
    TracedWrite,
    call_app,
    _environ_data,
    _RequestState,
    _start_response_data,
    start_response_arguments,
)
from .request import DebugSession

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from ..wsgi import WSGITracer
    from .hold import Outcome


def held_call(tracer: WSGITracer, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """`WSGITracer.__call__` for a tracer with breakpoints enabled (after its nesting and exclusion checks)."""
    options = tracer.options
    debugger = tracer._debugger
    assert debugger is not None
    debugger.ensure_running()
    session = DebugSession(debugger, options, "wsgi", "http", tracer._hold_timeout)
    outcome = session.pause("wsgi.environ", environ)
    session.fenced("wsgi.environ", _annotated, session, "wsgi.environ", outcome, _environ_data, options.redactor, environ)
    try:
        environ[TRACED_KEY] = session.trace_id
    except Exception:  # noqa: BLE001 - an environ that is not a dict only loses the mark
        pass
    state = _RequestState(session, environ, tracer._open)
    stream = environ.get("wsgi.input")
    if stream is not None:
        environ["wsgi.input"] = traced_input(stream, session, HeldInput)
    errors = environ.get("wsgi.errors")
    if errors is not None:
        environ["wsgi.errors"] = TracedErrors(errors, session)

    def traced_start_response(*args: Any, **kwargs: Any) -> Any:
        status, headers, exc_info = start_response_arguments(args, kwargs)
        outcome = session.pause("wsgi.start_response", (status, headers))
        if outcome is not None and outcome.edited:
            status, headers = outcome.value
            args, kwargs = ((status, headers) if exc_info is None else (status, headers, exc_info)), {}
        session.fenced(
            "wsgi.start_response", _annotated, session, "wsgi.start_response", outcome,
            _start_response_data, options.redactor, status, headers, exc_info,
        )
        write = start_response(*args, **kwargs)
        if isinstance(status, str):
            state.status = status
        return HeldWrite(write, state)

    traced_start_response.__wrapped__ = start_response  # type: ignore[attr-defined]

    return call_app(tracer.app, environ, traced_start_response, state, HeldIterable, SizedHeldIterable)


def _annotated(session: DebugSession, kind: str, outcome: Outcome | None, build: Any, *args: Any) -> dict[str, Any]:
    return session.annotate(kind, build(*args), outcome)


def _body(state: _RequestState, kind: str, chunk: Any) -> Any:
    """Hold a body chunk if asked, record it as it goes on, and return it."""
    session: DebugSession = state.session  # type: ignore[assignment]
    outcome = session.pause(kind, chunk)
    if outcome is not None:
        chunk = outcome.value
    if type(chunk) is bytes:
        state.bytes_sent += len(chunk)
        data = {"data": session.response_body.encode(chunk)}
    else:
        data = {"data": encode(chunk)}
    session.emit(kind, session.annotate(kind, data, outcome))
    return chunk


class HeldInput(TracedInput):
    """``wsgi.input`` whose reads can be held and edited before the app gets them."""

    __slots__ = ()

    def _record(self, method: str, size: Any, data: Any) -> Any:
        session: DebugSession = self._session  # type: ignore[assignment]
        outcome = session.pause("wsgi.input", data, limit=size if method == "readinto" else None)
        if outcome is not None:
            data = outcome.value
        session.emit("wsgi.input", session.annotate("wsgi.input", self._data(method, size, data), outcome))
        return data


class HeldWrite(TracedWrite):
    """The ``write()`` callable, held before the server gets the bytes."""

    __slots__ = ()

    def __call__(self, data: Any) -> Any:
        return self._write(_body(self._state, "wsgi.write", data))


class HeldIterable(TracedIterable):
    """The app's response iterable, each chunk held (if asked) before the server gets it."""

    __slots__ = ()

    def __next__(self) -> bytes:
        iterator = self._iterator
        try:
            if iterator is None:
                iterator = self._iterator = iter(self._result)
            chunk = next(iterator)
        except StopIteration:
            self._state.exhausted = True
            raise
        except BaseException as exc:
            if not isinstance(exc, GeneratorExit):
                self._state.session.fenced("wsgi.error", describe_exception, exc)
            raise
        return _body(self._state, "wsgi.body", chunk)


class SizedHeldIterable(HeldIterable):
    """A `HeldIterable` for results that have ``len()`` (see `SizedTracedIterable`)."""

    __slots__ = ()

    def __len__(self) -> int:
        return len(self._result)  # type: ignore[arg-type]


__all__ = ["HeldInput", "HeldIterable", "HeldWrite", "SizedHeldIterable", "held_call"]
