"""The ASGI HTTP checks: start, body, trailers, extensions and disconnects, in the order the HTTP machine allows."""

from __future__ import annotations

from typing import Any

from ..model import TruncatedBytes
from ..states.http import STARTED, STREAMING, HTTPFollow
from ..states.machine import Step
from ._asgi_common import EXTENSION_TYPES, MessageMachine, extension_offered
from ._headers import check_headers, pairs
from .findings import Collector, Severity
from .http import ResponseView, check_response

_TRAILERS = "http.response.trailers"


class HTTPCheck(MessageMachine):
    """Follows one http scope's messages through the HTTP machine and reports the rules they break."""

    follow_type = HTTPFollow

    def __init__(self, scope: dict[str, Any], out: Collector) -> None:
        super().__init__(scope, out)
        self.follow: HTTPFollow
        self.start_seq: int | None = None
        self.status: int | None = None
        self.headers: list[tuple[str, str]] = []
        self.body_done_seq: int | None = None
        self.disconnect_seq: int | None = None
        self.chunks: list[tuple[int, int]] = []
        self.body_known = True

    # messages

    def receive(self, message: dict[str, Any], seq: int, step: Step) -> None:
        if message["type"] == "http.disconnect":
            if self.disconnect_seq is None:
                self.disconnect_seq = seq
            return
        body, more = message.get("body", b""), message.get("more_body", False)
        if not isinstance(body, bytes) or not isinstance(more, bool):
            self.out.add("asgi-receive-invalid", seq, "http.request has a body that is not bytes or a more_body that is not a bool")
        if step.made:
            self.out.report(step.made, seq, lambda rule: "the server sent http.request after the request body was complete")

    def send(self, message: dict[str, Any], seq: int, step: Step) -> None:
        kind = message["type"]
        if step.made:
            late_hint = kind == "http.response.early_hint" and step.before in (STARTED, STREAMING)
            self.out.report(
                step.made, seq, lambda rule: self._detail(rule, kind, late_hint),
                lambda rule: "warning" if late_hint and rule == "asgi-extension-late" else None,
            )
        if step.broke("asgi-send-after-complete"):
            return
        handler = {
            "http.response.start": self._start,
            "http.response.body": self._body,
            "http.response.trailers": self._trailers,
            "http.response.pathsend": self._pathsend,
            "http.response.zerocopysend": self._zerocopysend,
        }.get(kind)
        if kind in EXTENSION_TYPES:
            self._extension(kind, seq)
            problem = _extension_fields(message)
            if problem:
                self.out.add("asgi-extension-fields", seq, f"{kind} {problem}")
        if handler is not None:
            handler(message, seq)

    def _detail(self, rule: str, kind: str, late_hint: bool = False) -> str | None:
        if rule == "asgi-extension-late" and late_hint:
            # The Early Hints extension's text allows the message until the final body, but a 103 comes
            # before the final response (RFC 8297), and Hypercorn and uvicorn accept it only before
            # http.response.start (they raise otherwise): a warning, not a broken protocol.
            return (
                "http.response.early_hint was sent after http.response.start: the ASGI text allows it until the final "
                "body, but a 103 response must come before the final one (RFC 8297) and servers such as Hypercorn "
                "and uvicorn raise on it"
            )
        if rule == "asgi-extension-late" and kind == "http.response.early_hint":
            return "http.response.early_hint was sent after the final body"
        return {
            "asgi-send-after-disconnect": f"{kind} was sent after http.disconnect (step {self.disconnect_seq})",
            "asgi-send-after-complete": f"{kind} was sent after the response was complete",
            "asgi-start-twice": f"http.response.start was sent again (first at step {self.start_seq})",
            "asgi-extension-late": f"{kind} was sent after http.response.start",
        }.get(rule)

    def _start(self, message: dict[str, Any], seq: int) -> None:
        if self.start_seq is not None:
            return
        self.start_seq = seq
        status = message.get("status")
        if not isinstance(status, int) or isinstance(status, bool):
            self.out.add("asgi-status-type", seq, f"the status is {status!r}, not an int")
        else:
            self.status = status
            if not 100 <= status <= 599:
                self.out.add("asgi-status-range", seq, f"the status code {status} is outside 100-599")
        self.headers = check_headers(message.get("headers"), seq, self.out, "asgi")
        if any(name == "transfer-encoding" for name, _ in self.headers):
            self.out.add("asgi-transfer-encoding", seq)
        trailers = message.get("trailers", False)
        if not isinstance(trailers, bool):
            self.out.add("asgi-flag-type", seq, f"trailers is {trailers!r}, not a bool")
        if trailers and not extension_offered(self.scope, _TRAILERS):
            self.out.once("asgi-trailers-unsupported", seq)

    def _body(self, message: dict[str, Any], seq: int) -> None:
        body, more = message.get("body", b""), message.get("more_body", False)
        if not isinstance(body, bytes):
            self.out.add("asgi-body-type", seq, f"the body is {type(body).__name__}, not bytes")
        else:
            length = body.original_length if isinstance(body, TruncatedBytes) else len(body)
            if length:
                self.chunks.append((seq, length))
        if not isinstance(more, bool):
            self.out.add("asgi-flag-type", seq, f"more_body is {more!r}, not a bool")
        self._ends_body(not more, seq)

    def _trailers(self, message: dict[str, Any], seq: int) -> None:
        if not extension_offered(self.scope, _TRAILERS):
            self.out.once("asgi-trailers-unsupported", seq)
        check_headers(message.get("headers"), seq, self.out, "asgi", "trailer ")
        more = message.get("more_trailers", False)
        if not isinstance(more, bool):
            self.out.add("asgi-flag-type", seq, f"more_trailers is {more!r}, not a bool")

    def _pathsend(self, message: dict[str, Any], seq: int) -> None:
        self.body_known = False
        self._ends_body(True, seq)

    def _zerocopysend(self, message: dict[str, Any], seq: int) -> None:
        self.body_known = False
        self._ends_body(not message.get("more_body", False), seq)

    def _ends_body(self, last: bool, seq: int) -> None:
        # A body before the start is reported once; it does not end the response.
        if last and self.start_seq is not None:
            self.body_done_seq = seq

    def _extension(self, kind: str, seq: int) -> None:
        if not extension_offered(self.scope, kind):
            self.out.add("asgi-extension-unsupported", seq, f"{kind} was sent but scope['extensions'] does not offer it")

    # the end

    def ended(self, end_seq: int, step: Step) -> None:
        """Report what the app left undone when it returned, and the response's HTTP mistakes."""
        self.out.report(step.made, end_seq, self._incomplete_detail, self._incomplete_severity)
        if self.start_seq is None:
            return
        method = self.scope.get("method")
        view = ResponseView(
            method=method if isinstance(method, str) else None,
            scheme=self.scope.get("scheme", "http") if isinstance(self.scope.get("scheme", "http"), str) else None,
            status=self.status,
            start_seq=self.start_seq,
            headers=self.headers,
            chunks=self.chunks,
            body_known=self.body_known,
            finished=self.body_done_seq is not None and not self.error,
            end_seq=self.body_done_seq if self.body_done_seq is not None else end_seq,
        )
        check_response(view, self.out)

    # Since ASGI 2.4 send() raises OSError once the client has gone, and an app "may catch this
    # exception and do cleanup work before ... returning with no exception": the trace cannot
    # tell that apart from a forgotten final message, so it is only a warning there.

    def _incomplete_detail(self, rule: str) -> str | None:
        if rule == "asgi-response-incomplete" and _spec_version(self.scope) >= (2, 4):
            return (
                "the app returned with the response body unfinished, or after catching the OSError that send() "
                "raises when the client has gone"
            )
        return None

    def _incomplete_severity(self, rule: str) -> Severity | None:
        if rule == "asgi-response-incomplete" and _spec_version(self.scope) >= (2, 4):
            return "warning"
        return None


def _spec_version(scope: dict[str, Any]) -> tuple[int, ...]:
    asgi = scope.get("asgi")
    version = asgi.get("spec_version", "2.0") if isinstance(asgi, dict) else "2.0"
    try:
        return tuple(int(part) for part in str(version).split("."))
    except ValueError:
        return (2, 0)


def _extension_fields(message: dict[str, Any]) -> str | None:
    """What is wrong with the fields of an extension message, or None."""
    kind = message["type"]
    if kind in ("http.response.pathsend", "http.response.push") and not isinstance(message.get("path"), str):
        return "needs a str 'path'"
    if kind == "http.response.zerocopysend" and message.get("file") is None:
        return "needs a 'file'"
    if kind == "http.response.early_hint":
        links = message.get("links")
        if not isinstance(links, list) or not all(isinstance(link, bytes) for link in links):
            return "needs 'links', a list of bytes"
    if kind == "http.response.debug" and not isinstance(message.get("info", {}), dict):
        return "needs 'info' to be a dict"
    if kind == "http.response.push" and pairs(message.get("headers", [])) is None:
        return "needs 'headers' as a list of [name, value] pairs"
    return None
