"""Keys typed after "/" are applied in the order typed, editing keys included; help lists every key."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from textual import events
from textual.pilot import Pilot
from textual.widgets import Static

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tui.app import TracerApp
from tui.screens.help import SECTIONS, HelpScreen, key_label, own_bindings
from tui.widgets.filter_line import FilterLine
from tui.widgets.request_table import RequestTable

SIZE = (120, 36)
TYPO_FIXED = ["slash", *"~m PO", "backspace", "ctrl+u", *"~m GET"]
"""Type "~m PO", take the O back, then think again: clear the line and type "~m GET"."""
ROUNDS = 20
PILOT_ROUNDS = 5
"""pilot.press waits for the app to be idle after each key (70 ms a key here): fewer rounds."""


def burst(app: TracerApp, keys: list[str]) -> None:
    """Queue every key before the first is handled, as a terminal delivers a paste or a busy UI's backlog."""
    names = {"~": "tilde", " ": "space", "/": "slash"}
    for key in keys:
        character = key if len(key) == 1 else {"slash": "/", "space": " "}.get(key)
        event = events.Key(names.get(key, key), character)
        event.set_sender(app)
        app._driver.send_message(event)  # type: ignore[union-attr]


def line(app: TracerApp) -> FilterLine:
    return app.screen_stack[0].query_one(FilterLine)


async def test_typing_a_fix_with_pilot_press_gives_the_filter_typed(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        for _ in range(PILOT_ROUNDS):
            await pilot.press(*TYPO_FIXED, "enter")
            assert line(app).value == "~m GET" == app.requests.expression
            assert app.screen_stack[0].query_one(RequestTable).has_focus
            await pilot.press("c")
            assert app.requests.expression == ""


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (TYPO_FIXED, "~m GET"),
        (["slash", "backspace", *"abc"], "abc"),
        (["slash", *"~xm", "left", "left", "delete", "end", *" POS"], "~m POS"),
        (["slash", *"~m GE", "ctrl+w", *"~m POST", "home", "ctrl+k", *"~ws"], "~ws"),
    ],
    ids=["backspace-ctrl+u", "backspace-first", "arrows-delete", "ctrl+w-home-ctrl+k"],
)
async def test_keys_in_one_burst_are_applied_in_the_order_typed(mixed: str, keys: list[str], expected: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        for _ in range(ROUNDS):
            burst(app, [*keys, "enter"])
            await wait_for(pilot, lambda: app.requests.expression == expected)
            await pilot.pause()
            assert line(app).value == expected
            burst(app, ["c"])
            await wait_for(pilot, lambda: line(app).value == "")


async def test_keys_after_enter_or_escape_in_the_same_burst_reach_the_list(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        table = app.screen.query_one(RequestTable)
        burst(app, [*TYPO_FIXED, "enter", "j", "j"])
        await wait_for(pilot, lambda: table.cursor == 2)
        assert app.requests.expression == line(app).value == "~m GET"
        assert [s.method for s in table.rows] == ["GET"] * len(table.rows)
        # Esc leaves the line as the filter is: what was typed after the last Enter is dropped.
        burst(app, ["slash", *"~ws", "escape", "k"])
        await wait_for(pilot, lambda: table.cursor == 1)
        assert line(app).value == app.requests.expression == "~m GET"
        assert table.has_focus


async def test_help_lists_every_key_that_shows_or_has_an_id(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=(140, 50)) as pilot:
        await scanned(pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        text = _help_text(pilot)
        bindings = [b for group in app._bindings.key_to_bindings.values() for b in group]
        bindings += [b for _, node_types, _ in SECTIONS for node_type in node_types for b in own_bindings(node_type)]
        listed = [b for b in bindings if b.show or b.id]
        assert len(listed) > 20
        for binding in listed:
            # Its key and the start of what it does, on one row (long texts wrap onto the next).
            what = " ".join((binding.tooltip or binding.description).split()[:3])
            assert any(f" {key_label(binding.key)} " in f" {row} " and what in row for row in text), binding
        for syntax in ("~m POST", "~d >100ms", "~size >10k", "~hs", "~bq", "~violation  ~v"):
            assert any(syntax in row for row in text), syntax
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


def _help_text(pilot: Pilot) -> list[str]:  # type: ignore[type-arg]
    """The help dialog's rows as plain text."""
    console = Console(width=120, file=io.StringIO(), record=True, color_system=None)
    for static in pilot.app.screen.query(Static):
        console.print(static.content)
    return console.export_text().splitlines()
