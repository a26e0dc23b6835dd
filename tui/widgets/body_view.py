"""How a body is shown: text, pretty JSON when the content type says JSON, or hex."""

from __future__ import annotations

import json
from typing import Any

from rich.console import RenderableType
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
        return [Text(f"{what}: {value.repr}", style="italic")]
    if value is None:
        return []
    if isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass")
    else:
        raw = bytes(value)
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
    try:
        text = shown.decode("utf-8")
    except UnicodeDecodeError:
        heading.append("  binary, hex", style="dim")
        parts = [heading, hex_dump(shown)]
    else:
        parts = [heading, _text_or_json(text, content_type, isinstance(value, TruncatedBytes) or more is not None)]
    if more is not None:
        parts.append(more)
    return parts


def _text_or_json(text: str, content_type: str, cut: bool) -> RenderableType:
    if "json" in content_type.lower() and not cut:
        try:
            pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
        else:
            return Syntax(pretty, "json", theme="ansi_dark", word_wrap=True, background_color="default")
    return Text(text)


def hex_dump(data: bytes) -> Text:
    """Classic hex dump: offset, 16 bytes in hex, the printable ASCII beside."""
    lines = []
    for start in range(0, len(data), HEX_WIDTH):
        row = data[start : start + HEX_WIDTH]
        hexes = " ".join(f"{b:02x}" for b in row)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in row)
        lines.append(f"{start:08x}  {hexes:<{HEX_WIDTH * 3 - 1}}  {text}")
    return Text("\n".join(lines))
