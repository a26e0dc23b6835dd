"""Options shared by both middlewares."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ._failsafe import FailureReporter
from .defaults import DEFAULT_HOLD_TIMEOUT, DEFAULT_MAX_BODY_BYTES, DEFAULT_TRACE_FILE  # noqa: F401 - re-exported
from .errors import UsageError
from .jsonl import JsonlSink
from .redact import Redactor
from .sink import Sink


_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"", "0", "false", "no", "off"})


class TracerOptions:
    """The validated keyword options of `WSGITracer` and `ASGITracer`."""

    __slots__ = ("sink", "max_body_bytes", "redactor", "_exact", "_prefixes", "failures")

    def __init__(
        self,
        sink: Sink | str | os.PathLike[str] | None,
        max_body_bytes: int | None,
        redact_headers: Iterable[str] | None,
        exclude_paths: Iterable[str],
    ) -> None:
        if sink is None:
            sink = JsonlSink(os.environ.get("TRACER_FILE") or DEFAULT_TRACE_FILE)
        elif isinstance(sink, (str, os.PathLike)):
            sink = JsonlSink(sink)  # a path means a trace file
        if not (callable(getattr(sink, "write", None)) and callable(getattr(sink, "close", None))):
            raise UsageError(f"sink {sink!r} has no write() and close() methods")
        if max_body_bytes is not None and (not isinstance(max_body_bytes, int) or max_body_bytes < 0):
            raise UsageError(f"max_body_bytes must be a non-negative int or None, not {max_body_bytes!r}")
        if isinstance(redact_headers, str):
            redact_headers = [redact_headers]
        if isinstance(exclude_paths, str):
            exclude_paths = [exclude_paths]
        self.sink = sink
        self.max_body_bytes = max_body_bytes
        self.redactor = Redactor(redact_headers)
        paths = list(exclude_paths)
        self._exact = frozenset(p for p in paths if not p.endswith("*"))
        self._prefixes = tuple(p[:-1] for p in paths if p.endswith("*"))
        self.failures = FailureReporter(f"recording to {sink!r}")

    def excluded(self, path: Any) -> bool:
        """Whether requests to `path` are passed through untraced."""
        if not isinstance(path, str):
            return False
        return path in self._exact or (bool(self._prefixes) and path.startswith(self._prefixes))


def start_extras(tracer: Any, breakpoints: Any, hold_timeout: float, capture_output: bool) -> None:
    """Turn on what a `WSGITracer` or `ASGITracer` was asked for beyond recording: breakpoints, output capture.

    Both are off unless asked (the request path then has one check), and
    imported only when on.
    """
    enabled, initial = breakpoints_option(breakpoints, hold_timeout)
    if enabled:
        from .debug import enable

        enable(tracer, initial, hold_timeout=hold_timeout)
    if capture_output:
        # Process-wide (logging, sys.stdout/stderr), so only on request; tracer run asks for it.
        from .app_output import capture_output as capture

        capture(tracer)


def breakpoints_option(breakpoints: Any, hold_timeout: Any) -> tuple[bool, list[str]]:
    """Whether the middleware's ``breakpoints`` option turns the debugger on, and the breakpoints it gives.

    ``None`` reads ``$TRACER_BREAKPOINTS`` (1/0, true/false, yes/no, on/off);
    ``True``/``False`` say it; a str or an iterable of str are breakpoints, and turn it on.

    Raises:
        UsageError: A value of the wrong kind, or a hold timeout that is not a positive number.
    """
    if isinstance(hold_timeout, bool) or not isinstance(hold_timeout, (int, float)) or not 0 < hold_timeout < float("inf"):
        raise UsageError(f"hold_timeout must be a positive number of seconds, not {hold_timeout!r}")
    if breakpoints is None:
        value = os.environ.get("TRACER_BREAKPOINTS", "").strip().lower()
        if value in _OFF:
            return False, []
        if value in _ON:
            return True, []
        raise UsageError(f"TRACER_BREAKPOINTS must be 1 or 0 (or true/false, yes/no, on/off), not {value!r}")
    if isinstance(breakpoints, bool):
        return breakpoints, []
    if isinstance(breakpoints, str):
        return True, [breakpoints]
    try:
        texts = list(breakpoints)
    except TypeError:
        raise UsageError(f"breakpoints must be True, False, or breakpoints as str, not {breakpoints!r}") from None
    if not all(isinstance(text, str) for text in texts):
        raise UsageError(f"breakpoints must be written as str, not {texts!r}")
    return True, texts
