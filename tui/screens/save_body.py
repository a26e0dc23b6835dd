"""`SaveBodyScreen`: where to save a step's body; the file is readable by its owner only.

A body may hold what the trace holds (tokens in a JSON answer, a user's
upload), so it is written as the trace file is: mode 0600. A path that
cannot be written is said in one line under the path, and the dialog stays.
"""

from __future__ import annotations

import os

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from .. import format as fmt

FILE_MODE = 0o600


def write_private(path: str, data: bytes) -> str:
    """Write `data` to `path` (``~`` expanded), readable and writable by its owner only; returns the path written.

    An existing file is replaced, and its mode set to 0600 too.

    Raises:
        OSError: The file cannot be written (its message names the path).
    """
    target = os.path.abspath(os.path.expanduser(path))
    if os.path.isdir(target):
        raise IsADirectoryError(21, "is a folder", target)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, FILE_MODE)  # A file that existed keeps its mode otherwise.
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
    finally:
        os.close(fd)
    return target


def problem_text(error: OSError, path: str) -> str:
    """One line for a file that could not be written: ``cannot write /x/y: permission denied``."""
    reason = (error.strerror or str(error)).rstrip(".")
    return f"cannot write {fmt.line(error.filename or path)}: {reason[:1].lower()}{reason[1:]}"


class SaveBodyScreen(ModalScreen[str | None]):
    """Asks for a path and writes `data` there; dismissed with the path written, or None on Esc.

    Args:
        data: The bytes to write.
        path: The path the line starts with.
        what: What is saved, said above the line (``gzip-decoded body of step 2, 2.6 KiB``).
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="save-body.cancel", tooltip="Close without saving")]

    DEFAULT_CSS = """
    SaveBodyScreen { align: center middle; }
    SaveBodyScreen > Vertical {
        width: 84; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    SaveBodyScreen #save-body-what { margin: 1 0; }
    SaveBodyScreen #save-body-problem { color: $text-error; height: auto; margin-top: 1; }
    SaveBodyScreen #save-body-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, data: bytes, path: str, what: str) -> None:
        super().__init__()
        self.data = data
        self.path = path
        self.what = what

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Save body"
            box.border_subtitle = "Enter saves · Esc cancels"
            yield Static(self.what, id="save-body-what", markup=False)
            yield Input(self.path, placeholder="file to write", id="save-body-path")
            problem = Static("", id="save-body-problem", markup=False)
            problem.display = False
            yield problem
            yield Static("The file is readable by you only (mode 0600); an existing file is replaced.",
                         id="save-body-hint")

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted, "#save-body-path")
    def _submitted(self, event: Input.Submitted) -> None:
        path = event.value.strip()
        problem = self.query_one("#save-body-problem", Static)
        if not path:
            problem.update("give a file to write")
            problem.display = True
            return
        try:
            written = write_private(path, self.data)
        except OSError as exc:
            problem.update(problem_text(exc, path))
            problem.display = True
            return
        self.dismiss(written)

    def action_cancel(self) -> None:
        self.dismiss(None)


__all__ = ["SaveBodyScreen", "write_private"]
