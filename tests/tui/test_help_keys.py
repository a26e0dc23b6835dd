"""The help dialog lists each key of a table once, on the row that describes it best."""

from __future__ import annotations

import io
import re

from rich.console import Console
from rich.table import Table
from textual.widgets import Static

from tests.tui.conftest import fixed_checker, scanned
from tui.app import TracerApp
from tui.screens.help import HelpScreen, key_label


def _rows(table: Table) -> list[tuple[list[str], str]]:
    """A help table's rows as (key labels, what they do), long texts cut at their first line."""
    console = Console(width=120, file=io.StringIO(), record=True, color_system=None)
    console.print(table)
    rows = []
    for line in console.export_text().splitlines()[1:]:
        keys, _, what = line.strip().partition("  ")
        if keys and what.strip():
            rows.append((keys.split(" "), what.strip()))
    return rows


async def test_help_lists_ctrl_c_once_as_leaving_tracer(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=(140, 50)) as pilot:
        await scanned(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        everywhere = app.screen.query(Static).first().content
        assert isinstance(everywhere, Table) and everywhere.title == "Everywhere"
        rows = _rows(everywhere)
        keys = [key for row_keys, _ in rows for key in row_keys]
        assert sorted(set(keys)) == sorted(keys), rows
        assert [what for row_keys, what in rows if key_label("ctrl+c") in row_keys] == ["Leave tracer"]
        # Textual's copy binding keeps the key tracer leaves alone.
        assert ([key_label("super+c")], "Copy selected text") in rows
        notes = [str(s.content) for s in app.screen.query(Static) if isinstance(s.content, str)]
        assert any(re.search(r"select.*ctrl\+c then copies", note) for note in notes), notes
