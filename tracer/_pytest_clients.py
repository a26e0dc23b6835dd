"""What the `traced` fixture wraps: apps, and the framework objects tests hold instead.

A test usually holds an app, and `trace_app` wraps it. Two frameworks hand
tests something else:

- a Flask app is used through ``app.test_client()``, which needs the Flask
  object, so its ``wsgi_app`` is wrapped in place (as Flask documents for WSGI
  middleware) and the app itself is returned;
- Django's test ``Client`` never calls a WSGI app: its handler turns an
  environ straight into a response object. `TracedClientHandler` takes its
  place and calls it from a small WSGI app that answers as Django's
  ``WSGIHandler`` does, so each request is recorded as a server would see it
  and the test still gets Django's response object (``context``,
  ``templates``, ``wsgi_request``...).

Both changes are undone when the test ends.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .errors import UsageError

Wrap = Callable[[Any, Any], Any]
"""``wrap(app, protocol)``: the app wrapped in a tracer writing to the test's sink."""


def instrument(target: Any, wrap: Wrap, undo: list[Callable[[], None]]) -> Any:
    """Wrap `target` for recording; register how to undo any change made in place.

    Returns:
        What the test uses in place of `target`.

    Raises:
        UsageError: `target` is a Django ``AsyncClient``, or not an app.
    """
    flask = sys.modules.get("flask")
    if flask is not None and isinstance(target, flask.Flask):
        return _instrument_flask(target, wrap, undo)
    django_client = sys.modules.get("django.test.client")
    if django_client is not None:
        if isinstance(target, django_client.AsyncClient):
            raise UsageError(
                "traced() cannot wrap Django's AsyncClient, which calls no ASGI app; use "
                "httpx.AsyncClient(transport=httpx.ASGITransport(app=traced(get_asgi_application())))"
            )
        if isinstance(target, django_client.Client):
            return _instrument_django_client(target, wrap, undo)
    return wrap(target, None)


def _instrument_flask(app: Any, wrap: Wrap, undo: list[Callable[[], None]]) -> Any:
    replaced = "wsgi_app" in app.__dict__  # by other middleware; otherwise it is Flask's own method
    original = app.wsgi_app
    wrapped = wrap(original, "wsgi")
    app.wsgi_app = wrapped

    def restore() -> None:
        # Leave alone a wsgi_app the test replaced after us.
        if app.__dict__.get("wsgi_app") is wrapped:
            if replaced:
                app.wsgi_app = original
            else:
                del app.wsgi_app

    undo.append(restore)
    return app


def _instrument_django_client(client: Any, wrap: Wrap, undo: list[Callable[[], None]]) -> Any:
    original = client.handler
    handler = TracedClientHandler(original, wrap)
    client.handler = handler

    def restore() -> None:
        if client.handler is handler:
            client.handler = original

    undo.append(restore)
    return client


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
    return _write


def _write(data: bytes) -> None:
    """The server's write(): the test client already holds the response."""


class TracedClientHandler:
    """Stands in for a Django test client's handler and records each request over WSGI.

    Args:
        handler: The client's own ``ClientHandler``, which makes the response.
        wrap: Wraps a WSGI app in the test's tracer.
    """

    def __init__(self, handler: Any, wrap: Wrap) -> None:
        self.handler = handler
        self._responses: dict[int, Any] = {}
        self._app = wrap(self._wsgi_app, "wsgi")

    def __getattr__(self, name: str) -> Any:
        # enforce_csrf_checks and anything else code reads off the client's handler.
        return getattr(self.handler, name)

    def __call__(self, environ: dict[str, Any]) -> Any:
        body = self._app(environ, _start_response)
        response = self._responses.pop(id(environ))
        if response.streaming and not response.is_async:
            # The test reads a streaming body when it wants to: record the chunks as it does.
            response.streaming_content = StreamedBody(body)
            return response
        try:
            for _chunk in body:
                pass
        finally:
            body.close()
        return response

    def _wsgi_app(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        """Answer as Django's WSGIHandler does, keeping the response object for the test."""
        response = self.handler(environ)
        self._responses[id(environ)] = response
        status = f"{response.status_code} {response.reason_phrase}"
        headers = [*response.items(), *(("Set-Cookie", c.output(header="")) for c in response.cookies.values())]
        start_response(status, headers)
        if not response.streaming:
            return list(response)
        if response.is_async:
            # Its chunks can only be read asynchronously, by the test.
            return []
        return response.streaming_content


class StreamedBody:
    """A streaming response's body as the test reads it, through the tracer, closed at its end.

    Django's test client closes the response from inside the last read; the
    traced body is closed once that read is over, as a WSGI server would.
    """

    __slots__ = ("_body", "_reading", "_closed")

    def __init__(self, body: Any) -> None:
        self._body = body
        self._reading = False
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        self._reading = True
        try:
            return next(self._body)
        except BaseException:
            self._reading = False
            self.close()
            raise
        finally:
            self._reading = False

    def close(self) -> None:
        """Close the traced body once (Django's ``response.close()`` calls this too)."""
        if self._reading or self._closed:
            return
        self._closed = True
        self._body.close()
