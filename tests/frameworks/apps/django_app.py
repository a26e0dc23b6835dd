"""A Django project in one module, settings configured here, with both handlers.

    tracer run tests.frameworks.apps.django_app:wsgi
    tracer run tests.frameworks.apps.django_app:asgi
"""

from __future__ import annotations

import asyncio
import json
import time

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
    # Another test module of this process configured Django first (settings can be
    # configured once): serve this module's urls all the same.
    settings.ROOT_URLCONF = __name__
    settings.ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
    settings.MIDDLEWARE = []

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.handlers.asgi import ASGIRequest  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse, JsonResponse, StreamingHttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.http import require_GET, require_POST  # noqa: E402

from tests.frameworks.apps import CHUNK_DELAY, CHUNKS  # noqa: E402


@require_GET
def hello(request):
    response = HttpResponse("Hello from Django\n", content_type="text/plain")
    response.set_cookie("session", "secret-value")
    return response


@require_POST
def echo(request):
    return JsonResponse({"received": json.loads(request.body), "query": request.GET.get("q")})


def _sync_chunks():
    for number in range(CHUNKS):
        if number:
            time.sleep(CHUNK_DELAY)
        yield f"chunk {number}\n"


async def _async_chunks():
    for number in range(CHUNKS):
        if number:
            await asyncio.sleep(CHUNK_DELAY)
        yield f"chunk {number}\n"


@require_GET
def stream(request):
    # Each handler streams its own kind of iterator without Django's conversion warning.
    chunks = _async_chunks() if isinstance(request, ASGIRequest) else _sync_chunks()
    return StreamingHttpResponse(chunks, content_type="text/plain")


def missing(request):
    return HttpResponse("nothing here\n", status=404, content_type="text/plain")


urlpatterns = [
    path("hello", hello),
    path("echo", echo),
    path("stream", stream),
    path("missing", missing),
]

wsgi = get_wsgi_application()
asgi = get_asgi_application()
