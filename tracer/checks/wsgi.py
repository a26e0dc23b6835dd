"""Checks of WSGI traces: PEP 3333, Werkzeug's lint middleware and ``wsgiref.validate``."""

from __future__ import annotations

import re
from typing import Any

from ..model import END_KINDS, Event, Trace, TruncatedBytes
from ..states.wsgi import WSGIFollow
from ._headers import check_headers
from .findings import Collector, kind_of
from .http import ResponseView, check_response

_STATUS = re.compile(r"(\d{3}) [^\x00-\x1f\x7f]*")
_CGI_KEYS = frozenset(
    {"REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
     "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL"}
)
_REQUIRED = (
    "REQUEST_METHOD", "SERVER_NAME", "SERVER_PORT", "wsgi.version", "wsgi.input", "wsgi.errors",
    "wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once",
)


def _length(data: Any) -> int:
    if isinstance(data, TruncatedBytes):
        return data.original_length
    return len(data) if isinstance(data, bytes) else 0


class WSGICheck:
    """Checks a WSGI trace: one pass over its events, following them through the WSGI machine.

    The follower (`tracer.states.wsgi`) decides the state and which events are
    out of order; the checker reports exactly those, besides its checks of
    each event's own data.
    """

    def __init__(self, trace: Trace, out: Collector) -> None:
        self.trace = trace
        self.out = out
        self.follow = WSGIFollow()
        self.environ: dict[str, Any] = {}
        self.start_seq: int | None = None
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.chunks: list[tuple[int, int]] = []
        self.body_events: list[Event] = []
        self.closed_seq: int | None = None
        self.read_any = False
        self.last_read_seq = 0
        self.unknown_body = False
        self.unknown_start = False
        self.handlers = {
            "wsgi.environ": self._environ,
            "wsgi.input": self._input,
            "wsgi.start_response": self._start_response,
            "wsgi.write": self._write,
            "wsgi.body": self._body,
            "wsgi.errors": self._errors,
            "wsgi.close": self._close,
        }

    @property
    def error(self) -> bool:
        """Whether the app raised."""
        return self.follow.error

    def feed(self, event: Event) -> None:
        """Follow one event through the machine, then judge it (the end event waits for `finish`)."""
        if event.kind in END_KINDS:
            return
        step = self.follow.step(event)
        if "$error" in event.data:
            self._unrecorded(event)
            return
        if step.made:
            self.out.report(step.made, event.seq, self._detail)
        handler = self.handlers.get(event.kind)
        if handler is not None:
            handler(event)

    def _detail(self, rule: str) -> str | None:
        if rule == "wsgi-start-response-twice":
            return f"start_response() was called again without exc_info (first call at step {self.start_seq})"
        return None

    # events

    def _unrecorded(self, event: Event) -> None:
        # The tracer could not record this event's data: note that it happened, judge nothing in it.
        if event.kind == "wsgi.start_response":
            self.start_seq = event.seq
            self.unknown_start = True
        elif event.kind in ("wsgi.body", "wsgi.write"):
            self.body_events.append(event)
            self.unknown_body = True

    def _environ(self, event: Event) -> None:
        environ = event.data.get("environ")
        if not isinstance(environ, dict):
            self.out.add("wsgi-environ-value", event.seq, "the environ is not a dict")
            return
        self.environ = environ
        _check_environ(environ, event.seq, self.out)
        version_type = event.data.get("wsgi_version_type")
        if isinstance(version_type, str):
            self.out.add("wsgi-version-not-tuple", event.seq, f"wsgi.version is a {version_type}, not a tuple")

    def _input(self, event: Event) -> None:
        method, size, data = event.data.get("method"), event.data.get("size"), event.data.get("data")
        seq = event.seq
        if method == "read" and (size is None or size == -1):
            self.out.add("wsgi-input-read-no-size", seq)
        if method == "readline":
            self.out.add("wsgi-input-readline-size" if size is not None else "wsgi-input-readline-no-size", seq)
        got = sum(_length(d) for d in data) if isinstance(data, list) else _length(data)
        consumed = self.follow.read - got  # the follower has counted this read already
        limit = self.follow.declared
        if limit is not None and not self.follow.terminated:
            remaining = limit - consumed
            # Iterating wsgi.input (which PEP 3333 requires servers to support) ends with one
            # empty step at CONTENT_LENGTH: that is the server's end-of-file, not a read past it.
            asked_past = (
                (method in ("read", "read1", "readinto") and isinstance(size, int) and size > max(remaining, 0))
                or (remaining <= 0 and method in ("readline", "readlines") and size != 0)
                or (remaining <= 0 and method == "read" and size is None)
            )
            if asked_past or consumed + got > limit:
                self.out.add(
                    "wsgi-input-read-past-length",
                    seq,
                    f"{method}({'' if size is None else size}) asked for data past CONTENT_LENGTH "
                    f"({limit} bytes, {max(remaining, 0)} left)",
                )
        self.read_any = True
        self.last_read_seq = seq

    def _start_response(self, event: Event) -> None:
        data, seq = event.data, event.seq
        exc_info = data.get("exc_info")
        if exc_info and isinstance(exc_info, dict) and exc_info.get("type") == "?":
            self.out.add("wsgi-exc-info-invalid", seq, f"exc_info is {exc_info.get('message')}, not a (type, value, traceback) tuple")
        self.start_seq = seq
        self.unknown_start = False
        self.status = _check_status(data.get("status"), seq, self.out)
        self.headers = check_headers(data.get("headers"), seq, self.out, "wsgi")
        _check_container_types(data, seq, self.out)

    def _write(self, event: Event) -> None:
        data = event.data.get("data")
        if not isinstance(data, bytes):
            self.out.add("wsgi-write-type", event.seq, f"write() was given {kind_of(data)}, not bytes")
            return
        self._chunk(event, data)

    def _body(self, event: Event) -> None:
        self.body_events.append(event)
        data = event.data.get("data")
        if isinstance(data, bytes):
            self._chunk(event, data)
        elif len(self.body_events) == 1:
            self._odd_body(event)
        elif isinstance(self.body_events[0].data.get("data"), bytes):
            # After an odd first chunk (a str or bytes returned whole) one finding says it all.
            self.out.add("wsgi-body-type", event.seq, f"a body chunk is {kind_of(data)}, not bytes")

    def _odd_body(self, event: Event) -> None:
        data = event.data.get("data")
        if isinstance(data, int) and not isinstance(data, bool):
            self.out.add("wsgi-body-bytes-returned", event.seq)
        elif isinstance(data, str) and len(data) == 1 and self._all_single_chars():
            self.out.add("wsgi-body-str-returned", event.seq)
        else:
            self.out.add("wsgi-body-type", event.seq, f"a body chunk is {kind_of(data)}, not bytes")

    def _all_single_chars(self) -> bool:
        chunks = [e.data.get("data") for e in self.trace.events if e.kind == "wsgi.body"]
        return len(chunks) > 1 and all(isinstance(c, str) and len(c) == 1 for c in chunks)

    def _chunk(self, event: Event, data: bytes) -> None:
        length = _length(data)
        if length:
            self.chunks.append((event.seq, length))

    def _errors(self, event: Event) -> None:
        data = event.data.get("data")
        if "$error" not in event.data and not isinstance(data, str):
            self.out.add("wsgi-errors-type", event.seq, f"wsgi.errors was given {kind_of(data)}, not str")

    def _close(self, event: Event) -> None:
        self.closed_seq = event.seq

    # the end

    def finish(self, end: Event) -> None:
        """Report what the app and the server left undone when the request ended."""
        out = self.out
        file_wrapper = "file_wrapper" in end.data
        # The machine knows what was left undone: no start_response, or no close() (an exception from
        # the app call itself leaves no iterable to close).
        self.out.report(self.follow.step(end).made, end.seq)
        if self.start_seq is None:
            return
        follow = self.follow
        if self.read_any and follow.declared is not None and not follow.terminated and follow.read < follow.declared:
            out.add(
                "wsgi-input-unread",
                self.last_read_seq,
                f"the app read {follow.read} of the {follow.declared} request body bytes",
            )
        if self.unknown_start:
            return
        view = ResponseView(
            method=self.environ.get("REQUEST_METHOD") if isinstance(self.environ.get("REQUEST_METHOD"), str) else None,
            scheme=self.environ.get("wsgi.url_scheme") if isinstance(self.environ.get("wsgi.url_scheme"), str) else None,
            status=self.status,
            start_seq=self.start_seq,
            headers=self.headers,
            chunks=self.chunks,
            body_known=not file_wrapper and not self.unknown_body,
            # Older traces lack "exhausted"; a server that stopped iterating early
            # (the client went away) did not finish the body.
            finished=not self.error and end.data.get("exhausted", True) is not False,
            end_seq=self.closed_seq if self.closed_seq is not None else end.seq,
        )
        check_response(view, out)


def _check_environ(environ: dict[str, Any], seq: int, out: Collector) -> None:
    missing = [key for key in _REQUIRED if key not in environ]
    if missing:
        out.add("wsgi-environ-missing-key", seq, f"the environ lacks {', '.join(map(repr, missing))}")
    if "QUERY_STRING" not in environ:
        out.add("wsgi-environ-query-string", seq)
    present = [key for key in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH") if key in environ]
    if present:
        out.add("wsgi-environ-http-content", seq, f"the environ has {', '.join(present)}")
    # PEP 3333 requires native strings for the CGI variables it names and the HTTP_* keys; servers add
    # others (Werkzeug's REMOTE_PORT is an int) that no rule covers.
    odd = [
        key
        for key, value in environ.items()
        if isinstance(key, str) and (key in _CGI_KEYS or key.startswith("HTTP_")) and not isinstance(value, str)
    ]
    if odd:
        out.add("wsgi-environ-value", seq, f"environ values of {', '.join(map(repr, odd[:5]))} are not str")
    if "wsgi.version" in environ and environ["wsgi.version"] != [1, 0]:
        out.add("wsgi-environ-value", seq, f"wsgi.version is {environ['wsgi.version']!r}, not (1, 0)")
    if environ.get("wsgi.url_scheme", "http") not in ("http", "https"):
        out.add("wsgi-environ-value", seq, f"wsgi.url_scheme is {environ.get('wsgi.url_scheme')!r}")
    length = environ.get("CONTENT_LENGTH")
    if isinstance(length, str) and length.strip() and not length.strip().isdigit():
        out.add("wsgi-environ-value", seq, f"CONTENT_LENGTH is {length!r}, not a non-negative integer")
    script, path = environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", "")
    if isinstance(script, str) and isinstance(path, str):
        if script and not script.startswith("/"):
            out.add("wsgi-environ-path", seq, f"SCRIPT_NAME {script!r} does not start with '/'")
        if path and not path.startswith("/"):
            out.add("wsgi-environ-path", seq, f"PATH_INFO {path!r} does not start with '/'")
        if script == "/":
            out.add("wsgi-environ-path", seq, "SCRIPT_NAME is '/' (it should be '' with PATH_INFO '/')")


def _check_container_types(data: dict[str, Any], seq: int, out: Collector) -> None:
    """The list and tuples PEP 3333 asks for, from the types the tracer keeps when they differ.

    Only where the recorded headers are pairs: anything else is `wsgi-headers-type`'s.
    """
    headers = data.get("headers")
    if not isinstance(headers, list):
        return
    headers_type = data.get("headers_type")
    if isinstance(headers_type, str):
        out.add("wsgi-headers-not-list", seq, f"the headers are a {headers_type}, not a list")
    item_types = data.get("header_item_types")
    if not isinstance(item_types, list):
        return
    odd = [
        (item[0], kind)
        for item, kind in zip(headers, item_types)
        if isinstance(kind, str) and isinstance(item, list) and len(item) == 2
    ]
    if odd:
        shown = ", ".join(f"{name!r} ({kind})" for name, kind in odd[:5])
        more = f" and {len(odd) - 5} more" if len(odd) > 5 else ""
        out.add("wsgi-header-not-tuple", seq, f"header items that are not tuples: {shown}{more}")


def _check_status(status: Any, seq: int, out: Collector) -> int | None:
    if not isinstance(status, str):
        out.add("wsgi-status-type", seq, f"the status is {kind_of(status)}, not str")
        return None
    match = _STATUS.fullmatch(status)
    if not match or status != status.strip():
        out.add("wsgi-status-format", seq, f"the status {status!r} is not three digits, a space and a reason phrase")
        digits = status[:3]
        return int(digits) if digits.isdigit() else None
    code = int(match.group(1))
    if code < 100:
        out.add("wsgi-status-format", seq, f"the status code {code} is below 100")
    return code

