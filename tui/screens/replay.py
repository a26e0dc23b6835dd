"""`ReplayScreen`: one trace as a sequence diagram, stepped or played, with the step's payload."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static

from tracer.checks import Finding
from tracer.model import END_KINDS, Trace

from .. import format as fmt
from ..exchange import Exchange
from tracer.summary import TraceSummary
from ..messages import StepSelected
from ..widgets.sequence_diagram import SequenceDiagram
from ..widgets.step_detail import StepDetail

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)
MIN_STEP_SECONDS = 0.3
"""At 1x each step shows for at least this long: real gaps are often microseconds."""
MAX_GAP_SECONDS = 5.0
"""Longer pauses (an idle websocket) are shortened to this."""


class ReplayScreen(Screen[None]):
    """Replays one trace: a cursor steps through its events in the sequence diagram."""

    BINDINGS = [
        # Priority: these step the cursor even where the focused pane would scroll.
        Binding("right,j,l", "step(1)", "Next", key_display="→", id="replay.next", tooltip="Next step (→, j)",
                priority=True),
        Binding("left,k,h", "step(-1)", "Previous", key_display="←", id="replay.previous",
                tooltip="Previous step (←, k)", priority=True),
        Binding("home,g", "first", "First", id="replay.first", tooltip="First step", show=False, priority=True),
        Binding("end,G", "last", "Last", id="replay.last", tooltip="Last step", show=False, priority=True),
        Binding("space", "play", "Play/pause", id="replay.play", tooltip="Play the steps at recorded speed"),
        Binding("plus,equals_sign,right_square_bracket", "speed(1)", "Faster", id="replay.faster",
                tooltip="Play faster"),
        Binding("minus,left_square_bracket", "speed(-1)", "Slower", id="replay.slower", tooltip="Play slower"),
        Binding("escape,backspace,q", "back", "Back", id="replay.back", tooltip="Back to the request list"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    """Below 110 cells the step detail goes under the diagram instead of beside it."""

    playing: reactive[bool] = reactive(False, init=False)
    speed: reactive[float] = reactive(1.0, init=False)

    def __init__(self, summary: TraceSummary, trace: Trace, findings: list[Finding]) -> None:
        super().__init__()
        self.summary = summary
        self.trace = trace
        self.findings = findings
        self.exchange = Exchange.of(trace)
        self._timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="replay-title")
        with Horizontal(id="replay-body"):
            yield SequenceDiagram(self.trace, self.findings, id="diagram")
            yield StepDetail(id="detail")
        yield Static(id="replay-status")
        yield Footer()

    def on_mount(self) -> None:
        self.diagram.focus()
        self._update_title()
        self._show_step(0)

    @property
    def diagram(self) -> SequenceDiagram:
        """The sequence diagram."""
        return self.query_one(SequenceDiagram)

    @property
    def step(self) -> int:
        """The step under the cursor."""
        return self.diagram.cursor

    def reload(self, trace: Trace, findings: list[Finding]) -> None:
        """Show the trace again after it gained events (a live file); the cursor stays."""
        self.trace = trace
        self.findings = findings
        self.exchange = Exchange.of(trace)
        self.diagram.set_trace(trace, findings)
        self._update_title()
        self._show_step(self.step)
        if self.playing and self._timer is None:
            self._schedule()

    # Stepping

    def action_step(self, delta: int) -> None:
        self.diagram.cursor = self.step + delta

    def action_first(self) -> None:
        self.diagram.cursor = 0

    def action_last(self) -> None:
        self.diagram.cursor = self.diagram.steps - 1

    def action_back(self) -> None:
        self.playing = False
        self.dismiss()

    def on_step_selected(self, message: StepSelected) -> None:
        self._show_step(message.step)

    def _show_step(self, step: int) -> None:
        events = self.trace.events
        if not events:
            return
        step = max(0, min(step, len(events) - 1))
        event = events[step]
        findings = [f for f in self.findings if f.seq == event.seq]
        exchange = self.exchange  # Added up once per trace, not per step: a trace may have 100,000 events.
        self.query_one(StepDetail).show(
            event,
            findings,
            request_type=exchange.request_type,
            response_type=exchange.response_type,
            totals=exchange.rows() if event.kind in END_KINDS and self.trace.scope_type != "lifespan" else None,
        )
        self._update_status()

    # Playing

    def action_play(self) -> None:
        if not self.playing and self.step >= self.diagram.steps - 1:
            self.diagram.cursor = 0
        self.playing = not self.playing

    def action_speed(self, direction: int) -> None:
        index = SPEEDS.index(self.speed) if self.speed in SPEEDS else SPEEDS.index(1.0)
        self.speed = SPEEDS[max(0, min(index + direction, len(SPEEDS) - 1))]

    def watch_playing(self, playing: bool) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        if playing:
            self._schedule()
        self._update_status()

    def watch_speed(self) -> None:
        self._update_status()

    def delay_before(self, step: int) -> float:
        """Seconds to wait before showing `step` while playing."""
        events = self.trace.events
        gap = (events[step].t_ns - events[step - 1].t_ns) / 1e9 if 0 < step < len(events) else 0.0
        return max(min(gap, MAX_GAP_SECONDS) / self.speed, MIN_STEP_SECONDS / self.speed)

    def _schedule(self) -> None:
        nxt = self.step + 1
        if nxt >= self.diagram.steps:
            if not self.trace.complete and getattr(self.app, "live", False):
                return  # Keep playing: `reload` goes on when the next event arrives.
            self.playing = False
            return
        self._timer = self.set_timer(self.delay_before(nxt), self._advance)

    def _advance(self) -> None:
        self._timer = None
        if not self.playing:
            return
        self.diagram.cursor = self.step + 1
        self._schedule()

    # Text

    def _update_title(self) -> None:
        s = self.summary
        trace = self.trace
        what = "lifespan" if s.scope_type == "lifespan" else s.title
        status = s.status
        state = "" if trace.complete else "  [$text-warning]in progress[/]"
        errors = "  [$text-error]app raised[/]" if trace.error else ""
        count = len(self.findings)
        severities = {finding.severity for finding in self.findings}
        # Coloured by the worst: an info note is not an error.
        color = "$text-error" if "error" in severities else "$text-warning" if "warning" in severities else "$text-muted"
        marks = f"  [{color}]{count} finding{'s' if count != 1 else ''}[/]" if count else ""
        answer = "" if s.scope_type == "lifespan" else f" → {status if status is not None else 'no response'}"
        if s.close_code is not None:
            answer += f", closed {s.close_code}"
        self.query_one("#replay-title", Static).update(
            f"[b]{fmt.markup(fmt.line(what))}[/b]{answer}  ·  {s.protocol.upper()} {s.scope_type}"
            f"  ·  {fmt.duration(trace.duration_ns)}  ·  {len(trace.events)} events  ·  trace {fmt.markup(fmt.line(s.id))}"
            f"{state}{errors}{marks}"
        )

    def _update_status(self) -> None:
        events = self.trace.events
        if not events:
            self.query_one("#replay-status", Static).update("no events")
            return
        step = min(self.step, len(events) - 1)
        event = events[step]
        mode = "▶ playing" if self.playing else "❚❚ paused"
        self.query_one("#replay-status", Static).update(
            f"step {step + 1}/{len(events)} · {fmt.markup(fmt.line(event.kind))} · {fmt.offset(event.t_ns)} · {mode} at {self.speed:g}×"
        )

