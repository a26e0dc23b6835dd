"""Apps that log and print while they answer, for the app.log tests (served by `tracer run`).

    tracer run tests.tracer.app_output_apps:django_wsgi
    tracer run tests.tracer.app_output_apps:flask_app
    tracer run tests.tracer.app_output_apps:starlette_app
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading

import django
from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="only-for-tests",
        ROOT_URLCONF=__name__,
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        USE_TZ=True,
    )
    django.setup()
else:
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    settings.MIDDLEWARE = []

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from flask import Flask  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

print("app module imported")  # outside any request: never an event


def django_prints(request):
    print(f"django view for {request.GET.get('n', '?')}")
    return HttpResponse("printed\n", content_type="text/plain")


def django_raises(request):
    raise ZeroDivisionError("no pizza")


urlpatterns = [path("print/", django_prints), path("raise/", django_raises)]
django_wsgi = get_wsgi_application()


flask_app = Flask(__name__)
flask_app.logger.setLevel(logging.INFO)


@flask_app.get("/hello")
def flask_hello():
    flask_app.logger.info("hello for %s", "flask")
    sys.stderr.write("to stderr, ")
    sys.stderr.write("in two writes\n")
    return "hi\n"


@flask_app.get("/crash")
def flask_crash():
    raise KeyError("missing")


log = logging.getLogger("starlette_app")
log.setLevel(logging.INFO)


async def starlette_work(request: Request) -> PlainTextResponse:
    n = request.query_params.get("n", "?")
    log.info("before %s", n)

    async def task() -> None:
        await asyncio.sleep(0.01)
        log.warning("in a task for %s", n)

    await asyncio.create_task(task())
    await asyncio.to_thread(print, f"from a thread for {n}")
    await asyncio.sleep(0.02)
    log.info("after %s", n)
    return PlainTextResponse(f"done {n}\n")


starlette_app = Starlette(routes=[Route("/work", starlette_work)])


def outside_requests() -> None:
    """Output from a thread of its own, outside any request."""
    threading.Thread(target=lambda: print("a thread of the server"), daemon=True).start()


flask_untouched = Flask("flask_untouched")
"""A Flask app whose logger is first used in a request, after tracer captures: Flask adds its handler then."""


@flask_untouched.get("/boom")
def flask_untouched_boom():
    return [][3]


@flask_untouched.get("/bare")
def flask_untouched_bare():
    # A logger nobody configured: Python's last-resort handler prints the record to stderr.
    logging.getLogger("app_output_bare").warning("no handler for %s", "this")
    return "logged\n"
