"""`TourPanel`: the guided tour's current stop, under whatever the stop shows."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ..tour import Tour


class TourPanel(Static):
    """The stop's title, its explanation, and the keys that go on, back and out of the tour.

    Args:
        tour: The tour (the panel shows its current stop; `show` redraws it).
        note: A line under the explanation, e.g. that the file lacks the stop's requests.
    """

    DEFAULT_CSS = """
    TourPanel {
        height: auto;
        max-height: 12;
        border: round $accent;
        border-title-color: $text-accent;
        border-title-style: bold;
        background: $surface;
        padding: 0 1;
    }
    """

    def __init__(self, tour: Tour, note: str = "", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.tour = tour
        self.show(note)

    def show(self, note: str = "") -> None:
        """Draw the tour's current stop."""
        tour, stop = self.tour, self.tour.current
        self.border_title = f"Tour {tour.position}: {stop.title}"
        text = Text(stop.text)
        if note:
            text.append("\n" + note, style="italic")
        go_on = ". closes the tour" if tour.at_end else ". next stop"
        keys = f"{go_on}   , previous stop   Esc leaves the tour"
        text.append("\n" + keys, style="bold")
        self.border_subtitle = f"{tour.position}"
        self.update(text)


__all__ = ["TourPanel"]
