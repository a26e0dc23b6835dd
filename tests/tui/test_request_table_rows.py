"""The request list draws a row's segments itself: the same segments as the `Text` of its cells would render."""

from __future__ import annotations

import random

from rich.console import Console
from rich.style import Style
from rich.text import Text

from tui.widgets.request_table import _Row

STYLES = [None, Style(), Style(color="red"), Style(bold=True), Style(color="green", italic=True)]


def test_a_rows_segments_are_those_of_its_text_rendered() -> None:
    console = Console()
    chance = random.Random(14)
    for _ in range(500):
        base = chance.choice([Style(), Style(color="yellow"), Style(italic=True)])
        text, row = Text(style=base), _Row(base)
        for _ in range(chance.randrange(0, 12)):
            cell = chance.choice(["", " ", "GET", "/api/items?page=2", "200", "━━━", "  ", "…"])
            style = chance.choice(STYLES)
            text.append(cell, style)
            if style is None:
                row.plain.append(cell)
            else:
                row.add(cell, style)
        assert row.segments() == list(text.render(console))
