"""`DifferenceList`: what differs between two exchanges, one entry per difference, with body diffs coloured."""

from __future__ import annotations

from textual import events
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Static

from tracer.compare import Comparison, Difference

from .. import format as fmt
from ..messages import DifferenceChosen

PHASE_WIDTH = 17
MAX_IGNORED_SHOWN = 6
"""Ignored header names listed before the rest are counted."""


def difference_markup(difference: Difference) -> str:
    """One difference as Textual markup: its phase, its message, and its diff (if any) coloured line by line."""
    phase = fmt.markup(difference.phase.ljust(PHASE_WIDTH))
    lines = [f"[$text-warning]≠[/] [b]{phase}[/b] {fmt.markup(fmt.line(difference.message))}"]
    for line in difference.detail.splitlines():
        safe = fmt.markup(fmt.line(line))
        if line.startswith(("+++", "---")):
            lines.append(f"    [b]{safe}[/b]")
        elif line.startswith("@@"):
            lines.append(f"    [$text-accent]{safe}[/]")
        elif line.startswith("+"):
            lines.append(f"    [$text-success]{safe}[/]")
        elif line.startswith("-"):
            lines.append(f"    [$text-error]{safe}[/]")
        else:
            lines.append(f"    [$text-muted]{safe}[/]")
    return "\n".join(lines)


class DifferenceItem(Static):
    """One difference; a click on it posts `DifferenceChosen`."""

    def __init__(self, index: int, difference: Difference) -> None:
        super().__init__(difference_markup(difference), classes="difference")
        self.index = index
        self.difference = difference

    def on_click(self, event: events.Click) -> None:
        event.stop()
        self.post_message(DifferenceChosen(self.index))


class DifferenceList(VerticalScroll, can_focus=False):
    """Every difference of a `Comparison`, then its notes and the headers it left out.

    `show` takes a comparison; `current` lights one difference and scrolls it into view.
    """

    DEFAULT_CSS = """
    DifferenceList {
        height: 1fr;
        padding: 0 1;
        & > .verdict { text-style: bold; }
        & > .verdict.-same { color: $text-success; }
        & > .verdict.-differ { color: $text-warning; }
        & > .difference { padding: 0 0; }
        & > .difference.-current { background: $block-cursor-blurred-background; }
        & > .aside { color: $text-muted; }
    }
    """

    current: reactive[int] = reactive(-1, init=False)
    """The difference lit (-1: none)."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.comparison: Comparison | None = None

    def show(self, comparison: Comparison | None, waiting: str = "comparing…") -> None:
        """Show `comparison`, or `waiting` while there is none."""
        self.comparison = comparison
        self.current = -1
        with self.app.batch_update():
            self.remove_children()
            self.mount_all(self._items(comparison, waiting))

    def _items(self, comparison: Comparison | None, waiting: str) -> list[Static]:
        if comparison is None:
            return [Static(waiting, classes="aside", markup=False)]
        count = len(comparison.differences)
        if count:
            verdict = Static(f"{count} difference{'s' if count != 1 else ''} (timings aside)", classes="verdict -differ")
        else:
            verdict = Static("the same exchange (timings aside)", classes="verdict -same")
        items: list[Static] = [verdict]
        items += [DifferenceItem(index, difference) for index, difference in enumerate(comparison.differences)]
        items += [Static(f"note: {note}", classes="aside", markup=False) for note in comparison.notes]
        ignored = _ignored(comparison)
        if ignored:
            items.append(Static(f"headers not compared: {ignored}  (i changes them)", classes="aside", markup=False))
        return items

    def watch_current(self, old: int, current: int) -> None:
        for item in self.query(DifferenceItem):
            item.set_class(item.index == current, "-current")
            if item.index == current:
                self.scroll_to_widget(item, animate=False, top=False)


def _ignored(comparison: Comparison) -> str:
    # As `tracer diff` says it: Content-Length is left out whenever the bodies are compared.
    names = ["content-length (bodies compared)", *(n for n in comparison.ignored_headers if n != "content-length")]
    shown = names[:MAX_IGNORED_SHOWN]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


__all__ = ["DifferenceItem", "DifferenceList", "difference_markup"]
