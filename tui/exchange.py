"""What a whole trace adds up to: content types and body totals, for the step detail.

A developer asking "who swallowed my request body?" wants the body the client
declared beside what the app actually read; one asking "why did my stream
arrive at once?" wants the number of chunks. Both are the trace's summary
(`tracer.summary`), put into words here.
"""

from __future__ import annotations

from dataclasses import dataclass

from tracer.model import Trace
from tracer.summary import TraceSummary

from .format import size


@dataclass(slots=True)
class Exchange:
    """Totals of one trace's request and response."""

    request_type: str = ""
    response_type: str = ""
    declared: int | None = None
    """The request body's length as its Content-Length header declared it."""
    read: int = 0
    """Request body bytes the app read (WSGI) or received (ASGI)."""
    reads: int = 0
    sent: int = 0
    """Response body bytes the app produced."""
    chunks: int = 0
    websocket: bool = False

    @classmethod
    def of(cls, trace: Trace | TraceSummary) -> Exchange:
        """The totals of a trace, read off its summary (a summary is taken as it is: no events are walked)."""
        return cls.from_summary(trace.summary if isinstance(trace, Trace) else trace)

    @classmethod
    def from_summary(cls, summary: TraceSummary) -> Exchange:
        """The totals a summary holds."""
        return cls(
            request_type=summary.request_content_type or "",
            response_type=summary.content_type or "",
            declared=summary.request_length,
            read=summary.request_bytes,
            reads=summary.reads,
            sent=summary.response_bytes,
            chunks=summary.chunks,
            websocket=summary.scope_type == "websocket",
        )

    def rows(self) -> list[tuple[str, str]]:
        """Key/value rows that sum the exchange up, shown on the last step."""
        if self.websocket:
            return [
                ("received", f"{_count(self.reads, 'message')}, {size(self.read)}"),
                ("sent", f"{_count(self.chunks, 'message')}, {size(self.sent)}"),
            ]
        request = f"{size(self.read)} read by the app in {_count(self.reads, 'read')}"
        if self.declared is not None:
            request += f", of {size(self.declared)} declared (Content-Length)"
            if self.read < self.declared:
                request += f": {size(self.declared - self.read)} never read"
        return [("request body", request), ("response body", f"{size(self.sent)} in {_count(self.chunks, 'chunk')}")]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
