"""The pytest plugin: the `traced` fixture, trace files of failed tests, `--tracer-check`.

The fixture is used directly here (the plugin is installed with tracer), and
small Flask, Starlette and Django projects are written into pytester's folder
and run: in-process, except Django's, whose settings a process can configure
only once, so that project runs in a subprocess.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
import werkzeug.test

from tracer import read_traces
from tracer._pytest_files import TraceFiles
from tracer.errors import UsageError
from tracer.pytest_plugin import Traced

pytest_plugins = ["pytester"]

STARLETTE_HTTPX = "ignore:Using `httpx` with `starlette.testclient` is deprecated"

INI = f"""
[pytest]
asyncio_mode = auto
asyncio_default_fixture_loop_scope = function
filterwarnings =
    error
    {STARLETTE_HTTPX}
"""

FLASK_PROJECT = '''
import flask


def create_app():
    app = flask.Flask(__name__)

    @app.get("/")
    def index():
        return "hello"

    @app.post("/items")
    def add_item():
        return {"added": flask.request.get_json()["name"]}, 201

    @app.get("/etag")
    def etag():
        return flask.Response("tagged", headers={"ETag": "v1"}, content_type="text/plain; charset=utf-8")

    return app


def start_twice(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    start_response("500 Internal Server Error", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"twice"]


def slow_stream(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    yield b"first"
    yield b"second"
'''

STARLETTE_PROJECT = '''
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route


async def home(request):
    return PlainTextResponse("home")


app = Starlette(routes=[Route("/", home)])


async def body_before_start(scope, receive, send):
    await send({"type": "http.response.body", "body": b"early"})


async def str_headers(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [("content-type", "text/plain")]})
    await send({"type": "http.response.body", "body": b"lenient clients take str headers"})
'''


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    """pytester's folder with the small projects and an ini like this repository's."""
    pytester.makefile(".ini", pytest=INI)
    pytester.makepyfile(flask_project=FLASK_PROJECT, starlette_project=STARLETTE_PROJECT)
    return pytester


def run(pytester: pytest.Pytester, test: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_app=textwrap.dedent(test))
    # textual-snapshot keeps one folder per process, which an in-process run would remove.
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:textual-snapshot", *args)


def said_by_tracer(result: pytest.RunResult) -> list[str]:
    """Lines of a run's output that come from the plugin (pytest's list of plugins names it too)."""
    return [line for line in result.outlines if "tracer" in line.lower() and not line.startswith("plugins:")]


def trace_file(pytester: pytest.Pytester, test_name: str) -> Path:
    return pytester.path / ".tracer" / f"test_app.py-{test_name}.jsonl"


FLASK_TESTS = """
    from flask_project import create_app

    def test_passes(traced):
        client = traced(create_app()).test_client()
        assert client.get("/").data == b"hello"
        [trace] = traced.traces()
        assert trace.summary.title == "GET /"

    def test_fails(traced):
        client = traced(create_app()).test_client()
        assert client.post("/items", json={"name": "pen"}).status_code == 201
        assert client.get("/?page=2").data == b"goodbye"

    def test_without_the_fixture():
        assert True
"""


# What the fixture wraps


def test_traced_flask_app_records_its_test_client_and_is_restored() -> None:
    import flask

    app = flask.Flask(__name__)
    app.get("/")(lambda: "hello")
    traced = Traced()
    assert traced(app) is app
    with app.test_client().get("/?q=1") as response:
        assert response.data == b"hello"
    [trace] = traced.traces()
    assert (trace.summary.title, trace.status, trace.complete) == ("GET /?q=1", 200, True)
    traced._restore()
    assert "wsgi_app" not in vars(app)


async def test_traced_records_httpx_wsgi_and_asgi_transports(traced: Traced) -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    def wsgi_app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"wsgi"]

    async def home(request: Any) -> Any:
        return PlainTextResponse("asgi")

    with httpx.Client(transport=httpx.WSGITransport(app=traced(wsgi_app)), base_url="http://test") as client:
        assert client.get("/w").text == "wsgi"
    transport = httpx.ASGITransport(app=traced(Starlette(routes=[Route("/a", home)])))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as async_client:
        assert (await async_client.get("/a")).text == "asgi"
    assert [(t.protocol, t.summary.title, t.status, t.complete) for t in traced.traces()] == [
        ("wsgi", "GET /w", 200, True),
        ("asgi", "GET /a", 200, True),
    ]
    assert repr(traced) == "<traced: 2 requests recorded>"


@pytest.mark.filterwarnings(STARLETTE_HTTPX)
def test_traced_records_starlette_test_client_with_lifespan(traced: Traced) -> None:
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def home(request: Any) -> Any:
        return PlainTextResponse("home")

    with TestClient(traced(Starlette(routes=[Route("/", home)]))) as client:
        assert client.get("/").text == "home"
    assert [(t.scope_type, t.summary.title, t.complete) for t in traced.traces()] == [
        ("lifespan", "LIFESPAN", True),
        ("http", "GET /", True),
    ]


def test_traced_django_client_records_over_wsgi(traced: Traced, django_configured: None) -> None:
    from django.test import Client

    client = traced(Client())
    hello = client.get("/hello?x=1")
    assert hello.content == b"Hello from Django" and hello.wsgi_request.GET["x"] == "1"
    assert client.post("/echo", data=b"abc", content_type="application/octet-stream").content == b"abc"
    stream = client.get("/stream")
    assert traced.traces()[-1].complete is False  # the test has not read the stream yet
    assert b"".join(stream.streaming_content) == b"chunk 0\nchunk 1\nchunk 2\n"
    traces = traced.traces()
    assert [(t.summary.title, t.status, t.complete) for t in traces] == [
        ("GET /hello?x=1", 200, True),
        ("POST /echo", 200, True),
        ("GET /stream", 200, True),
    ]
    assert [e.kind for e in traces[1].events] == [
        "wsgi.environ", "wsgi.input", "wsgi.start_response", "wsgi.body", "wsgi.close", "wsgi.end",
    ]
    assert [e.kind for e in traces[2].events].count("wsgi.body") == 3
    assert traces[2].events[-1].data["exhausted"] is True


def test_traced_django_client_records_a_view_that_raises(traced: Traced, django_configured: None) -> None:
    from django.test import Client

    client = traced(Client())
    with pytest.raises(RuntimeError, match="django view failed"):
        client.get("/boom")
    [trace] = traced.traces()
    assert (trace.status, trace.complete) == (500, True)


def test_traced_refuses_django_async_client(traced: Traced, django_configured: None) -> None:
    from django.test import AsyncClient

    with pytest.raises(UsageError, match="ASGITransport"):
        traced(AsyncClient())


def test_traced_passes_options_to_the_tracer(traced: Traced) -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return [b"0123456789"]

    client = werkzeug.test.Client(traced(app, max_body_bytes=4, exclude_paths=["/health"]))
    client.get("/health").close()
    client.get("/", headers={"Authorization": "Bearer secret"}).close()
    [trace] = traced.traces()
    assert trace.events[0].data["environ"]["HTTP_AUTHORIZATION"] == "[redacted]"
    assert trace.events[2].data["data"] == b"0123"


# Trace files


def test_passing_tests_write_nothing_and_print_nothing(project: pytest.Pytester) -> None:
    result = run(project, FLASK_TESTS, "-k", "not test_fails")
    result.assert_outcomes(passed=2)
    assert not (project.path / ".tracer").exists()
    assert said_by_tracer(result) == []


def test_failed_test_keeps_its_traces_and_names_the_file(project: pytest.Pytester) -> None:
    result = run(project, FLASK_TESTS)
    result.assert_outcomes(passed=2, failed=1)
    path = trace_file(project, "test_fails")
    assert sorted(p.name for p in path.parent.iterdir()) == [".gitignore", path.name]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    traces = read_traces(path)
    assert [(t.summary.title, t.status) for t in traces] == [("POST /items", 201), ("GET /?page=2", 200)]
    result.stdout.fnmatch_lines(
        [
            "*- tracer -*",
            "2 requests recorded, in .tracer/test_app.py-test_fails.jsonl:",
            "  POST /items -> 201  [[]wsgi http, trace *]",
            "  GET /?page=2 -> 200  [[]wsgi http, trace *]",
            "open it with: tracer view .tracer/test_app.py-test_fails.jsonl",
            "*short test summary info*",
        ]
    )
    result.stdout.fnmatch_lines(["tracer: traces of 1 test in .tracer; open one with: tracer view .tracer/test_app.py-test_fails.jsonl"])


def test_a_stale_file_goes_once_its_test_passes(project: pytest.Pytester) -> None:
    run(project, FLASK_TESTS)
    assert trace_file(project, "test_fails").exists()
    result = run(project, FLASK_TESTS.replace("goodbye", "hello"))
    result.assert_outcomes(passed=3)
    assert not trace_file(project, "test_fails").exists()


def test_keep_all_writes_every_test_that_recorded(project: pytest.Pytester) -> None:
    result = run(project, FLASK_TESTS, "--tracer-keep", "all")
    result.assert_outcomes(passed=2, failed=1)
    assert sorted(p.name for p in (project.path / ".tracer").glob("*.jsonl")) == [
        "test_app.py-test_fails.jsonl",
        "test_app.py-test_passes.jsonl",
    ]
    assert [t.summary.title for t in read_traces(trace_file(project, "test_passes"))] == ["GET /"]
    result.stdout.fnmatch_lines(["tracer: traces of 2 tests in .tracer; open one with: tracer view *"])


def test_keep_none_writes_nothing(project: pytest.Pytester) -> None:
    result = run(project, FLASK_TESTS, "--tracer-keep=none")
    result.assert_outcomes(passed=2, failed=1)
    assert not (project.path / ".tracer").exists()
    assert said_by_tracer(result) == []


def test_tracer_output_chooses_the_folder(project: pytest.Pytester) -> None:
    result = run(project, FLASK_TESTS, "--tracer-output", "out/traces")
    result.assert_outcomes(passed=2, failed=1)
    path = project.path / "out" / "traces" / "test_app.py-test_fails.jsonl"
    assert len(read_traces(path)) == 2
    assert not (path.parent / ".gitignore").exists()
    result.stdout.fnmatch_lines(["open it with: tracer view out/traces/test_app.py-test_fails.jsonl"])


def test_a_failing_test_with_no_requests_says_so(project: pytest.Pytester) -> None:
    result = run(project, "def test_fails(traced):\n    assert False\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["no requests were recorded by the apps this test passed to traced()"])
    assert not (project.path / ".tracer").exists()


def test_requests_made_while_fixtures_tear_down_join_the_file(project: pytest.Pytester) -> None:
    test = """
        import pytest
        from flask_project import create_app

        @pytest.fixture
        def client(traced):
            client = traced(create_app()).test_client()
            yield client
            client.get("/?from=teardown").close()

        def test_fails(client):
            client.get("/?from=test").close()
            assert False
    """
    result = run(project, test)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["1 request recorded, in .tracer/test_app.py-test_fails.jsonl:"])
    titles = [t.summary.title for t in read_traces(trace_file(project, "test_fails"))]
    assert titles == ["GET /?from=test", "GET /?from=teardown"]


def test_file_names_are_unique_and_safe(tmp_path: Path) -> None:
    files = TraceFiles(tmp_path, tmp_path)
    plain = files.path_for("tests/test_app.py::TestApi::test_get[a/b]")
    assert plain.name == "tests-test_app.py-TestApi-test_get-a-b.jsonl"
    assert files.path_for("tests/test_app.py::TestApi::test_get[a/b]") == plain
    clash = files.path_for("tests/test_app.py::TestApi::test_get[a b]")
    assert clash != plain and clash.name.startswith("tests-test_app.py-TestApi-test_get-a-b-")
    long = files.path_for("test_x.py::test_y[" + "z" * 300 + "]")
    assert len(long.name) <= 130


# --tracer-check

CHECK_TESTS = """
    import httpx
    import werkzeug.test
    from starlette.testclient import TestClient

    import flask_project
    import starlette_project

    HELD = []

    def test_start_response_twice(traced):
        client = werkzeug.test.Client(traced(flask_project.start_twice))
        with client.get("/twice") as response:
            assert response.status_code == 500

    def test_flask_is_correct(traced):
        client = traced(flask_project.create_app()).test_client()
        with client.get("/") as response:
            assert response.data == b"hello"

    def test_starlette_is_correct(traced):
        with TestClient(traced(starlette_project.app)) as client:
            assert client.get("/").text == "home"

    async def test_str_headers(traced):
        transport = httpx.ASGITransport(app=traced(starlette_project.str_headers))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/lenient")).status_code == 200

    def test_body_before_start(traced):
        TestClient(traced(starlette_project.body_before_start)).get("/early")

    def test_unquoted_etag(traced):
        with traced(flask_project.create_app()).test_client().get("/etag") as response:
            assert response.data == b"tagged"

    def test_stream_still_open(traced):
        response = werkzeug.test.Client(traced(flask_project.slow_stream)).get("/stream")
        HELD.append(response)
"""


def test_without_tracer_check_protocol_mistakes_pass(project: pytest.Pytester) -> None:
    result = run(project, CHECK_TESTS)
    result.assert_outcomes(passed=6, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_app.py::test_body_before_start - AssertionError*"])
    assert "tracer check" not in result.stdout.str()


def test_tracer_check_fails_tests_whose_traces_break_the_protocol(project: pytest.Pytester) -> None:
    result = run(project, CHECK_TESTS, "--tracer-check", "--junitxml=report.xml")
    result.assert_outcomes(passed=4, failed=3)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*_ test_start_response_twice _*",
            "tracer check: 1 finding in 1 of 1 request recorded by `traced`",
            "",
            "GET /twice -> 500  [[]wsgi http, trace *]",
            "  step 2   error   wsgi-start-response-twice: start_response() was called again without exc_info*",
            "*- tracer -*",
            "open it with: tracer view .tracer/test_app.py-test_start_response_twice.jsonl",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "*_ test_str_headers _*",
            "GET /lenient -> 200  [[]asgi http, trace *]",
            "  step 1   error   asgi-header-type: Header 'content-type' has a str where bytes belong*",
        ]
    )
    # A test that failed already gets the findings beside its own error.
    result.stdout.fnmatch_lines(
        [
            "*_ test_body_before_start _*",
            "*AssertionError*",
            "*- tracer check -*",
            "  step 1   error   asgi-body-before-start: http.response.body was sent before http.response.start*",
        ]
    )
    result.stdout.fnmatch_lines(
        [
            "FAILED test_app.py::test_start_response_twice - tracer check: *",
            "FAILED test_app.py::test_str_headers - tracer check: *",
        ]
    )
    failures = {
        case.get("name"): case.find("failure").get("message")
        for case in ElementTree.parse(project.path / "report.xml").iter("testcase")
        if case.find("failure") is not None
    }
    assert failures["test_start_response_twice"] == "tracer check: wsgi-start-response-twice at step 2 of GET /twice"
    assert failures["test_str_headers"] == "tracer check: asgi-header-type at step 1 of GET /lenient"
    assert "wsgi-start-response-twice" in {
        finding_rule for trace in read_traces(trace_file(project, "test_start_response_twice")) for finding_rule in _rules(trace)
    }
    # Warnings do not fail a test at the default level, nor does a trace still in progress.
    assert "http-etag-unquoted" not in out and "trace-incomplete" not in out


def test_tracer_check_warning_fails_on_warnings_too(project: pytest.Pytester) -> None:
    result = run(project, CHECK_TESTS, "-k", "etag or correct or still_open", "--tracer-check=warning")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_unquoted_etag _*",
            "GET /etag -> 200  [[]wsgi http, trace *]",
            "  step 1   warning http-etag-unquoted: The ETag 'v1' is not a quoted string*",
        ]
    )
    assert "trace-incomplete" not in result.stdout.str()


DJANGO_SETTINGS = '''
import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="pytester",
    ROOT_URLCONF="django_urls",
    ALLOWED_HOSTS=["*"],
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
    USE_TZ=True,
)
django.setup()
'''

DJANGO_URLS = '''
from django.http import HttpResponse
from django.urls import path


def hello(request):
    return HttpResponse(b"Hello", content_type="text/plain; charset=utf-8")


urlpatterns = [path("hello", hello)]
'''

DJANGO_TESTS = """
    import httpx
    import werkzeug.test
    from django.core.asgi import get_asgi_application
    from django.core.wsgi import get_wsgi_application
    from django.test import Client

    def test_client(traced):
        client = traced(Client())
        assert client.get("/hello").content == b"Hello"
        [trace] = traced.traces()
        assert (trace.protocol, trace.summary.title, trace.status) == ("wsgi", "GET /hello", 200)

    def test_wsgi_handler(traced):
        with werkzeug.test.Client(traced(get_wsgi_application())).get("/hello") as response:
            assert response.data == b"Hello"
        assert traced.traces()[0].status == 200

    async def test_asgi_handler(traced):
        transport = httpx.ASGITransport(app=traced(get_asgi_application()))
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            assert (await client.get("/hello")).text == "Hello"
        assert traced.traces()[0].protocol == "asgi"

    def test_fails(traced):
        assert traced(Client()).get("/hello?lang=fr").content == b"Bonjour"
"""


def test_django_project(project: pytest.Pytester) -> None:
    project.makeconftest(DJANGO_SETTINGS)
    project.makepyfile(django_urls=DJANGO_URLS, test_app=textwrap.dedent(DJANGO_TESTS))
    result = project.runpytest_subprocess("-p", "no:cacheprovider", "--tracer-check=warning")
    result.assert_outcomes(passed=3, failed=1)
    [path] = (project.path / ".tracer").glob("*.jsonl")
    assert path.name == "test_app.py-test_fails.jsonl"
    assert [t.summary.title for t in read_traces(path)] == ["GET /hello?lang=fr"]
    result.stdout.fnmatch_lines(["open it with: tracer view .tracer/test_app.py-test_fails.jsonl"])


def test_the_plugin_does_not_import_textual() -> None:
    code = "import sys, tracer.pytest_plugin; sys.exit('textual' in sys.modules)"
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    assert subprocess.run([sys.executable, "-c", code], env=env, check=False).returncode == 0


def _rules(trace: Any) -> set[str]:
    from tracer.checks import check_trace

    return {finding.rule for finding in check_trace(trace)}
