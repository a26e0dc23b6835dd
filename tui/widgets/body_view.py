"""How a body is shown: text, pretty JSON when the content type says JSON, or hex."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.syntax import Syntax
from rich.text import Text

from tracer.model import ReprValue, TruncatedBytes

from .. import format as fmt

MAX_SHOWN = 64 * 1024
HEX_WIDTH = 16


def body_view(value: Any, content_type: str, what: str = "body") -> list[RenderableType]:
    """Renderables for one body value, headed by its size and any cut marker.

    Args:
        value: bytes (maybe `TruncatedBytes`), str, a list of bytes (readlines) or None.
        content_type: The content type that applies, to pick JSON display.
        what: What to call it in the heading (``body``, ``chunk``, ``read``).
    """
    if isinstance(value, list):
        parts: list[RenderableType] = []
        for i, item in enumerate(value):
            parts += body_view(item, content_type, f"{what} line {i}")
        return parts or [Text(f"{what}: no lines", style="dim")]
    if isinstance(value, ReprValue):
        return [Text(f"{what}: {fmt.line(value.repr)}", style="italic")]
    if value is None:
        return []
    if isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass")
    elif isinstance(value, (bytes, bytearray)):
        raw = bytes(value)
    else:
        # Odd data (bytes(10**12) would try to allocate a terabyte): show what it is.
        return [Text.assemble((f"\n{what}", "bold"), "  not bytes: ", fmt.line(repr(value)[:200]))]
    if isinstance(value, TruncatedBytes):
        heading = Text.assemble(("\n" + what, "bold"), f"  {fmt.size(value.original_length)}")
        heading.append(
            f"  ✂ $truncated: kept {len(raw):,} of {value.original_length:,} bytes",
            style="bold yellow",
        )
    else:
        heading = Text.assemble(("\n" + what, "bold"), f"  {fmt.size(len(raw))}")
    if not raw:
        heading.append("  (empty)", style="dim")
        return [heading]
    shown = raw[:MAX_SHOWN]
    more = Text(f"… {len(raw) - MAX_SHOWN:,} more bytes not shown", style="dim") if len(raw) > MAX_SHOWN else None
    text = _text(shown, isinstance(value, str), cut=len(shown) < len(raw) or isinstance(value, TruncatedBytes))
    if text is None:
        heading.append("  binary, hex", style="dim")
        parts = [heading, hex_dump(shown)]
    else:
        parts = [heading, _text_or_json(text, content_type, isinstance(value, TruncatedBytes) or more is not None)]
    if more is not None:
        parts.append(more)
    return parts


def _text(raw: bytes, is_str: bool, cut: bool = False) -> str | None:
    """The bytes as text, or None when they look binary: not UTF-8, or holding controls text does not.

    A str value (a websocket text frame) is text whatever it holds; its control
    characters are shown as symbols. Bytes cut off (here or by ``max_body_bytes``)
    may end inside a character: that partial character is left out.
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if is_str:
            text = raw.decode("utf-8", "replace")
        elif cut and exc.start >= len(raw) - 3 and exc.reason == "unexpected end of data":
            text = raw[: exc.start].decode("utf-8", "replace")
        else:
            return None
    if not is_str and fmt.looks_binary(text):
        return None
    return fmt.block(text)


def _text_or_json(text: str, content_type: str, cut: bool) -> RenderableType:
    if "json" in content_type.lower() and not cut:
        try:
            pretty = fmt.block(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
        except ValueError:
            pass
        else:
            return Syntax(pretty, "json", theme="ansi_dark", word_wrap=True, background_color="default")
    return Text(text)


def hex_dump(data: bytes) -> HexDump:
    """Classic hex dump: offset, 16 bytes in hex, the printable ASCII beside."""
    return HexDump(data)


class HexDump:
    """A hex dump that puts as many bytes on a row (16, 8 or 4) as the width allows, so rows never wrap."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        per_row = next((n for n in (HEX_WIDTH, 8, 4) if _row_width(n) <= options.max_width), 4)
        yield self.text(per_row)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(_row_width(4), _row_width(HEX_WIDTH))

    def text(self, per_row: int = HEX_WIDTH) -> Text:
        """The dump with `per_row` bytes on each row."""
        data = self.data
        lines = []
        for start in range(0, len(data), per_row):
            row = data[start : start + per_row]
            hexes = " ".join(f"{b:02x}" for b in row)
            text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
            lines.append(f"{start:08x}  {hexes:<{per_row * 3 - 1}}  {text}")
        return Text("\n".join(lines), no_wrap=True, overflow="crop")


def _row_width(per_row: int) -> int:
    return 8 + 2 + per_row * 3 - 1 + 2 + per_row
