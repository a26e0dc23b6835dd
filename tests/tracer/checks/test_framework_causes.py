"""Findings that Flask's Werkzeug and Django cause in a new project name them, from real framework traces."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tracer import Recorder, WSGITracer
from tracer.checks import check_trace
from tracer.model import Trace


def causes(trace: Trace) -> list[tuple[str, str | None]]:
    return [(f.rule, f.cause) for f in check_trace(trace)]


def call(client: Any, method: str, path: str, **kwargs: Any) -> Any:
    """Werkzeug's test client's response, closed as a server closes it (its data read first)."""
    response = client.open(path, method=method, **kwargs)
    response.get_data()
    response.close()
    return response


# Flask: request.form


def flask_form_app() -> Any:
    flask = pytest.importorskip("flask")
    app = flask.Flask("form")

    @app.post("/submit")
    def submit() -> str:
        return f"Thanks {flask.request.form['name']}"

    return app


def test_flask_form_on_a_server_that_terminates_the_input_names_werkzeug() -> None:
    # gunicorn sets wsgi.input_terminated: Werkzeug then reads the form with read(), no size.
    from werkzeug.test import Client

    rec = Recorder()
    client = Client(WSGITracer(flask_form_app(), sink=rec))
    response = call(client, "POST", "/submit", data={"name": "Ann"}, environ_overrides={"wsgi.input_terminated": True})
    assert response.get_data() == b"Thanks Ann"
    (trace,) = rec.traces()
    (finding,) = check_trace(trace)
    assert (finding.rule, finding.cause) == ("wsgi-input-read-no-size", "Werkzeug")
    assert finding.message.endswith(
        "Likely cause: Werkzeug, not the app's code: its request parser (Flask's request.form, request.get_data) reads "
        "the body with read() only when the server sets wsgi.input_terminated, as this one did, promising end-of-file "
        "at the body's end; otherwise it wraps wsgi.input in a LimitedStream of CONTENT_LENGTH, which reads with a size. "
        "Nothing to change in the app: on this server the read is safe; "
        "`tracer check --ignore wsgi-input-read-no-size` hides it."
    )


def test_flask_form_on_a_server_that_does_not_terminate_the_input_reads_with_a_size() -> None:
    # What the cause's sentence says: without wsgi.input_terminated, Werkzeug's LimitedStream asks for a size.
    from werkzeug.test import Client

    rec = Recorder()
    client = Client(WSGITracer(flask_form_app(), sink=rec))
    assert call(client, "POST", "/submit", data={"name": "Ann"}).get_data() == b"Thanks Ann"
    (trace,) = rec.traces()
    reads = [event.data for event in trace.events if event.kind == "wsgi.input"]
    assert reads and all(isinstance(read["size"], int) and read["size"] > 0 for read in reads)
    assert causes(trace) == []


def test_a_chunked_flask_form_under_werkzeugs_server_names_werkzeug() -> None:
    # Werkzeug's own server sets wsgi.input_terminated for a chunked body.
    from werkzeug.serving import make_server

    rec = Recorder()
    httpd = make_server("127.0.0.1", 0, WSGITracer(flask_form_app(), sink=rec), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()

    def chunks() -> Iterator[bytes]:
        yield b"name="
        yield b"Ann"

    try:
        response = httpx.post(f"http://127.0.0.1:{httpd.server_port}/submit", content=chunks(),
                              headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=5)
        assert response.text == "Thanks Ann"
    finally:
        httpd.shutdown()
        thread.join(5)
    (trace,) = rec.traces()
    assert trace.events[0].data["environ"]["wsgi.input_terminated"] is True
    assert causes(trace) == [("wsgi-input-read-no-size", "Werkzeug")]


# Django: static files and the admin's redirect


@pytest.fixture
def django_site(tmp_path: Path) -> Iterator[Any]:
    """Django's WSGI handler with startproject's security middleware, static files served from tmp_path."""
    from django.core.wsgi import get_wsgi_application
    from django.test.utils import override_settings
    from werkzeug.test import Client

    from tests.django_project import configure_django

    configure_django()
    (tmp_path / "site.css").write_text("body{color:red}\n")
    middleware = ["django.middleware.security.SecurityMiddleware", "django.middleware.clickjacking.XFrameOptionsMiddleware"]
    rec = Recorder()
    with override_settings(ROOT_URLCONF="tests.tracer.checks.django_cause_urls", MIDDLEWARE=middleware,
                           CAUSES_STATIC_ROOT=str(tmp_path)):
        yield rec, Client(WSGITracer(get_wsgi_application(), sink=rec))


def test_django_static_files_without_a_charset_name_django(django_site: Any) -> None:
    rec, client = django_site
    assert call(client, "GET", "/static/site.css").get_data() == b"body{color:red}\n"
    (trace,) = rec.traces()
    (finding,) = check_trace(trace)
    assert (finding.rule, finding.cause) == ("http-charset-missing", "Django")
    assert "Likely cause: Django, not the app's code: its static file view (django.views.static.serve" in finding.message


def test_django_redirect_with_a_relative_location_names_django(django_site: Any) -> None:
    rec, client = django_site
    assert call(client, "GET", "/admin/").headers["Location"] == "/admin/login/?next=/admin/"
    (trace,) = rec.traces()
    (finding,) = check_trace(trace)
    assert (finding.rule, finding.cause) == ("http-location-relative", "Django")
    assert finding.message.endswith(
        "Likely cause: Django, not the app's code: its redirects send the Location as the view or login_required gives "
        "it, relative by design (RFC 9110 allows a relative reference, resolved against the request's URL). "
        "Nothing to change in the app; `tracer check --ignore http-location-relative` hides it."
    )


def test_a_django_views_own_type_without_a_charset_stays_the_apps(django_site: Any) -> None:
    rec, client = django_site
    assert call(client, "GET", "/own.css").get_data() == b"body{}"
    (trace,) = rec.traces()
    assert causes(trace) == [("http-charset-missing", None)]
