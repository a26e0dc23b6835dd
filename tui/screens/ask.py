"""`AskScreen`: a one-line question in a dialog, its answer prefilled."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class AskScreen(ModalScreen[str | None]):
    """Asks for one line of text; dismissed with the text on Enter, None on Esc.

    Args:
        title: The dialog's title.
        question: One sentence above the line.
        value: The answer it starts with.
        placeholder: Shown while the line is empty.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="ask.cancel", tooltip="Close, changing nothing")]

    DEFAULT_CSS = """
    AskScreen { align: center middle; }
    AskScreen > Vertical {
        width: 80; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    AskScreen Static { margin: 1 0; }
    """

    def __init__(self, title: str, question: str, value: str = "", placeholder: str = "") -> None:
        super().__init__()
        self.title_text = title
        self.question = question
        self.value = value
        self.placeholder = placeholder

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.title_text
            box.border_subtitle = "Enter applies · Esc cancels"
            yield Static(self.question, markup=False)
            yield Input(self.value, placeholder=self.placeholder, id="ask-line")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#ask-line")
    def _submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["AskScreen"]
