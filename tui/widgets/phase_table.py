"""`PhaseTable`: two traces' phases side by side, with the events and time each spent in them."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size
from rich.text import Text
from textual import events
from textual.reactive import reactive
from textual.widget import Widget

from tracer.compare import PhaseRow

from .. import format as fmt
from ..messages import PhaseChosen

DIFFERS = "≠"
"""Marks a phase in which the two exchanges differ."""
PHASE_WIDTH = 17
SIDE_WIDTH = 20


def _events(count: int) -> str:
    return f"{count} event{'s' if count != 1 else ''}"


def _time(ns: int | None) -> str:
    return "" if ns is None else fmt.duration(ns)


class PhaseTable(Widget):
    """One row per phase: the events and time of each side, a mark where they differ, the current phase lit.

    `rows`, `differing` and `current` are set from outside; a click on a
    row posts `PhaseChosen`.
    """

    COMPONENT_CLASSES = {
        "phase-table--header",
        "phase-table--current",
        "phase-table--differs",
        "phase-table--none",
    }

    DEFAULT_CSS = """
    PhaseTable {
        height: auto;
        width: auto;
        & > .phase-table--header { color: $text-accent; text-style: bold; }
        & > .phase-table--current { background: $block-cursor-blurred-background; }
        & > .phase-table--differs { color: $text-warning; text-style: bold; }
        & > .phase-table--none { color: $text-disabled; }
    }
    """

    current: reactive[str | None] = reactive(None)
    """The phase the cursor is in."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.rows: list[PhaseRow] = []
        self.differing: set[str] = set()
        self.labels: tuple[str, str] = ("A", "B")

    def show(self, rows: Sequence[PhaseRow], differing: set[str], labels: tuple[str, str] = ("A", "B")) -> None:
        """Show `rows`, marking the phases in `differing`."""
        self.rows = list(rows)
        self.differing = set(differing)
        self.labels = labels
        self.refresh(layout=True)

    def get_content_width(self, container: object, viewport: object) -> int:
        return 2 + PHASE_WIDTH + 2 * (SIDE_WIDTH + 1)

    def get_content_height(self, container: object, viewport: object, width: int) -> int:
        return 1 + max(len(self.rows), 1)

    def render(self) -> Text:
        style = self.get_component_rich_style
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(
            "  " + "phase".ljust(PHASE_WIDTH) + "".join(f" {label:<{SIDE_WIDTH}}" for label in self.labels),
            style("phase-table--header"),
        )
        if not self.rows:
            text.append("\n  comparing…", style("phase-table--none"))
        for row in self.rows:
            text.append("\n")
            line = Text(no_wrap=True)
            differs = row.phase in self.differing
            line.append(DIFFERS + " " if differs else "  ", style("phase-table--differs") if differs else "")
            line.append(_fit(row.phase, PHASE_WIDTH))
            for count, ns in zip(row.events, row.time_ns):
                cell = f"{_events(count):<10}{_time(ns):>9}" if count else "–"
                line.append(" " + _fit(cell, SIDE_WIDTH), style("phase-table--none") if not count else "")
            if row.phase == self.current:
                line.stylize(style("phase-table--current"))
            text.append_text(line)
        return text

    def watch_current(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1
        if 0 <= index < len(self.rows):
            self.post_message(PhaseChosen(self.rows[index].phase))


def _fit(cell: str, width: int) -> str:
    if cell_len(cell) > width:
        return set_cell_size(cell, width - 1) + "…"
    return cell + " " * (width - cell_len(cell))


__all__ = ["DIFFERS", "PhaseTable"]
