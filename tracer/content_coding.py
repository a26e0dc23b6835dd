"""Bodies sent with a Content-Encoding (gzip, deflate, br), decoded for reading.

A trace keeps a body as it went over the wire; a person wants to read what
it says. `decode` undoes the codings the header names (last applied, first
undone), never more than `MAX_DECODED` bytes of output, so a small
compressed body that expands to gigabytes (a "zip bomb") costs at most that
much memory. A body cut by ``max_body_bytes``, or a stream shown only up
to one of its chunks, decodes as far as its bytes go and says so.

Brotli (``br``) needs the ``brotli`` module; without it the result says how
to get it, and the body is shown as sent.

    decoded = decode(body, "gzip")
    decoded.data, decoded.note      # b'{"items": ...}', 'gzip-decoded, 342 → 3,412 bytes'
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from .summary import header_value
from .text import size

MAX_DECODED = 8 * 1024 * 1024
"""Bytes of decoded output kept at most; the rest is not decompressed."""
CODINGS = ("gzip", "x-gzip", "deflate", "br")
"""The codings `decode` can undo (``br`` only with the ``brotli`` module)."""
IDENTITY = ("", "identity")
BROTLI_HINT = "pip install brotli"
_BROTLI_STEP = 4096
"""Input fed at a time to a brotli decoder that cannot bound its output itself (before brotli 1.2)."""


@dataclass(frozen=True, slots=True)
class Decoded:
    """What decoding a body gave.

    Attributes:
        data: The decoded bytes; None when nothing could be decoded (see `note`).
        coding: The Content-Encoding value, as given (lower case).
        note: One line for a person: ``gzip-decoded, 342 → 3,412 bytes``, or why it was not decoded.
        cut: The output stopped at `MAX_DECODED` (there is more).
        partial: The encoded input ended before the end of its stream (a cut body, or the chunks so far).
    """

    data: bytes | None
    coding: str
    note: str
    cut: bool = False
    partial: bool = False


def coding_of(headers: Any) -> str:
    """The Content-Encoding of a recorded header list, lower case; ``""`` if none."""
    return (header_value(headers, "content-encoding") or "").strip().lower()


def codings(value: str) -> list[str]:
    """The codings a Content-Encoding value lists, in the order they were applied (``identity`` left out)."""
    return [part.strip().lower() for part in value.split(",") if part.strip().lower() not in IDENTITY]


def decode(data: bytes, coding: str, *, limit: int = MAX_DECODED, partial: bool = False) -> Decoded | None:
    """`data` with the codings of `coding` undone; None when there is nothing to undo (no coding, or identity).

    Args:
        data: The body as sent.
        coding: The Content-Encoding value (``gzip``, ``br``, ``gzip, br``...).
        limit: Decoded bytes kept at most.
        partial: The bytes are known to stop before the end of the body (cut, or chunks so far):
            an unfinished stream is then expected, not an error.
    """
    steps = codings(coding)
    if not steps:
        return None
    coding = coding.strip().lower()
    out = data
    cut = ended_early = False
    for step in reversed(steps):
        try:
            out, step_cut, step_early = _undo(step, out, limit)
        except _Unknown:
            return Decoded(None, coding, f"{step}-encoded: tracer cannot decode this coding; shown as sent")
        except _NoBrotli:
            return Decoded(None, coding, f"br-encoded (brotli): {BROTLI_HINT} to see it decoded; shown as sent")
        except _Invalid as exc:
            return Decoded(None, coding, f"not valid {step} data ({exc}); shown as sent")
        cut = cut or step_cut
        ended_early = ended_early or step_early
    note = f"{'+'.join(reversed(steps))}-decoded, {len(data):,} → {len(out):,} bytes"
    if cut:
        note += f"; cut at {size(limit)} of decoded output"
    elif ended_early and not partial:
        note += "; the stream ends early"
    return Decoded(out, coding, note, cut=cut, partial=ended_early)


class _Unknown(Exception):
    pass


class _NoBrotli(Exception):
    pass


class _Invalid(Exception):
    pass


def _undo(coding: str, data: bytes, limit: int) -> tuple[bytes, bool, bool]:
    """(decoded bytes, cut at `limit`, the stream ended early) for one coding."""
    if coding in ("gzip", "x-gzip"):
        return _zlib(data, 16 + zlib.MAX_WBITS, limit)
    if coding == "deflate":
        # RFC 9110's deflate is zlib-wrapped; some servers send raw deflate.
        return _zlib(data, zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS, limit)
    if coding == "br":
        return _brotli(data, limit)
    raise _Unknown(coding)


def _zlib(data: bytes, wbits: int, limit: int) -> tuple[bytes, bool, bool]:
    decompressor = zlib.decompressobj(wbits)
    try:
        out = decompressor.decompress(data, limit)
    except zlib.error as exc:
        raise _Invalid(str(exc).removeprefix("Error -3 while decompressing data: ")) from None
    if decompressor.unconsumed_tail:
        return out, True, False
    return out, False, not decompressor.eof


def _brotli(data: bytes, limit: int) -> tuple[bytes, bool, bool]:
    try:
        import brotli  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError:
        raise _NoBrotli from None
    decompressor = brotli.Decompressor()
    parts: list[bytes] = []
    kept = 0
    try:
        try:
            parts.append(decompressor.process(data, max_output_length=limit + 1))
            kept = len(parts[0])
        except TypeError:
            # An older brotli has no output bound: feed it a little at a time and stop past the limit.
            for start in range(0, len(data), _BROTLI_STEP):
                parts.append(decompressor.process(data[start : start + _BROTLI_STEP]))
                kept += len(parts[-1])
                if kept > limit:
                    break
    except brotli.error as exc:
        raise _Invalid(str(exc) or "brotli error") from None
    out = b"".join(parts)
    if len(out) > limit:
        return out[:limit], True, False
    finished = getattr(decompressor, "is_finished", lambda: True)
    return out, False, not finished()
