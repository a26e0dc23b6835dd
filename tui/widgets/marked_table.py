"""`MarkedRequestTable`: the request list, with the request marked for comparing shown in its row."""

from __future__ import annotations

from rich.segment import Segment
from textual.strip import Strip

from tracer.summary import TraceSummary

from .request_table import RequestTable

COMPARE_MARK = "◆"
"""Drawn at the left edge of the row marked for comparing (``m``)."""


class MarkedRequestTable(RequestTable):
    """A `RequestTable` that draws `COMPARE_MARK` at the start of the marked row.

    The mark takes the row's first cell, where the protocol checks' mark
    goes: the marked row is the one the user is looking at, and its findings
    show again in the replay and once it is unmarked.
    """

    COMPONENT_CLASSES = {"marked-request-table--mark"}

    DEFAULT_CSS = """
    MarkedRequestTable > .marked-request-table--mark { color: $text-accent; text-style: bold; }
    """

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.marked: TraceSummary | None = None
        """The request marked for comparing (set by the screen)."""

    def set_marked(self, summary: TraceSummary | None) -> None:
        """Show `summary` as the marked request (None: no mark)."""
        before, self.marked = self.marked, summary
        if before is not summary:
            self.refresh()

    def render_line(self, y: int) -> Strip:
        strip = super().render_line(y)
        marked = self.marked
        if marked is None or y == 0:
            return strip
        index = y - 1 + round(self.scroll_y)
        if not (0 <= index < len(self.rows)) or self.rows[index].number != marked.number:
            return strip
        segments = list(strip)
        first = segments[0].style if segments and segments[0].style is not None else self.rich_style
        mark = Strip([Segment(COMPARE_MARK, first + self.get_component_rich_style("marked-request-table--mark"))], 1)
        return Strip.join([mark, strip.crop(1)])


__all__ = ["COMPARE_MARK", "MarkedRequestTable"]
