"""Who most likely caused a finding, when it is not the app's own code: the framework or the server.

Some findings are not the app author's to fix. The server builds the environ or
the scope (granian gives the scope's ports as str); the framework writes the
response (Django keeps header names as the response holds them, on purpose).
Each such cause is recognised from the trace itself: the environ's
``SERVER_SOFTWARE`` and ``wsgi.input_terminated``, the scope's shape, a
framework's frames in a traceback or its logger in an ``app.log`` event, its
default response headers, the shape of its static file responses. This module
is the one place that knows them; `tracer.checks.check_trace` adds the cause to
the finding (`Finding.cause`, and one more sentence of its message), so
``tracer check``, ``tracer show`` and the UI say the same.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any
from urllib.parse import unquote

from ..model import Trace
from .findings import Finding

__all__ = ["SERVER_RULES", "WHOLE_TRACE_CAUSES", "Cause", "with_causes"]

SERVER_RULES = frozenset({
    "wsgi-environ-missing-key",
    "wsgi-environ-value",
    "wsgi-version-not-tuple",
    "wsgi-environ-path",
    "wsgi-environ-http-content",
    "wsgi-environ-query-string",
    "wsgi-close-not-called",
    "asgi-scope-invalid",
    "asgi-receive-invalid",
})
"""Rules that only the server (or a middleware in front of the traced app) can break:
the environ, the scope, what receive() returns, calling close()."""


@dataclass(frozen=True, slots=True)
class Cause:
    """The framework or server that most likely caused a finding, and what to do about it.

    Attributes:
        who: Who, e.g. ``"Django"``, ``"granian"``, ``"the server (gunicorn/23.0.0)"``.
        why: What it does that breaks the rule, a sentence fragment.
        todo: What the app's author can do, a sentence fragment.
    """

    who: str
    why: str
    todo: str

    def sentence(self, rule: str) -> str:
        """The sentences added to the finding's message: who, why, and what to do."""
        return (f"Likely cause: {self.who}, not the app's code: {self.why}. "
                f"{self.todo[:1].upper()}{self.todo[1:]}; `tracer check --ignore {rule}` hides it.")


_DJANGO_FRAME = re.compile(r"[/\\]django[/\\]")
# Django's defaults (SecurityMiddleware, XFrameOptionsMiddleware), named as Django names them.
_DJANGO_HEADERS = frozenset({
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
})
# The extensions granian offers in an http or websocket scope.
_GRANIAN_EXTENSIONS = frozenset({"http.response.pathsend", "websocket.http.response"})

_DJANGO_HEADER_CASE = Cause(
    "Django",
    "its handler sends header names as the response holds them (Content-Type), on purpose, for old clients",
    "nothing to change in the app: servers lowercase them",
)
_DJANGO_HEAD_BODY = Cause(
    "Django",
    "it builds the whole response for a HEAD request and leaves dropping the body to the server",
    "nothing to change in the app",
)
_DJANGO_RELATIVE_LOCATION = Cause(
    "Django",
    "its redirects send the Location as the view or login_required gives it, relative by design "
    "(RFC 9110 allows a relative reference, resolved against the request's URL)",
    "nothing to change in the app",
)
_DJANGO_STATIC_CHARSET = Cause(
    "Django",
    "its static file view (django.views.static.serve, which serves STATIC_URL in development) sends the type "
    "mimetypes guesses from the file name, without a charset",
    "nothing to change in the app; in production the web server that serves STATIC_ROOT sets the type",
)
_WERKZEUG_READ = Cause(
    "Werkzeug",
    "its request parser (Flask's request.form, request.get_data) reads the body with read() only when the server "
    "sets wsgi.input_terminated, as this one did, promising end-of-file at the body's end; otherwise it wraps "
    "wsgi.input in a LimitedStream of CONTENT_LENGTH, which reads with a size",
    "nothing to change in the app: on this server the read is safe",
)
# django.views.static.serve answers with a FileResponse: Content-Disposition names the file inline.
_INLINE_FILENAME = re.compile(r"""inline; filename(?:="(?P<plain>[^"]*)"|\*=utf-8''(?P<quoted>\S+))$""", re.IGNORECASE)


class _Clues:
    """What a trace says about the server and the framework, each worked out when first asked."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        first = trace.events[0] if trace.events else None
        data = first.data if first is not None and isinstance(first.data, dict) else {}
        environ = data.get("environ") if first is not None and first.kind == "wsgi.environ" else None
        scope = data.get("scope") if first is not None and first.kind == "asgi.scope" else None
        self.environ: dict[str, Any] = environ if isinstance(environ, dict) else {}
        self.scope: dict[str, Any] = scope if isinstance(scope, dict) else {}

    @cached_property
    def server_software(self) -> str | None:
        """The environ's SERVER_SOFTWARE (``gunicorn/23.0.0``), or None."""
        value = self.environ.get("SERVER_SOFTWARE")
        return value.strip() if isinstance(value, str) and value.strip() and value != "[redacted]" else None

    @cached_property
    def ports_as_str(self) -> bool:
        """The scope gives the port of ``server`` or ``client`` as a str of digits."""
        for key in ("server", "client"):
            value = self.scope.get(key)
            if isinstance(value, list) and len(value) == 2 and isinstance(value[1], str) and value[1].isdigit():
                return True
        return False

    @cached_property
    def granian(self) -> bool:
        """The scope is shaped as granian builds it: ports as str, granian's extensions."""
        extensions = self.scope.get("extensions")
        return self.ports_as_str and isinstance(extensions, dict) and set(extensions) == _GRANIAN_EXTENSIONS

    @cached_property
    def input_terminated(self) -> bool:
        """The server promises end-of-file at the request body's end (the environ's ``wsgi.input_terminated``)."""
        return self.environ.get("wsgi.input_terminated") is True

    @cached_property
    def django_static_file(self) -> bool:
        """The response is shaped as django.views.static.serve makes it, for the file the request's path names.

        A 200 with ``Last-Modified`` and FileResponse's ``Content-Disposition: inline; filename="site.css"``,
        where the name is the path's last segment. Django's static handler answers before any middleware,
        so the trace shows no other sign of Django.
        """
        path = self.environ.get("PATH_INFO") if self.environ else self.scope.get("path")
        name = posixpath.basename(path) if isinstance(path, str) else ""
        for event in self.trace.events:
            data = event.data if isinstance(event.data, dict) else {}
            headers = _start_headers(event.kind, data)
            if headers is None:
                continue
            status = data.get("status") if event.kind == "wsgi.start_response" else data["message"].get("status")
            pairs = _text_pairs(headers)
            if status not in (200, "200 OK") or not name or "last-modified" not in {key.lower() for key, _ in pairs}:
                return False
            found = [_INLINE_FILENAME.match(value.strip()) for key, value in pairs if key.lower() == "content-disposition"]
            return any(match is not None and unquote(match["plain"] or match["quoted"] or "") == unquote(name)
                       for match in found)
        return False

    @cached_property
    def django(self) -> bool:
        """Django answered: its frames in a traceback, its logger, or its default response headers."""
        for event in self.trace.events:
            data = event.data if isinstance(event.data, dict) else {}
            if event.kind in ("wsgi.error", "asgi.error"):
                if _DJANGO_FRAME.search(_text(data.get("traceback"))):
                    return True
            elif event.kind == "app.log":
                logger = _text(data.get("logger"))
                if logger == "django" or logger.startswith("django.") or _DJANGO_FRAME.search(_text(data.get("exception"))):
                    return True
            elif event.kind in ("wsgi.start_response", "asgi.send") and _django_headers(_start_headers(event.kind, data)):
                return True
        return False


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else ""


def _start_headers(kind: str, data: dict[str, Any]) -> Any:
    if kind == "wsgi.start_response":
        return data.get("headers")
    message = data.get("message")
    if isinstance(message, dict) and message.get("type") == "http.response.start":
        return message.get("headers")
    return None


def _text_pairs(headers: Any) -> list[tuple[str, str]]:
    if not isinstance(headers, list):
        return []
    return [(_text(item[0]), _text(item[1])) for item in headers if isinstance(item, list) and len(item) == 2]


def _django_headers(headers: Any) -> bool:
    return len(set(_text_pairs(headers)) & _DJANGO_HEADERS) >= 2


_SERVER_SIDE = {
    "asgi-scope-invalid": "the server builds the scope",
    "asgi-receive-invalid": "the server makes the messages receive() returns",
    "wsgi-close-not-called": "the server calls close()",
}


def _server(rule: str, clues: _Clues) -> Cause | None:
    if rule == "asgi-scope-invalid" and clues.ports_as_str:
        return Cause(
            "granian" if clues.granian else "the server",
            "it gives the scope's ports as str where ASGI says int" + ("" if clues.granian else " (as granian does)"),
            "report it to the server's maintainers",
        )
    if clues.server_software:
        side = _SERVER_SIDE.get(rule, "the server builds the environ")
        return Cause(f"the server ({clues.server_software})", f"{side} (or a middleware in front of the app does)",
                     "a newer release of the server may fix it")
    return None


_FRAMEWORK: dict[str, Callable[[_Clues], Cause | None]] = {
    "asgi-header-case": lambda clues: _DJANGO_HEADER_CASE if clues.django else None,
    "http-head-body": lambda clues: _DJANGO_HEAD_BODY if clues.django else None,
    "http-location-relative": lambda clues: _DJANGO_RELATIVE_LOCATION if clues.django else None,
    "http-charset-missing": lambda clues: _DJANGO_STATIC_CHARSET if clues.django_static_file else None,
    # Read off the environ alone (Django never reads wsgi.input without a size: its own LimitedStream asks for one).
    "wsgi-input-read-no-size": lambda clues: _WERKZEUG_READ if clues.input_terminated else None,
}
"""Rules a framework is known to break, by rule id: the cause, when the trace shows that framework."""

WHOLE_TRACE_CAUSES = frozenset(_FRAMEWORK) - {"wsgi-input-read-no-size"}
"""The rules of `_FRAMEWORK` whose cause may be told by any event; the others' by the first event alone."""


def _cause_of(finding: Finding, clues: _Clues) -> Cause | None:
    """The framework or server that most likely caused `finding`, or None (the app's own code, or unknown)."""
    if finding.rule in SERVER_RULES:
        return _server(finding.rule, clues)
    known = _FRAMEWORK.get(finding.rule)
    return known(clues) if known is not None else None


def with_causes(trace: Trace, findings: list[Finding]) -> list[Finding]:
    """`findings` with the cause of each that a framework or server most likely caused, in its message too."""
    if not any(f.rule in SERVER_RULES or f.rule in _FRAMEWORK for f in findings):
        return findings
    clues = _Clues(trace)
    out = []
    for finding in findings:
        cause = _cause_of(finding, clues)
        if cause is not None:
            finding = replace(finding, cause=cause.who, message=f"{finding.message} {cause.sentence(finding.rule)}")
        out.append(finding)
    return out
