"""Checks of ASGI traces: the general message rules, scopes, and dispatch to each scope type's machine."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..model import Event, ReprValue, Trace
from ._asgi_common import EXTENSION_TYPES, OBJECT_MESSAGES, RECEIVE_TYPES, SEND_TYPES
from ._headers import pairs
from .asgi_http import HTTPCheck
from .findings import Collector, kind_of
from .lifespan import LifespanCheck
from .machine import StateMachine
from .websocket import WebSocketCheck

MACHINES: dict[str, Callable[[dict[str, Any], Collector], StateMachine]] = {
    "http": HTTPCheck,
    "websocket": WebSocketCheck,
    "lifespan": LifespanCheck,
}
"""The state machine that follows each scope type's messages."""


class ASGICheck:
    """Checks an ASGI trace: its scope, each message on its own, and their order with the scope's machine."""

    def __init__(self, trace: Trace, out: Collector) -> None:
        self.out = out
        self.scope_type = trace.scope_type
        events = trace.events
        self.scope_event = events[0] if events and events[0].kind == "asgi.scope" else None
        raw = self.scope_event.data.get("scope") if self.scope_event is not None else None
        scope = raw if isinstance(raw, dict) else {}
        make = MACHINES.get(trace.scope_type)
        # A message the tracer could not record leaves the order unknown: check messages one by one only.
        unordered = any("$error" in e.data for e in events if e.kind in ("asgi.send", "asgi.receive"))
        self.machine: StateMachine | None = make(scope, out) if make and not unordered else None

    def feed(self, event: Event) -> None:
        """Check the scope or a message, and pass what is valid on to the scope's machine."""
        if event is self.scope_event:
            check_scope(event.data.get("scope"), self.scope_type, event.seq, self.out)
        elif event.kind == "asgi.error":
            if self.machine is not None:
                self.machine.feed(event)
        elif event.kind in ("asgi.send", "asgi.receive") and "$error" not in event.data:
            message = valid_message(event, self.scope_type, self.out)
            if message is not None and self.machine is not None:
                self.machine.feed(event)

    def finish(self, end: Event) -> None:
        """Let the scope's machine report what the app left undone."""
        if self.machine is not None:
            self.machine.finish(end)


def valid_message(event: Event, scope_type: str, out: Collector) -> dict[str, Any] | None:
    """The event's message if it is a dict with a known str type; reports what is wrong otherwise."""
    message = event.data.get("message")
    sending = event.kind == "asgi.send"
    rule = "asgi-message-invalid" if sending else "asgi-receive-invalid"
    if not isinstance(message, dict):
        out.add(rule, event.seq, f"a {'sent' if sending else 'received'} message is {kind_of(message)}, not a dict")
        return None
    kind = message.get("type")
    if not isinstance(kind, str):
        what = "has no 'type'" if "type" not in message else f"has a 'type' that is {kind_of(kind)}"
        out.add(rule, event.seq, f"a {'sent' if sending else 'received'} message {what}")
        return None
    known = (SEND_TYPES if sending else RECEIVE_TYPES).get(scope_type, frozenset())
    if kind not in known and not (sending and scope_type == "http" and kind in EXTENSION_TYPES):
        if sending:
            out.add("asgi-unknown-message", event.seq, f"{kind!r} is not a message an app sends in a {scope_type} scope")
        else:
            out.add("asgi-receive-invalid", event.seq, f"the server sent {kind!r}, unknown in a {scope_type} scope")
        return None
    if sending and kind not in OBJECT_MESSAGES:
        bad = _forbidden_value(message, "message")
        if bad:
            out.add("asgi-message-value", event.seq, f"{kind} holds {bad}")
    return message


def _forbidden_value(value: Any, path: str) -> str | None:
    if isinstance(value, ReprValue):
        if value.type == "builtins.float":
            return f"{value.repr} at {path}"
        return f"a {value.type} object at {path}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"{value} at {path}"
    if isinstance(value, dict):
        for key, item in value.items():
            found = _forbidden_value(item, f"{path}[{key!r}]")
            if found:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _forbidden_value(item, f"{path}[{index}]")
            if found:
                return found
    return None


def check_scope(scope: Any, scope_type: str, seq: int, out: Collector) -> None:
    """Report a scope that breaks the ASGI scope format (the server's side of the contract)."""
    problems = list(_scope_problems(scope, scope_type))
    if problems:
        out.add("asgi-scope-invalid", seq, "the scope " + "; ".join(problems[:4]))


def _scope_problems(scope: Any, scope_type: str) -> Any:
    if not isinstance(scope, dict):
        yield f"is {kind_of(scope)}, not a dict"
        return
    kind = scope.get("type")
    if kind not in ("http", "websocket", "lifespan"):
        yield f"has type {kind!r}"
        return
    # A missing 'asgi' key reads as version 2.0, as the spec says; Starlette's TestClient leaves it out.
    asgi = scope.get("asgi", {})
    if not isinstance(asgi, dict) or asgi.get("version", "2.0") not in ("2.0", "3.0"):
        yield f"has asgi {asgi!r}, not {{'version': '3.0'}}"
    elif not isinstance(asgi.get("spec_version", ""), str):
        yield "has an asgi spec_version that is not a str"
    if "state" in scope and not isinstance(scope["state"], (dict, ReprValue)):
        yield "has a state that is not a dict"
    if kind == "lifespan":
        return
    if scope.get("extensions") is not None and not isinstance(scope["extensions"], dict):
        yield "has extensions that are not a dict"
    if kind == "http":
        method = scope.get("method")
        if not isinstance(method, str) or method != method.upper():
            yield f"has method {method!r}, not an uppercase str"
    path = scope.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        yield f"has path {path!r}, not a str starting with '/'"
    if not isinstance(scope.get("query_string", b""), bytes):
        yield "has a query_string that is not bytes"
    if scope.get("raw_path") is not None and not isinstance(scope.get("raw_path"), bytes):
        yield "has a raw_path that is not bytes"
    if not isinstance(scope.get("root_path", ""), str):
        yield "has a root_path that is not a str"
    schemes = ("http", "https") if kind == "http" else ("ws", "wss", "http", "https")
    if scope.get("scheme", schemes[0]) not in schemes:
        yield f"has scheme {scope.get('scheme')!r}"
    if scope.get("http_version", "1.1") not in ("1.0", "1.1", "2", "3"):
        yield f"has http_version {scope.get('http_version')!r}"
    headers = pairs(scope.get("headers"))
    if headers is None:
        yield "has headers that are not a list of [name, value] pairs"
    else:
        for name, value in headers:
            # Request header names "should be lowercased, but it is not required" (ASGI HTTP spec):
            # servers may preserve the client's case.
            if not isinstance(name, bytes) or not isinstance(value, bytes):
                yield f"has header {name!r} that is not bytes"
                break
    for key in ("client", "server"):
        value = scope.get(key)
        if value is not None and not (
            isinstance(value, list) and len(value) == 2 and isinstance(value[0], str)
            and (isinstance(value[1], int) or (key == "server" and value[1] is None))
        ):
            yield f"has {key} {value!r}, not [host, port]"
    if kind == "websocket":
        subprotocols = scope.get("subprotocols", [])
        if not isinstance(subprotocols, list) or not all(isinstance(s, str) for s in subprotocols):
            yield "has subprotocols that are not a list of str"

