"""`HeldScreen`: the live replay of a request held in the debugger, opened from the list.

It is a `ReplayScreen` (the steps the file has, then the held step,
highlighted, with its payload beside it, and the keys that let it go) that
also opens on a request the file has no line of yet: one held at its first
event, before the app saw it. It reads its steps once the file has them.
"""

from __future__ import annotations

from textual.binding import Binding

from tracer.summary import TraceSummary

from ..debugger import DebugSession, method_and_path
from ..listmodel import RequestList
from .held_keys import HELD_BINDINGS
from .replay import ReplayScreen


class HeldScreen(ReplayScreen):
    """A request held in the debugger (or that was, until it goes on to its end), replayed live.

    Args:
        session: The debugger session: what is held, and the actions.
        requests: The list model, to find the request's steps in the file.
        trace: The request's trace id.
        title: The request as the list shows it (``GET /stream``).
    """

    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="held.back", tooltip="Back to the list (the request stays held)"),
        *HELD_BINDINGS,
    ]

    def __init__(self, session: DebugSession, requests: RequestList, trace: str, title: str = "") -> None:
        summary = requests.find(trace) or _pending(session, trace)
        super().__init__(summary, debug=session)
        self.requests = requests
        self.trace_id = trace
        self.title_text = title
        """The request as the list showed it."""


def _pending(session: DebugSession, trace: str) -> TraceSummary:
    """A summary for a held request the file has no line of yet (what the debugger says of it)."""
    held = session.held_for(trace)
    if held is None:
        return TraceSummary(id=trace, protocol="wsgi", scope_type="http")
    method, path = method_and_path(held)
    return TraceSummary(
        id=trace, protocol=held.protocol or "wsgi", scope_type=held.scope_type or "http",
        start=held.since, method=method, path=path,
    )


__all__ = ["HeldScreen"]
