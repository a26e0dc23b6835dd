"""trace_app picks the right middleware for any kind of app."""

from __future__ import annotations

import pytest
from flask import Flask
from starlette.applications import Starlette

from tracer import ASGITracer, Recorder, WSGITracer, trace_app
from tracer.detect import app_protocol
from tracer.errors import UsageError


def wsgi_function(environ, start_response):  # type: ignore[no-untyped-def]
    return []


async def asgi_function(scope, receive, send):  # type: ignore[no-untyped-def]
    pass


class Asgi2App:
    def __init__(self, scope):  # type: ignore[no-untyped-def]
        self.scope = scope

    async def __call__(self, receive, send):  # type: ignore[no-untyped-def]
        pass


class WsgiCallable:
    def __call__(self, environ, start_response):  # type: ignore[no-untyped-def]
        return []


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (wsgi_function, "wsgi"),
        (WsgiCallable(), "wsgi"),
        (Flask("x"), "wsgi"),
        (asgi_function, "asgi"),
        (Asgi2App, "asgi"),
        (Starlette(), "asgi"),
    ],
)
def test_app_protocol(app: object, expected: str) -> None:
    assert app_protocol(app) == expected


def test_django_handlers_are_told_apart(django_configured: None) -> None:
    from django.core.asgi import get_asgi_application
    from django.core.wsgi import get_wsgi_application

    assert app_protocol(get_wsgi_application()) == "wsgi"
    assert app_protocol(get_asgi_application()) == "asgi"


def test_trace_app_wraps_in_the_matching_tracer() -> None:
    assert isinstance(trace_app(wsgi_function, sink=Recorder()), WSGITracer)
    assert isinstance(trace_app(asgi_function, sink=Recorder()), ASGITracer)
    assert isinstance(trace_app(WsgiCallable(), sink=Recorder(), protocol="asgi"), ASGITracer)


def test_not_an_app_is_a_clear_error() -> None:
    with pytest.raises(UsageError, match="not callable"):
        app_protocol(42)
    with pytest.raises(UsageError, match="takes 0 arguments"):
        app_protocol(lambda: None)


def test_bad_options_are_clear_errors() -> None:
    with pytest.raises(UsageError, match="max_body_bytes"):
        WSGITracer(wsgi_function, sink=Recorder(), max_body_bytes=-1)
    with pytest.raises(UsageError, match="no write"):
        WSGITracer(wsgi_function, sink=object())  # type: ignore[arg-type]
