"""Short human forms of sizes, durations and times, and text made safe to print.

Shared by every place that shows a trace as text: the arrow labels
(`tracer.labels`), `tracer show`, and the terminal UI.
"""

from __future__ import annotations

import datetime
import re


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


def offset(ns: int, span_ns: int | None = None) -> str:
    """A step's time offset from the trace's start: ``+0.850ms``, or ``+11.820000s`` in a long trace.

    The unit and the decimals come from `span_ns`, the trace's whole duration
    (its last step's offset), so every offset of one trace reads the same way
    and, right-aligned, their decimal points line up: milliseconds to the
    microsecond when the trace lasts under 10 s, else seconds with as many
    decimals as keep an offset up to `span_ns` within 11 characters. Without
    `span_ns` the offset alone decides.
    """
    decimals = offset_scale(ns if span_ns is None else span_ns)
    if decimals is None:
        return f"+{ns / 1e6:.3f}ms"
    return f"+{ns / 1e9:.{decimals}f}s"


def offset_scale(span_ns: int) -> int | None:
    """How `offset` writes the offsets of a trace lasting `span_ns`: None for milliseconds, else the decimals of seconds.

    A view that draws offsets as a trace grows draws them all again when this changes.
    """
    span = max(span_ns, 0)
    if span < 10_000_000_000:
        return None
    return max(0, 8 - len(str(span // 1_000_000_000)))


def timestamp(epoch: float) -> str:
    """Wall-clock date and time in UTC, to the millisecond: ``2023-11-14 22:13:20.000 UTC``."""
    if not epoch:
        return "unknown time"
    try:
        moment = datetime.datetime.fromtimestamp(epoch, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError):
        return "unknown time"
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


# Control characters from a trace must not reach the terminal (an ESC in a path
# would be read as an escape sequence): C0 controls show as their Unicode
# pictures (␛, ␀, …), DEL as ␡ and C1 controls as �, each one cell wide.
_PICTURES = {code: 0x2400 + code for code in range(0x20)} | {0x7F: 0x2421} | {code: 0xFFFD for code in range(0x80, 0xA0)}
_PICTURES_MULTILINE = {code: char for code, char in _PICTURES.items() if code not in (0x09, 0x0A, 0x0D)}


def line(text: str) -> str:
    """`text` made safe for one line of the screen: every control character shown as a symbol."""
    return text.translate(_PICTURES)


_TRACEBACK_START = "Traceback (most recent call last):"


def gist(message: str) -> str:
    """One line for a message that may span several, such as an app's traceback.

    ``startup failed: Traceback (most recent call last): … RuntimeError: no database``
    becomes ``startup failed: RuntimeError: no database`` (a traceback's last line says
    what was raised); other multi-line text keeps its first and last lines.
    """
    lines = [row.strip() for row in message.splitlines() if row.strip()]
    if len(lines) < 2:
        return lines[0] if lines else ""
    first, last = lines[0], lines[-1]
    if first.endswith(_TRACEBACK_START):
        return first[: -len(_TRACEBACK_START)] + last
    return f"{first} … {last}"


def block(text: str) -> str:
    """`text` made safe for the screen, keeping its tabs and line breaks."""
    return text.translate(_PICTURES_MULTILINE)


_BINARY = re.compile("[\x00-\x06\x0e-\x1a\x1c-\x1f]")
"""C0 controls that text does not hold (unlike tab, line breaks, form feed, bell, backspace, ESC)."""


def looks_binary(text: str) -> bool:
    """Whether decoded bytes hold control characters that text does not (a NUL, say): binary data.

    ANSI-coloured output (ESC sequences) is still text; its ESC shows as ␛.
    """
    return _BINARY.search(text) is not None
