"""URLs of the Django app in the correct-apps corpus (settings are configured in the test)."""

from __future__ import annotations

import io
from typing import Any

from django.http import (
    FileResponse,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    StreamingHttpResponse,
)
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import etag


def index(request: Any) -> HttpResponse:
    return HttpResponse("hello")


def json(request: Any) -> JsonResponse:
    return JsonResponse({"ok": True})


@csrf_exempt
def echo(request: Any) -> HttpResponse:
    return HttpResponse(request.body, content_type="application/octet-stream")


@csrf_exempt
def form(request: Any) -> JsonResponse:
    return JsonResponse({"name": request.POST["name"]})


def stream(request: Any) -> StreamingHttpResponse:
    return StreamingHttpResponse((f"{i}\n" for i in range(3)), content_type="text/plain; charset=utf-8")


def file(request: Any) -> FileResponse:
    return FileResponse(io.BytesIO(b"file content"), content_type="text/plain; charset=utf-8")


def redirect(request: Any) -> HttpResponseRedirect:
    return HttpResponseRedirect("/json")


@etag(lambda request: "v1")
def tagged(request: Any) -> HttpResponse:
    return HttpResponse("tagged")


def empty(request: Any) -> HttpResponse:
    return HttpResponse(status=204)


urlpatterns = [
    path("", index),
    path("json", json),
    path("echo", echo),
    path("form", form),
    path("stream", stream),
    path("file", file),
    path("redirect", redirect),
    path("etag", tagged),
    path("empty", empty),
]
