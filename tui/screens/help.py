"""`HelpScreen`: every key of every screen, and the filter language.

Both tables are made from what they describe: the keys from the screens'
and widgets' bindings (as posting's ``help_screen.py`` reads
``_bindings``), the filter language from the table of operators.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.keys import format_key
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ..filters import help_rows
from ..widgets.request_table import RequestTable
from .compare import CompareScreen
from .held import HeldScreen
from .replay import ReplayScreen
from .requests import RequestsScreen

SECTIONS: tuple[tuple[str, tuple[type[DOMNode], ...], str], ...] = (
    ("Request list", (RequestsScreen, RequestTable), "Double click a row to replay it; click a heading to sort by it."),
    ("Replay", (ReplayScreen,), ""),
    ("Compare", (CompareScreen,), "Click a phase or a difference to go to it."),
    ("Held request (debugger)", (HeldScreen,),
     "A request a breakpoint holds: the client waits until it goes on. These keys work in any replay while "
     "its request is held."),
)
"""Screens and widgets whose own bindings make a table of keys, with a note on what the mouse does."""

EVERYWHERE_NOTE = "Drag over text to select it; ctrl+c then copies it instead of leaving tracer."
"""What the mouse does on every screen, and ctrl+c's other meaning: the table lists ctrl+c once, as the app's."""

KEY_NAMES = {
    "enter": "Enter", "escape": "Esc", "backspace": "Backspace", "home": "Home", "end": "End",
    "pageup": "PgUp", "pagedown": "PgDn", "space": "space", "tab": "Tab", "shift+tab": "shift+Tab", "f1": "F1",
}


def key_label(key: str) -> str:
    """How help writes a bound key: ``/``, ``→``, ``Esc``, ``ctrl+p``."""
    return KEY_NAMES.get(key) or format_key(key)


def key_rows(bindings: Iterable[Binding]) -> list[tuple[str, str]]:
    """(keys, what they do), one row per action, keys in the order bound.

    A key bound both with a tooltip (a key tracer documents) and without one
    (Textual's own, such as the screen's ctrl+c that copies selected text) is
    listed once, on the documented row.
    """
    listed = [b for b in bindings if not b.system and (b.description or b.tooltip)]
    documented = {b.key for b in listed if b.tooltip}
    rows: dict[tuple[str, str, str], list[str]] = {}
    for binding in listed:
        if binding.key in documented and not binding.tooltip:
            continue
        group = (binding.action, binding.id or "", binding.tooltip or binding.description)
        keys = rows.setdefault(group, [])
        if binding.key not in keys:
            keys.append(binding.key)
    return [(" ".join(key_label(key) for key in keys), what) for (_, _, what), keys in rows.items()]


def own_bindings(node_type: type[DOMNode]) -> list[Binding]:
    """The bindings a class declares itself (not those it inherits), one per key."""
    declared: list[BindingType] = node_type.__dict__.get("BINDINGS", [])
    return list(Binding.make_bindings(declared))


class HelpScreen(ModalScreen[None]):
    """A dialog with every key and the filter language."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close", tooltip="Close help")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 90; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    HelpScreen .help-table { margin-top: 1; }
    HelpScreen .help-note { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "tracer: keys"
            scroll.border_subtitle = "Esc to close"
            everywhere = [*self.app._bindings.key_to_bindings.values(), own_bindings(Screen)]
            yield Static(_table("Everywhere", key_rows(b for group in everywhere for b in group)))
            yield Static(EVERYWHERE_NOTE, classes="help-note")
            for title, node_types, note in SECTIONS:
                rows = key_rows(b for node_type in node_types for b in own_bindings(node_type))
                yield Static(_table(title, rows), classes="help-table")
                if note:
                    yield Static(note, classes="help-note")
            yield Static(_table("Filter language (/)", help_rows()), classes="help-table")


def _table(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=None, expand=True)
    table.add_column("key", style="bold cyan", width=24, no_wrap=True)
    table.add_column("action", ratio=1)
    for key, action in rows:
        table.add_row(Text(key), Text(action))
    return table
