"""Correct WSGI apps (raw, Flask, Django) produce no errors and no warnings."""

from __future__ import annotations

import io
import os
import wsgiref.util
from typing import Any

import pytest
from werkzeug.test import Client

from tracer import Recorder, WSGITracer
from tracer.checks import check_trace

from .conftest import assert_clean
from .drivers import run_wsgi

TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def streaming(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", TEXT)
    for i in range(5):
        yield f"line {i}\n".encode()


def echo_upload(environ: dict[str, Any], start_response: Any) -> Any:
    stream = environ["wsgi.input"]
    if environ.get("wsgi.input_terminated"):
        chunks = []
        while chunk := stream.read(4):
            chunks.append(chunk)
        body = b"".join(chunks)
    else:
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = b""
        while len(body) < length:
            body += stream.read(min(3, length - len(body)))
    start_response("200 OK", TEXT + [("Content-Length", str(len(body)))])
    return [body]


def file_wrapper_app(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", "11")])
    return environ["wsgi.file_wrapper"](io.BytesIO(b"hello world"), 4)


def legacy_write(environ: dict[str, Any], start_response: Any) -> Any:
    write = start_response("200 OK", TEXT)
    write(b"written ")
    return [b"and returned"]


def error_page(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", TEXT)
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        start_response("500 Internal Server Error", TEXT, sys.exc_info())
    return [b"sorry"]


def no_content(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("204 No Content", [])
    return []


def not_modified(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("304 Not Modified", [("ETag", '"v1"'), ("Cache-Control", "max-age=60")])
    return []


@pytest.mark.parametrize(
    ("app", "request_options"),
    [
        (streaming, {}),
        (echo_upload, {"method": "POST", "data": b"0123456789"}),
        (echo_upload, {"method": "POST", "data": b""}),
        (legacy_write, {}),
        (error_page, {}),
        (no_content, {}),
        (not_modified, {}),
        (streaming, {"method": "HEAD"}),
    ],
    ids=["streaming", "upload", "empty-upload", "write", "exc-info", "204", "304", "head"],
)
def test_raw_wsgi_app_is_clean(app: Any, request_options: dict[str, Any]) -> None:
    assert_clean([run_wsgi(app, **request_options)])


def test_chunked_upload_is_clean() -> None:
    def terminated(environ: dict[str, Any]) -> None:
        environ.pop("CONTENT_LENGTH", None)
        environ["wsgi.input_terminated"] = True
        environ["HTTP_TRANSFER_ENCODING"] = "chunked"

    trace = run_wsgi(echo_upload, method="POST", data=b"a chunked upload body", environ=terminated)
    assert_clean([trace])
    assert sum(len(e.data["data"]) for e in trace.events if e.kind == "wsgi.input") == 21


def test_file_wrapper_is_clean() -> None:
    def with_wrapper(environ: dict[str, Any]) -> None:
        environ["wsgi.file_wrapper"] = wsgiref.util.FileWrapper

    assert_clean([run_wsgi(file_wrapper_app, environ=with_wrapper)])


def test_wsgiref_server_round_trip_is_clean() -> None:
    import threading
    import urllib.request
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    rec = Recorder()
    server = make_server("127.0.0.1", 0, WSGITracer(echo_upload, sink=rec), handler_class=Quiet)
    server.timeout = 5
    thread = threading.Thread(target=server.handle_request, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/upload"
    with urllib.request.urlopen(urllib.request.Request(url, data=b"payload"), timeout=5) as response:
        assert response.read() == b"payload"
    thread.join(5)
    server.server_close()
    assert_clean(rec.traces(), expect=1)


# Flask


def _flask_app() -> Any:
    import flask

    app = flask.Flask(__name__)

    @app.get("/")
    def index() -> Any:
        return "hello"

    @app.get("/json")
    def json() -> Any:
        return {"ok": True}

    @app.post("/form")
    def form() -> Any:
        return flask.jsonify(name=flask.request.form["name"])

    @app.post("/upload")
    def upload() -> Any:
        return {"size": len(flask.request.get_data())}

    @app.get("/stream")
    def stream() -> Any:
        return flask.Response((f"{i}\n" for i in range(3)), mimetype="text/plain")

    @app.get("/redirect")
    def redirect() -> Any:
        return flask.redirect("/json")

    @app.get("/file")
    def file() -> Any:
        return flask.send_file(io.BytesIO(b"file content"), mimetype="text/plain", etag="abc", download_name="a.txt")

    @app.get("/disk")
    def disk() -> Any:
        return flask.send_file(os.path.abspath(__file__), mimetype="text/x-python")

    @app.get("/empty")
    def empty() -> Any:
        return "", 204

    @app.get("/boom")
    def boom() -> Any:
        flask.abort(500)

    return app


def _drive(client: Client, calls: list[tuple[str, str, dict[str, Any]]]) -> None:
    for method, path, options in calls:
        response = client.open(path, method=method, **options)
        response.get_data()
        response.close()


FLASK_CALLS = [
    ("GET", "/", {}),
    ("GET", "/json", {}),
    ("POST", "/form", {"data": {"name": "ada"}}),
    ("POST", "/upload", {"data": b"x" * 5000, "content_type": "application/octet-stream"}),
    ("GET", "/stream", {}),
    ("GET", "/redirect", {}),
    ("GET", "/file", {}),
    ("GET", "/file", {"headers": {"If-None-Match": '"abc"'}}),
    ("GET", "/disk", {}),
    ("HEAD", "/json", {}),
    ("GET", "/empty", {}),
    ("GET", "/missing", {}),
    ("GET", "/boom", {}),
    ("OPTIONS", "/json", {}),
]


def test_flask_app_is_clean() -> None:
    app = _flask_app()
    rec = Recorder()
    app.wsgi_app = WSGITracer(app.wsgi_app, sink=rec)
    _drive(Client(app), FLASK_CALLS)
    traces = rec.traces()
    assert_clean(traces, expect=len(FLASK_CALLS))
    assert [t.status for t in traces][7] == 304


# Django


DJANGO_SETTINGS = {
    "ROOT_URLCONF": "tests.tracer.checks.django_urls",
    "MIDDLEWARE": [
        "django.middleware.common.CommonMiddleware",
        "django.middleware.http.ConditionalGetMiddleware",
    ],
}


def django_settings() -> Any:
    """The shared in-test Django configuration, with this corpus's urls and middleware."""
    from django.test.utils import override_settings

    from tests.django_project import configure_django

    configure_django()
    return override_settings(**DJANGO_SETTINGS)


DJANGO_CALLS = [
    ("GET", "/", {}),
    ("GET", "/json", {}),
    ("POST", "/echo", {"data": b"posted body", "content_type": "application/octet-stream"}),
    ("POST", "/form", {"data": {"name": "ada"}}),
    ("GET", "/stream", {}),
    ("GET", "/file", {}),
    ("GET", "/redirect", {}),
    ("GET", "/etag", {}),
    ("GET", "/etag", {"headers": {"If-None-Match": '"v1"'}}),
    ("HEAD", "/", {}),
    ("GET", "/empty", {}),
    ("GET", "/missing", {}),
]


def test_django_wsgi_app_is_clean() -> None:
    with django_settings():
        from django.core.wsgi import get_wsgi_application

        rec = Recorder()
        _drive(Client(WSGITracer(get_wsgi_application(), sink=rec)), DJANGO_CALLS)
    traces = rec.traces()
    assert_clean(traces, expect=len(DJANGO_CALLS))
    assert traces[8].status == 304


def test_a_finding_in_a_framework_app_is_still_reported() -> None:
    import flask

    app = flask.Flask(__name__)

    @app.get("/")
    def index() -> Any:
        return flask.Response(iter([b"hi"]), mimetype="text/plain", headers={"Content-Length": "10"})

    rec = Recorder()
    app.wsgi_app = WSGITracer(app.wsgi_app, sink=rec)
    _drive(Client(app), [("GET", "/", {})])
    assert [f.rule for f in check_trace(rec.traces()[0])] == ["http-content-length-mismatch"]
