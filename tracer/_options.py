"""Options shared by both middlewares."""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from ._failsafe import FailureReporter
from .errors import UsageError
from .jsonl import JsonlSink
from .redact import Redactor
from .sink import Sink

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
"""Body bytes a trace keeps per direction unless ``max_body_bytes`` says otherwise."""

DEFAULT_TRACE_FILE = "traces.jsonl"


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
