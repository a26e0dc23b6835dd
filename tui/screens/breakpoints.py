"""Breakpoint dialogs: `BreakpointScreen` adds one (checked as it is typed), `BreakpointsScreen` lists and removes them."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.dom import DOMNode
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tracer.debug.breakpoints import EXAMPLES, SYNTAX
from tracer.debug.client import BreakpointInfo

from ..debugger import DebugSession, check_breakpoint

HINT = (
    f"{SYNTAX}: a filter in the list's language (? lists it), then after @ the event kinds to hold at; "
    "without @ the request is held at its first event.\n"
    + "\n".join(f"  {text:<52} {what}" for text, what in EXAMPLES[:4])
)
"""The syntax and examples the add dialog shows."""

_OWNERS = {"you": "set here", "client": "another viewer's", "process": "the process's own"}


class BreakpointScreen(ModalScreen[str | None]):
    """Asks for a breakpoint; dismissed with its text on Enter once it parses, None on Esc.

    Args:
        value: The text it starts with.
    """

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="breakpoint.cancel", tooltip="Close, setting nothing")]

    DEFAULT_CSS = """
    BreakpointScreen { align: center middle; }
    BreakpointScreen > Vertical {
        width: 110; max-width: 95%; height: auto;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    BreakpointScreen #breakpoint-hint { margin: 1 0; color: $text-muted; }
    BreakpointScreen #breakpoint-error { color: $text-error; height: auto; }
    BreakpointScreen Input.-invalid { border: tall $error; }
    """

    def __init__(self, value: str = "") -> None:
        super().__init__()
        self.value = value

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Add a breakpoint"
            box.border_subtitle = "Enter sets it on every attached process · Esc cancels"
            yield Static(HINT, id="breakpoint-hint", markup=False)
            yield Input(self.value, placeholder="~u /stream @ http.response.body", id="breakpoint-line")
            yield Static("", id="breakpoint-error", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @property
    def error(self) -> str:
        """What the error line says now."""
        return str(self.query_one("#breakpoint-error", Static).content)

    def show_error(self, error: str) -> None:
        """Show why the breakpoint cannot be set ("" clears it)."""
        self.query_one("#breakpoint-error", Static).update(error)
        self.query_one(Input).set_class(bool(error), "-invalid")

    @on(Input.Changed, "#breakpoint-line")
    def _changed(self, event: Input.Changed) -> None:
        # Only a started breakpoint is judged: an empty line is not wrong yet.
        self.show_error(check_breakpoint(event.value) if event.value.strip() else "")

    @on(Input.Submitted, "#breakpoint-line")
    def _submitted(self, event: Input.Submitted) -> None:
        error = check_breakpoint(event.value)
        if error:
            self.show_error(error)
            return
        self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


class BreakpointsScreen(ModalScreen[None]):
    """The breakpoints of every attached process; ``d`` removes the one under the cursor.

    Args:
        session: The debugger session (its breakpoints, and where to remove them).
    """

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="breakpoints.close", tooltip="Back to the list"),
        Binding("d,delete", "remove", "Remove", id="breakpoints.remove",
                tooltip="Remove the breakpoint under the cursor from its process"),
        Binding("a,b", "add", "Add", id="breakpoints.add", tooltip="Add a breakpoint"),
    ]

    DEFAULT_CSS = """
    BreakpointsScreen { align: center middle; }
    BreakpointsScreen > Vertical {
        width: 100; max-width: 95%; height: auto; max-height: 80%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    BreakpointsScreen OptionList { height: auto; max-height: 20; margin: 1 0 0 0; }
    BreakpointsScreen #breakpoints-note { color: $text-muted; margin: 0 0 1 0; }
    """

    def __init__(self, session: DebugSession) -> None:
        super().__init__()
        self.session = session
        self.shown: list[BreakpointInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Breakpoints"
            box.border_subtitle = "d removes · b adds · Esc closes"
            yield OptionList(id="breakpoints-list")
            yield Static("", id="breakpoints-note", markup=False)

    def on_mount(self) -> None:
        self.session.connect(self._refresh)
        self._refresh()
        self.query_one(OptionList).focus()

    def on_unmount(self) -> None:
        self.session.disconnect_receiver(self._refresh)

    def _refresh(self) -> None:
        options = self.query_one(OptionList)
        highlighted = options.highlighted
        self.shown = self.session.all_breakpoints()
        options.clear_options()
        several = len(self.session.connections) > 1
        for bp in self.shown:
            kinds = ", ".join(bp.kinds) if bp.kinds else "first event"
            where = f"  · process {bp.pid}" if several else ""
            options.add_option(Option(f"{bp.text}   ({kinds}; {_OWNERS.get(bp.owner, bp.owner)}{where})"))
        if self.shown:
            options.highlighted = min(highlighted or 0, len(self.shown) - 1)
        note = ""
        if not self.session.connections:
            note = "no live process attached: breakpoints added here are set on processes attached later"
            if self.session.wanted:
                note += ": " + ", ".join(self.session.wanted)
        elif not self.shown:
            note = "no breakpoints: b adds one"
        self.query_one("#breakpoints-note", Static).update(note)

    def action_remove(self) -> None:
        index = self.query_one(OptionList).highlighted
        if index is None or not (0 <= index < len(self.shown)):
            return
        bp = self.shown[index]
        try:
            self.session.remove_breakpoint(bp)
        except Exception as exc:  # noqa: BLE001 - a process that went away: say so, keep the dialog
            self.notify(f"cannot remove {bp.text!r}: {exc}", title="breakpoint", severity="error", markup=False)
            return
        self.notify(f"removed {bp.text!r}", title="breakpoint", markup=False)
        self._refresh()

    def action_add(self) -> None:
        def chosen(text: str | None) -> None:
            if text:
                add_breakpoint(self, self.session, text)

        self.app.push_screen(BreakpointScreen(), chosen)

    def action_close(self) -> None:
        self.dismiss(None)


def add_breakpoint(screen: DOMNode, session: DebugSession, text: str) -> None:
    """Set `text` on every attached process and say how it went (one line per process that refused it)."""
    errors = session.add_breakpoint(text)
    for error in errors:
        screen.notify(error, title="breakpoint", severity="error", markup=False)
    count = len(session.connections)
    if not errors:
        where = (f"on {count} process{'es' if count != 1 else ''}" if count
                 else "for processes attached later (none is live now)")
        screen.notify(f"{text!r} set {where}", title="breakpoint", markup=False)


__all__ = ["HINT", "BreakpointScreen", "BreakpointsScreen", "add_breakpoint"]
