"""Django's static files under `tracer run`, as ``runserver`` serves them: with DEBUG and staticfiles on, and only then.

Each case is a small Django site in its own directory, served by a real
`tracer run` (WSGI and ASGI) on 127.0.0.1; settings are configured in that
process, never in the test's.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import httpx
import pytest

from tests.frameworks.running import TracerRun, completed
from tracer.django_static import with_static_files

SITE = """
    import django
    from django.conf import settings
    from django.http import HttpResponse
    from django.urls import path

    def hello(request):
        return HttpResponse(b"hello")

    urlpatterns = [path("hello", hello)]

    settings.configure(
        DEBUG={debug},
        SECRET_KEY="tracer-tests",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["*"],
        MIDDLEWARE=[],
        INSTALLED_APPS={apps},
        DATABASES={{}},
        STATIC_URL="static/",
        STATICFILES_DIRS=[{static_dir!r}],
        LOGGING_CONFIG=None,
    )
    django.setup()

    from django.core.asgi import get_asgi_application
    from django.core.wsgi import get_wsgi_application

    wsgi_application = get_wsgi_application()
    asgi_application = get_asgi_application()
"""

NOTE = "tracer: DEBUG is on and django.contrib.staticfiles is installed, so /static/ serves static files as runserver does"


def site(tmp_path: Path, *, debug: bool = True, staticfiles: bool = True) -> None:
    static = tmp_path / "assets"
    (static / "css").mkdir(parents=True)
    (static / "css" / "site.css").write_text("body { color: teal; }\n")
    apps = ["django.contrib.staticfiles"] if staticfiles else []
    (tmp_path / "static_site.py").write_text(
        textwrap.dedent(SITE).format(debug=debug, apps=apps, static_dir=str(static))
    )


@pytest.mark.parametrize("attr", ["wsgi_application", "asgi_application"])
def test_static_files_are_served_and_traced_when_debug_and_staticfiles_are_on(tmp_path: Path, attr: str) -> None:
    site(tmp_path)
    run = TracerRun(f"static_site:{attr}", tmp_path / "t.jsonl", cwd=tmp_path, timeout=30)
    try:
        css = httpx.get(f"{run.url}/static/css/site.css", timeout=10)
        page = httpx.get(f"{run.url}/hello", timeout=10)
        missing = httpx.get(f"{run.url}/static/css/nothing.css", timeout=10)
        traces = completed(run.trace_file, 3, scope_type="http")
    finally:
        run.stop()
    assert css.status_code == 200 and css.text == "body { color: teal; }\n"
    assert page.status_code == 200 and page.text == "hello"
    assert missing.status_code == 404
    assert NOTE in run.output.splitlines()
    assert {(t.path, t.status) for t in traces} >= {("/static/css/site.css", 200), ("/hello", 200)}


@pytest.mark.parametrize(("debug", "staticfiles"), [(False, True), (True, False)])
def test_static_files_are_left_alone_as_runserver_leaves_them(tmp_path: Path, debug: bool, staticfiles: bool) -> None:
    site(tmp_path, debug=debug, staticfiles=staticfiles)
    run = TracerRun("static_site:wsgi_application", tmp_path / "t.jsonl", cwd=tmp_path, timeout=30)
    try:
        css = httpx.get(f"{run.url}/static/css/site.css", timeout=10)
    finally:
        run.stop()
    assert css.status_code == 404
    assert "staticfiles" not in run.output


def test_apps_other_than_djangos_handlers_are_not_wrapped() -> None:
    def app(environ: object, start_response: object) -> list[bytes]:
        return []

    assert with_static_files(app) == (app, None)
