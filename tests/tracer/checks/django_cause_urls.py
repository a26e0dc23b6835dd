"""URLs of the Django app whose findings Django caused (settings are configured in the test)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.urls import path
from django.views.static import serve


def static(request: Any, name: str) -> HttpResponse:
    # What django.contrib.staticfiles' handler runs under STATIC_URL when DEBUG is on.
    return serve(request, name, document_root=settings.CAUSES_STATIC_ROOT)


def admin(request: Any) -> HttpResponseRedirect:
    # What login_required does for the admin: a relative Location.
    return HttpResponseRedirect("/admin/login/?next=/admin/")


def own(request: Any) -> HttpResponse:
    # The app's own choice: a text/* type without a charset.
    return HttpResponse("body{}", content_type="text/css")


urlpatterns = [
    path("static/<path:name>", static),
    path("admin/", admin),
    path("own.css", own),
]
