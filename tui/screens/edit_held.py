"""`EditHeldScreen`: change a held message before it goes on, as JSON of the fields an edit may set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static, TextArea

from tracer.debug.client import Held
from tracer.errors import TracerError

from ..debugger import changes_from, edit_text, where


class EditHeldScreen(ModalScreen["dict[str, Any] | None"]):
    """The held event's editable fields in a text area; ctrl+s applies the fields that changed.

    Dismissed with the changes once `apply` took them, None on Esc or when
    nothing changed. An error (bad JSON, a field the event does not have, an
    edit the process refuses) is shown under the text and the dialog stays.

    Args:
        held: The held event.
        apply: Sends the changes (`DebugSession.edit`); raises `TracerError` when refused.
    """

    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="edit.apply", tooltip="Apply the changed fields to the held message"),
        Binding("escape", "cancel", "Cancel", id="edit.cancel", tooltip="Close, changing nothing", priority=True),
    ]

    DEFAULT_CSS = """
    EditHeldScreen { align: center middle; }
    EditHeldScreen > Vertical {
        width: 100; max-width: 95%; height: 80%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    EditHeldScreen #edit-hint { color: $text-muted; margin: 1 0; height: auto; }
    EditHeldScreen TextArea { height: 1fr; }
    EditHeldScreen #edit-error { color: $text-error; height: auto; }
    """

    def __init__(self, held: Held, apply: Callable[[dict[str, Any]], None]) -> None:
        super().__init__()
        self.held = held
        self.apply = apply

    def compose(self) -> ComposeResult:
        held = self.held
        with Vertical() as box:
            box.border_title = f"Edit {where(held)} of {held.title}"
            box.border_subtitle = "ctrl+s applies · Esc cancels"
            yield Static(
                "Text stands for bytes (UTF-8; header names and values latin-1); other bytes are "
                '{"$base64": ...}. Headers are [name, value] pairs. A websocket message has text or bytes: '
                "set the other to null. Only the fields you change are sent. F7 selects all.",
                id="edit-hint", markup=False,
            )
            yield TextArea(edit_text(held), id="edit-text", soft_wrap=True, show_line_numbers=False, tab_behavior="indent")
            yield Static("", id="edit-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(TextArea).focus()

    @property
    def error(self) -> str:
        """What the error line says now."""
        return str(self.query_one("#edit-error", Static).content)

    def action_apply(self) -> None:
        error = self.query_one("#edit-error", Static)
        try:
            changes = changes_from(self.held, self.query_one(TextArea).text)
        except ValueError as exc:
            error.update(str(exc))
            return
        if not changes:
            self.notify("nothing changed", title="edit")
            self.dismiss(None)
            return
        try:
            self.apply(changes)
        except TracerError as exc:
            error.update(str(exc))
            return
        self.notify(f"edited: {', '.join(changes)}", title="edit", markup=False)
        self.dismiss(changes)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["EditHeldScreen"]
