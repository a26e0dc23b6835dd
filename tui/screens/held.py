"""`HeldScreen`: a request held in the debugger, live: its steps so far, the held one, its payload, and the keys that let it go.

The held event is not in the trace file until it goes on, so the screen
shows the steps the file has, then the held step from the debugger
(`tracer.debug.client.Held`). After ``n`` the request stops at its next
event and the screen follows it there; after ``c`` it shows the request
running on.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import time
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static

from tracer.debug.client import Held
from tracer.errors import TracerError
from tracer.model import Event

from .. import format as fmt
from ..debugger import HELD_MARK, DebugSession, changes_from, edit_text, where
from ..listmodel import RequestList
from .edit_held import EditHeldScreen

BODY_PREVIEW = 4000
"""Characters of a held body shown."""
TICK = 0.5
"""Seconds between redraws of the held time and the time left."""


class HeldScreen(Screen[None]):
    """One request held in the debugger (or that was, until it goes on to its end).

    Args:
        session: The debugger session: what is held, and the actions.
        requests: The list model, to read the steps the file has so far.
        trace: The request's trace id.
        title: The request as the list shows it (``GET /stream``).
    """

    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="held.back", tooltip="Back to the list (the request stays held)"),
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

    DEFAULT_CSS = """
    HeldScreen #held-title { height: auto; padding: 0 1; background: $warning-muted; color: $text; text-style: bold; }
    HeldScreen #held-title.-running { background: $boost; text-style: none; }
    HeldScreen #held-time { height: 1; padding: 0 1; color: $text-muted; }
    HeldScreen #held-main { height: 1fr; }
    HeldScreen #held-steps { width: 2fr; min-width: 30; border: round $border; padding: 0 1; }
    HeldScreen #held-payload { width: 3fr; border: round $border; padding: 0 1; }
    HeldScreen #held-fields { height: auto; }
    HeldScreen #held-headers { height: auto; max-height: 14; margin: 1 0 0 0; }
    HeldScreen #held-body { height: auto; margin: 1 0 0 0; }
    """

    def __init__(self, session: DebugSession, requests: RequestList, trace: str, title: str = "") -> None:
        super().__init__()
        self.session = session
        self.requests = requests
        self.trace_id = trace
        self.title_text = title
        self.held: Held | None = session.held_for(trace)
        """The held event shown (None once the request runs on)."""
        self._shown: tuple[Any, ...] = ()

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="held-title", markup=False)
        yield Static(id="held-time", markup=False)
        with Horizontal(id="held-main"):
            with VerticalScroll(id="held-steps") as steps:
                steps.border_title = "steps"
                yield Static(id="held-step-list")
            with VerticalScroll(id="held-payload") as payload:
                payload.border_title = "held payload"
                yield Static(id="held-fields", markup=False)
                yield DataTable(id="held-headers", show_cursor=False, zebra_stripes=True)
                yield Static(id="held-body", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.session.connect(self._refresh)
        self._refresh()
        self.set_interval(TICK, self._tick)

    def on_unmount(self) -> None:
        self.session.disconnect_receiver(self._refresh)

    # Drawing

    def _refresh(self) -> None:
        held = self.session.held_for(self.trace_id)
        self.held = held
        if held is not None and held.title:
            self.title_text = held.title
        self.sub_title = self.title_text
        key = (held.hold, held.data, held.original) if held is not None else ("released", self.session.released.get(self.trace_id))
        title = self.query_one("#held-title", Static)
        if held is None:
            how = self.session.released.get(self.trace_id, "")
            title.update(f"{self.title_text}: not held{f' (it went on: {how})' if how else ''}")
            title.add_class("-running")
        else:
            caught = "after n" if held.reason == "next" else f"by {held.reason!r}"
            edited = " · edited" if held.edited else ""
            title.update(f"{HELD_MARK} {held.title}: held at {where(held)} (step {held.seq}), {caught}{edited}")
            title.remove_class("-running")
        self._draw_steps(held)
        if key != self._shown:
            self._shown = key
            self._draw_payload(held)
        self._tick()
        self.refresh_bindings()

    def _tick(self) -> None:
        held = self.held
        line = self.query_one("#held-time", Static)
        if held is None:
            line.update("n, c, e and d act on a held request; Esc goes back to the list")
        else:
            left = max(0.0, held.deadline - time.time())
            line.update(f"held for {held.held_for:.1f} s · goes on by itself in {left:.0f} s · process {held.pid}")
        self._draw_steps(held)  # The file gains the steps as they go on.

    def _events(self) -> list[Event]:
        summary = self.requests.find(self.trace_id)
        if summary is None:
            return []
        try:
            trace, _ = self.requests.trace(summary)
        except Exception:  # noqa: BLE001 - a trace being written may be cut short; show what there is
            return []
        return list(trace.events)

    def _draw_steps(self, held: Held | None) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        events = self._events()
        for event in events:
            text.append(f"{event.seq:>3}  {_step(event.kind, event.data)}\n")
        if held is not None:
            text.append(f"{held.seq:>3}  {HELD_MARK} {held.summary or held.kind}", style="bold reverse")
        elif not events:
            text.append("no steps in the file yet", style="dim")
        self.query_one("#held-step-list", Static).update(text)

    def _draw_payload(self, held: Held | None) -> None:
        fields = self.query_one("#held-fields", Static)
        table = self.query_one("#held-headers", DataTable)
        body = self.query_one("#held-body", Static)
        table.clear(columns=True)
        if held is None:
            fields.update("")
            table.display = False
            body.update("")
            return
        source: dict[str, Any] = held.message if held.message is not None else held.data
        lines = [f"kind: {held.kind}"]
        for name, value in source.items():
            if name in ("headers", "body", "bytes", "text", "data") or isinstance(value, (dict, list)):
                continue
            lines.append(f"{name}: {value}")
        if held.editable:
            lines.append(f"e edits: {', '.join(n for n in held.editable if n != 'message')}")
        if held.can_disconnect:
            lines.append("d answers this receive() with a disconnect")
        fields.update("\n".join(lines))
        headers = source.get("headers")
        if isinstance(headers, (list, tuple)) and headers:
            table.add_columns("header", "value")
            for pair in headers:
                if isinstance(pair, (list, tuple)) and len(pair) == 2:
                    table.add_row(fmt.line(_text(pair[0])), fmt.line(_text(pair[1])))
            table.display = True
        else:
            table.display = False
        payload = next((source[name] for name in ("body", "bytes", "text", "data") if source.get(name) is not None), None)
        if isinstance(payload, (bytes, bytearray, str)):
            size = len(payload)
            shown = _text(payload)
            cut = len(shown) > BODY_PREVIEW
            body.update(f"body ({size} B{', more_body' if source.get('more_body') else ''}):\n"
                        + shown[:BODY_PREVIEW] + ("…" if cut else ""))
        elif isinstance(payload, list):
            body.update("lines:\n" + "\n".join(_text(line) for line in payload))
        else:
            body.update("")

    # Keys

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        held = self.held
        if action in ("next", "continue"):
            return held is not None
        if action in ("edit", "edit_external"):
            return held is not None and bool(held.editable)
        if action == "disconnect":
            return held is not None and held.can_disconnect
        if action == "continue_all":
            return bool(self.session.held)
        return True

    def _act(self, name: str) -> None:
        held = self.held
        if held is None:
            self.notify("the request is not held", title=name, severity="warning")
            return
        try:
            getattr(self.session, name)(held)
        except TracerError as exc:
            self.notify(str(exc), title=name.rstrip("_"), severity="error", markup=False)

    def action_next(self) -> None:
        self._act("next")

    def action_continue(self) -> None:
        self._act("continue_")

    def action_disconnect(self) -> None:
        self._act("disconnect")

    def action_continue_all(self) -> None:
        try:
            count = self.session.continue_all()
        except TracerError as exc:
            self.notify(str(exc), title="continue all", severity="error", markup=False)
            return
        self.notify(f"{count} held request{'s' if count != 1 else ''} went on", title="continue all")

    def action_edit(self) -> None:
        held = self.held
        if held is None:
            return
        self.app.push_screen(EditHeldScreen(held, lambda changes: self._edit(held, changes)))

    def _edit(self, held: Held, changes: dict[str, Any]) -> None:
        """Apply an edit; raises `TracerError` for the dialog to show."""
        self.session.edit(held, changes)

    def action_edit_external(self) -> None:
        held = self.held
        if held is None:
            return
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as out:
            out.write(edit_text(held) + "\n")
            name = out.name
        try:
            with self.app.suspend():
                subprocess.call([*shlex.split(editor), name])
            with open(name, encoding="utf-8") as edited:
                text = edited.read()
        except OSError as exc:
            self.notify(f"cannot run {editor!r}: {exc}", title="edit", severity="error", markup=False)
            return
        finally:
            os.unlink(name)
        try:
            changes = changes_from(held, text)
            if changes:
                self.session.edit(held, changes)
        except (ValueError, TracerError) as exc:
            self.notify(str(exc), title="edit", severity="error", markup=False)
            return
        self.notify("edited" if changes else "nothing changed", title="edit")

    def action_back(self) -> None:
        self.dismiss(None)


def _text(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).decode("utf-8", errors="replace")
    return str(value)


def _step(kind: str, data: Any) -> str:
    """One short line for a recorded step: its kind, and the message type of an ASGI message."""
    if isinstance(data, dict):
        message = data.get("message")
        if isinstance(message, dict) and isinstance(message.get("type"), str):
            return f"{kind} {message['type']}"
        if kind == "wsgi.start_response" and "status" in data:
            return f"{kind} {data['status']}"
    return kind


__all__ = ["HeldScreen"]

