"""Short human forms of sizes, durations and times, shared by the widgets."""

from __future__ import annotations

import datetime


def size(n: int | None) -> str:
    """Bytes as ``0 B``, ``812 B``, ``1.0 KiB``, ``3.4 MiB``."""
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            return f"{value:.1f} {unit}"
    return f"{n} B"  # pragma: no cover


def duration(ns: int) -> str:
    """Nanoseconds as ``850µs``, ``12.3ms``, ``4.20s``."""
    if ns < 1_000_000:
        return f"{ns / 1000:.0f}µs"
    if ns < 1_000_000_000:
        return f"{ns / 1e6:.1f}ms"
    return f"{ns / 1e9:.2f}s"


def offset(ns: int) -> str:
    """A step's time offset from the trace's start: ``+0.000ms``."""
    if ns < 10_000_000_000:
        return f"+{ns / 1e6:.3f}ms"
    return f"+{ns / 1e9:.3f}s"


def clock(epoch: float) -> str:
    """Wall-clock time of day in UTC, to the millisecond."""
    if not epoch:
        return "--:--:--.---"
    moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
