"""Checks of ASGI traces: the general message rules, scopes, and dispatch to each protocol."""

from __future__ import annotations

import math
from typing import Any

from ..model import Event, ReprValue, Trace
from . import _headers
from ._collect import Collector, kind_of

SEND_TYPES = {
    "http": frozenset({"http.response.start", "http.response.body", "http.response.trailers"}),
    "websocket": frozenset(
        {"websocket.accept", "websocket.send", "websocket.close", "websocket.http.response.start",
         "websocket.http.response.body"}
    ),
    "lifespan": frozenset(
        {"lifespan.startup.complete", "lifespan.startup.failed", "lifespan.shutdown.complete",
         "lifespan.shutdown.failed"}
    ),
}
RECEIVE_TYPES = {
    "http": frozenset({"http.request", "http.disconnect"}),
    "websocket": frozenset({"websocket.connect", "websocket.receive", "websocket.disconnect"}),
    "lifespan": frozenset({"lifespan.startup", "lifespan.shutdown"}),
}
EXTENSION_TYPES = frozenset(
    {"http.response.push", "http.response.zerocopysend", "http.response.pathsend", "http.response.early_hint",
     "http.response.debug"}
)
# Extension messages that carry objects on purpose (an open file).
_OBJECT_MESSAGES = frozenset({"http.response.zerocopysend"})


def check_asgi(trace: Trace, out: Collector) -> None:
    """Report every ASGI rule the trace breaks."""
    from .asgi_http import HTTPCheck
    from .lifespan import LifespanCheck
    from .websocket import WebSocketCheck

    scope: dict[str, Any] = {}
    events = trace.events
    if events and events[0].kind == "asgi.scope":
        raw = events[0].data.get("scope")
        scope = raw if isinstance(raw, dict) else {}
        check_scope(raw, trace.scope_type, events[0].seq, out)
    machines: dict[str, Any] = {"http": HTTPCheck, "websocket": WebSocketCheck, "lifespan": LifespanCheck}
    machine_class = machines.get(trace.scope_type)
    machine: Any = machine_class(scope, out) if machine_class else None
    if any("$error" in e.data for e in events if e.kind in ("asgi.send", "asgi.receive")):
        # A message the tracer could not record leaves the order unknown: check messages one by one only.
        machine = None
    for event in events:
        if event.kind == "asgi.error":
            if machine:
                machine.error = True
            continue
        if event.kind not in ("asgi.send", "asgi.receive") or "$error" in event.data:
            continue
        message = valid_message(event, trace.scope_type, out)
        if message is None or machine is None:
            continue
        if event.kind == "asgi.send":
            machine.send(message, event.seq)
        else:
            machine.receive(message, event.seq)
    if machine and trace.complete:
        machine.finish(events[-1].seq)


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
    if sending and kind not in _OBJECT_MESSAGES:
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
    headers = _headers.pairs(scope.get("headers"))
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


def check_response_headers(headers: Any, seq: int, out: Collector, what: str = "") -> list[tuple[str, str]]:
    """Check an ASGI header list the app sent; returns (lowercase name, value) text pairs."""
    items = _headers.pairs(headers if headers is not None else [])
    if items is None:
        out.add("asgi-headers-format", seq, f"the {what}headers are not an iterable of [name, value] pairs")
        return []
    for name, value in items:
        if not isinstance(name, bytes) or not isinstance(value, bytes):
            bad = name if not isinstance(name, bytes) else value
            out.add("asgi-header-type", seq, f"header {name!r} has {kind_of(bad)} where bytes belong")
            continue
        text_name, text_value = name.decode("latin-1"), value.decode("latin-1")
        problem = _headers.invalid(text_name, text_value)
        if problem:
            out.add("asgi-header-invalid", seq, problem)
        if name != name.lower():
            out.add("asgi-header-case", seq, f"header name {name!r} is not lowercase")
    return _headers.normalized(items)


def extension_offered(scope: dict[str, Any], name: str) -> bool:
    """Whether the server listed `name` in ``scope["extensions"]``."""
    extensions = scope.get("extensions")
    return isinstance(extensions, dict) and name in extensions
