"""Entries this app adds to Textual's command palette (ctrl+p).

Commands act on the list model, never on widgets: the screen redraws from
what the model announces.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from .filters import PRESETS
from .listmodel import SORT_KEYS
from .screens.replay import ReplayScreen
from .screens.requests import RequestsScreen

if TYPE_CHECKING:
    from .app import TracerApp

SORT_HELP = {"time": "when each request started", "duration": "how long each took", "status": "status code"}


def screen_commands(app: TracerApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    """The commands that make sense on `screen`."""
    yield SystemCommand("Keys and filter language", "Every key of every screen", app.action_help)
    if isinstance(screen, RequestsScreen):
        requests = screen.requests
        for title, expression in PRESETS:
            yield SystemCommand(f"Filter: {title}", f"Show only {expression}", partial(requests.set_filter, expression))
        yield SystemCommand("Clear filter", "Show every trace", partial(requests.set_filter, ""))
        for key in SORT_KEYS:
            yield SystemCommand(f"Sort by {key}", f"Order the list by {SORT_HELP[key]}", partial(requests.set_order, key))
        yield SystemCommand("Unreadable lines", "Lines of the file that could not be read", screen.action_problems)
    elif isinstance(screen, ReplayScreen):
        yield SystemCommand("Play / pause", "Play the steps at recorded speed", screen.action_play)
        yield SystemCommand("First step", "Back to the server calling the app", screen.action_first)
        yield SystemCommand("Last step", "Jump to the end of the trace", screen.action_last)
        yield SystemCommand("Back to the list", "Leave the replay", screen.action_back)
