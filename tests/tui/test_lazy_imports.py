"""The UI paints its first rows before it imports what later keys and commands need."""

from __future__ import annotations

import subprocess
import sys

LATER = ("tui.commands", "tui.tour_guide", "tui.tour", "tracer.resend", "tracer.app_output", "httpx")
"""Imported when first used: the palette's commands, the guided tour, re-sending, the app's print capture."""


def test_starting_the_ui_leaves_what_later_keys_need_unimported() -> None:
    code = (
        "import sys, tui.app\n"
        f"early = [m for m in {LATER!r} if m in sys.modules]\n"
        "assert not early, early\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_a_palette_command_and_help_still_open_after_a_lazy_import() -> None:
    from tests.tui.conftest import fixture, scanned
    from tui.app import TracerApp

    app = TracerApp(fixture("mixed.jsonl"))
    async with app.run_test(size=(120, 30)) as pilot:
        await scanned(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Sort by duration", "Keys and filter language", "Export requests"} <= titles
        await pilot.press("question_mark")
        assert type(app.screen).__name__ == "HelpScreen"
