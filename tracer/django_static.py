"""Django's static files under `tracer run`, served the way ``runserver`` serves them.

``manage.py runserver`` wraps the app in ``django.contrib.staticfiles``'
handler when ``DEBUG`` is on and the staticfiles app is installed, so that
``/static/…`` answers during development; a plain ``mysite.wsgi:application``
does not. `tracer run` adds the same handler under the same conditions, so
that pages look as they do under ``runserver``. The handler sits inside the
tracer: requests for static files are traced like any other.
"""

from __future__ import annotations

import sys
from typing import Any


def with_static_files(app: Any) -> tuple[Any, str | None]:
    """`app` wrapped in Django's static files handler when ``runserver`` would wrap it, and why.

    Returns:
        ``(app, None)`` when the app is not Django's ``WSGIHandler`` / ``ASGIHandler``
        or runserver would not serve static files for it; else the wrapped app and
        one sentence for the console.
    """
    if "django" not in sys.modules:
        return app, None  # not a Django app: nothing to import
    try:
        from django.conf import settings
        from django.core.handlers.asgi import ASGIHandler
        from django.core.handlers.wsgi import WSGIHandler
    except ImportError:
        return app, None
    if type(app) not in (WSGIHandler, ASGIHandler):
        return app, None  # already wrapped (StaticFilesHandler subclasses them), or something else
    try:
        if not settings.configured or not settings.DEBUG:
            return app, None
        from django.apps import apps

        if not apps.is_installed("django.contrib.staticfiles"):
            return app, None
        static_url = settings.STATIC_URL
    except Exception:  # noqa: BLE001 - an unusual project is served as it is
        return app, None
    if not static_url:
        return app, None
    if isinstance(app, WSGIHandler):
        from django.contrib.staticfiles.handlers import StaticFilesHandler

        wrapped: Any = StaticFilesHandler(app)
    else:
        from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

        wrapped = ASGIStaticFilesHandler(app)
    note = f"DEBUG is on and django.contrib.staticfiles is installed, so {static_url} serves static files as runserver does"
    return wrapped, note
