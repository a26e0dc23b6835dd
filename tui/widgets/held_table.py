"""`HeldRequestTable`: the request list, with requests held in the debugger marked where they are held."""

from __future__ import annotations

from collections.abc import Callable

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tracer.summary import TraceSummary

from .marked_table import MarkedRequestTable


class HeldRequestTable(MarkedRequestTable):
    """A `MarkedRequestTable` that draws ``⏸ http.response.body`` at the right end of each held row.

    The label covers the row's last cells (the waterfall's, when it is
    shown): a held request's bar only says that it is still running.
    """

    COMPONENT_CLASSES = {"held-request-table--held"}

    DEFAULT_CSS = """
    HeldRequestTable > .held-request-table--held { color: $text-warning; background: $warning-muted; text-style: bold; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.held_label: Callable[[TraceSummary], str | None] = lambda summary: None
        """The label of a held row (``⏸ http.response.body``), None for a row not held (set by the screen)."""

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        if y == 0:
            return strip
        index = y - 1 + round(self.scroll_y)
        if not (0 <= index < len(self.rows)):
            return strip
        label = self.held_label(self.rows[index])
        if not label:
            return strip
        width = strip.cell_length
        label = f" {label} "
        cells = min(cell_len(label), max(width // 2, 1))
        label = set_cell_size(label, cells)
        segments = list(strip.crop(width - cells))
        base = segments[-1].style if segments and segments[-1].style is not None else Style()
        style = base + self.get_component_rich_style("held-request-table--held")
        return Strip.join([strip.crop(0, width - cells), Strip([Segment(label, style)], cells)])


__all__ = ["HeldRequestTable"]
