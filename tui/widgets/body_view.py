"""How a body is shown: text, pretty JSON when the content type says JSON, or hex.

A binary body shows its first screen of hex at once; the rest of its rows
(`HexRows`) are drawn only as they scroll into view, so a megabyte costs
what a screenful does.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.cells import chop_cells
from rich.measure import Measurement
from rich.segment import Segment
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text
from textual.cache import LRUCache
from textual.geometry import Size
from textual.strip import Strip
from textual.widget import Widget

from tracer.forms import FormField
from tracer.model import ReprValue, TruncatedBytes
from tracer.payload import body_text, hex_row
from tracer.readable_body import Readable

from .. import format as fmt

MAX_SHOWN = 64 * 1024
"""Text bodies are shown up to this many bytes (text is laid out whole)."""
HEX_WIDTH = 16
FIRST_SCREEN = 64 * HEX_WIDTH
"""Bytes of a hex dump drawn with the step; the rows after them are drawn as they scroll into view."""
WINDOW_ROWS = 512
"""Rows (hex) or lines (text) the pane makes room for at a time, more as it scrolls near their end."""
FIRST_LINES = 60
FIRST_CHARS = 8 * 1024
"""A text body's lines drawn with the step: this many at most, and no more characters than this;
the rest are drawn as they scroll into view."""


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
    heading = body_heading(value, raw, what)
    if not raw:
        heading.append("  (empty)", style="dim")
        return [heading]
    shown = raw[:MAX_SHOWN]
    text = body_text(shown, isinstance(value, str), cut=len(shown) < len(raw) or isinstance(value, TruncatedBytes))
    if text is None:
        heading.append("  binary, hex", style="dim")
        parts = [heading, hex_dump(raw[:FIRST_SCREEN])]
        if len(raw) > FIRST_SCREEN:
            parts.append(MoreHex(raw, FIRST_SCREEN))
        return parts
    more = Text(f"… {len(raw) - MAX_SHOWN:,} more bytes not shown", style="dim") if len(raw) > MAX_SHOWN else None
    parts = [heading, *_text_or_json(text, content_type, isinstance(value, TruncatedBytes) or more is not None)]
    if more is not None:
        parts.append(more)
    return parts


def body_heading(value: Any, raw: bytes, what: str) -> Text:
    """A body's heading line: what it is, its size, and the cut by ``max_body_bytes`` if any."""
    if isinstance(value, TruncatedBytes):
        heading = Text.assemble(("\n" + what, "bold"), f"  {fmt.size(value.original_length)}")
        heading.append(
            f"  ✂ $truncated: kept {len(raw):,} of {value.original_length:,} bytes",
            style="bold yellow",
        )
        return heading
    return Text.assemble(("\n" + what, "bold"), f"  {fmt.size(len(raw))}")


def _text_or_json(text: str, content_type: str, cut: bool) -> list[RenderableType]:
    """The text (pretty JSON when it is JSON): its first screen, and the rest as `MoreText`."""
    is_json = False
    if "json" in content_type.lower() and not cut:
        try:
            text = fmt.block(json.dumps(json.loads(text), indent=2, ensure_ascii=False))
            is_json = True
        except ValueError:
            pass
    head, rest = _first_screen(text)
    parts: list[RenderableType] = [_highlighted(head) if is_json else Text(head)]
    if rest:
        parts.append(MoreText(rest, is_json))
    return parts


def _first_screen(text: str) -> tuple[str, list[str]]:
    """The first `FIRST_LINES` lines (at most `FIRST_CHARS` characters), and the lines after them."""
    cut = -1
    for _ in range(FIRST_LINES):
        cut = text.find("\n", cut + 1, FIRST_CHARS + 1)
        if cut < 0:
            break
    if cut < 0:
        if len(text) <= FIRST_CHARS:
            return text, []
        cut = FIRST_CHARS  # A long line: it goes on below.
        return text[:cut], text[cut:].split("\n")
    return text[:cut], text[cut + 1 :].split("\n")


def _highlighted(code: str) -> Syntax:
    return Syntax(code, "json", theme="ansi_dark", word_wrap=True, background_color="default")


def hex_dump(data: bytes) -> HexDump:
    """Classic hex dump: offset, 16 bytes in hex, the printable ASCII beside."""
    return HexDump(data)


class HexDump:
    """A hex dump that puts as many bytes on a row (16, 8 or 4) as the width allows, so rows never wrap."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.text(bytes_per_row(options.max_width))

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(_row_width(4), _row_width(HEX_WIDTH))

    def text(self, per_row: int = HEX_WIDTH) -> Text:
        """The dump with `per_row` bytes on each row."""
        data = self.data
        lines = [hex_row(data, start, per_row) for start in range(0, len(data), per_row)]
        return Text("\n".join(lines), no_wrap=True, overflow="crop")


def bytes_per_row(width: int) -> int:
    """Bytes on a hex row `width` cells wide: 16, 8 or 4, so rows never wrap."""
    return next((n for n in (HEX_WIDTH, 8) if _row_width(n) <= width), 4)


def _row_width(per_row: int) -> int:
    return 8 + 2 + per_row * 3 - 1 + 2 + per_row


class MoreHex:
    """The hex rows of `data` after byte `start`: a `HexRows` widget on screen, a one-line note elsewhere."""

    def __init__(self, data: bytes, start: int) -> None:
        self.data = data
        self.start = start

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        rest = len(self.data) - self.start
        yield Text(f"… {rest:,} more bytes, drawn as the pane scrolls", style="dim")


class MoreText:
    """The lines of a text body after its first screen: a `TextRows` widget on screen, a one-line note elsewhere."""

    def __init__(self, lines: list[str], json: bool = False) -> None:
        self.lines = lines
        self.json = json

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(f"… {len(self.lines):,} more lines, drawn as the pane scrolls", style="dim")


class TextRows(Widget):
    """Lines of a text body, folded to the pane's width and drawn only when in view (Line API).

    Like `HexRows`, only as tall as the lines it has been asked to show (`extend`).
    """

    DEFAULT_CSS = """
    TextRows { height: auto; width: 1fr; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.lines: list[str] = []
        self.json = False
        self.limit = WINDOW_ROWS
        self._rows: list[tuple[int, int, int]] = []
        """(line, start, end) of each row drawn, for the lines within `limit`."""
        self._folded: tuple[int, int] | None = None
        self._highlighted: LRUCache[int, Text] = LRUCache(256)
        self.display = False

    def show(self, lines: list[str], json: bool = False) -> None:
        """Show `lines` (none: the widget hides); `json` colours them as JSON."""
        self.lines = lines
        self.json = json
        self.limit = WINDOW_ROWS
        self._rows = []
        self._folded = None
        self._highlighted.clear()
        self.display = bool(lines)
        self.refresh(layout=True)

    @property
    def more(self) -> bool:
        """Whether there are lines beyond those the widget is tall enough for."""
        return len(self.lines) > self.limit

    def extend(self) -> None:
        """Make room for the next `WINDOW_ROWS` lines (the pane scrolled near the end)."""
        if self.more:
            self.limit += WINDOW_ROWS
            self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._fold(width)
        return len(self._rows)

    def _fold(self, width: int) -> None:
        """Cut the lines within `limit` into rows `width` cells wide (only the lines not cut yet)."""
        width = max(width, 1)
        if self._folded is not None and self._folded[1] != width:
            self._rows, self._folded = [], None
        start = self._folded[0] if self._folded is not None else 0
        stop = min(self.limit, len(self.lines))
        rows = self._rows
        for index in range(start, stop):
            line = self.lines[index]
            if len(line) <= width and line.isascii():
                rows.append((index, 0, len(line)))
                continue
            offset = 0
            for chunk in chop_cells(line, width) or [""]:
                rows.append((index, offset, offset + len(chunk)))
                offset += len(chunk)
        self._folded = (stop, width)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        style = self.rich_style
        if not 0 <= y < len(self._rows):
            return Strip.blank(width, style)
        index, start, end = self._rows[y]
        text = self._line(index)[start:end]
        segments = list(text.render(self.app.console))
        return Strip(segments).adjust_cell_length(width, style).apply_style(style)

    def _line(self, index: int) -> Text:
        text = self._highlighted.get(index)
        if text is None:
            line = self.lines[index]
            if self.json:
                text = _JSON.highlight(line)
                text.rstrip()  # the newline the highlighter adds
            else:
                text = Text(line)
            self._highlighted.set(index, text)
        return text


_JSON = Syntax("", "json", theme="ansi_dark", background_color="default")


class HexRows(Widget):
    """The rows of a hex dump from byte `start` on, each drawn only when it is in view (Line API).

    The widget is as tall as the rows it has been asked to show (`extend`),
    never more: Textual keeps a set of a widget's lines, so a megabyte's
    65,536 rows at once would cost milliseconds on every layout.

    Args:
        data: The whole body.
        start: The first byte to show (a multiple of 16, so rows line up with the ones above).
    """

    DEFAULT_CSS = """
    HexRows { height: auto; width: 1fr; }
    """

    def __init__(self, data: bytes, start: int = 0, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.data = data
        self.start = start
        self.limit = WINDOW_ROWS
        self._per_row = HEX_WIDTH
        self.display = len(data) > start

    def show(self, data: bytes, start: int = 0) -> None:
        """Show the rows of `data` from byte `start` (none: the widget hides)."""
        self.data = data
        self.start = start
        self.limit = WINDOW_ROWS
        self.display = len(data) > start
        self.refresh(layout=True)

    @property
    def rows(self) -> int:
        """Rows of the whole dump at the current width."""
        return -(-(len(self.data) - self.start) // self._per_row)

    @property
    def more(self) -> bool:
        """Whether there are rows beyond those the widget is tall enough for."""
        return self.rows > self.limit

    def extend(self) -> None:
        """Make room for the next `WINDOW_ROWS` rows (the pane scrolled near the end)."""
        if self.more:
            self.limit += WINDOW_ROWS
            self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        self._per_row = bytes_per_row(width)
        return min(self.rows, self.limit)

    def on_resize(self) -> None:
        if bytes_per_row(self.size.width) != self._per_row:
            self.refresh(layout=True)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        offset = self.start + y * self._per_row
        if not 0 <= offset < len(self.data):
            return Strip.blank(width, self.rich_style)
        text = hex_row(self.data, offset, self._per_row)
        return Strip([Segment(text, self.rich_style)]).adjust_cell_length(width, self.rich_style)


FORM_PREVIEW = 40
"""Characters of a form value or a text file part shown in the form's table."""


def readable_view(value: Any, readable: Readable, content_type: str, what: str = "body") -> list[RenderableType]:
    """A body piece shown as it reads: its heading as sent, a note on the decoding, then the decoded body or form.

    Args:
        value: The piece as the step carries it (for its heading: size, cut marker).
        readable: What `tracer.readable_body.readable` made of the body so far.
        content_type: The body's content type, to pick JSON display of the decoded bytes.
        what: What the piece is called (``body``, ``chunk``, ``read``).
    """
    raw = value if isinstance(value, (bytes, bytearray)) else b""
    heading = body_heading(value, bytes(raw), what) if raw else Text.assemble(("\n" + what, "bold"))
    note = Text.assemble(("  ", ""), (fmt.line(readable.note), "cyan"), ("   m: as sent", "dim"))
    parts: list[RenderableType] = [heading, note]
    if readable.form is not None:
        parts.append(form_table(readable.form))
        return parts
    decoded = readable.decoded
    if decoded is None or decoded.data is None:
        return [*body_view(value, content_type, what), note]
    label = "decoded" if readable.pieces == 1 else ("decoded so far" if readable.more else "decoded, whole body")
    return parts + body_view(readable.data, content_type, label)


def form_table(fields: list[FormField]) -> Table:
    """A form's fields as a table: name and value, or for a file its name, type, size and a preview."""
    table = Table(box=None, padding=(0, 1), title=f"form ({len(fields)} field{'s' if len(fields) != 1 else ''})",
                  title_justify="left", title_style="bold", header_style="dim", expand=False)
    table.add_column("name", style="cyan", no_wrap=True, max_width=32)
    table.add_column("value", overflow="fold")
    files = any(field.is_file for field in fields)
    if files:
        table.add_column("type", no_wrap=True, style="dim")
        table.add_column("size", no_wrap=True, justify="right")
    for field in fields:
        if field.is_file:
            preview = body_text(field.data[: FORM_PREVIEW * 4], False, cut=len(field.data) > FORM_PREVIEW * 4)
            shown = Text(fmt.line(field.filename or "(no file name)"), style="bold")
            if preview is None:
                shown.append("  binary", style="dim")
            elif preview:
                shown.append("  " + _clip(fmt.line(preview), FORM_PREVIEW), style="dim")
            row = [Text(fmt.line(field.name)), shown, Text(fmt.line(field.content_type or "")), Text(fmt.size(len(field.data)))]
        else:
            row = [Text(fmt.line(field.name)), Text(fmt.line(field.value) if field.value else "''")]
            if files:
                row += [Text(""), Text(fmt.size(len(field.value.encode("utf-8", "surrogatepass"))))]
        table.add_row(*row)
    return table


def pager_text(data: bytes, content_type: str, is_str: bool = False) -> str:
    """A whole body as text for a pager: pretty JSON when it is JSON, text as it is, else a hex dump."""
    text = body_text(data, is_str)
    if text is None:
        return "\n".join(hex_row(data, start) for start in range(0, len(data), HEX_WIDTH)) + "\n"
    if "json" in content_type.lower():
        try:
            return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"
        except ValueError:
            pass
    return text if text.endswith("\n") else text + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
