"""The app's own voice in its trace: log records and output lines written while a request runs.

    from tracer.app_output import capture_output

    app = capture_output(WSGITracer(app, sink=JsonlSink("traces.jsonl")))   # tracer run does this

While a request is recorded, its `RequestCapture` is the current one (a
context variable, set when the request's session begins and reset before its
end event), so the request's thread, the threads and tasks it starts, and a
WSGI response iterated later in the same thread all see it. Two things feed
it, both installed once per process and only while some tracer captures:

- `CaptureHandler`, which sees every record that reaches the root logger (the
  app's logging configuration decides which do) while a request runs and makes
  it an ``app.log`` event of that request. It is called from
  ``Logger.callHandlers`` rather than added to the root's handlers: a handler
  there would be one the app's logging can see, so Flask would not add its
  own default handler (it adds one only when no handler would print its
  records) and Python's last-resort handler would no longer print records no
  handler takes; the app's tracebacks would reach the trace but not stderr;
- `TeeStream`, which replaces ``sys.stdout`` and ``sys.stderr``: it writes
  everything on to the stream it replaced (or to the file `redirect_streams`
  names) and records each complete line written during a request.

Outside a request nothing is recorded. Messages are app text, so before they
are recorded the value after a redacted header name (``Authorization:
Bearer …``, ``'cookie': '…'``, ``HTTP_COOKIE=…``) is replaced by
``[redacted]``, as the headers themselves are.
"""

from __future__ import annotations

import contextvars
import logging
import re
import sys
import threading
from types import FrameType
from typing import IO, Any

from ._session import TraceSession, capture_output_for
from .model import APP_LOG
from .redact import REDACTED, Redactor

__all__ = [
    "CaptureHandler",
    "RequestCapture",
    "TeeStream",
    "capture_output",
    "current_capture",
    "redirect_streams",
    "release_output",
    "ui_write",
]

current_capture: contextvars.ContextVar[RequestCapture | None] = contextvars.ContextVar(
    "tracer_request_capture", default=None
)
"""The capture of the request running in this thread or task, or None outside requests."""

_MAX_PARTIAL = 64 * 1024
"""A line longer than this, still without its newline, is recorded in pieces of this size."""


class RequestCapture:
    """One request's captured output on its way into the request's trace."""

    __slots__ = ("session", "redact", "partial", "live", "_token")

    def __init__(self, session: TraceSession, redact: Any) -> None:
        self.session = session
        self.redact = redact
        self.partial: dict[str, str] = {}
        self.live = True
        self._token = current_capture.set(self)

    def record(self, data: dict[str, Any]) -> None:
        """Record one ``app.log`` event (`data` holds str values only)."""
        if self.live:
            self.session.emit(APP_LOG, data)

    def write(self, source: str, text: str) -> None:
        """Take text written to stdout or stderr; record each complete line."""
        pending = self.partial.get(source, "") + text
        if "\n" not in pending and len(pending) < _MAX_PARTIAL:
            self.partial[source] = pending
            return
        *lines, rest = pending.split("\n")
        while len(rest) >= _MAX_PARTIAL:
            lines.append(rest[:_MAX_PARTIAL])
            rest = rest[_MAX_PARTIAL:]
        self.partial[source] = rest
        for one in lines:
            self.record(_line_data(source, one.rstrip("\r"), self.redact))

    def close(self) -> None:
        """The request's recording ends: record unfinished lines, and stop being the current request."""
        partial = self.partial
        for source, rest in list(partial.items()):
            if rest:
                self.record(_line_data(source, rest, self.redact))
        partial.clear()
        self.live = False
        try:
            current_capture.reset(self._token)
        except (ValueError, RuntimeError):
            # Ended from another thread (the server stopping): that thread's context keeps a capture that is no longer live.
            pass


def _line_data(source: str, text: str, redact: Any) -> dict[str, Any]:
    return {"source": source, "message": redact(text), "thread": threading.current_thread().name}


class CaptureHandler(logging.Handler):
    """Records each log record that reaches it while a request runs as that request's ``app.log`` event.

    It never raises and never formats a record that no request will keep.
    """

    def __init__(self) -> None:
        super().__init__(logging.NOTSET)
        self._formatter = logging.Formatter()

    def handle(self, record: logging.LogRecord) -> bool:
        capture = current_capture.get()
        if capture is None or not capture.live:
            return False
        try:
            self._record(capture, record)
        except Exception as exc:  # noqa: BLE001 - a record we cannot keep never fails a request
            capture.session._failures.report(exc)
        return True

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() does the work
        pass

    def _record(self, capture: RequestCapture, record: logging.LogRecord) -> None:
        redact = capture.redact
        try:
            message = record.getMessage()
        except Exception as exc:  # noqa: BLE001 - a bad format string is the app's bug; keep what there is
            message = f"{record.msg!r} (could not format: {type(exc).__name__}: {exc})"
        data: dict[str, Any] = {
            "source": "logging",
            "level": record.levelname,
            "logger": record.name,
            "message": redact(message),
            "thread": record.threadName or "",
        }
        if record.exc_info and record.exc_info[0] is not None:
            data["exception"] = redact(self._formatter.formatException(record.exc_info))
        elif record.exc_text:
            data["exception"] = redact(record.exc_text)
        capture.record(data)


class TeeStream:
    """``sys.stdout`` / ``sys.stderr`` while output is captured: writes through, and records a request's lines.

    Everything goes on to the stream it replaced (or to the file
    `redirect_streams` names); lines written during a request also become
    ``app.log`` events. Lines a logging handler writes to it are
    left to `CaptureHandler`, which records them as log records, and tracer's
    own lines (the access log) are not the app's.
    """

    def __init__(self, stream: Any, source: str) -> None:
        self._stream = stream
        self._source = source
        self.redirect: IO[str] | None = None
        """Where written text goes instead of `stream` (None: to `stream`); see `redirect_streams`."""

    @property
    def stream(self) -> Any:
        """The stream this one replaced."""
        return self._stream

    def write(self, text: Any) -> Any:
        return self.write_from(text, sys._getframe(1))

    def write_from(self, text: Any, writer: FrameType | None) -> Any:
        """`write`, for text whose writer is `writer` (a frame; None: the app) rather than the caller."""
        target = self.redirect if self.redirect is not None else self._stream
        capture = current_capture.get()
        if capture is None or not capture.live:
            return target.write(text)
        result = target.write(text)
        if isinstance(text, str) and text and not _not_the_apps(writer):
            try:
                capture.write(self._source, text)
            except Exception as exc:  # noqa: BLE001 - recording never fails a request
                capture.session._failures.report(exc)
        return result

    def writelines(self, lines: Any) -> None:
        for text in lines:
            self.write(text)

    def flush(self) -> None:
        self._stream.flush()
        if self.redirect is not None:
            self.redirect.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __repr__(self) -> str:
        return f"<TeeStream {self._stream!r}>"


_EMIT_CODES = frozenset({logging.StreamHandler.emit.__code__})


def _not_the_apps(frame: Any) -> bool:
    """Whether a write comes from a log handler (`CaptureHandler` has the record) or from tracer itself (its console lines)."""
    if frame is None:
        return False
    return frame.f_code in _EMIT_CODES or str(frame.f_globals.get("__name__", "")).startswith("tracer.")


_lock = threading.Lock()
_handler: CaptureHandler | None = None
_original_call_handlers = logging.Logger.callHandlers


def _call_handlers(self: logging.Logger, record: logging.LogRecord) -> None:
    """``Logger.callHandlers`` while output is captured: a record that will reach the root is recorded first."""
    handler = _handler
    if handler is not None and current_capture.get() is not None:
        logger = self
        while logger.propagate and logger.parent is not None:
            logger = logger.parent
        if logger is logging.root:
            handler.handle(record)
    _original_call_handlers(self, record)
_streams: dict[str, TeeStream] = {}
_users = 0


def capture_output(tracer: Any, *, streams: bool = True) -> Any:
    """Record the app's log records (and, with `streams`, its stdout and stderr lines) in its requests' traces.

    Has a `CaptureHandler` see the records that reach the root logger (without
    adding it to the root's handlers, so the app's logging works as without
    it) and, with `streams`, installs `TeeStream` objects as ``sys.stdout`` and
    ``sys.stderr``, once per process, until the last tracer is released with
    `release_output`.

    Args:
        tracer: A `WSGITracer` or `ASGITracer`.
        streams: Also capture what is written to stdout and stderr.

    Returns:
        The same tracer.
    """
    global _handler, _original_call_handlers, _users
    options = tracer.options
    redact = text_redactor(options.redactor)
    capture_output_for(options.failures, lambda session: RequestCapture(session, redact))
    with _lock:
        _users += 1
        if _handler is None:
            _handler = CaptureHandler()
        if logging.Logger.callHandlers is not _call_handlers:
            _original_call_handlers = logging.Logger.callHandlers
            logging.Logger.callHandlers = _call_handlers  # type: ignore[method-assign]
        if streams:
            for source in ("stdout", "stderr"):
                current = getattr(sys, source)
                if not isinstance(current, TeeStream):
                    _streams[source] = TeeStream(current, source)
                    setattr(sys, source, _streams[source])
    return tracer


def release_output(tracer: Any) -> None:
    """Stop capturing for `tracer`; the last one released takes the handler and the streams away."""
    global _users
    capture_output_for(tracer.options.failures, None)
    with _lock:
        _users = max(0, _users - 1)
        if _users:
            return
        # Only if nobody has wrapped it since; otherwise ours stays, recording nothing outside requests.
        if logging.Logger.__dict__.get("callHandlers") is _call_handlers:
            logging.Logger.callHandlers = _original_call_handlers  # type: ignore[method-assign]
        for source, tee in list(_streams.items()):
            if getattr(sys, source) is tee:
                setattr(sys, source, tee.stream)
            del _streams[source]


def redirect_streams(log: IO[str] | None) -> None:
    """Send what is written to stdout and stderr to `log` instead of the console (None: back to the console).

    For a terminal UI that owns the screen: the server's own output goes to a
    file, and lines written during a request still go into its trace too.
    Needs `capture_output` first.
    """
    for tee in _streams.values():
        tee.redirect = log


def ui_write(text: str, stderr: bool = False, writer: FrameType | None = None) -> None:
    """Hand text printed while a terminal UI replaces ``sys.stdout``/``sys.stderr`` to the captured streams.

    A Textual app puts its own objects in their place while it runs; its
    ``_print`` passes what it gets on here, in the thread that printed (so
    a line printed during a request still reaches that request's trace), and
    the text goes where the captured stream sends it (the server log file).
    Nothing happens when output is not captured.

    Args:
        text: What was written.
        stderr: It was written to stderr (else stdout).
        writer: The frame of the code that wrote it, past the UI's own: a log handler's
            lines are left to `CaptureHandler`, and tracer's own are not the app's.
            None: the app's.
    """
    tee = _streams.get("stderr" if stderr else "stdout")
    if tee is not None:
        tee.write_from(text, writer)


_redactors: dict[frozenset[str], Any] = {}


def text_redactor(redactor: Redactor) -> Any:
    """A function that redacts, in free text, the value after each header name `redactor` redacts."""
    names = frozenset(redactor._names)
    found = _redactors.get(names)
    if found is not None:
        return found
    if not names:
        found = _keep
    else:
        words = sorted({*names, *(key.lower() for key in redactor.environ_keys)}, key=len, reverse=True)
        pattern = re.compile(
            r"(?i)(?<![\w-])((?:%s)[\"']?\s*(?::|=|,\s*b?[\"'])\s*(?:b?[\"'])?)([^\"'\r\n,;}\)]*(?:;[^\"'\r\n,}\)]*)*)"
            % "|".join(re.escape(word) for word in words)
        )

        def found(text: str) -> str:
            if not text:
                return text
            return pattern.sub(_redacted, text)

    _redactors[names] = found
    return found


def _redacted(match: re.Match[str]) -> str:
    return match.group(1) + REDACTED if match.group(2).strip() else match.group(0)


def _keep(text: str) -> str:
    return text
