"""`ReplayScreen`: one trace as a sequence diagram, stepped or played, with the step's payload.

The screen reads only what it shows: a step's event is read from the file
and decoded when it comes on screen (`tui.steps`), the protocol checks run
in a worker thread and mark their findings when they arrive, another worker
follows the steps through the protocol's state machine for the state panel
(`tui.step_states`), and a trace still being written gains its new steps in
place (the screen looks at the index's spans ten times a second).

A request the debugger holds (`tui.debugger.DebugSession`) is replayed live:
after the file's steps comes the held one (`tui.held_steps.HeldSteps`),
marked and highlighted, the cursor on it and its payload beside it, a line
above the diagram says where and how long it is held, and the held
request's keys (`HeldKeys`: ``n``, ``c``, ``e``, ``d``...) let it go on.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Footer, Header, Static

from tracer.checks import Finding, check_trace
from tracer.checks.incremental import TraceCheck
from tracer.model import END_KINDS, Trace
from tracer.summary import TraceSummary

from .. import format as fmt
from ..debugger import HELD_MARK, DebugSession
from ..exchange import Exchange
from ..held_steps import HeldSteps
from ..listmodel import check_trace as check_trace_when_called
from ..messages import StepSelected
from ..step_states import StateBatch, StateTimeline, StateWalk, follow_batches, held_state
from ..steps import LineReader, Steps
from ..widgets.sequence_diagram import SequenceDiagram
from ..widgets.state_panel import StatePanel
from ..widgets.step_detail import StepDetail
from .held_replay import HeldReplay

SPEEDS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 10.0)
MIN_STEP_SECONDS = 0.3
"""At 1x each step shows for at least this long: real gaps are often microseconds."""
MAX_GAP_SECONDS = 5.0
"""Longer pauses (an idle websocket) are shortened to this."""
POLL_SECONDS = 0.1
"""How often a trace still in progress is looked at for new steps."""
RECHECK_SECONDS = 2.0
"""While a trace grows, the protocol checks look at its new steps at most this often (each step is checked once)."""
STATES_AT_ONCE = 200
"""Up to this many new steps are followed through the state machine on the UI thread (a millisecond or two);
more go to a worker, and the panel says it is working until their states arrive."""


def _takes_live(checker: Callable[..., object]) -> bool:
    """Whether `checker` takes ``live=`` (`check_trace` does: a trace still being written is not incomplete)."""
    try:
        return "live" in inspect.signature(checker).parameters
    except (TypeError, ValueError):
        return False


class ReplayScreen(HeldReplay):
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
        Binding("s", "toggle_states", "State", id="replay.states",
                tooltip="Show or hide the protocol state: the state machine, what the app may do next, the framing"),
        Binding("i", "toggle_spec", "Spec", id="replay.spec",
                tooltip="Show or hide the spec behind the step and its findings (PEP 3333, ASGI), with links"),
        Binding("escape,backspace,q", "back", "Back", id="replay.back", tooltip="Back to the request list"),
        # The step detail's own keys, from wherever the focus is.
        Binding("v", "body('pager')", "Pager", id="replay.pager", show=False,
                tooltip="Open the step's body in $PAGER (decoded, unless shown as sent)"),
        Binding("w", "body('save_body')", "Save body", id="replay.save-body", show=False,
                tooltip="Save the step's body to a file, readable by you only"),
        Binding("m", "body('toggle_raw')", "Decoded/as sent", id="replay.raw", show=False,
                tooltip="Show a body decoded (gzip, deflate, br) and a form as its fields, or as sent"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    """Below 110 cells the step detail goes under the diagram instead of beside it."""

    playing: reactive[bool] = reactive(False, init=False)
    speed: reactive[float] = reactive(1.0, init=False)

    @dataclass
    class Checked(Message):
        """The protocol checks ran over the first `steps` steps."""

        findings: list[Finding]
        steps: int

    @dataclass
    class StatesFollowed(Message):
        """The states worker followed the steps of `batch`; `done` when it has stopped."""

        batch: StateBatch
        done: bool

    def __init__(
        self, summary: TraceSummary, trace: Trace | None = None, findings: list[Finding] | None = None,
        debug: DebugSession | None = None,
    ) -> None:
        """Replay the trace `summary` describes.

        Args:
            summary: The trace's summary in the app's index: its spans say where
                the events are, and it keeps growing while the trace is written.
            trace: The decoded trace, needed only when there is no file to read
                (without spans); otherwise the events are read as they are shown.
            findings: The protocol findings, if already known; otherwise the
                checks run in a worker once the screen is up.
            debug: The debugger session; by default the app's (``app.debugger``), if it has one.
        """
        super().__init__(debug)
        self.summary = summary
        self.findings: list[Finding] = list(findings or [])
        self.checked = findings is not None
        """Whether the findings are in (they may lag behind a growing trace)."""
        self._given = trace
        self._by_seq: dict[int, list[Finding]] = {}
        self._index_findings()
        self._timer: Timer | None = None
        self._shown: int | None = None
        self._poller: Timer | None = None
        self._reader: LineReader | None = None
        self._checking = False
        self._recheck: Timer | None = None
        self._checked_steps = 0
        """Steps the findings are about."""
        self._incremental: TraceCheck | None = None
        """The checks kept between runs, fed only new steps (`check_trace`'s, of a trace read from the file)."""
        self._fed = 0
        """Steps `_incremental` has been fed."""
        self._whole_only = False
        """Only a check of the whole trace can judge it (`TraceCheck.whole`): no more incremental runs."""
        self._walk: StateWalk | None = None
        self.timeline: StateTimeline | None = None
        """The protocol state after each step followed so far (None for a protocol no machine describes)."""
        self._following = False
        self._check_waits = False
        """The checks wait for the states worker to finish."""

    def compose(self) -> ComposeResult:
        index = getattr(self.app, "index", None)
        if self.summary.spans and index is not None:
            self._reader = LineReader(index.path)
        events = self._given.events if self._given is not None else None
        self.steps = Steps(self.summary, self._reader, events)
        self.view = HeldSteps(self.steps)
        """What the diagram draws: the file's steps, then the held one."""
        if self.checked:
            self._checked_steps = self.steps.count
        self.exchange = Exchange.of(self.summary)
        yield Header()
        yield Static(id="replay-title")
        yield Static(id="replay-held", markup=False)
        self._walk = StateWalk(self.summary.protocol, self.summary.scope_type)
        machine = self._walk.machine
        self.timeline = StateTimeline(machine) if machine is not None else None
        with Horizontal(id="replay-body"):
            yield SequenceDiagram(self.view, self.findings, id="diagram")
            with Vertical(id="replay-side"):
                yield StepDetail(id="detail")
                yield StatePanel(machine, id="states")
        yield Static(id="replay-status")
        yield Footer()

    def on_mount(self) -> None:
        self.diagram.focus()
        self._update_title()
        self._follow_states()
        self._show_step(0)
        if not self.steps.complete:
            self._poller = self.set_interval(POLL_SECONDS, self._poll)
        if not self.checked:
            # After the first paint: the screen shows before the checks take the CPU.
            self.call_after_refresh(self._check)
        self.follow_debugger(live=not self.steps.complete)

    def on_unmount(self) -> None:
        self.unfollow_debugger()
        if self._reader is not None:
            self._reader.close()

    @property
    def diagram(self) -> SequenceDiagram:
        """The sequence diagram."""
        return self.query_one(SequenceDiagram)

    @property
    def states_panel(self) -> StatePanel:
        """The protocol state panel."""
        return self.query_one(StatePanel)

    @property
    def step(self) -> int:
        """The step under the cursor."""
        return self.diagram.cursor

    @property
    def checker(self) -> Callable[[Trace], list[Finding]]:
        """The protocol checks the app runs (its request list's), `check_trace` by default."""
        app = self.app
        for owner in (getattr(app, "requests", None), app):
            checker = getattr(owner, "checker", None)
            if callable(checker):
                return checker
        return check_trace

    def reload(self, trace: Trace, findings: list[Finding]) -> None:
        """Take the findings of the trace as it now is (and its events, when there is no file); the cursor stays."""
        before = self.steps.count
        self.steps.take(trace.events)
        self._set_findings(findings, self.steps.count)
        self._grew(before)

    # A trace in progress

    def _poll(self) -> None:
        if self._given is None:
            self._adopt()
        before, held = self.view.count, self.view.held_step
        if self.steps.grow():
            self._grew(before, held)

    def _adopt(self) -> None:
        """Take the list's newest summary of this trace, if it has more lines than the one shown.

        The index never changes a summary it handed out (a grown trace comes as
        a new one, which the list copies into its own), and a request shown
        before the file had a line of it (held at its first event) has none.
        """
        requests = getattr(self.app, "requests", None)
        found = requests.find(self.summary.id) if requests is not None else None
        if found is None or found is self.summary or len(found.spans) <= len(self.summary.spans):
            return
        self.summary = found
        if self.steps.reader is not None:
            self.steps.summary = found  # `grow` takes its new lines.
            return
        index = getattr(self.app, "index", None)
        if index is None:
            return
        if self._reader is None:
            self._reader = LineReader(index.path)
        before, held = self.view.count, self.view.held_step
        self.steps = Steps(found, self._reader)
        self.view.steps = self.steps
        self._grew(before, held)

    def _grew(self, before: int, held: int | None = None) -> None:
        """The trace gained steps: draw them, without rebuilding what is on screen.

        Args:
            before: Steps drawn before.
            held: Where the held step was drawn, if it was: it may have moved or become the file's.
        """
        self.exchange = Exchange.of(self.summary)
        if held is not None or self.view.held_step is not None:
            self.diagram.held_changed()
        else:
            self.diagram.grew(before)
        self._follow_held()
        self._update_title()
        self._update_status()
        if self.steps.complete and self._poller is not None:
            self._poller.stop()
            self._poller = None
        if self.playing and self._timer is None:
            self._schedule()
        self._check_soon()
        self._follow_states()

    # Protocol checks

    def _check_soon(self) -> None:
        """Check the new steps too: now if the trace is complete, else at most every `RECHECK_SECONDS`."""
        if self._checking:
            return
        if self.steps.complete:
            if self._recheck is not None:
                self._recheck.stop()
            self._check()
        elif self._recheck is None:
            self._recheck = self.set_timer(RECHECK_SECONDS, self._check)

    def _check(self) -> None:
        self._recheck = None
        if self._checking or (self.checked and self._checked_steps >= self.steps.count):
            return
        if self._following:
            # One worker at a time leaves the UI thread more of the GIL; the states come first, at the cursor.
            self._check_waits = True
            return
        self._checking = True
        self._run_checks(self.steps.count, self.checker)

    @work(thread=True, group="replay-checks", exit_on_error=False)
    def _run_checks(self, count: int, checker: Callable[..., list[Finding]]) -> None:
        """Check the first `count` steps (one run at a time).

        `check_trace` over a file is fed only the steps new since the last run
        (`TraceCheck`), decoded one at a time and let go: decoding a trace of
        50,000 events again every run made half a million objects, and the
        full garbage collections they caused stop the UI thread too. Another
        checker, or a trace that only a whole check can judge, is decoded whole.
        """
        incremental = checker in (check_trace, check_trace_when_called) and self.steps.lazy and not self._whole_only
        findings = self._check_new(count) if incremental else None
        if findings is None:
            findings = self._check_whole(count, checker)
        self.post_message(self.Checked(findings, count))

    def _check_new(self, count: int) -> list[Finding] | None:
        """Feed the steps up to `count` not fed yet to the kept checks; None when only a whole check can say."""
        check = self._incremental
        if check is None:
            s = self.summary
            check = self._incremental = TraceCheck(s.id, s.protocol, s.scope_type, s.start)
        check.feed(self.steps.decoded(self._fed, count))
        self._fed = count
        found = check.findings(live=True)
        if found is None:
            self._incremental, self._whole_only = None, True
        return found

    def _check_whole(self, count: int, checker: Callable[..., list[Finding]]) -> list[Finding]:
        trace = self.steps.trace()
        trace.events.extend(self.steps.decoded(0, count))
        try:
            live = not trace.complete and _takes_live(checker)
            return list(checker(trace, live=True) if live else checker(trace))
        except Exception:  # noqa: BLE001 - a checker bug must not break the replay
            return []

    def on_replay_screen_checked(self, message: Checked) -> None:
        self._checking = False
        self._set_findings(message.findings, message.steps)
        if message.steps < self.steps.count:
            self._check_soon()

    def _set_findings(self, findings: list[Finding], steps: int) -> None:
        self._checked_steps = max(self._checked_steps, steps)
        if self.checked and findings == self.findings:
            return  # Most looks at a growing trace find nothing new: nothing to draw again.
        self.checked = True
        before = self._by_seq
        self.findings = list(findings)
        self._index_findings()
        self.diagram.set_findings(self.findings)
        self._update_title()
        if self.steps.count:
            seq = self.steps.row(min(self.step, self.steps.count - 1)).seq
            if before.get(seq) != self._by_seq.get(seq):
                self._show_step(self.step)

    def _index_findings(self) -> None:
        self._by_seq = {}
        for finding in self.findings:
            self._by_seq.setdefault(finding.seq, []).append(finding)

    # Protocol states

    def _follow_states(self) -> None:
        """Follow the steps not followed yet through the state machine: a few at once, many in a worker."""
        timeline, walk = self.timeline, self._walk
        if timeline is None or walk is None or self._following or not self.states_panel.display:
            return
        start, stop = timeline.count, self.steps.count
        if start >= stop:
            return
        if stop - start <= STATES_AT_ONCE:
            timeline.add(walk.follow(self.steps.decoded(start, stop, unreadable=True)))
            if self._shown is not None and self._shown >= start:
                self._show_state(self._shown)
            return
        self._following = True
        # After the first paint: the screen shows before the worker takes the CPU.
        self.call_after_refresh(self._run_states, start, stop)

    @work(thread=True, group="replay-states", exit_on_error=False)
    def _run_states(self, start: int, stop: int) -> None:
        """Decode steps `start` to `stop` and follow them, handing over what is done every so often."""
        walk, timeline = self._walk, self.timeline
        assert walk is not None and timeline is not None
        at = start
        try:
            for batch in follow_batches(walk, timeline, self.steps.decoded(start, stop, unreadable=True), start):
                self.post_message(self.StatesFollowed(batch, done=False))
                at = batch.start + len(batch)
        finally:
            self.post_message(self.StatesFollowed(timeline.pack([], at), done=True))

    def on_replay_screen_states_followed(self, message: StatesFollowed) -> None:
        timeline, batch = self.timeline, message.batch
        if message.done:
            self._following = False
            if self._check_waits:
                self._check_waits = False
                self._check()
        if timeline is None or batch.start != timeline.count:
            return
        timeline.add(batch)
        if message.done:
            self._follow_states()
        if self._shown is not None and batch.start <= self._shown < timeline.count:
            self._show_state(self._shown)

    def _show_state(self, step: int) -> None:
        panel, timeline = self.states_panel, self.timeline
        if not panel.display:
            return
        if timeline is None:
            panel.show(None)
            return
        if step == self.view.held_step:
            # It has not happened: the state it is held in, after the last step that did.
            count = self.steps.count
            last = timeline.at(count - 1) if count else None
            if count and last is None:
                panel.show(None)  # Still being worked out.
            else:
                panel.show(held_state(timeline.machine, last, self.view.row(step).seq), held=True)
            return
        step = min(step, self.steps.count - 1)
        panel.show(timeline.at(step) if step >= 0 else None)

    def action_toggle_states(self) -> None:
        panel = self.states_panel
        panel.display = not panel.display
        if panel.display:
            self._follow_states()
            if self._shown is not None:
                self._show_state(self._shown)

    def action_toggle_spec(self) -> None:
        detail = self.query_one(StepDetail)
        detail.show_spec(not detail.spec)

    def action_body(self, name: str) -> None:
        """The step detail's `name` action (pager, save_body, toggle_raw), whichever pane has the focus."""
        getattr(self.query_one(StepDetail), f"action_{name}")()

    # Stepping

    def action_step(self, delta: int) -> None:
        self._move(self.step + delta)

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(self.diagram.steps - 1)

    def action_page(self, direction: int) -> None:
        """A screenful of steps on or back (PgDn and PgUp on the diagram)."""
        steps = direction * self.diagram.page_steps
        self.diagram.scroll_steps(steps)
        self._move(self.step + steps)

    def action_back(self) -> None:
        self.playing = False
        self.dismiss()

    def _move(self, step: int) -> None:
        self._follow_seq = None  # The reader moved: the cursor stays where they put it.
        self._go(step)

    def _go(self, step: int) -> None:
        # The detail follows at once, so the diagram and the detail are painted together.
        self.diagram.cursor = step
        self._show_step(self.diagram.cursor)

    def on_step_selected(self, message: StepSelected) -> None:
        if message.step != self._shown:
            self._show_step(message.step)

    def _show_step(self, step: int) -> None:
        count = self.view.count
        if not count:
            return
        step = max(0, min(step, count - 1))
        self._shown = step
        event = self.view.event(step)
        findings = [] if step == self.view.held_step else self._by_seq.get(event.seq, [])
        exchange = self.exchange  # Read off the summary, not added up per step: a trace may have 100,000 events.
        self.query_one(StepDetail).show(
            event,
            findings,
            request_type=exchange.request_type,
            response_type=exchange.response_type,
            totals=exchange.rows() if event.kind in END_KINDS and self.summary.scope_type != "lifespan" else None,
        )
        self._show_state(step)
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
        steps = self.steps
        gap = (steps.row(step).t_ns - steps.row(step - 1).t_ns) / 1e9 if 0 < step < steps.count else 0.0
        return max(min(gap, MAX_GAP_SECONDS) / self.speed, MIN_STEP_SECONDS / self.speed)

    def _schedule(self) -> None:
        nxt = self.step + 1
        if nxt >= self.diagram.steps:
            if not self.steps.complete and getattr(self.app, "live", False):
                return  # Keep playing: `_grew` goes on when the next event arrives.
            self.playing = False
            return
        self._timer = self.set_timer(self.delay_before(nxt), self._advance)

    def _advance(self) -> None:
        self._timer = None
        if not self.playing:
            return
        self._move(self.step + 1)
        self._schedule()

    # Text

    def _update_title(self) -> None:
        s = self.summary
        steps = self.steps
        what = "lifespan" if s.scope_type == "lifespan" else s.title
        status = s.status
        state = "" if steps.complete else "  [$text-warning]in progress[/]"
        if self.held is not None:
            state = f"  [$text-warning]{HELD_MARK} held[/]"
        errors = "  [$text-error]app raised[/]" if s.error else ""
        count = len(self.findings)
        severities = {finding.severity for finding in self.findings}
        # Coloured by the worst: an info note is not an error.
        color = "$text-error" if "error" in severities else "$text-warning" if "warning" in severities else "$text-muted"
        marks = f"  [{color}]{count} finding{'s' if count != 1 else ''}[/]" if count else ""
        if not self.checked:
            marks = "  [$text-muted]checking…[/]"
        answer = "" if s.scope_type == "lifespan" else f" → {status if status is not None else 'no response'}"
        if s.close_code is not None:
            answer += f", closed {s.close_code}"
        self._line("#replay-title",
            f"[b]{fmt.markup(fmt.line(what))}[/b]{answer}  ·  {s.protocol.upper()} {s.scope_type}"
            f"  ·  {fmt.duration(s.duration_ns) if steps.complete else fmt.so_far(s.start)}  ·  {steps.count} events  ·  trace {fmt.markup(fmt.line(s.id))}"
            f"{state}{errors}{marks}"
        )

    def _update_status(self) -> None:
        view = self.view
        count = view.count
        if not count:
            self._line("#replay-status", "no events")
            return
        step = min(self.step, count - 1)
        row = view.row(step)
        mode = "▶ playing" if self.playing else "❚❚ paused"
        last = view.row(count - 1).seq
        missing = last + 1 - count
        gap = f" · [$text-warning]{missing} step{'s' if missing != 1 else ''} missing (unreadable lines, ⋮)[/]" if missing > 0 else ""
        when = f"[$text-warning]{HELD_MARK} held here[/]" if step == view.held_step else fmt.offset(row.t_ns, view.row(count - 1).t_ns)
        self._line("#replay-status",
            f"step {row.seq} of 0–{last} · {fmt.markup(fmt.line(row.kind))} · "
            f"{when} · {mode} at {self.speed:g}×{gap}"
        )

    def _line(self, selector: str, text: str) -> None:
        # The title and status are one line across the screen: a new text needs no new layout.
        self.query_one(selector, Static).update(text, layout=False)
