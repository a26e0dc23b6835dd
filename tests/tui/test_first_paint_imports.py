"""The request list paints its first rows before the live processes are looked for (and the debugger's client imported),
and before the filter language is imported.

That the debugger's modules are not imported at start: tests/tui/test_lazy_imports.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

FIXTURE = os.path.join(os.path.dirname(__file__), "..", "fixtures", "mixed.jsonl")


def _at_first_paint(module: str, *setup: str) -> str:
    """The start of a script that runs the app and notes in `seen` whether `module` is imported at its first paint with rows."""
    return "".join(
        [
            "import asyncio, sys\n",
            "from textual.app import App\n",
            "import tui.app\n",
            "from tui.widgets.request_table import RequestTable\n",
            *(line + "\n" for line in setup),
            "seen = []\n",
            "shown = App.post_display_hook\n",
            "def hook(self):\n",
            "    if not seen:\n",
            "        tables = self.screen.query(RequestTable)\n",
            "        if tables and tables.first().row_count:\n",
            f"            seen.append({module!r} in sys.modules)\n",
            "    shown(self)\n",
            "App.post_display_hook = hook\n",
        ]
    )


def test_live_processes_are_looked_for_once_the_first_rows_are_painted() -> None:
    # The wait for the first paint made long, so that only the paint (never the time-out) lets the look go on.
    code = _at_first_paint("tracer.debug.client", "tui.app.FIRST_PAINT_WAIT = 60") + (
        "async def main():\n"
        f"    app = tui.app.make_app({FIXTURE!r})\n"
        "    async with app.run_test(size=(120, 30)):\n"
        "        for _ in range(1000):\n"
        "            if seen and 'tracer.debug.client' in sys.modules:\n"
        "                break\n"
        "            await asyncio.sleep(0.01)\n"
        "    assert seen == [False], seen\n"
        "    assert 'tracer.debug.client' in sys.modules, 'the live processes were never looked for'\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_filter_language_waits_for_the_first_paint_and_comes_with_the_replay() -> None:
    # The first rows are painted without it (the placeholder is written out); it is imported with the replay after.
    code = _at_first_paint("tracer.filters", "from tests.tui.conftest import wait_for") + (
        "async def main():\n"
        f"    app = tui.app.make_app({FIXTURE!r})\n"
        "    async with app.run_test(size=(120, 30)) as pilot:\n"
        "        await wait_for(pilot, lambda: 'tui.screens.replay' in sys.modules)\n"
        "        await wait_for(pilot, lambda: 'tracer.filters' in sys.modules)\n"
        "    assert seen == [False], seen\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
