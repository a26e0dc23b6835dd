"""Telling WSGI apps from ASGI apps, and wrapping either."""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any, Literal

from ._options import DEFAULT_MAX_BODY_BYTES
from .errors import UsageError
from .sink import Sink


class NotAnApp(UsageError):
    """`app` is neither a WSGI nor an ASGI application.

    Attributes:
        reason: Why, as a phrase: ``"takes 1 argument (msg)"``.
        factory: Whether it can be called with no arguments, as an app factory can.
    """

    def __init__(self, app: Any, reason: str, *, factory: bool = False) -> None:
        super().__init__(f"{app!r} {reason}: neither app(environ, start_response) nor app(scope, receive, send)")
        self.reason = reason
        self.factory = factory


def app_protocol(app: Any) -> Literal["wsgi", "asgi"]:
    """Whether `app` is a WSGI or an ASGI application.

    A coroutine function (or an object whose ``__call__`` is one) is ASGI 3
    and must take ``(scope, receive, send)``. Otherwise the required
    positional arguments decide: two is WSGI, three ASGI 3, one named
    ``scope`` ASGI 2 (a class instantiated with the scope, as ASGI 2 apps usually are). A
    callable whose signature cannot be read, or that takes ``*args``, is
    given the benefit of the doubt.

    Raises:
        NotAnApp: `app` is not callable, or its signature fits neither protocol.
    """
    if not callable(app):
        raise NotAnApp(app, "is not callable")
    if getattr(app, "_asgi_single_callable", False) or getattr(app, "_asgi_double_callable", False):
        return "asgi"
    if inspect.isclass(app):
        # Calling the class makes the app (ASGI 2) or the response (WSGI); its __call__ is not the entry.
        call = app
    elif inspect.isfunction(app) or inspect.ismethod(app):
        call = app
    else:
        call = getattr(app, "__call__", app)
    if _is_async_generator_function(call):
        raise NotAnApp(app, "is an async generator function (a lifespan context?)")
    coroutine = inspect.iscoroutinefunction(call) or (call is not app and inspect.iscoroutinefunction(app))
    try:
        # A class is called to make the response: PEP 3333 allows AppClass(environ,
        # start_response); ASGI 2 instantiates it with the scope alone.
        signature = inspect.signature(app)
    except (TypeError, ValueError):
        return "asgi" if coroutine else "wsgi"
    parameters = list(signature.parameters.values())
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p for p in positional if p.default is p.empty]
    variadic = any(p.kind == p.VAR_POSITIONAL for p in parameters)
    keyword_only = [p.name for p in parameters if p.kind == p.KEYWORD_ONLY and p.default is p.empty]
    if keyword_only:
        raise NotAnApp(app, f"requires the keyword argument{'s' if len(keyword_only) > 1 else ''} {', '.join(keyword_only)}")
    if coroutine:
        if len(required) <= 3 and (variadic or len(positional) >= 3):
            return "asgi"
        raise NotAnApp(app, f"is a coroutine function that {_takes(required, positional)}")
    if variadic and len(required) <= 3:
        return "asgi" if len(required) == 3 else "wsgi"
    if len(required) == 2:
        return "wsgi"
    if len(required) == 1 and required[0].name != "scope":
        # ASGI 2 (an app made with the scope alone) names it so; json.dumps(obj) or a class such as
        # Flask(import_name) is not an app, and serving it would answer every request with a 500.
        raise NotAnApp(app, f"{_takes(required, positional)}, not an ASGI 2 app's scope")
    if len(required) in (1, 3):
        return "asgi"
    # No required argument: an app factory (create_app(config=None)) or a helper, not an app.
    raise NotAnApp(app, _takes(required, positional), factory=not required)


def _is_async_generator_function(call: Any) -> bool:
    """An async generator function, also behind @asynccontextmanager (whose wrapper takes *args)."""
    try:
        return inspect.isasyncgenfunction(inspect.unwrap(call))
    except ValueError:  # a __wrapped__ cycle
        return False


def _takes(required: list[inspect.Parameter], positional: list[inspect.Parameter]) -> str:
    if not required and positional:
        return "has no required arguments"
    count = len(required)
    names = f" ({', '.join(p.name for p in required)})" if required else ""
    return f"takes {count} argument{'' if count == 1 else 's'}{names}"


def retrace(tracer: Any, sink: Sink) -> Any:
    """A new tracer of `tracer`'s class around the same app with the same options, writing to `sink`."""
    options = tracer.options
    return type(tracer)(
        tracer.app,
        sink,
        max_body_bytes=options.max_body_bytes,
        redact_headers=options.redactor._names,
        exclude_paths=[*options._exact, *(prefix + "*" for prefix in options._prefixes)],
    )


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
