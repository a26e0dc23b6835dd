"""`TraceCheck`: the protocol checks of a trace still being written, fed only its new events.

`check_trace` reads a whole trace. The checkers are a fold over the events,
so a reader that looks at a growing trace again and again (the replay of a
live file) keeps one `TraceCheck` and feeds it the events that are new since
its last look; nothing already checked is decoded or checked again.

    check = TraceCheck(trace_id, "asgi", "websocket")
    check.feed(events)                # the next events, in order
    found = check.findings(live=True)
    if found is None:                 # only the whole trace gives the answer
        found = check_trace(trace, live=True)

`findings` says what `check_trace` would say about the events fed so far. A
few things look at the whole trace at once, and when one of them comes into
play `findings` returns None (and keeps doing so), so the caller checks the
whole trace instead: an ASGI message the tracer could not record (the order
of every message is then unknown), a first WSGI body chunk that is a
one-character str (whether every chunk is one), an event edited in the
debugger, a rule that a framework is known to break, when any event may tell it,
an event after the end, or a checker that raised.
"""

from __future__ import annotations

from collections.abc import Iterable

from ..model import END_KINDS, Event, Trace
from . import _CHECKERS
from .causes import WHOLE_TRACE_CAUSES, with_causes
from .findings import Collector, Finding
from .machine import StateMachine

__all__ = ["TraceCheck"]


class TraceCheck:
    """The checks of one trace, kept between looks, fed each event once (one thread at a time).

    Args:
        trace_id: The trace's id (the findings carry it).
        protocol: Its protocol, ``"wsgi"`` or ``"asgi"``.
        scope_type: Its scope type.
        started_at: Its start, epoch seconds.
    """

    def __init__(self, trace_id: str, protocol: str, scope_type: str, started_at: float = 0.0) -> None:
        # Holds the first event only: what the checkers and the causes read of the trace itself.
        self._trace = Trace(trace_id, protocol, scope_type, started_at)
        self._out = Collector(trace_id)
        self._make = _CHECKERS.get(protocol)
        self._checker: StateMachine | None = None
        self._seqs: set[int] = set()
        self._last: Event | None = None
        self._ended = False
        self._finished = False
        self.whole = False
        """Whether only `check_trace` over the whole trace gives the answer now."""
        self.events = 0
        """Events fed so far."""

    def feed(self, events: Iterable[Event]) -> None:
        """Check the next `events` of the trace, in order."""
        for event in events:
            self.events += 1
            if self.whole:
                continue
            if self._finished or self._whole_trace_needed(event):
                self.whole = True
                continue
            self._seqs.add(event.seq)
            self._last = event
            self._ended = self._ended or event.kind in END_KINDS
            if self._make is None:
                continue
            try:
                if self._checker is None:
                    self._trace.events.append(event)
                    self._checker = self._make(self._trace, self._out)
                self._checker.feed(event)
            except Exception:  # noqa: BLE001 - check_trace would raise too: let the caller decide
                self.whole = True

    def findings(self, *, live: bool = False) -> list[Finding] | None:
        """What `check_trace(trace, live=live)` gives for the events fed so far; None when only it can say.

        Once the last event fed is the end, the checks of what never happened
        run (as `check_trace` runs them), and any later event makes `whole` true.
        """
        if self.whole:
            return None
        last = self._last
        if self._make is None or last is None:
            return []
        found = list(self._out.findings)
        if last.kind in END_KINDS:
            if not self._finished:
                self._finished = True
                stopped = isinstance(last.data, dict) and last.data.get("stopped")
                if not stopped and not self._missing_steps() and self._checker is not None:
                    try:
                        self._checker.finish(last)
                    except Exception:  # noqa: BLE001 - as in feed
                        self.whole = True
                        return None
                found = list(self._out.findings)
        elif not live and not self._ended:
            incomplete = Collector(self._trace.id)
            incomplete.add("trace-incomplete", last.seq)
            found += incomplete.findings
        if any(finding.rule in WHOLE_TRACE_CAUSES for finding in found):
            # Whether the framework is to blame may be told by any event: read them all.
            self.whole = True
            return None
        return with_causes(self._trace, sorted(found, key=lambda finding: finding.seq))

    def _whole_trace_needed(self, event: Event) -> bool:
        """Whether `event` brings into play a check that reads the whole trace at once."""
        data = event.data
        if not isinstance(data, dict):
            return event.kind in ("asgi.send", "asgi.receive")
        if "original" in data:
            return True  # Edited in the debugger: each finding is weighed against the trace as sent.
        if event.kind in ("asgi.send", "asgi.receive"):
            return "$error" in data
        if event.kind == "wsgi.body":
            chunk = data.get("data")
            return isinstance(chunk, str) and len(chunk) == 1
        return False

    def _missing_steps(self) -> bool:
        """Whether seqs are missing between the first and the last (as `Trace.missing_steps`)."""
        last = max(self._seqs, default=0)
        return sum(1 for seq in self._seqs if 0 <= seq < last) < last
