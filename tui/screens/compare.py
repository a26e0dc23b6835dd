"""`CompareScreen`: two requests side by side, phase by phase, with what differs between them.

Each side is a `SequenceDiagram` of its trace. The two cursors move
together by protocol phase (request, body read, response started, body
sent, end; a websocket's handshake and messages): stepping one side puts
the other on the same place of the same phase, so a WSGI ``wsgi.input``
read lines up with the ASGI ``http.request`` message it corresponds to.
Below, the phase table gives the events and time each side spent in each
phase, and the list of differences says what `tracer.compare.compare`
found: status, headers, bodies (a diff for text and JSON, the first
differing offset for binary), body pieces and event counts. The steps of
the phases that differ carry a mark in the diagrams' gutters.

The traces are read and compared in a worker thread: a large body's diff
never holds up the screen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Static

from tracer.checks import Finding
from tracer.compare import DEFAULT_IGNORED_HEADERS, Comparison, compare
from tracer.model import Event, Trace
from tracer.phases import phase_of, phases
from tracer.summary import TraceSummary

from .. import format as fmt
from ..messages import DifferenceChosen, PhaseChosen, StepSelected
from ..steps import Steps
from ..widgets.difference_list import DifferenceList
from ..widgets.phase_table import PhaseTable
from ..widgets.sequence_diagram import ROW_HEIGHT, SequenceDiagram
from .ask import AskScreen

LABELS = ("A", "B")
DIFFERENCE_SEVERITY = "difference"
"""The severity of the gutter marks on the steps of phases that differ (the diagram draws ``•`` for it)."""

Loader = Callable[[TraceSummary], Trace]


@dataclass(slots=True)
class PhaseSteps:
    """Which phase each step of one side is in, and the steps of each phase.

    Attributes:
        phases: The phase of each step, in step order.
        steps: Phase -> its steps, in order.
        places: Each step's place among the steps of its phase.
    """

    phases: list[str] = field(default_factory=list)
    steps: dict[str, list[int]] = field(default_factory=dict)
    places: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, events: Iterable[Event]) -> PhaseSteps:
        """The phases of `events`, as `tracer.phases` assigns them."""
        result = cls()
        phase = "request"
        for step, event in enumerate(events):
            phase = phase_of(event, phase)
            group = result.steps.setdefault(phase, [])
            result.places.append(len(group))
            group.append(step)
            result.phases.append(phase)
        return result

    @property
    def count(self) -> int:
        """Number of steps."""
        return len(self.phases)

    def place(self, step: int) -> tuple[str, int]:
        """The phase of `step`, and its place among that phase's steps."""
        return self.phases[step], self.places[step]

    def step_at(self, phase: str, place: int, order: Sequence[str]) -> int:
        """The step at `place` in `phase` (its last one, if the phase has fewer).

        A side with no step in `phase` stays where the exchange was before
        it: the last step of an earlier phase, else the first of a later one.
        """
        group = self.steps.get(phase)
        if group:
            return group[min(place, len(group) - 1)]
        where = order.index(phase) if phase in order else len(order)
        for earlier in reversed(order[:where]):
            if self.steps.get(earlier):
                return self.steps[earlier][-1]
        for later in order[where + 1 :]:
            if self.steps.get(later):
                return self.steps[later][0]
        return 0


def left_out(names: Iterable[str]) -> frozenset[str]:
    """The headers the comparison leaves out: the defaults, plus each name given, minus each ``-name``."""
    added = {name for name in names if not name.startswith("-")}
    included = {name[1:] for name in names if name.startswith("-")}
    return (DEFAULT_IGNORED_HEADERS | added) - included


class CompareScreen(Screen[None]):
    """Two traces side by side, aligned by protocol phase, with their differences.

    Args:
        a: The first request (the one marked in the list), shown left as A.
        b: The second, shown right as B.
        load: Reads a trace's events (called in a worker thread).
        ignore_headers: Header names left out of the comparison besides the
            volatile ones (`tracer.compare.DEFAULT_IGNORED_HEADERS`).
    """

    BINDINGS = [
        # Priority: these move the cursors wherever the focus is.
        Binding("right,j,l", "step(1)", "Next", key_display="→", id="compare.next", priority=True,
                tooltip="Next step; the other side goes to the same place in the same phase"),
        Binding("left,k,h", "step(-1)", "Previous", key_display="←", id="compare.previous", priority=True,
                tooltip="Previous step; the other side follows by phase"),
        Binding("down", "phase(1)", "Next phase", key_display="↓", id="compare.next-phase", priority=True,
                tooltip="Both sides to the start of the next phase"),
        Binding("up", "phase(-1)", "Previous phase", key_display="↑", id="compare.previous-phase", show=False,
                priority=True, tooltip="Both sides to the start of the previous phase"),
        Binding("home,g", "first", "First", id="compare.first", show=False, priority=True,
                tooltip="Both sides to their first step"),
        Binding("end,G", "last", "Last", id="compare.last", show=False, priority=True,
                tooltip="Both sides to their last step"),
        Binding("n", "difference(1)", "Next difference", id="compare.next-difference",
                tooltip="Both sides to the phase of the next difference"),
        Binding("N", "difference(-1)", "Previous difference", id="compare.previous-difference", show=False,
                tooltip="Both sides to the phase of the previous difference"),
        Binding("tab", "other_side", "Other side", id="compare.other-side", show=False,
                tooltip="Step the other side (the one that leads)"),
        Binding("s", "swap", "Swap", id="compare.swap", tooltip="Swap the sides: B becomes A"),
        Binding("i", "ignore_headers", "Ignore headers", id="compare.ignore", show=False,
                tooltip="Name headers to leave out of the comparison (Host, when two servers were recorded)"),
        Binding("escape,backspace,q", "back", "Back", id="compare.back", tooltip="Back to the request list"),
    ]

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]
    """Below 120 cells the list of differences goes under the phase table instead of beside it."""

    @dataclass
    class Compared(Message):
        """The worker read both traces and compared them."""

        generation: int
        traces: tuple[Trace, Trace]
        comparison: Comparison

    @dataclass
    class Failed(Message):
        """The traces could not be read or compared."""

        generation: int
        message: str

    def __init__(self, a: TraceSummary, b: TraceSummary, load: Loader, *, ignore_headers: Iterable[str] = ()) -> None:
        super().__init__()
        self.summaries = (a, b)
        self.load = load
        self.ignored = tuple(dict.fromkeys(name.strip().lower() for name in ignore_headers if name.strip()))
        """Header names left out besides the volatile ones, as the user named them (``i``)."""
        self.traces: tuple[Trace, Trace] | None = None
        self.comparison: Comparison | None = None
        """What differs, once the worker has compared the traces."""
        self.sides: tuple[PhaseSteps, PhaseSteps] = (PhaseSteps(), PhaseSteps())
        self.difference = -1
        """The difference `n` last went to."""
        self._shown: tuple[Trace, Trace] | None = None
        """The traces the diagrams show."""
        self._generation = 0
        self._leader = 0
        self._at = [0, 0]
        """Where this screen last put each cursor: a diagram whose cursor is elsewhere was clicked."""

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="compare-body"):
            for index, label in enumerate(LABELS):
                with Vertical(classes="compare-side", id=f"compare-side-{label.lower()}"):
                    yield Static(self._heading(index), classes="compare-heading", id=f"compare-heading-{label.lower()}")
                    yield Static("reading the trace…", classes="compare-waiting")
        with Horizontal(id="compare-summary"):
            yield PhaseTable(id="compare-phases")
            yield DifferenceList(id="compare-differences")
        yield Static(id="compare-status")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(DifferenceList).show(None)
        self._line("#compare-status", "comparing…")
        self._compare()

    # Comparing, in a worker

    def _compare(self) -> None:
        self._generation += 1
        self._run(self._generation, self.summaries, self.traces, self.ignored)

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def _run(self, generation: int, summaries: tuple[TraceSummary, TraceSummary],
             traces: tuple[Trace, Trace] | None, ignored: tuple[str, ...]) -> None:
        try:
            if traces is None:
                traces = (self.load(summaries[0]), self.load(summaries[1]))
            comparison = compare(*traces, ignore_headers=left_out(ignored), labels=LABELS)
        except Exception as exc:  # noqa: BLE001 - an unreadable trace is said on screen, the app goes on
            self.post_message(self.Failed(generation, f"cannot compare: {exc}"))
            return
        self.post_message(self.Compared(generation, traces, comparison))

    def on_compare_screen_failed(self, message: Failed) -> None:
        if message.generation != self._generation:
            return
        self.query_one(DifferenceList).show(None, message.message)
        self._line("#compare-status", fmt.markup(message.message))
        self.notify(message.message, severity="error", markup=False)

    async def on_compare_screen_compared(self, message: Compared) -> None:
        if message.generation != self._generation:
            return
        self.traces = message.traces
        self.comparison = comparison = message.comparison
        self.sides = (PhaseSteps.of(message.traces[0].events), PhaseSteps.of(message.traces[1].events))
        differing = {d.phase for d in comparison.differences}
        self.query_one(PhaseTable).show(comparison.phases, differing, LABELS)
        self.query_one(DifferenceList).show(comparison)
        self.difference = -1
        if self._shown is None or any(x is not y for x, y in zip(self._shown, message.traces)):
            await self._mount_diagrams(message.traces)
        for index, diagram in enumerate(self.diagrams):
            diagram.set_findings(self._marks(index, differing))
        for index, label in enumerate(LABELS):
            self._line(f"#compare-heading-{label.lower()}", self._heading(index))
        self._go(self._leader, self._at[self._leader])

    async def _mount_diagrams(self, traces: tuple[Trace, Trace]) -> None:
        """Show `traces` in the two diagrams (again, once swapped)."""
        for index, label in enumerate(LABELS):
            side = self.query_one(f"#compare-side-{label.lower()}", Vertical)
            await side.query(".compare-waiting, SequenceDiagram").remove()
            trace = traces[index]
            await side.mount(SequenceDiagram(Steps(trace.summary, events=trace.events), [], id=f"compare-{label.lower()}"))
        self._shown = traces
        self.diagrams[self._leader].focus()

    def _marks(self, index: int, differing: set[str]) -> list[Finding]:
        """Gutter marks on the steps of the phases that differ, one side's."""
        assert self.traces is not None
        trace, side = self.traces[index], self.sides[index]
        severity = cast(Any, DIFFERENCE_SEVERITY)
        return [
            Finding(trace.id, trace.events[step].seq, "compare", severity, f"the exchanges differ in {phase}")
            for phase in differing
            for step in side.steps.get(phase, ())
        ]

    # The two sides

    @property
    def diagrams(self) -> list[SequenceDiagram]:
        """The diagrams, A then B (none until the traces are read)."""
        found = {diagram.id: diagram for diagram in self.query(SequenceDiagram)}
        return [found[f"compare-{label.lower()}"] for label in LABELS if f"compare-{label.lower()}" in found]

    @property
    def order(self) -> list[str]:
        """The phases of the comparison, in order."""
        if self.comparison is not None:
            return [row.phase for row in self.comparison.phases]
        return list(phases(self.summaries[0].scope_type))

    @property
    def cursors(self) -> tuple[int, int]:
        """The step under each side's cursor."""
        return self._at[0], self._at[1]

    @property
    def phase(self) -> str | None:
        """The phase of the leading side's cursor."""
        side = self.sides[self._leader]
        return side.place(self._at[self._leader])[0] if side.count else None

    def _ready(self) -> bool:
        return len(self.diagrams) == 2 and self.comparison is not None

    def _go(self, leader: int, step: int) -> None:
        """Put the `leader` side on `step` and the other side on the same place of the same phase."""
        if not self._ready():
            return
        sides, diagrams = self.sides, self.diagrams
        self._leader = leader
        other = 1 - leader
        if not sides[leader].count:
            return
        step = max(0, min(step, sides[leader].count - 1))
        phase, place = sides[leader].place(step)
        follow = sides[other].step_at(phase, place, self.order) if sides[other].count else 0
        self._at[leader], self._at[other] = step, follow
        diagrams[leader].cursor = step
        diagrams[other].cursor = follow
        self.call_after_refresh(self._align, leader, phase)
        self.query_one(PhaseTable).current = phase
        self._update_status()

    def _align(self, leader: int, phase: str) -> None:
        """Scroll the other side so the phase starts on the same line as the leader's, where both can scroll so."""
        if not self._ready():
            return
        other = 1 - leader
        lead, follow = self.diagrams[leader], self.diagrams[other]
        first_lead = self.sides[leader].steps.get(phase)
        first_follow = self.sides[other].steps.get(phase)
        if not first_lead or not first_follow:
            return
        offset = (first_follow[0] - first_lead[0]) * ROW_HEIGHT
        target = lead.scroll_y + offset
        if 0 <= target <= follow.max_scroll_y:
            cursor_line = self._at[other] * ROW_HEIGHT
            visible = follow.scrollable_content_region.height - 1
            if target <= cursor_line and cursor_line + ROW_HEIGHT <= target + visible:
                follow.scroll_to(y=target, animate=False, immediate=True)

    def on_step_selected(self, message: StepSelected) -> None:
        # A diagram whose cursor is not where this screen put it was clicked: it leads.
        for index, diagram in enumerate(self.diagrams):
            if diagram.cursor != self._at[index]:
                self._go(index, diagram.cursor)
                return

    def on_descendant_focus(self) -> None:
        for index, diagram in enumerate(self.diagrams):
            if diagram.has_focus:
                self._leader = index
                self._update_status()

    # Actions

    def action_step(self, delta: int) -> None:
        self._go(self._leader, self._at[self._leader] + delta)

    def action_first(self) -> None:
        self._go(self._leader, 0)

    def action_last(self) -> None:
        self._go(self._leader, self.sides[self._leader].count - 1)

    def action_page(self, direction: int) -> None:
        """A screenful of steps on or back (PgDn and PgUp on a diagram)."""
        diagrams = self.diagrams
        if diagrams:
            self._go(self._leader, self._at[self._leader] + direction * diagrams[self._leader].page_steps)

    def action_phase(self, direction: int) -> None:
        order = [p for p in self.order if any(side.steps.get(p) for side in self.sides)]
        current = self.phase
        if not order or current is None:
            return
        index = order.index(current) if current in order else 0
        self._to_phase(order[max(0, min(index + direction, len(order) - 1))])

    def _to_phase(self, phase: str) -> None:
        leader = self._leader
        side = self.sides[leader]
        if not side.steps.get(phase) and self.sides[1 - leader].steps.get(phase):
            leader = 1 - leader  # The phase is the other side's alone: it leads there.
            self.diagrams[leader].focus()
            side = self.sides[leader]
        self._go(leader, side.step_at(phase, 0, self.order))

    def action_difference(self, direction: int) -> None:
        comparison = self.comparison
        if comparison is None or not comparison.differences:
            self.notify("no differences: the exchanges are the same (timings aside)", title="compare")
            return
        count = len(comparison.differences)
        self.difference = (self.difference + direction) % count if self.difference >= 0 or direction > 0 else count - 1
        self.query_one(DifferenceList).current = self.difference
        self._to_phase(comparison.differences[self.difference].phase)

    def on_phase_chosen(self, message: PhaseChosen) -> None:
        self._to_phase(message.phase)

    def on_difference_chosen(self, message: DifferenceChosen) -> None:
        comparison = self.comparison
        if comparison is not None and 0 <= message.index < len(comparison.differences):
            self.difference = message.index
            self.query_one(DifferenceList).current = message.index
            self._to_phase(comparison.differences[message.index].phase)

    def action_other_side(self) -> None:
        diagrams = self.diagrams
        if len(diagrams) == 2:
            self._leader = 1 - self._leader
            diagrams[self._leader].focus()
            self._update_status()

    def action_swap(self) -> None:
        """B becomes A and A becomes B; the comparison is made again the other way round."""
        self.summaries = (self.summaries[1], self.summaries[0])
        if self.traces is not None:
            self.traces = (self.traces[1], self.traces[0])
        self._at.reverse()
        self._leader = 1 - self._leader
        self._compare()

    def action_ignore_headers(self) -> None:
        def take(answer: str | None) -> None:
            if answer is None:
                return
            self.ignored = tuple(dict.fromkeys(name.strip().lower() for name in answer.split(",") if name.strip()))
            self._compare()

        self.app.push_screen(
            AskScreen(
                "Ignore headers",
                "Header names to leave out of the comparison, separated by commas. Date, Server, Host, request "
                "and trace ids, and Content-Length when the bodies are compared, are left out already; "
                "-NAME compares one of those (-host: the Host header and the server's address).",
                ", ".join(self.ignored),
                placeholder="x-build, -host",
            ),
            take,
        )

    def action_back(self) -> None:
        self.dismiss()

    # Text

    def _heading(self, index: int) -> str:
        s = self.summaries[index]
        what = "lifespan" if s.scope_type == "lifespan" else s.title
        answer = "" if s.scope_type == "lifespan" else f" → {s.status if s.status is not None else 'no response'}"
        if s.close_code is not None:
            answer += f", closed {s.close_code}"
        state = "" if s.complete else "  [$text-warning]in progress[/]"
        errors = "  [$text-error]app raised[/]" if s.error else ""
        return (
            f"[b $text-accent]{LABELS[index]}[/]  [b]{fmt.markup(fmt.line(what))}[/b]{answer}{state}{errors}"
            f" · {s.protocol.upper()} {s.scope_type} · {fmt.duration(s.duration_ns)} · {s.events} events"
            f" · {fmt.markup(fmt.line(s.id))}"
        )

    def _update_status(self) -> None:
        if not self._ready():
            return
        parts = []
        for index, label in enumerate(LABELS):
            side = self.sides[index]
            if not side.count:
                parts.append(f"{label}: no events")
                continue
            phase, _ = side.place(self._at[index])
            lead = "▶" if index == self._leader else " "
            parts.append(f"{lead}{label} step {self._at[index]} of 0–{side.count - 1} · {phase}")
        comparison = self.comparison
        assert comparison is not None
        count = len(comparison.differences)
        parts.append(f"{count} difference{'s' if count != 1 else ''}" + (" (n: next)" if count else ""))
        self._line("#compare-status", "  │  ".join(fmt.markup(part) for part in parts))

    def _line(self, selector: str, text: str) -> None:
        self.query_one(selector, Static).update(text, layout=False)


__all__ = ["CompareScreen", "PhaseSteps"]
