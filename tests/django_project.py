"""A minimal Django project configured in-process, shared by every test that needs Django.

Django settings can be configured once per process, so every test module
uses `configure_django()` and these urls; add views here rather than calling
``settings.configure`` elsewhere.
"""

from __future__ import annotations

import time

from django.urls import path


def hello(request):  # type: ignore[no-untyped-def]
    from django.http import HttpResponse

    response = HttpResponse(b"Hello from Django", content_type="text/plain")
    response["X-Custom"] = "yes"
    return response


def echo(request):  # type: ignore[no-untyped-def]
    from django.http import HttpResponse

    return HttpResponse(request.body, content_type="application/octet-stream")


def stream(request):  # type: ignore[no-untyped-def]
    from django.http import StreamingHttpResponse

    def chunks():  # type: ignore[no-untyped-def]
        for index in range(3):
            yield f"chunk {index}\n".encode()
            time.sleep(0.01)

    return StreamingHttpResponse(chunks(), content_type="text/plain")


def boom(request):  # type: ignore[no-untyped-def]
    raise RuntimeError("django view failed")


urlpatterns = [
    path("hello", hello),
    path("echo", echo),
    path("stream", stream),
    path("boom", boom),
]


def configure_django() -> None:
    """Configure settings (once) and set Django up."""
    import django
    from django.conf import settings

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            SECRET_KEY="tracer-tests",
            ROOT_URLCONF=__name__,
            ALLOWED_HOSTS=["*"],
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            DATABASES={},
            USE_TZ=True,
            LOGGING_CONFIG=None,
            DEBUG_PROPAGATE_EXCEPTIONS=False,
        )
        django.setup()
