"""`ASGITracer` with breakpoints: the connection's task awaits at a held event, before it takes effect.

Where an ASGI connection can be held, and what an edit replaces:

- ``asgi.scope``: before the app is called (not editable);
- ``asgi.receive``: after the server's ``receive()`` returned, before the app gets the
  message (or, instead of it, a disconnect: later calls then get the disconnect too,
  without asking the server);
- ``asgi.send``: before the server's ``send()`` gets the message.

The task awaits a future, so the event loop goes on serving every other
connection meanwhile. Each event is recorded once it goes on, as what went
on (see `DebugSession.annotate`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._session import unrecordable
from ..asgi import _BODY_KEYS, _scope_data, run_traced
from .request import DebugSession

if TYPE_CHECKING:
    from asgiref.typing import ASGIReceiveCallable, ASGISendCallable, Scope

    from ..asgi import ASGITracer
    from .hold import Outcome


async def held_connection(tracer: ASGITracer, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable) -> None:
    """`ASGITracer.__call__` for a tracer with breakpoints enabled (after its nesting and exclusion checks)."""
    options = tracer.options
    debugger = tracer._debugger
    assert debugger is not None
    debugger.ensure_running()
    scope_type = scope.get("type")
    session = DebugSession(
        debugger, options, "asgi", scope_type if isinstance(scope_type, str) else "http", tracer._hold_timeout
    )
    redactor = options.redactor
    outcome = await session.pause_async("asgi.scope", scope)
    session.fenced("asgi.scope", _annotated_scope, session, outcome, redactor, scope)
    request_body = session.request_body.encode
    response_body = session.response_body.encode

    def message_data(message: Any, body: Any, outcome: Outcome | None, kind: str) -> dict[str, Any]:
        try:
            data = {"message": redactor.encode_mapping(message, _BODY_KEYS, body)}
            return session.annotate(kind, data, outcome)
        except Exception as exc:  # noqa: BLE001 - recording never fails a request
            options.failures.report(exc)
            return unrecordable(exc)

    async def traced_receive() -> Any:
        made_up = session.disconnected
        if made_up is not None:
            # The user answered an earlier receive() with a disconnect: the app's client is gone.
            message: Any = dict(made_up)
            outcome = await session.pause_async("asgi.receive", message)
            if outcome is not None:
                message = outcome.value
            data = message_data(message, request_body, outcome, "asgi.receive")
            data["original"] = None
            session.emit("asgi.receive", data)
            return message
        message = await receive()
        outcome = await session.pause_async("asgi.receive", message)
        if outcome is not None:
            message = outcome.value
        session.emit("asgi.receive", message_data(message, request_body, outcome, "asgi.receive"))
        return message

    async def traced_send(message: Any) -> Any:
        outcome = await session.pause_async("asgi.send", message)
        if outcome is not None:
            message = outcome.value
        session.emit("asgi.send", message_data(message, response_body, outcome, "asgi.send"))
        return await send(message)

    await run_traced(tracer, session, scope, traced_receive, traced_send)


def _annotated_scope(session: DebugSession, outcome: Outcome | None, redactor: Any, scope: Any) -> dict[str, Any]:
    return session.annotate("asgi.scope", _scope_data(redactor, scope), outcome)


__all__ = ["held_connection"]
