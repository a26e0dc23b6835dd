"""The debugger: hold a live request at a protocol event, step it, edit it, let it go.

    app = WSGITracer(app, sink=JsonlSink("traces.jsonl"), breakpoints=True)   # or TRACER_BREAKPOINTS=1
    app = ASGITracer(app, sink=..., breakpoints=["~u /stream @ http.response.body"], hold_timeout=30)

Breakpoints (`tracer.debug.breakpoints`) say where a request is held; the
middlewares hold it there (`wsgi_points`, `asgi_points`) while its client
waits; a `Debugger` per process and trace file keeps the breakpoints and the
held events (`debugger`), serves them on an owner-only Unix control socket
(`control`, `paths`), and `client.attach(trace_file)` reaches every live one
of a trace file, in this process or others. docs/debugging.md tells the
whole story.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from .._lazy import lazy_attributes

# Imported on first use: the UI reads `tracer.debug.events` and `client` without loading the held-request machinery.
_MODULES = {
    "Breakpoint": "breakpoints",
    "BreakpointError": "breakpoints",
    "parse_breakpoint": "breakpoints",
    "parse_breakpoints": "breakpoints",
    "DEFAULT_HOLD_TIMEOUT": "debugger",
    "ControlError": "debugger",
    "Debugger": "debugger",
    "debugger_for": "debugger",
    "local_debugger": "debugger",
}

__all__ = [
    "DEFAULT_HOLD_TIMEOUT",
    "Breakpoint",
    "BreakpointError",
    "ControlError",
    "Debugger",
    "enable",
    "local_debugger",
    "parse_breakpoint",
    "parse_breakpoints",
]

if TYPE_CHECKING:
    from .breakpoints import Breakpoint, BreakpointError, parse_breakpoint, parse_breakpoints
    from .debugger import DEFAULT_HOLD_TIMEOUT, ControlError, Debugger, debugger_for, local_debugger


__getattr__ = lazy_attributes(__name__, _MODULES)


def enable(tracer: Any, breakpoints: Iterable[str | Breakpoint] = (), *, hold_timeout: float | None = None) -> Debugger:
    """Turn breakpoints on for a `WSGITracer` or `ASGITracer` (what its ``breakpoints=True`` option does).

    Args:
        tracer: The tracer.
        breakpoints: Breakpoints of the process (they stay until removed).
        hold_timeout: Seconds after which a held event of this tracer's requests goes on by itself
            (default: `DEFAULT_HOLD_TIMEOUT`).

    Returns:
        The debugger of this process and the tracer's trace file (its control socket open).

    Raises:
        BreakpointError: A breakpoint does not parse.
    """
    from ..asgi import ASGITracer
    from .breakpoints import parse_breakpoint
    from .debugger import DEFAULT_HOLD_TIMEOUT, debugger_for

    if hold_timeout is None:
        hold_timeout = DEFAULT_HOLD_TIMEOUT
    parsed = [parse_breakpoint(bp) if isinstance(bp, str) else bp for bp in breakpoints]
    debugger = debugger_for(tracer.options.sink, hold_timeout=hold_timeout, breakpoints=parsed)
    if isinstance(tracer, ASGITracer):
        from .asgi_points import held_connection as held
    else:
        from .wsgi_points import held_call as held  # type: ignore[assignment]
    tracer._hold_timeout = hold_timeout
    tracer._debugger = debugger
    tracer._held = held
    return debugger
