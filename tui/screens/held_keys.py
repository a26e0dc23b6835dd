"""`HeldKeys`: the keys that let a held request go on, for any screen that shows one.

``n`` lets the held event go on and holds the request again at its next
protocol event, ``c`` lets it run to its end, ``C`` lets every held request
go, ``e`` edits the held message in a dialog and ``E`` in ``$EDITOR``, ``d``
answers a held ``receive()`` with a disconnect. A screen using them says
which request it shows (`held`) and where the debugger is (`debug`); the
keys show in its footer only while that request is held.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from typing import Any

from textual.app import SuspendNotSupported
from textual.binding import Binding
from textual.screen import Screen

from tracer.debug.client import Held
from tracer.errors import TracerError

from ..debugger import DebugSession, changes_from, edit_text
from .edit_held import EditHeldScreen

HELD_BINDINGS = [
    Binding("n", "next", "Next event", id="held.next",
            tooltip="Let the held event go on and hold the request again at its next protocol event"),
    Binding("c", "continue", "Continue", id="held.continue", tooltip="Let it go on and run to its end"),
    Binding("C", "continue_all", "Continue all", id="held.continue_all",
            tooltip="Let every held request of every attached process run to its end"),
    Binding("e", "edit", "Edit", id="held.edit", tooltip="Change the held message before it goes on"),
    Binding("E", "edit_external", "Edit in $EDITOR", id="held.edit_external", show=False,
            tooltip="Change the held message in $EDITOR, as JSON"),
    Binding("d", "disconnect", "Disconnect", id="held.disconnect",
            tooltip="Answer the held receive() with a disconnect, as if the client went away"),
]
"""The held request's keys (the help lists them under the held request)."""

HELD_ACTIONS = frozenset(("next", "continue", "continue_all", "edit", "edit_external", "disconnect"))



def continue_all(screen: Screen[Any], debug: DebugSession) -> None:
    """Let every held request of every attached process run to its end, and say how many went on."""
    try:
        count = debug.continue_all()
    except TracerError as exc:
        screen.notify(str(exc), title="continue all", severity="error", markup=False)
        return
    screen.notify(f"{count} held request{'s' if count != 1 else ''} went on", title="continue all")

class HeldKeys(Screen[None]):
    """A screen that shows one request which the debugger may hold, with the keys to let it go.

    Subclasses set `debug` (None: no debugger) and keep `held` up to date.
    """

    BINDINGS = HELD_BINDINGS

    debug: DebugSession | None = None
    """The debugger session: what is held, and the actions."""
    held: Held | None = None
    """The held event of the request shown (None while it runs)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action not in HELD_ACTIONS:
            return True
        held = self.held
        if held is None or self.debug is None:
            return False  # The keys are for the request on screen, while it is held.
        if action in ("edit", "edit_external"):
            return bool(held.editable)
        if action == "disconnect":
            return held.can_disconnect
        return True

    def _act(self, name: str) -> None:
        held, debug = self.held, self.debug
        if held is None or debug is None:
            self.notify("the request is not held", title=name.rstrip("_"), severity="warning")
            return
        try:
            getattr(debug, name)(held)
        except TracerError as exc:
            self.notify(str(exc), title=name.rstrip("_"), severity="error", markup=False)

    def action_next(self) -> None:
        self._act("next")

    def action_continue(self) -> None:
        self._act("continue_")

    def action_disconnect(self) -> None:
        self._act("disconnect")

    def action_continue_all(self) -> None:
        if self.debug is not None:
            continue_all(self, self.debug)

    def action_edit(self) -> None:
        held, debug = self.held, self.debug
        if held is None or debug is None:
            return

        def apply(changes: dict[str, Any]) -> None:
            # Raises TracerError for the dialog to show.
            debug.edit(held, changes)

        self.app.push_screen(EditHeldScreen(held, apply))

    def action_edit_external(self) -> None:
        held, debug = self.held, self.debug
        if held is None or debug is None:
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as out:
            out.write(edit_text(held) + "\n")
            name = out.name
        try:
            text = self._run_editor(editor, name)
        except OSError as exc:
            self.notify(f"cannot run {editor!r}: {exc}", title="edit", severity="error", markup=False)
            return
        finally:
            os.unlink(name)
        if text is None:
            return
        try:
            changes = changes_from(held, text)
            if changes:
                debug.edit(held, changes)
        except (ValueError, TracerError) as exc:
            self.notify(str(exc), title="edit", severity="error", markup=False)
            return
        self.notify("edited" if changes else "nothing changed", title="edit")

    def _run_editor(self, editor: str, name: str) -> str | None:
        """Run `editor` on the file `name` with the terminal handed over; its text after, or None if it cannot run here."""
        command = [*shlex.split(editor), name]
        try:
            with self.app.suspend():
                subprocess.call(command)
        except SuspendNotSupported:
            if not self.app.is_headless:
                # In a browser tab there is no terminal to hand over.
                self.notify("an editor needs the terminal: e edits here", title="edit", severity="warning")
                return None
            subprocess.call(command, stdin=subprocess.DEVNULL)  # No terminal at all: a script edits the file.
        with open(name, encoding="utf-8") as edited:
            return edited.read()


__all__ = ["HELD_ACTIONS", "HELD_BINDINGS", "HeldKeys", "continue_all"]
