"""Telling WSGI apps from ASGI apps, and wrapping either."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any, Literal

from ._options import DEFAULT_MAX_BODY_BYTES
from .errors import UsageError
from .sink import Sink


def app_protocol(app: Any) -> Literal["wsgi", "asgi"]:
    """Whether `app` is a WSGI or an ASGI application.

    Coroutine functions (or objects whose ``__call__`` is one) are ASGI 3; a
    class, or a callable taking one positional argument, is ASGI 2; a
    callable taking two is WSGI.

    Raises:
        UsageError: `app` is not callable, or its signature fits neither.
    """
    if not callable(app):
        raise UsageError(f"{app!r} is not callable, so it is neither a WSGI nor an ASGI app")
    if getattr(app, "_asgi_single_callable", False) or getattr(app, "_asgi_double_callable", False):
        return "asgi"
    call = app if inspect.isfunction(app) or inspect.ismethod(app) else getattr(app, "__call__", app)
    if inspect.iscoroutinefunction(app) or inspect.iscoroutinefunction(call):
        return "asgi"
    try:
        # A class is called to make the response: PEP 3333 allows AppClass(environ,
        # start_response); ASGI 2 instantiates it with the scope alone.
        signature = inspect.signature(app)
    except (TypeError, ValueError):
        return "wsgi"
    positional = [
        p for p in signature.parameters.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
    ]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in signature.parameters.values())
    if len(positional) == 2 or variadic:
        return "wsgi"
    if len(positional) == 3:
        return "asgi"
    if len(positional) == 1:
        return "asgi"
    raise UsageError(f"{app!r} takes {len(positional)} arguments: neither app(environ, start_response) nor app(scope, receive, send)")


def trace_app(
    app: Any,
    sink: Sink | None = None,
    *,
    protocol: Literal["wsgi", "asgi"] | None = None,
    max_body_bytes: int | None = DEFAULT_MAX_BODY_BYTES,
    redact_headers: Iterable[str] | None = None,
    exclude_paths: Iterable[str] = (),
) -> Any:
    """Wrap a WSGI or ASGI app in the matching tracer.

    Args:
        app: The application.
        sink: As for `WSGITracer` / `ASGITracer`.
        protocol: Force ``"wsgi"`` or ``"asgi"`` instead of detecting it.
        max_body_bytes: As for the middlewares.
        redact_headers: As for the middlewares.
        exclude_paths: As for the middlewares.

    Returns:
        A `WSGITracer` or an `ASGITracer` around `app`.
    """
    from .asgi import ASGITracer
    from .wsgi import WSGITracer

    chosen = protocol or app_protocol(app)
    tracer_class = WSGITracer if chosen == "wsgi" else ASGITracer
    return tracer_class(
        app, sink, max_body_bytes=max_body_bytes, redact_headers=redact_headers, exclude_paths=exclude_paths
    )
