"""`tracer run` serves only callables shaped like an app, and --factory calls an app factory."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from flask import Flask

from tests.frameworks.running import TracerRun
from tracer import read_traces
from tracer.cli import main
from tracer.detect import NotAnApp, app_protocol


async def write_log(msg):  # type: ignore[no-untyped-def]
    """A background task."""


def require_token(x_token=None):  # type: ignore[no-untyped-def]
    """A dependency: every parameter has a default."""


async def get_item(item_id, request):  # type: ignore[no-untyped-def]
    """A route handler."""


@contextlib.asynccontextmanager
async def lifespan(app):  # type: ignore[no-untyped-def]
    yield


def create_app(test_config=None):  # type: ignore[no-untyped-def]
    """Flask's factory pattern."""


def needs_keyword(environ, start_response, *, config):  # type: ignore[no-untyped-def]
    pass


@pytest.mark.parametrize(
    ("callable_", "reason", "factory"),
    [
        (write_log, "is a coroutine function that takes 1 argument (msg)", False),
        (get_item, "is a coroutine function that takes 2 arguments (item_id, request)", False),
        (require_token, "has no required arguments", True),
        (lifespan, "is an async generator function (a lifespan context?)", False),
        (create_app, "has no required arguments", True),
        (lambda: None, "takes 0 arguments", True),
        (needs_keyword, "requires the keyword argument config", False),
        (lambda a, b, c, d: None, "takes 4 arguments (a, b, c, d)", False),
        (json.dumps, "takes 1 argument (obj), not an ASGI 2 app's scope", False),
        (Flask, "takes 1 argument (import_name), not an ASGI 2 app's scope", False),
    ],
    ids=["task", "handler", "dependency", "lifespan", "factory", "lambda", "keyword-only", "four", "json-dumps", "flask-class"],
)
def test_callables_that_are_not_apps_are_refused(callable_: Any, reason: str, factory: bool) -> None:
    with pytest.raises(NotAnApp) as caught:
        app_protocol(callable_)
    assert caught.value.reason == reason
    assert caught.value.factory is factory


class Asgi2App:
    def __init__(self, scope):  # type: ignore[no-untyped-def]
        self.scope = scope

    async def __call__(self, receive, send):  # type: ignore[no-untyped-def]
        pass


class Asgi3Object:
    async def __call__(self, scope, receive, send):  # type: ignore[no-untyped-def]
        pass


class Uninspectable:
    __signature__ = "not a signature"

    def __call__(self, *args):  # type: ignore[no-untyped-def]
        pass


async def asgi3(scope, receive, send, extra=None):  # type: ignore[no-untyped-def]
    pass


def asgi2_function(scope):  # type: ignore[no-untyped-def]
    return Asgi2App(scope)


def wsgi_generator(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [])
    yield b"x"


@pytest.mark.parametrize(
    ("app", "expected"),
    [
        (Asgi2App, "asgi"),
        (Asgi3Object(), "asgi"),
        (asgi3, "asgi"),
        (functools.partial(asgi3), "asgi"),
        (asgi2_function, "asgi"),
        (wsgi_generator, "wsgi"),
        (Uninspectable(), "wsgi"),
    ],
    ids=["asgi2-class", "asgi3-object", "asgi3-extra-default", "partial", "asgi2-function", "wsgi-generator", "uninspectable"],
)
def test_apps_are_still_accepted(app: Any, expected: str) -> None:
    assert app_protocol(app) == expected


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    yield tmp_path
    for name in [name for name in sys.modules if name.startswith("proj_sig")]:
        del sys.modules[name]


FASTAPI_LIKE = """
    import contextlib

    async def write_log(msg):
        pass

    def require_token(x_token=None):
        pass

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield

    def create_app(config=None):
        return app

    def broken_factory():
        return 1 / 0

    async def async_factory():
        return app

    async def app(scope, receive, send):
        pass

    settings = {"debug": True}
"""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["proj_sig:write_log"],
            "proj_sig:write_log is a function, not a WSGI or ASGI app: it is a coroutine function that takes 1 argument (msg) (pass --wsgi or --asgi if it is one)",
        ),
        (
            ["proj_sig:lifespan"],
            "proj_sig:lifespan is a function, not a WSGI or ASGI app: it is an async generator function (a lifespan context?) (pass --wsgi or --asgi if it is one)",
        ),
        (
            ["proj_sig:require_token"],
            "proj_sig:require_token is a function, not a WSGI or ASGI app: it has no required arguments; if calling it returns the app (an app factory), pass --factory",
        ),
        (["proj_sig:broken_factory", "--factory"], "calling proj_sig:broken_factory() for --factory failed: ZeroDivisionError: division by zero ("),
        (["proj_sig:async_factory", "--factory"], "proj_sig:async_factory() returned a coroutine: --factory needs a plain function that returns the app"),
        (["proj_sig:settings", "--factory"], "proj_sig:settings is a dict, not callable, so --factory cannot call it"),
        (
            ["proj_sig:write_log", "--factory"],
            "calling proj_sig:write_log() for --factory failed: TypeError: write_log() missing 1 required positional argument: 'msg'\n",
        ),
    ],
)
def test_tracer_run_refuses_with_one_line_and_status_2(
    project: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    (project / "proj_sig.py").write_text(textwrap.dedent(FASTAPI_LIKE))
    assert main(["run", *argv, "--port", "0"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"tracer: error: {message}"), captured.err
    assert captured.err.count("\n") == 1
    assert not (project / "traces.jsonl").exists()


FACTORY = """
    def create_app(config=None):
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"made by the factory"]
        return app
"""


def test_factory_serves_what_the_factory_returns(tmp_path: Path) -> None:
    (tmp_path / "factory_app.py").write_text(textwrap.dedent(FACTORY))
    run = TracerRun("factory_app:create_app", tmp_path / "t.jsonl", "--factory", cwd=tmp_path)
    try:
        assert "(WSGI, Werkzeug" in run.output
        assert httpx.get(f"{run.url}/", timeout=5).text == "made by the factory"
        run.wait_for_line(lambda line: line.startswith("GET     /"))
    finally:
        assert run.stop() == 0
    (trace,) = read_traces(tmp_path / "t.jsonl")
    assert trace.status == 200 and trace.complete
