"""Entries this app adds to Textual's command palette (ctrl+p)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from .screens.replay import ReplayScreen
from .screens.requests import SORT_KEYS, RequestsScreen

if TYPE_CHECKING:
    from .app import TracerApp

PRESETS = (
    ("errors and 5xx", "~err"),
    ("protocol violations", "~violation"),
    ("websockets", "~ws"),
    ("in progress or cut off", "~live"),
    ("WSGI only", "~wsgi"),
    ("ASGI only", "~asgi"),
)


def screen_commands(app: TracerApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    """The commands that make sense on `screen`."""
    yield SystemCommand("Keys and filter language", "Every key of every screen", app.action_help)
    if isinstance(screen, RequestsScreen):
        for title, expression in PRESETS:
            yield SystemCommand(f"Filter: {title}", f"Show only {expression}", partial(_filter, screen, expression))
        yield SystemCommand("Clear filter", "Show every trace", screen.action_clear_filter)
        for key in SORT_KEYS:
            yield SystemCommand(f"Sort by {key}", f"Order the list by {key}", partial(_sort, screen, key))
        yield SystemCommand("Unreadable lines", "Lines of the file that could not be read", screen.action_problems)
    elif isinstance(screen, ReplayScreen):
        yield SystemCommand("Play / pause", "Play the steps at recorded speed", screen.action_play)
        yield SystemCommand("First step", "Back to the server calling the app", screen.action_first)
        yield SystemCommand("Last step", "Jump to the end of the trace", screen.action_last)
        yield SystemCommand("Back to the list", "Leave the replay", screen.action_back)


def _filter(screen: RequestsScreen, expression: str) -> None:
    screen.query_one("#filter").value = expression  # type: ignore[attr-defined]
    screen.apply_filter(expression)


def _sort(screen: RequestsScreen, key: str) -> None:
    screen.sort_key = key
    screen.refresh_rows()
