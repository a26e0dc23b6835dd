"""The UI paints its first rows before it imports what later keys and commands need."""

from __future__ import annotations

import subprocess
import sys

LATER = (
    "tui.commands", "tui.tour_guide", "tui.tour", "tracer.resend", "tracer.app_output", "httpx",
    "tui.screens.replay", "tui.screens.compare", "tui.screens.export", "tracer.checks", "tracer.exporters.har",
    "tracer.debug.debugger", "tracer.wsgi", "tracer.asgi", "tracer.otlp_sink",
    "tracer.debug.events", "tracer.debug.client", "tracer.debug.exchanged", "tracer.edited_step", "tracer.filters",
)
"""Imported when first used: the palette's commands, the guided tour, re-sending, the app's print capture, the
screens the list opens, the checks, the exporters, the held-request machinery, the middlewares, the debugger's
events and client (a debug event comes in, the live processes are looked for), edited steps (a row is edited) and
the filter language (an expression is typed; the filter line's placeholder is written out)."""


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



def test_once_the_first_rows_are_painted_the_replay_is_imported_in_the_background() -> None:
    code = (
        "import asyncio, sys\n"
        "from tests.tui.conftest import fixture, scanned, wait_for\n"
        "from tui.app import TracerApp\n"
        "async def main():\n"
        "    app = TracerApp(fixture('mixed.jsonl'))\n"
        "    async with app.run_test(size=(120, 30)) as pilot:\n"
        "        await scanned(pilot)\n"
        "        await wait_for(pilot, lambda: 'tui.screens.replay' in sys.modules and 'tracer.checks' in sys.modules)\n"
        "        assert app.screen is app.screen_stack[0], 'no key was pressed: the list is still the screen'\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
