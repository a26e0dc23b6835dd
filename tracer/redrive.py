"""Recorded requests played again into an app, in this process, with no network.

    from tracer.redrive import Redriver

    with Redriver(app) as redriver:             # a WSGI or an ASGI app
        replay = redriver.replay(recorded)      # a Trace read from a trace file
        print(replay.compare().same)            # the new exchange against the recorded one

A WSGI app is called as a server calls it, with the recorded environ and a
``wsgi.input`` that returns the recorded bytes; a read never runs past the end
of a piece the recorded app got in one read, so the same reads get the same
pieces. An ASGI app runs on an event loop of its own, with a ``receive()``
that hands over the recorded messages in order (``more_body`` split and
client disconnects included), each once the app has sent as many messages
as it had by then in the recording (or has finished its response). A
recording made in one protocol plays into an app of the other
(`tracer.client_side`). An ASGI app's lifespan startup runs once before the
first request and its shutdown on `close()`, as a server's would; lifespan
traces are not replayed. Each new exchange is recorded into a `Recorder` through
`WSGITracer` / `ASGITracer`, redacting what the recording redacted.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from asgiref.compatibility import guarantee_single_callable

from .asgi import ASGITracer
from .client_side import Arrival, ReplayError, asgi_request, client_side, wsgi_request
from .compare import DEFAULT_IGNORED_HEADERS, Comparison, compare
from .detect import app_protocol
from .model import Trace
from .recorder import Recorder
from .redact import DEFAULT_REDACT_HEADERS, REDACTED
from .replay_input import ReplayInput
from .sink import Sink
from .wsgi import WSGITracer

__all__ = ["Redriver", "Replay", "ReplayError", "ReplayInput"]


@dataclass(slots=True)
class Replay:
    """One recorded exchange played again.

    Attributes:
        recorded: The trace played.
        trace: The new trace the app made.
        missing_headers: Headers the recording redacted that were not sent.
        notes: What the replay could not do as recorded.
    """

    recorded: Trace
    trace: Trace
    missing_headers: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def compare(self, ignore_headers: Iterable[str] | None = None) -> Comparison:
        """The new exchange against the recorded one (see `tracer.compare.compare`).

        The headers the recording redacted and the replay did not send (`missing_headers`)
        are left out: their absence is the replay's doing, said once as a warning.
        """
        ignored = set(DEFAULT_IGNORED_HEADERS if ignore_headers is None else ignore_headers)
        ignored.update(name.lower() for name in self.missing_headers)
        result = compare(self.recorded, self.trace, ignore_headers=ignored, labels=("recorded", "replayed"))
        result.notes[:0] = self.notes
        return result


class Redriver:
    """Plays recorded requests into one app, recording each new exchange.

    Args:
        app: The WSGI or ASGI app.
        protocol: ``"wsgi"`` or ``"asgi"``; detected from `app` when None.
        headers: ``(name, value)`` request headers sent instead of the recorded ones of
            that name: the values a recording redacted (Authorization, Cookie...).
        timeout: Seconds an ASGI app may wait for a message the recording does not have
            before it gets a disconnect, and may run beyond the recorded duration.
        sink: Also send every new event here (a `JsonlSink`, to keep the new traces).

    Raises:
        UsageError: `app` is neither WSGI nor ASGI.
    """

    def __init__(
        self,
        app: Any,
        *,
        protocol: Literal["wsgi", "asgi"] | None = None,
        headers: Iterable[tuple[str, str]] = (),
        timeout: float = 10.0,
        sink: Sink | None = None,
    ) -> None:
        self.protocol = protocol or app_protocol(app)
        self.app = app
        self.headers = list(headers)
        self.timeout = timeout
        self._recorder = Recorder()
        self._sink: Sink = self._recorder if sink is None else _Tee(self._recorder, sink)
        self._tracers: dict[frozenset[str], Any] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lifespan: _Lifespan | None = None

    def __enter__(self) -> Redriver:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def replay(self, recorded: Trace) -> Replay:
        """Play one recorded http or websocket exchange into the app.

        Raises:
            ReplayError: The trace cannot be played (lifespan, a body cut at
                ``max_body_bytes``, a websocket for a WSGI app).
        """
        side = client_side(recorded, self.headers)
        result = Replay(recorded, recorded, list(side.missing_headers))
        tracer = self._tracer(recorded)
        if self.protocol == "wsgi":
            environ = wsgi_request(side)
            methods = side.read_methods or {"readinto", "read1"}
            environ["wsgi.input"] = ReplayInput.offering(methods)(side.pieces)
            environ["wsgi.errors"] = io.StringIO()
            _serve_wsgi(tracer, environ, side.client_left_after)
        else:
            scope, arrivals = asgi_request(side)
            loop = self._event_loop()
            if self._lifespan is None:
                self._lifespan = _Lifespan(guarantee_single_callable(self.app), self.timeout)
                loop.run_until_complete(self._lifespan.startup())
            if self._lifespan.state is not None:
                scope["state"] = dict(self._lifespan.state)
            limit = self.timeout + recorded.summary.duration_ns / 1e9
            loop.run_until_complete(_serve_asgi(tracer, scope, arrivals, self.timeout, limit, result.notes))
        traces = self._recorder.traces()
        self._recorder.clear()
        if not traces:
            raise ReplayError(f"{self.app!r} was called with trace {recorded.id}, but nothing was recorded")
        result.trace = traces[0]
        return result

    def close(self) -> None:
        """Run an ASGI app's lifespan shutdown and close the event loop."""
        loop, self._loop = self._loop, None
        if loop is None:
            return
        try:
            if self._lifespan is not None:
                loop.run_until_complete(self._lifespan.shutdown())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.new_event_loop()
        return self._loop

    def _tracer(self, recorded: Trace) -> Any:
        # Redact what the recording redacted, so that a supplied secret compares equal to its "[redacted]".
        summary = recorded.summary
        hidden = {name.lower() for name, value in (*summary.request_headers, *summary.response_headers) if value == REDACTED}
        redact = DEFAULT_REDACT_HEADERS | hidden
        tracer = self._tracers.get(redact)
        if tracer is None:
            kind = WSGITracer if self.protocol == "wsgi" else ASGITracer
            tracer = self._tracers[redact] = kind(self.app, self._sink, redact_headers=redact)
        return tracer


class _Tee:
    """A sink that hands each record to the replay's `Recorder` and to the user's sink."""

    def __init__(self, recorder: Recorder, also: Sink) -> None:
        self.recorder = recorder
        self.also = also

    def write(self, record: dict[str, Any]) -> None:
        self.recorder.write(record)
        self.also.write(record)

    def close(self) -> None:
        pass


def _serve_wsgi(app: Any, environ: dict[str, Any], client_left_after: int | None) -> None:
    """Call a WSGI app as a server does; stop taking the body where the recorded client went away."""
    headers_sent = False

    def write(data: bytes) -> None:
        nonlocal headers_sent
        headers_sent = headers_sent or bool(data)

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if exc_info is not None and headers_sent:
            raise exc_info[1].with_traceback(exc_info[2])
        return write

    try:
        result = app(environ, start_response)
    except Exception:  # noqa: BLE001 - the trace holds it; a server would answer 500
        return
    try:
        if client_left_after != 0:
            for count, chunk in enumerate(result, 1):
                headers_sent = headers_sent or bool(chunk)
                if client_left_after is not None and count >= client_left_after:
                    break
    except Exception:  # noqa: BLE001 - raised mid-body: the trace holds it; a server drops the connection
        pass
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001
                pass


async def _serve_asgi(app: Any, scope: dict[str, Any], arrivals: list[Arrival], wait: float, limit: float,
                      notes: list[str]) -> None:
    """Run one ASGI connection, handing over the recorded messages as the recording did.

    A message is handed over once the app has sent as many messages as it had
    by then in the recording, or once its response is complete (it will send
    no more), or once it has sent nothing for `wait` seconds (a changed app
    that sends less must not wait forever).
    """
    progress = asyncio.Event()
    sent = 0
    complete = False
    pending = list(reversed(arrivals))
    gone = {"type": "websocket.disconnect", "code": 1006} if scope.get("type") == "websocket" else {"type": "http.disconnect"}
    waited = False

    async def receive() -> dict[str, Any]:
        nonlocal waited
        if pending:
            arrival = pending.pop()
            while sent < arrival.after_sends and not complete:
                progress.clear()
                try:
                    await asyncio.wait_for(progress.wait(), wait)
                except asyncio.TimeoutError:
                    notes.append(f"the app sent less than in the recording; {arrival.message.get('type')} went after {wait:g} s without a message from it")
                    break
            return dict(arrival.message)
        if not waited:
            # The recording has nothing more: the client says nothing until it gives up.
            await asyncio.sleep(wait)
            waited = True
            notes.append(f"the app waited for a message the recording does not have; it got {gone['type']} after {wait:g} s")
        return dict(gone)

    async def send(message: dict[str, Any]) -> None:
        nonlocal sent, complete
        sent += 1
        kind = message.get("type")
        if kind in _LAST_SENDS or (kind in _BODY_SENDS and not message.get("more_body", False)):
            complete = True
        progress.set()

    try:
        await asyncio.wait_for(app(scope, receive, send), limit)
    except asyncio.TimeoutError:
        notes.append(f"the app had not finished after {limit:.1f} s and was cancelled")
    except Exception:  # noqa: BLE001 - the trace holds it; a server would log it and drop the connection
        pass


_BODY_SENDS = frozenset({"http.response.body", "websocket.http.response.body"})
_LAST_SENDS = frozenset({"websocket.close", "http.response.pathsend", "http.response.zerocopysend"})
"""Messages after which an app sends nothing more on the connection."""


class _Lifespan:
    """An ASGI app's lifespan, as a server runs it around the requests (not recorded)."""

    def __init__(self, app: Any, timeout: float) -> None:
        self.app = app
        self.timeout = timeout
        self.state: dict[str, Any] | None = None
        self._inbox: asyncio.Queue[dict[str, Any]] | None = None
        self._outbox: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[Any] | None = None

    async def startup(self) -> None:
        """Start the lifespan; an app that does not take it is served without it, as uvicorn does."""
        self._inbox, self._outbox = asyncio.Queue(), asyncio.Queue()
        state: dict[str, Any] = {}
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": state}
        self._task = asyncio.ensure_future(self.app(scope, self._inbox.get, self._outbox.put))
        reply = await self._exchange({"type": "lifespan.startup"})
        if reply is None:
            return
        if reply.get("type") == "lifespan.startup.failed":
            raise ReplayError(f"the app's lifespan startup failed: {reply.get('message') or 'no message'}")
        self.state = state

    async def shutdown(self) -> None:
        """End the lifespan, and with it the app's task."""
        if self._task is None:
            return
        if self.state is not None and not self._task.done():
            await self._exchange({"type": "lifespan.shutdown"})
        if not self._task.done():
            self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)

    async def _exchange(self, message: dict[str, Any]) -> dict[str, Any] | None:
        assert self._inbox is not None and self._outbox is not None and self._task is not None
        await self._inbox.put(message)
        reply = asyncio.ensure_future(self._outbox.get())
        done, _ = await asyncio.wait({reply, self._task}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED)
        if reply in done:
            return reply.result()
        reply.cancel()
        if self._task.done() and not self._task.cancelled():
            self._task.exception()  # retrieved: an app without lifespan support raises here
        return None
