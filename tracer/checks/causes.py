"""Who most likely caused a finding, when it is not the app's own code: the framework or the server.

Some findings are not the app author's to fix. The server builds the environ or
the scope (granian gives the scope's ports as str); the framework writes the
response (Django keeps header names as the response holds them, on purpose).
Each such cause is recognised from the trace itself: the environ's
``SERVER_SOFTWARE``, the scope's shape, a framework's frames in a traceback or
its logger in an ``app.log`` event, its default response headers. This module
is the one place that knows them; `tracer.checks.check_trace` adds the cause to
the finding (`Finding.cause`, and one more sentence of its message), so
``tracer check``, ``tracer show`` and the UI say the same.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property
from typing import Any

from ..model import Trace
from .findings import Finding

__all__ = ["SERVER_RULES", "Cause", "with_causes"]

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


def _django_headers(headers: Any) -> bool:
    if not isinstance(headers, list):
        return False
    pairs = {(_text(item[0]), _text(item[1])) for item in headers if isinstance(item, list) and len(item) == 2}
    return len(pairs & _DJANGO_HEADERS) >= 2


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
}
"""Rules a framework is known to break, by rule id: the cause, when the trace shows that framework."""


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
