"""ASGI middleware that records every message of each connection.

    from tracer import ASGITracer, JsonlSink

    app = ASGITracer(app, sink=JsonlSink("traces.jsonl"))

    # Starlette / FastAPI
    app.add_middleware(ASGITracer, sink=JsonlSink("traces.jsonl"))

http, websocket and lifespan scopes are traced. The app receives the very
scope and message objects the server passed and the server receives the
very messages the app sent; what the trace keeps is a copy taken at the
moment of each event. ASGI 2 (double-callable) apps are accepted.

A connection passes through one tracer only: the outer one records it and
sets ``scope["tracer.traced"]`` (after taking its snapshot), and an inner
`ASGITracer` that finds that key passes the connection on unrecorded,
warning once.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final, TYPE_CHECKING

from asgiref.compatibility import guarantee_single_callable

from ._options import DEFAULT_HOLD_TIMEOUT, DEFAULT_MAX_BODY_BYTES, TracerOptions, start_extras
from ._session import TRACED_KEY, TraceSession, describe_exception, line_file, new_session, unrecordable, warn_nested
from .redact import Redactor
from .sink import Sink

if TYPE_CHECKING:
    from asgiref.typing import ASGIReceiveCallable, ASGISendCallable

    from .debug import Debugger

_BODY_KEYS: Final = ("body", "bytes")


class ASGITracer:
    """Wraps an ASGI application and records each connection as a trace.

    Args:
        app: The ASGI 3 application (an ASGI 2 one is adapted).
        sink: Where events go; default a `JsonlSink` on ``$TRACER_FILE`` or ``traces.jsonl``.
        max_body_bytes: Body bytes kept per trace and direction (None: all).
        redact_headers: Header names whose values are replaced by ``b"[redacted]"``;
            replaces `DEFAULT_REDACT_HEADERS`.
        exclude_paths: Paths not traced: exact, or a prefix when ending in ``*``.
        breakpoints: Turn the debugger on (True), off (False), or on with these
            breakpoints (``[FILTER] [@ KIND,...]``, docs/debugging.md); None reads
            ``$TRACER_BREAKPOINTS``. On, a control socket for this process lets
            ``tracer view FILE`` hold, step and edit connections.
        hold_timeout: Seconds after which a held connection goes on by itself.
        capture_output: Record the app's log records and stdout/stderr lines, written while a
            request runs, as ``app.log`` events of that request (process-wide; off by default).
    """

    def __init__(
        self,
        app: Any,
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
        self.app = guarantee_single_callable(app)
        self.options = TracerOptions(sink, max_body_bytes, redact_headers, exclude_paths)
        self._nested_warned = False
        self._open: dict[TraceSession, str | None] | None = None
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
        """The `Debugger` holding this tracer's connections at breakpoints, or None when breakpoints are off."""
        return self._debugger

    def _track_open_requests(self) -> None:
        """Keep the connections in progress, so that `_stop_open_requests` can mark them."""
        if self._open is None:
            self._open = {}

    def _stop_open_requests(self, reason: str) -> int:
        """Mark each http and websocket connection in progress as stopped for `reason`.

        For a server about to cancel them: their ``asgi.end`` then carries
        ``"stopped": reason``. Needs `_track_open_requests` first; returns how
        many it marked. Lifespan is left alone (the server shuts it down).
        """
        opened = self._open
        if not opened:
            return 0
        marked = 0
        for session in list(opened):
            if session.scope_type != "lifespan" and opened.get(session, "") is None:
                opened[session] = reason
                marked += 1
        return marked

    async def __call__(self, scope: Any, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
        if TRACED_KEY in scope:
            # An outer tracer records this connection.
            if not self._nested_warned:
                warn_nested(self)
            return await self.app(scope, receive, send)
        options = self.options
        scope_type = scope.get("type")
        if (options._exact or options._prefixes) and options.excluded(scope.get("path")):
            return await self.app(scope, receive, send)
        if self._held is not None:
            return await self._held(self, scope, receive, send)
        session = new_session(
            self._line_file,
            options.sink,
            options.failures,
            "asgi",
            scope_type if isinstance(scope_type, str) else "http",
            options.max_body_bytes,
            True,  # the event loop's writes go to the sink's writer thread, not between requests' messages
        )
        redactor = options.redactor
        session.fenced("asgi.scope", _scope_data, redactor, scope)
        request_body = session.request_body.encode
        response_body = session.response_body.encode
        encode_message = redactor.encode_mapping

        # The encoding is inlined in both (not a shared helper): they run for every message.
        async def traced_receive() -> Any:
            message = await receive()
            try:
                data = {"message": encode_message(message, _BODY_KEYS, request_body)}
            except Exception as exc:  # noqa: BLE001 - recording never fails a request
                options.failures.report(exc)
                data = unrecordable(exc)
            session.emit("asgi.receive", data)
            return message

        async def traced_send(message: Any) -> Any:
            try:
                data = {"message": encode_message(message, _BODY_KEYS, response_body)}
            except Exception as exc:  # noqa: BLE001 - recording never fails a request
                options.failures.report(exc)
                data = unrecordable(exc)
            session.emit("asgi.send", data)
            return await send(message)

        await run_traced(self, session, scope, traced_receive, traced_send)


async def run_traced(
    tracer: ASGITracer, session: TraceSession, scope: Any, receive: ASGIReceiveCallable, send: ASGISendCallable
) -> None:
    """Call the app with the traced `receive` and `send` (its scope already recorded) and end the trace.

    Both paths of a connection, with breakpoints and without, end here: the scope marked as traced
    while the app runs, the connection known to `_stop_open_requests`, what the app raised, the end.
    """
    try:
        # A top-level key, as frameworks add theirs ("app", "router", "endpoint"), set after
        # the snapshot so that no trace shows it, and removed when the app returns, so that a
        # scope used again (a test's) is traced again. Not in scope["extensions"]: that dict
        # is the server's account of what it supports, and a server may leave it out.
        scope[TRACED_KEY] = session.trace_id  # type: ignore[literal-required]
    except Exception:  # noqa: BLE001 - a read-only scope only loses the mark
        pass
    opened = tracer._open
    if opened is not None:
        opened[session] = None
    try:
        await tracer.app(scope, receive, send)
    except BaseException as exc:
        session.fenced("asgi.error", describe_exception, exc)
        raise
    finally:
        try:
            scope.pop(TRACED_KEY, None)  # type: ignore[attr-defined, misc]
        except Exception:  # noqa: BLE001
            pass
        if opened is None:
            session.finish("asgi.end", {})
        else:
            stopped = opened.pop(session, None)
            session.finish("asgi.end", {} if stopped is None else {"stopped": stopped})


def _scope_data(redactor: Redactor, scope: Any) -> dict[str, Any]:
    return {"scope": redactor.encode_mapping(scope)}
