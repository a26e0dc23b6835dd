"""The request list draws a row's segments itself: the same segments as the `Text` of its cells would render."""

from __future__ import annotations

import random

from rich.console import Console
from rich.segment import Segment
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


def test_a_rows_line_is_its_segments_fitted_and_styled_as_a_strip_would_make_them() -> None:
    from textual.strip import Strip

    from tui.widgets.request_table import _line, layout

    chance = random.Random(15)
    for width in range(10, 200, 7):
        for workers in (False, True):
            columns = layout(width, workers)
            cells = sum(w for _, w, _ in columns) + len(columns) - any(n == "waterfall" for n, _, _ in columns)
            for _ in range(20):
                text = "".join(chance.choice("ab ━─") for _ in range(cells - 1)) + " "
                cuts = sorted(chance.sample(range(1, cells), min(4, cells - 1)))
                segments = [Segment(text[a:b], chance.choice(STYLES)) for a, b in zip([0, *cuts], [*cuts, cells])]
                style = chance.choice([Style(), Style(color="yellow", bgcolor="black"), Style(bold=True)])
                expected = Strip(segments).adjust_cell_length(width, style).apply_style(style)
                made = _line(segments, columns, width, style)
                assert list(made) == list(expected) and made.cell_length == expected.cell_length == width
