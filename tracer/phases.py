"""The phases of an exchange, the same for WSGI and ASGI, and which phase each event belongs to.

An HTTP exchange goes through five phases in either protocol: the request
arrives (the environ, or the scope), its body is read (``wsgi.input`` reads,
or ``http.request`` messages), the response starts (``start_response``, or
``http.response.start``; a WSGI server sends nothing until the first body
chunk), its body is sent (chunks of the iterable and ``write()`` calls, or
``http.response.body`` messages) and it ends (``close()`` and the end event,
or the app returning; a client going away, ``http.disconnect``). A websocket
session has a handshake and then messages both ways. Comparing two traces,
and drawing them side by side, lines up events by these phases.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from .model import APP_LOG, ERROR_KINDS, Event, Trace
from .summary import body_size

HTTP_PHASES = ("request", "body read", "response started", "body sent", "end")
"""The phases of an HTTP exchange, in order."""
WEBSOCKET_PHASES = ("request", "handshake", "messages", "end")
"""The phases of a websocket session, in order."""
LIFESPAN_PHASES = ("request", "messages", "end")

_KIND_PHASES = {
    "wsgi.environ": "request",
    "asgi.scope": "request",
    "wsgi.input": "body read",
    "wsgi.start_response": "response started",
    "wsgi.body": "body sent",
    "wsgi.write": "body sent",
    "wsgi.close": "end",
    "wsgi.end": "end",
    "asgi.end": "end",
}
_MESSAGE_PHASES = {
    "http.request": "body read",
    "http.response.start": "response started",
    "http.response.body": "body sent",
    "http.response.trailers": "body sent",
    "http.response.pathsend": "body sent",
    "http.response.zerocopysend": "body sent",
    "http.disconnect": "end",
    "websocket.connect": "handshake",
    "websocket.accept": "handshake",
    "websocket.http.response.start": "handshake",
    "websocket.http.response.body": "handshake",
    "websocket.receive": "messages",
    "websocket.send": "messages",
    "websocket.close": "end",
    "websocket.disconnect": "end",
}
def phases(scope_type: str) -> tuple[str, ...]:
    """The phases of a trace of `scope_type`, in order."""
    if scope_type == "websocket":
        return WEBSOCKET_PHASES
    return LIFESPAN_PHASES if scope_type == "lifespan" else HTTP_PHASES


def phase_of(event: Event, previous: str = "request") -> str:
    """The phase `event` belongs to; events of no phase of their own (errors, ``wsgi.errors``) stay in `previous`."""
    if event.kind in ("asgi.receive", "asgi.send"):
        message = event.data.get("message")
        kind = message.get("type") if isinstance(message, dict) else None
        if isinstance(kind, str) and kind.startswith("lifespan."):
            return "messages"
        return _MESSAGE_PHASES.get(kind, previous) if isinstance(kind, str) else previous
    return _KIND_PHASES.get(event.kind, previous)


def align(a: Trace, b: Trace) -> list[tuple[str, list[Event], list[Event]]]:
    """Both traces' events grouped by phase, in phase order: the rows of a side-by-side view."""
    left, right = grouped(a), grouped(b)
    order = list(phases(a.scope_type)) + [p for p in phases(b.scope_type) if p not in phases(a.scope_type)]
    return [(phase, left.get(phase, []), right.get(phase, [])) for phase in order]


def grouped(trace: Trace) -> dict[str, list[Event]]:
    """A trace's events by phase, each list in trace order."""
    groups: dict[str, list[Event]] = {}
    phase = "request"
    for event in trace.events:
        phase = phase_of(event, phase)
        groups.setdefault(phase, []).append(event)
    return groups


def phase_times(groups: dict[str, list[Event]], order: Iterable[str]) -> dict[str, int]:
    """Nanoseconds spent in each phase present: from its first event to the next phase's first (to its own last event, for the last)."""
    entries = [(phase, groups[phase][0].t_ns) for phase in order if groups.get(phase)]
    times = {}
    for index, (phase, start) in enumerate(entries):
        end = entries[index + 1][1] if index + 1 < len(entries) else groups[phase][-1].t_ns
        times[phase] = max(0, end - start)
    return times


def event_names(events: Iterable[Event], response_end_ns: int | None = None) -> Counter[str]:
    """How many events of each name (a message's type, ``read()`` or ``read() (empty)`` for a WSGI read, else the kind).

    Exceptions (``wsgi.error``, ``asgi.error``) are left out: a comparison compares the exception itself.
    So is what the app logged or printed (``app.log``): not part of the exchange, and recorded
    only where output is captured (``tracer run``), not by the middleware alone or a replay.

    An ``http.disconnect`` received once the response was complete (`response_end_ns`)
    is the server saying the exchange is over, not a client going away, and is not counted.
    """
    names: Counter[str] = Counter()
    for event in events:
        name = event.kind
        message = event.data.get("message")
        if isinstance(message, dict) and isinstance(message.get("type"), str):
            name = message["type"]
            if name == "http.disconnect" and response_end_ns is not None and event.t_ns >= response_end_ns:
                continue
        elif name == "wsgi.input":
            name = f"{event.data.get('method') or 'read'}()" + ("" if body_size(event.data.get("data")) else " (empty)")
        if name not in ERROR_KINDS and name != APP_LOG:  # the exception itself is compared, wherever it happened
            names[name] += 1
    return names
