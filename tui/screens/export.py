"""`ExportScreen`: where to write requests, and which, as HAR or as a trace file."""

from __future__ import annotations

import os
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, RadioButton, RadioSet, Static

from tracer.summary import TraceSummary

from .. import format as fmt
from ..export import EXPORT_FORMATS, default_export_path, format_of, with_format


@dataclass(frozen=True, slots=True)
class ExportChoice:
    """What the export dialog was asked for.

    Attributes:
        which: ``"selected"`` (the request under the cursor) or ``"shown"`` (every request the list shows).
        format: A name of `EXPORT_FORMATS`: ``"har"`` or ``"trace"``.
        path: The file to write.
    """

    which: str
    format: str
    path: str


class ExportScreen(ModalScreen[ExportChoice | None]):
    """A dialog asking for the file to export to, prefilled with a new file beside the trace file.

    Args:
        trace_path: The trace file the UI shows.
        selected: The request under the cursor, if any.
        shown: How many requests the list shows.
        expression: The filter the list shows them by ("" for none).
    """

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="export.cancel", tooltip="Close without exporting"),
    ]

    DEFAULT_CSS = """
    ExportScreen { align: center middle; }
    ExportScreen > Vertical {
        width: 84; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    ExportScreen Label { margin-top: 1; color: $text-muted; }
    ExportScreen RadioSet { width: 1fr; }
    ExportScreen #export-format { layout: horizontal; }
    ExportScreen #export-path { margin-top: 0; }
    ExportScreen #export-hint { color: $text-muted; height: 2; margin-top: 1; }
    ExportScreen #export-hint.-warning { color: $text-warning; }
    """

    def __init__(self, trace_path: str, selected: TraceSummary | None, shown: int, expression: str = "") -> None:
        super().__init__()
        self.trace_path = trace_path
        self.selected = selected
        self.shown = shown
        self.expression = expression
        self._prefilled = ""
        """The last path the dialog filled in itself (a path the user typed is kept)."""

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Export requests"
            box.border_subtitle = "Enter exports · Esc cancels"
            yield Label("Requests")
            with RadioSet(id="export-which"):
                if self.selected is not None:
                    title = "lifespan" if self.selected.scope_type == "lifespan" else self.selected.title
                    yield RadioButton(
                        Content(f"the request under the cursor: {fmt.line(title)} ({self.selected.protocol.upper()})"),
                        value=True, id="export-selected",
                    )
                filtered = f", filter {self.expression}" if self.expression else ""
                count = f"{self.shown:,} request{'s' if self.shown != 1 else ''}"
                yield RadioButton(Content(f"the {count} the list shows{filtered}"), value=self.selected is None,
                                  id="export-shown")
            yield Label("Format")
            with RadioSet(id="export-format"):
                for name, (title, extension) in EXPORT_FORMATS.items():
                    yield RadioButton(f"{title} ({extension})", value=name == "har", id=f"export-{name}")
            yield Label("File (readable by you only)")
            yield Input(id="export-path", select_on_focus=False)
            yield Static(id="export-hint")

    def on_mount(self) -> None:
        self._prefill()
        self.query_one(Input).focus()

    @property
    def which(self) -> str:
        """``"selected"`` or ``"shown"``, as the dialog's choice stands."""
        button = self.query_one("#export-which", RadioSet).pressed_button
        return "selected" if button is not None and button.id == "export-selected" else "shown"

    @property
    def format(self) -> str:
        """The format chosen: ``"har"`` or ``"trace"``."""
        button = self.query_one("#export-format", RadioSet).pressed_button
        return (button.id or "export-har").removeprefix("export-") if button is not None else "har"

    def _prefill(self) -> None:
        """Fill in a new file for the choice, unless the user typed a path of their own (then only its extension follows)."""
        line = self.query_one(Input)
        if line.value and line.value != self._prefilled:
            line.value = with_format(line.value, self.format)
        else:
            label = self.selected.id if self.which == "selected" and self.selected is not None else "shown"
            line.value = self._prefilled = default_export_path(self.trace_path, self.format, label)
        line.cursor_position = len(line.value)
        self._hint(line.value)

    @on(RadioSet.Changed)
    def _choice_changed(self) -> None:
        self._prefill()

    @on(Input.Changed, "#export-path")
    def _path_changed(self, event: Input.Changed) -> None:
        self._hint(event.value)

    def _hint(self, path: str) -> None:
        hint = self.query_one("#export-hint", Static)
        full = os.path.abspath(os.path.expanduser(path.strip())) if path.strip() else ""
        warning = ""
        if not full:
            warning = "type a file name"
        elif os.path.isdir(full):
            warning = "that is a directory: add a file name"
        elif not os.path.isdir(os.path.dirname(full)):
            warning = f"no directory {os.path.dirname(full)}"
        elif os.path.exists(full):
            warning = "the file exists: exporting replaces it"
        elif format_of(full) not in (None, self.format):
            warning = f"the name ends like a {EXPORT_FORMATS[format_of(full) or 'har'][0]}; the {EXPORT_FORMATS[self.format][0]} format is chosen"
        hint.update(warning or f"writes {full}")
        hint.set_class(bool(warning), "-warning")

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        path = os.path.expanduser(event.value.strip())
        if not path or os.path.isdir(path):
            self.notify("type the name of the file to write", severity="warning")
            return
        self.dismiss(ExportChoice(self.which, self.format, path))

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["ExportChoice", "ExportScreen"]
