"""Small WSGI apps that each break one rule, with the rule and the event kind where it shows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

OK = ("200 OK", [("Content-Type", "text/plain; charset=utf-8")])


@dataclass
class Case:
    rule: str
    kind: str  # the event kind the finding must point at
    app: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)


def responds(status: str = "200 OK", headers: list[Any] | None = None, body: Any = (b"hi",)) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response(status, OK[1] if headers is None else headers)
        return list(body) if isinstance(body, tuple) else body

    return app


def twice(environ: dict[str, Any], start_response: Any) -> Any:
    start_response(*OK)
    start_response("500 Internal Server Error", OK[1])
    return [b"x"]


def bad_exc_info(environ: dict[str, Any], start_response: Any) -> Any:
    start_response(*OK)
    start_response("500 Internal Server Error", OK[1], "an error happened")
    return [b"x"]


def no_start(environ: dict[str, Any], start_response: Any) -> Any:
    return []


def body_before_start(environ: dict[str, Any], start_response: Any) -> Any:
    def body() -> Any:
        yield b"early"
        start_response(*OK)
        yield b"late"

    return body()


def write_str(environ: dict[str, Any], start_response: Any) -> Any:
    write = start_response(*OK)
    write("text")
    return []


def write_in_iterable(environ: dict[str, Any], start_response: Any) -> Any:
    def body() -> Any:
        write = start_response(*OK)
        yield b"a"
        write(b"b")
        yield b"c"

    return body()


class Reopenable:
    """An iterable that keeps yielding after close()."""

    def __init__(self, start_response: Any) -> None:
        start_response(*OK)

    def __iter__(self) -> Any:
        return self

    def __next__(self) -> bytes:
        return b"x"

    def close(self) -> None:
        pass


def stops_after(n: int) -> Callable[..., Any]:
    class Limited(Reopenable):
        count = 0

        def __next__(self) -> bytes:
            self.count += 1
            if self.count > n and not getattr(self, "closed", False):
                raise StopIteration
            return b"x"

        def close(self) -> None:
            self.closed = True

    return lambda environ, start_response: Limited(start_response)


def errors_bytes(environ: dict[str, Any], start_response: Any) -> Any:
    environ["wsgi.errors"].write(b"oops")
    start_response(*OK)
    return [b"x"]


def reads(*calls: tuple[str, Any]) -> Callable[..., Any]:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        stream = environ["wsgi.input"]
        for method, size in calls:
            getattr(stream, method)(*(() if size is None else (size,)))
        start_response(*OK)
        return [b"x"]

    return app


def _set(**values: Any) -> Callable[[dict[str, Any]], None]:
    def change(environ: dict[str, Any]) -> None:
        for key, value in values.items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value

    return change


_BODY10 = {"data": b"0123456789"}
_TEXT = [("Content-Type", "text/plain; charset=utf-8")]

CASES = [
    Case("wsgi-environ-missing-key", "wsgi.environ", responds(), {"environ": _set(SERVER_NAME=None)}),
    Case("wsgi-environ-value", "wsgi.environ", responds(), {"environ": _set(**{"wsgi.version": (1, 1)})}),
    Case("wsgi-environ-path", "wsgi.environ", responds(), {"environ": _set(PATH_INFO="no-slash")}),
    Case("wsgi-environ-http-content", "wsgi.environ", responds(), {"environ": _set(HTTP_CONTENT_LENGTH="0")}),
    Case("wsgi-environ-query-string", "wsgi.environ", responds(), {"environ": _set(QUERY_STRING=None)}),
    Case("wsgi-start-response-twice", "wsgi.start_response", twice),
    Case("wsgi-exc-info-invalid", "wsgi.start_response", bad_exc_info),
    Case("wsgi-no-start-response", "wsgi.end", no_start),
    Case("wsgi-status-type", "wsgi.start_response", responds(status=b"200 OK")),
    Case("wsgi-status-format", "wsgi.start_response", responds(status="200OK")),
    Case("wsgi-headers-type", "wsgi.start_response", responds(headers={"Content-Type": "text/plain"})),
    Case("wsgi-header-type", "wsgi.start_response", responds(headers=[(b"Content-Type", "text/plain")])),
    Case("wsgi-header-latin1", "wsgi.start_response", responds(headers=_TEXT + [("X-Price", "5 €")])),
    Case("wsgi-header-invalid", "wsgi.start_response", responds(headers=_TEXT + [("X-Name", "a\r\nSet-Cookie: x=1")])),
    Case("wsgi-status-header", "wsgi.start_response", responds(headers=_TEXT + [("Status", "200 OK")])),
    Case("wsgi-hop-by-hop-header", "wsgi.start_response", responds(headers=_TEXT + [("Connection", "close")])),
    Case("wsgi-body-before-start", "wsgi.body", body_before_start),
    Case("wsgi-body-type", "wsgi.body", responds(body=(b"a", "b"))),
    Case("wsgi-body-str-returned", "wsgi.body", responds(body="hello")),
    Case("wsgi-body-bytes-returned", "wsgi.body", responds(body=b"hello")),
    Case("wsgi-write-type", "wsgi.write", write_str),
    Case("wsgi-write-during-iteration", "wsgi.write", write_in_iterable),
    Case("wsgi-iterate-after-close", "wsgi.body", stops_after(2), {"iterate_after_close": True}),
    Case("wsgi-close-not-called", "wsgi.end", responds(), {"close": False}),
    Case("wsgi-errors-type", "wsgi.errors", errors_bytes),
    Case("wsgi-input-read-no-size", "wsgi.input", reads(("read", None)), {**_BODY10, "method": "POST"}),
    Case("wsgi-input-readline-no-size", "wsgi.input", reads(("readline", None), ("read", 6)), {**_BODY10, "method": "POST"}),
    Case("wsgi-input-readline-size", "wsgi.input", reads(("readline", 4), ("read", 6)), {**_BODY10, "method": "POST"}),
    Case("wsgi-input-read-past-length", "wsgi.input", reads(("read", 1000)), {**_BODY10, "method": "POST"}),
    Case("wsgi-input-unread", "wsgi.input", reads(("read", 3)), {**_BODY10, "method": "POST"}),
    Case("http-body-forbidden", "wsgi.body", responds("204 No Content", [], (b"x",))),
    Case("http-head-body", "wsgi.body", responds(headers=_TEXT + [("Content-Length", "2")]), {"method": "HEAD"}),
    Case("http-content-length-invalid", "wsgi.start_response", responds(headers=_TEXT + [("Content-Length", "two")])),
    Case("http-content-length-mismatch", "wsgi.close", responds(headers=_TEXT + [("Content-Length", "10")])),
    Case("http-no-body-content-length", "wsgi.start_response", responds("204 No Content", [("Content-Length", "5")], ())),
    Case("http-304-representation-header", "wsgi.start_response", responds("304 Not Modified", _TEXT, ())),
    Case("http-content-type-missing", "wsgi.start_response", responds(headers=[])),
    Case("http-content-type-no-body", "wsgi.start_response", responds("204 No Content", _TEXT, ())),
    Case("http-content-type-duplicate", "wsgi.start_response", responds(headers=_TEXT + _TEXT)),
    Case("http-charset-missing", "wsgi.start_response", responds(headers=[("Content-Type", "text/html")])),
    Case("http-etag-unquoted", "wsgi.start_response", responds(headers=_TEXT + [("ETag", "abc")])),
    Case("http-location-relative", "wsgi.start_response", responds("302 Found", _TEXT + [("Location", "/next")])),
    Case("http-cookie-insecure", "wsgi.start_response", responds(headers=_TEXT + [("Set-Cookie", "sid=1; HttpOnly")]), {"tracer_options": {"redact_headers": ()}}),
    Case(
        "http-cors-credentials-wildcard",
        "wsgi.start_response",
        responds(headers=_TEXT + [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Credentials", "true")]),
    ),
]
