"""`HeldReplay`: the replay's side of the debugger: a request held while it is replayed.

While the request on screen is held, its held step follows the file's
steps (`tui.held_steps.HeldSteps`), the cursor goes to it, a line above the
diagram says where it is held, for how long and what caught it, and the
held request's keys work (`HeldKeys`). When it goes on, the cursor stays on
the step it became in the file; when it is held again, the cursor follows.
`ReplayScreen` is one: it calls `follow_debugger` once mounted.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from textual.timer import Timer
from textual.widgets import Static

from tracer.debug.client import Held

from ..debugger import HELD_MARK, DebugSession, where
from .held_keys import HeldKeys

if TYPE_CHECKING:
    from tracer.summary import TraceSummary

    from ..held_steps import HeldSteps
    from ..steps import Steps
    from ..widgets.sequence_diagram import SequenceDiagram

HELD_TICK = 0.5
"""Seconds between redraws of how long a held step has been held."""


class HeldReplay(HeldKeys):
    """What a replay does about the debugger (the replay itself provides the steps, the diagram and the cursor).

    Args:
        debug: The debugger session; by default the app's (``app.debugger``), if it has one.
    """

    DEFAULT_CSS = """
    HeldReplay #replay-held { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    HeldReplay #replay-held.-held { background: $warning-muted; color: $text; text-style: bold; }
    """

    # The replay's.
    summary: TraceSummary
    steps: Steps
    view: HeldSteps
    _shown: int | None

    def __init__(self, debug: DebugSession | None = None) -> None:
        super().__init__()
        self.debug = debug
        self.held: Held | None = None
        self._held_timer: Timer | None = None
        self._follow_seq: int | None = None
        """The seq the cursor goes to when it is drawn: the held step's, kept as it goes on."""

    if TYPE_CHECKING:  # The replay's, which these methods use.

        @property
        def diagram(self) -> SequenceDiagram: ...

        @property
        def step(self) -> int: ...

        def _go(self, step: int) -> None: ...

        def _grew(self, before: int, held: int | None = None) -> None: ...

        def _show_step(self, step: int) -> None: ...

        def _update_title(self) -> None: ...

    def follow_debugger(self, *, live: bool) -> None:
        """Find the debugger and, for a request still `live`, follow what it holds of it."""
        if self.debug is None:
            debug = getattr(self.app, "debugger", None)
            self.debug = debug if isinstance(debug, DebugSession) else None
        self.query_one("#replay-held", Static).display = False
        if self.debug is not None and live:
            self.debug.connect(self._debug_changed)
            self._debug_changed()

    def unfollow_debugger(self) -> None:
        """Stop following the debugger (the screen goes)."""
        if self.debug is not None:
            self.debug.disconnect_receiver(self._debug_changed)

    def _debug_changed(self) -> None:
        """The debugger's state changed: draw this request's held step, if it is held, and follow it."""
        debug = self.debug
        held = debug.held_for(self.summary.id) if debug is not None else None
        if held == self.held:
            return
        new_hold = held is not None and (self.held is None or held.hold != self.held.hold)
        self.held = held
        before, was_at = self.view.count, self.view.held_step
        self.view.hold(held)
        if held is not None and self._held_timer is None:
            self._held_timer = self.set_interval(HELD_TICK, self._show_held)
        if new_hold:
            assert held is not None
            self._follow_seq = held.seq
        self._grew(before, was_at)
        if self._shown is not None and self._shown == self.view.held_step:
            self._show_step(self._shown)  # An edit: the payload beside it changed.
        elif self.step >= self.view.count:
            self._go(self.view.count - 1)
        self._show_held()
        self.refresh_bindings()

    def _follow_held(self) -> None:
        """Put the cursor on the held step, or on the step it became in the file once it went on."""
        seq = self._follow_seq
        view = self.view
        if seq is None or not view.count:
            return
        held_step = view.held_step
        if held_step is not None and view.row(held_step).seq == seq:
            step: int | None = held_step
        else:
            step = view.index_of(seq) if view.steps.count else None
        if step is None:
            return
        if self.held is None:
            self._follow_seq = None  # It went on and the file has it: the cursor stays there.
        if step != self.step or self._shown != step:
            self._go(step)

    def _show_held(self) -> None:
        """The line over the diagram: where the request is held, since when, until when; or how it went on."""
        line = self.query_one("#replay-held", Static)
        held = self.held
        if held is None:
            if not line.display:
                return  # Never held while on screen: no line.
            how = self.debug.released.get(self.summary.id, "") if self.debug is not None else ""
            line.update(f"not held: it went on{f' ({how})' if how else ''}", layout=False)
            line.remove_class("-held")
            if self.steps.complete:
                self._held_timer.stop()  # It ended: nothing left to count.
                self._held_timer = None
        else:
            # The breakpoint's text may be long: it goes last.
            caught = "after n" if held.reason == "next" else f"caught by {held.reason!r}"
            edited = " (edited)" if held.edited else ""
            left = max(0.0, held.deadline - time.time())
            line.update(
                f"{HELD_MARK} held at {where(held)} (step {held.seq}) for {held.held_for:.1f} s{edited}, "
                f"goes on by itself in {left:.0f} s · process {held.pid} · {caught}",
                layout=False,  # One line high (its CSS): counting the seconds lays out nothing.
            )
            line.add_class("-held")
        if not line.display:
            line.display = True
        self._update_title()


__all__ = ["HELD_TICK", "HeldReplay"]
