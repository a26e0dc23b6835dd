"""The sink protocol: where a middleware hands its events."""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Sink(Protocol):
    """Anything with these two methods can receive events.

    `write` is called once per event, from whichever thread or task produced
    it, with a dict shaped exactly like one line of the trace file:
    ``{"trace", "seq", "t_ns", "kind", "data"}`` plus ``"protocol"``,
    ``"scope_type"`` and ``"start"`` on a trace's first event. ``data`` is
    already encoded (``$bytes``, ``$repr``, ...) and owned by the sink: it is a
    snapshot that nothing else mutates. `write` must be thread-safe and should
    be fast; an exception it raises is reported once and otherwise ignored.
    """

    def write(self, record: dict[str, Any]) -> None:
        """Accept one event record."""

    def close(self) -> None:
        """Flush and release resources; called when the owner is done."""
