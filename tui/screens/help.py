"""`HelpScreen`: every key of every screen, and the filter language."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

KEYS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("Everywhere", (
        ("? F1", "this help"),
        ("ctrl+p", "command palette"),
        ("q", "quit (in a replay: back to the list)"),
        ("tab", "next pane"),
    )),
    ("Request list", (
        ("↑ ↓ j k", "move"),
        ("PgUp PgDn Home End", "page, first, last"),
        ("Enter, double click", "replay the request"),
        ("/ f", "filter (Enter applies, Esc leaves)"),
        ("c", "clear the filter"),
        ("s", "sort by time, duration, status"),
        ("r", "reverse the sort"),
        ("p", "lines of the file that could not be read"),
    )),
    ("Replay", (
        ("→ ← j k l h", "next, previous step"),
        ("Home End g G", "first, last step"),
        ("space", "play / pause at recorded speed"),
        ("+ -  ] [", "faster, slower"),
        ("Esc Backspace q", "back to the list"),
    )),
)

FILTERS: tuple[tuple[str, str], ...] = (
    ("~m POST", "method"),
    ("~u /api", "text in path or query"),
    ("~c 404  ~c 5xx  ~c none", "status, class, or no response"),
    ("~wsgi  ~asgi", "protocol"),
    ("~http  ~ws  ~lifespan", "scope type"),
    ("~err", "the app raised, or 5xx"),
    ("~live", "not complete (in progress, or cut off)"),
    ("~b TEXT", "text in a request or response body"),
    ("~violation  ~v", "protocol checks found a problem"),
    ("TEXT", "free text: path, method, status, trace id"),
    ("!  &  |  ( )", "not, and, or, grouping; a space means and"),
)


class HelpScreen(ModalScreen[None]):
    """A dialog with every key and the filter language."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close", id="help.close", tooltip="Close help")]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 80; max-width: 95%; height: auto; max-height: 90%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "tracer: keys"
            scroll.border_subtitle = "Esc to close"
            for title, keys in KEYS:
                yield Static(_table(title, keys))
            yield Static(_table("Filter language", FILTERS))


def _table(title: str, rows: tuple[tuple[str, str], ...]) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", show_header=False, box=None, expand=True)
    table.add_column("key", style="bold cyan", width=26, no_wrap=True)
    table.add_column("action", ratio=1)
    for key, action in rows:
        table.add_row(key, Text(action))
    return table
