"""Short human forms of sizes, durations and times, shared by the widgets.

Sizes, durations, offsets and safe text come from `tracer.text`, which the
command line uses too; times of day are shown here in local time or UTC, as
the user chooses.
"""

from __future__ import annotations

import datetime
import time

from tracer.text import block, duration, line, looks_binary, offset, offset_scale, size

UNKNOWN_CLOCK = "--:--:--.---"
"""What a start time the clock cannot show reads as."""


def clock(epoch: float, *, utc: bool = False) -> str:
    """Wall-clock time of day, to the millisecond, in local time (or UTC)."""
    if not epoch:
        return UNKNOWN_CLOCK
    try:
        moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
        if not utc:
            moment = moment.astimezone()
    except (OverflowError, OSError, ValueError):
        return UNKNOWN_CLOCK
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"


def zone(*, utc: bool = False) -> str:
    """The time zone times are shown in: ``UTC``, or the local zone's name and offset (``CET, UTC+01:00``)."""
    if utc:
        return "UTC"
    now = datetime.datetime.now().astimezone()
    name = now.tzname() or ""
    shift = now.strftime("%z")
    shift = f"UTC{shift[:3]}:{shift[3:]}" if shift else ""
    if not shift or name in ("UTC", shift):
        return name or shift
    return f"{name}, {shift}"


def span(seconds: float) -> str:
    """A length of time on an axis, as `duration` writes it, rounded first: ``1.0ms``, never ``1000µs``.

    An axis between two epoch times carries their float error (a quarter of a microsecond).
    """
    ns = max(seconds, 0.0) * 1e9
    if ns < 999_500:
        return f"{ns / 1000:.0f}µs"
    if ns < 999_950_000:
        return f"{ns / 1e6:.1f}ms"
    return f"{ns / 1e9:.2f}s"


def so_far(start: float, now: float | None = None) -> str:
    """How long a request still in progress (live, or held at a breakpoint) has run: ``24.5 s so far``.

    Its recorded duration stops at its latest event, which says nothing of the
    time since (a hold); this counts from its start to `now` (the clock's time).
    """
    seconds = max(0.0, (time.time() if now is None else now) - start) if start else 0.0
    if seconds < 1:
        return f"{span(seconds)} so far"
    if seconds < 60:
        return f"{seconds:.1f} s so far"
    minutes, rest = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s so far"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min so far"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h so far"


def markup(text: str) -> str:
    """`text` escaped for Textual markup: every ``[`` is literal (a path may hold ``[$x]``)."""
    return text.replace("[", r"\[")


__all__ = [
    "UNKNOWN_CLOCK",
    "block",
    "clock",
    "duration",
    "line",
    "looks_binary",
    "markup",
    "offset",
    "offset_scale",
    "size",
    "so_far",
    "span",
    "zone",
]
