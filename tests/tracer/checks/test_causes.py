"""Findings a framework or the server caused say so, from what the trace shows, in every reader's text."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tracer import ASGITracer, JsonlSink, Recorder, WSGITracer
from tracer.checks import check_trace
from tracer.checks.causes import SERVER_RULES
from tracer.cli import main
from tracer.model import Event, Trace
from tracer.states import MACHINES

from .drivers import http_scope, run_asgi

TITLE_CASE = [(b"Content-Type", b"text/plain; charset=utf-8")]
REQUEST = {"type": "http.request", "body": b"", "more_body": False}


def causes(trace: Trace) -> list[tuple[str, str | None]]:
    return [(f.rule, f.cause) for f in check_trace(trace)]


def made_up(*events: tuple[str, dict[str, Any]]) -> Trace:
    """An ASGI http trace of these events after a valid scope, ended by asgi.end."""
    kinds = [("asgi.scope", {"scope": {**http_scope(), "headers": [[b"host", b"testserver"]], "client": ["127.0.0.1", 5000],
                                     "server": ["testserver", 80]}}),
             *events, ("asgi.end", {})]
    return Trace("t-1", "asgi", "http", 0.0, [Event(seq, seq * 1000, kind, data) for seq, (kind, data) in enumerate(kinds)])


def started(headers: list[tuple[bytes, bytes]]) -> tuple[str, dict[str, Any]]:
    return ("asgi.send", {"message": {"type": "http.response.start", "status": 200, "headers": [list(h) for h in headers]}})


BODY = ("asgi.send", {"message": {"type": "http.response.body", "body": b"hi"}})


# Django


def test_title_case_headers_alone_do_not_name_a_framework() -> None:
    # A hand-written app may send them too: without a sign of Django the finding is the app's.
    trace = made_up(started(TITLE_CASE), BODY)
    assert causes(trace) == [("asgi-header-case", None)]
    assert "Likely cause" not in check_trace(trace)[0].message


@pytest.mark.parametrize(
    "clue",
    [
        ("asgi.error", {"type": "ValueError", "message": "x",
                        "traceback": 'File "/venv/lib/python3.12/site-packages/django/core/handlers/base.py", line 1'}),
        ("app.log", {"source": "logging", "logger": "django.request", "level": "ERROR", "message": "Internal Server Error: /",
                     "thread": "MainThread"}),
        ("app.log", {"source": "logging", "logger": "app", "level": "ERROR", "message": "failed", "thread": "MainThread",
                     "exception": 'File "C:\\venv\\Lib\\site-packages\\django\\views\\generic\\base.py", line 2'}),
    ],
    ids=["traceback", "logger", "logged-exception"],
)
def test_a_django_frame_or_logger_in_the_trace_names_django(clue: tuple[str, dict[str, Any]]) -> None:
    trace = made_up(started(TITLE_CASE), clue, BODY)
    finding = next(f for f in check_trace(trace) if f.rule == "asgi-header-case")
    assert finding.cause == "Django"
    assert finding.message.endswith(
        "Likely cause: Django, not the app's code: its handler sends header names as the response holds them "
        "(Content-Type), on purpose, for old clients. Nothing to change in the app: servers lowercase them; "
        "`tracer check --ignore asgi-header-case` hides it."
    )


def test_django_default_headers_name_django_and_one_alone_does_not() -> None:
    both = [*TITLE_CASE, (b"X-Frame-Options", b"DENY"), (b"Referrer-Policy", b"same-origin")]
    assert causes(made_up(started(both), BODY)) == [("asgi-header-case", "Django")]
    one = [*TITLE_CASE, (b"X-Frame-Options", b"DENY")]
    assert causes(made_up(started(one), BODY)) == [("asgi-header-case", None)]


def django_under_uvicorn(rec: Recorder) -> contextlib.AbstractContextManager[str]:
    """Django's ASGI handler, with startproject's security middleware, traced under uvicorn on 127.0.0.1."""
    from django.core.asgi import get_asgi_application

    return serve_asgi(ASGITracer(get_asgi_application(), sink=rec))


@contextlib.contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    uvicorn = pytest.importorskip("uvicorn")
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="critical"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def test_django_asgi_under_uvicorn_names_django_in_check_show_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from django.test.utils import override_settings

    from tests.django_project import configure_django

    configure_django()
    path = tmp_path / "django.jsonl"
    sink = JsonlSink(path)
    middleware = ["django.middleware.security.SecurityMiddleware", "django.middleware.clickjacking.XFrameOptionsMiddleware"]
    with override_settings(ROOT_URLCONF="tests.django_project", MIDDLEWARE=middleware, ALLOWED_HOSTS=["*"]):
        with django_under_uvicorn(sink) as url, httpx.Client(base_url=url, timeout=5) as client:
            assert client.get("/hello").text == "Hello from Django"
            assert client.head("/hello").content == b""
    sink.close()

    capsys.readouterr()
    assert main(["check", str(path)]) == 0
    out = capsys.readouterr().out
    lines = [line for line in out.splitlines() if line.startswith("  step")]
    django = [line for line in lines if "asgi-header-case:" in line or "http-head-body:" in line]
    assert len(django) == 3 and all("Likely cause: Django, not the app's code" in line for line in django), out
    # The view's own mistake (text/plain without a charset) stays the app's.
    assert [line for line in lines if line not in django and "Likely cause" not in line] == [
        line for line in lines if "http-charset-missing" in line
    ]

    assert main(["check", "--json", str(path)]) == 0
    findings = json.loads(capsys.readouterr().out)
    assert {(f["rule"], f["cause"]) for f in findings} == {
        ("asgi-header-case", "Django"), ("http-head-body", "Django"), ("http-charset-missing", None),
    }

    assert main(["show", str(path), "HEAD /hello"]) == 0
    shown = capsys.readouterr().out
    assert "http-head-body: " in shown and "Likely cause: Django, not the app's code: it builds the whole response" in shown

    assert main(["check", "--ignore", "asgi-header-case", "--ignore", "http-head-body", str(path)]) == 0
    out = capsys.readouterr().out
    assert "Likely cause" not in out and out.splitlines()[-1].endswith(": 0 errors, 0 warnings, 2 info")


# Servers


GRANIAN_EXTENSIONS = {"http.response.pathsend": {}, "websocket.http.response": {}}


async def app(scope: Any, receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]})
    await send({"type": "http.response.body", "body": b"hi"})


async def test_ports_as_str_in_a_granian_shaped_scope_name_granian() -> None:
    # granian builds the scope with ("127.0.0.1", "45870"): the port as a str.
    scope = http_scope(server=("127.0.0.1", "8000"), client=("127.0.0.1", "45870"), extensions=GRANIAN_EXTENSIONS,
                       asgi={"version": "3.0", "spec_version": "2.3"})
    (finding,) = check_trace(await run_asgi(app, scope, [REQUEST]))
    assert (finding.rule, finding.severity, finding.cause) == ("asgi-scope-invalid", "warning", "granian")
    assert finding.message.endswith(
        "Likely cause: granian, not the app's code: it gives the scope's ports as str where ASGI says int. "
        "Report it to the server's maintainers; `tracer check --ignore asgi-scope-invalid` hides it."
    )


async def test_ports_as_str_from_another_server_blame_the_server() -> None:
    scope = http_scope(client=("127.0.0.1", "45870"))
    (finding,) = check_trace(await run_asgi(app, scope, [REQUEST]))
    assert finding.cause == "the server"
    assert "it gives the scope's ports as str where ASGI says int (as granian does)" in finding.message


async def test_another_scope_mistake_is_not_blamed_on_a_named_server() -> None:
    (finding,) = check_trace(await run_asgi(app, http_scope(method="get"), [REQUEST]))
    assert (finding.rule, finding.cause) == ("asgi-scope-invalid", None)


def without_query_string(inner: Any) -> Any:
    """A middleware in front of the traced app that drops QUERY_STRING from the environ."""
    def middleware(environ: dict[str, Any], start_response: Any) -> Any:
        environ.pop("QUERY_STRING", None)
        return inner(environ, start_response)

    return middleware


def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"hi"]


def test_a_wsgi_server_names_itself_with_server_software() -> None:
    from werkzeug.serving import make_server

    rec = Recorder()
    httpd = make_server("127.0.0.1", 0, without_query_string(WSGITracer(hello, sink=rec)), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        assert httpx.get(f"http://127.0.0.1:{httpd.server_port}/", timeout=5).text == "hi"
    finally:
        httpd.shutdown()
        thread.join(5)
    (trace,) = rec.traces()
    software = trace.events[0].data["environ"]["SERVER_SOFTWARE"]
    assert software.startswith("Werkzeug/")
    (finding,) = check_trace(trace)
    assert (finding.rule, finding.cause) == ("wsgi-environ-query-string", f"the server ({software})")
    assert finding.message.endswith(
        f"Likely cause: the server ({software}), not the app's code: the server builds the environ (or a middleware "
        "in front of the app does). A newer release of the server may fix it; "
        "`tracer check --ignore wsgi-environ-query-string` hides it."
    )


def test_the_apps_own_mistakes_never_get_a_cause() -> None:
    # A server that names itself does not make the app's mistakes its own.
    def twice(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"x"]

    from werkzeug.test import create_environ

    rec = Recorder()
    environ = create_environ()
    environ["SERVER_SOFTWARE"] = "gunicorn/23.0.0"
    list(WSGITracer(twice, sink=rec)(environ, lambda *args: None))
    assert causes(rec.traces()[0]) == [("wsgi-start-response-twice", None), ("wsgi-close-not-called", "the server (gunicorn/23.0.0)")]


def test_every_rule_the_machines_call_the_servers_is_a_server_rule() -> None:
    by_server = {mistake.rule for machine in MACHINES.values() for mistake in machine.mistakes if mistake.by == "server"}
    assert by_server <= SERVER_RULES


def reads_all(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"x"]


def css_as(*extra: tuple[str, str]) -> Any:
    def css(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/css"), *extra])
        return [b"body{}"]

    return css


def relative_redirect(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("302 Found", [("Content-Type", "text/plain; charset=utf-8"), ("Location", "/login/?next=/")])
    return [b""]


LAST_MODIFIED = ("Last-Modified", "Mon, 30 Nov 2026 09:17:34 GMT")


@pytest.mark.parametrize(
    ("wsgi_app", "path", "finding"),
    [
        # read() without a size where the server does not promise end-of-file
        (reads_all, "/submit", "wsgi-input-read-no-size"),
        # a text/* type without a charset: not a file response, or one for another file than the path names
        (css_as(), "/static/site.css", "http-charset-missing"),
        (css_as(("Content-Disposition", 'inline; filename="site.css"')), "/static/site.css", "http-charset-missing"),
        (css_as(LAST_MODIFIED, ("Content-Disposition", 'inline; filename="other.css"')), "/static/site.css",
         "http-charset-missing"),
        # a relative Location without a sign of Django
        (relative_redirect, "/admin/", "http-location-relative"),
    ],
    ids=["read-no-size", "css", "css-no-last-modified", "css-other-file", "relative-location"],
)
def test_the_apps_own_findings_that_look_like_a_frameworks_get_no_cause(wsgi_app: Any, path: str, finding: str) -> None:
    from werkzeug.test import create_environ

    rec = Recorder()
    environ = create_environ(path, method="POST", data=b"a=1", content_type="application/x-www-form-urlencoded")
    environ["SERVER_SOFTWARE"] = "Werkzeug/3.1.9"
    result = WSGITracer(wsgi_app, sink=rec)(environ, lambda *args: None)
    list(result)
    result.close()
    assert causes(rec.traces()[0]) == [(finding, None)]
