"""The ASGI WebSocket checks: handshake, messages, close codes and the denial response, in the order the WebSocket machine allows."""

from __future__ import annotations

from typing import Any

from ..states.machine import Step
from ..states.websocket import WSFollow
from ._asgi_common import MessageMachine, extension_offered
from ._headers import check_headers
from .findings import Collector

# RFC 6455 §7.4 and the IANA registry: codes an endpoint may put in a close frame.
_CLOSE_CODES = frozenset({1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}) | frozenset(
    range(3000, 5000)
)
_DENIAL = "websocket.http.response"


class WebSocketCheck(MessageMachine):
    """Follows one websocket scope's messages through the WebSocket machine and reports the rules they break."""

    follow_type = WSFollow

    def __init__(self, scope: dict[str, Any], out: Collector) -> None:
        super().__init__(scope, out)
        self.accept_seq: int | None = None
        self.disconnect_seq: int | None = None
        self.denial_seq: int | None = None

    def receive(self, message: dict[str, Any], seq: int, step: Step) -> None:
        kind = message["type"]
        if step.made:
            self.out.report(step.made, seq, self._receive_detail)
        if kind == "websocket.receive":
            if not _one_payload(message):
                self.out.add("asgi-receive-invalid", seq, "websocket.receive does not hold exactly one of bytes and text")
        elif kind == "websocket.disconnect":
            code, reason = message.get("code", 1005), message.get("reason")
            if not isinstance(code, int) or (reason is not None and not isinstance(reason, str)):
                self.out.add("asgi-receive-invalid", seq, "websocket.disconnect has a code that is not an int or a reason that is not a str")
            if self.disconnect_seq is None:
                self.disconnect_seq = seq

    def _receive_detail(self, rule: str) -> str | None:
        if rule == "ws-receive-after-disconnect":
            return f"receive() was called again after websocket.disconnect (step {self.disconnect_seq})"
        if rule == "asgi-receive-invalid":
            return "the server sent websocket.connect twice"
        return None

    def send(self, message: dict[str, Any], seq: int, step: Step) -> None:
        kind = message["type"]
        if step.made:
            self.out.report(step.made, seq, lambda rule: self._send_detail(rule, kind))
        if kind == "websocket.accept":
            if not step.broke("ws-accept-twice"):
                self._accept(message, seq)
        elif kind == "websocket.send":
            if not _one_payload(message):
                self.out.add("ws-payload", seq)
        elif kind == "websocket.close":
            self._close(message, seq)
        elif kind == "websocket.http.response.start":
            if not extension_offered(self.scope, _DENIAL):
                self.out.add("asgi-extension-unsupported", seq, "websocket.http.response.start was sent but the server does not offer the denial response extension")
            if not step.broke("ws-denial-invalid"):
                self._denial_start(message, seq)
        elif not step.broke("ws-denial-invalid"):
            self._denial_body(message, seq)

    def _send_detail(self, rule: str, kind: str) -> str | None:
        if rule == "ws-send-after-disconnect":
            return f"{kind} was sent after websocket.disconnect (step {self.disconnect_seq})"
        if rule == "ws-send-after-close":
            return f"{kind} was sent after the connection was closed"
        if rule == "ws-accept-twice":
            return f"websocket.accept was sent again (first at step {self.accept_seq})"
        if rule == "ws-denial-invalid":
            return {
                "websocket.accept": "websocket.accept was sent after the HTTP denial response started",
                "websocket.send": "websocket.send was sent during the HTTP denial response",
                "websocket.http.response.start": "websocket.http.response.start was sent after accepting or a second time",
                "websocket.http.response.body": "websocket.http.response.body was sent before websocket.http.response.start",
            }.get(kind)
        return None

    def _accept(self, message: dict[str, Any], seq: int) -> None:
        if self.accept_seq is None:
            self.accept_seq = seq
        headers = check_headers(message.get("headers"), seq, self.out, "asgi")
        if any(name == "sec-websocket-protocol" for name, _ in headers):
            self.out.add("ws-accept-headers", seq)
        subprotocol = message.get("subprotocol")
        offered = self.scope.get("subprotocols") or []
        if subprotocol is not None and (not isinstance(subprotocol, str) or subprotocol not in offered):
            self.out.add(
                "ws-subprotocol-unoffered",
                seq,
                f"the app accepted subprotocol {subprotocol!r} but the client offered {list(offered)!r}",
            )

    def _close(self, message: dict[str, Any], seq: int) -> None:
        code = message.get("code", 1000)
        if not isinstance(code, int) or isinstance(code, bool):
            self.out.add("ws-close-code", seq, f"the close code {code!r} is not an int")
        elif code not in _CLOSE_CODES:
            self.out.add("ws-close-code", seq, f"the close code {code} may not be sent in a close frame")
        reason = message.get("reason")
        if reason is not None and (not isinstance(reason, str) or len(reason.encode("utf-8", "replace")) > 123):
            self.out.add("ws-close-reason", seq)

    def _denial_start(self, message: dict[str, Any], seq: int) -> None:
        if self.denial_seq is None:
            self.denial_seq = seq
        status = message.get("status")
        if not isinstance(status, int) or isinstance(status, bool):
            self.out.add("asgi-status-type", seq, f"the status is {status!r}, not an int")
        check_headers(message.get("headers"), seq, self.out, "asgi")

    def _denial_body(self, message: dict[str, Any], seq: int) -> None:
        if not isinstance(message.get("body", b""), bytes):
            self.out.add("asgi-body-type", seq)
        if not isinstance(message.get("more_body", False), bool):
            self.out.add("asgi-flag-type", seq, f"more_body is {message.get('more_body')!r}, not a bool")

    def ended(self, end_seq: int, step: Step) -> None:
        """Report a handshake the app never answered, or a denial response it left unfinished."""
        self.out.report(step.made, end_seq, lambda rule: "the app returned with the HTTP denial response unfinished"
                    if rule == "ws-denial-invalid" else None)


def _one_payload(message: dict[str, Any]) -> bool:
    data, text = message.get("bytes"), message.get("text")
    if (data is None) == (text is None):
        return False
    return isinstance(data, bytes) if data is not None else isinstance(text, str)
