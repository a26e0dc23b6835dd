"""`StatePanel`: where the exchange is after the current step, and what follows from it.

The protocol's state machine (`tracer.states`) drawn as its states in
order with the current one lit, the transition the step made, what the
app may do next and what would be its mistake from here, how the server
will frame the response and how much of the request body is still unread.
The same machines drive `tracer check`, so the panel and the findings
cannot disagree. On a step the debugger holds, which has not happened
yet, it shows the state the exchange waits in.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tracer.states import Machine, RequestBody, State, StepState

from .. import format as fmt
from .in_place import update_in_place

WORKING = "working out states…"
"""What the panel says while the states of the steps up to the cursor are being worked out."""


class StatePanel(VerticalScroll, can_focus=True):
    """The protocol state after the current step, beside the replay.

    Args:
        machine: The trace's state machine, or None for a protocol no machine describes.
    """

    DEFAULT_CSS = """
    StatePanel {
        padding: 0 1;
        & > Static { width: 1fr; }
        /* The state fills the pane: a state as short as the pane lays nothing out again. */
        & > #state-body { min-height: 100%; }
    }
    """

    content: RenderableType = ""
    """What is shown, as a Rich renderable."""
    state: StepState | None = None
    """The state shown, or None while it is being worked out."""
    held: bool = False
    """Whether the step shown is held in the debugger (it has not happened)."""

    def __init__(self, machine: Machine | None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.machine = machine

    def compose(self) -> ComposeResult:
        yield Static(id="state-body")

    def show(self, state: StepState | None, *, held: bool = False) -> None:
        """Show `state`; None says the step's state is still being worked out.

        With `held`, the step is held in the debugger: `state` is where the exchange waits for it.
        """
        shown = (*_looks(self.state), self.held) if self.content else ()
        self.state, self.held = state, held
        # Steps of a long stream often leave the exchange as it was: nothing to draw again.
        if (*_looks(state), held) == shown:
            return
        self.content = Group(*describe(self.machine, state, held=held))
        # States differ by a few lines: keep the tallest height seen, so that stepping lays nothing out again.
        update_in_place(self.query_one("#state-body", Static), self.content, shrink=False)


def _looks(state: StepState | None) -> tuple[object, ...]:
    """What the panel draws of `state` (not its seq)."""
    if state is None:
        return (None,)
    return (state.state, state.before, state.transition, state.made, state.framing, state.request_body, state.phase)


def describe(machine: Machine | None, state: StepState | None, *, held: bool = False) -> list[RenderableType]:
    """The renderables of the panel for `state` of `machine` (`held`: where a held step waits)."""
    if machine is None:
        return [Text("No state machine describes this protocol.", style="dim")]
    parts: list[RenderableType] = [Text.assemble((machine.title, "bold"), (" state", "bold"))]
    if state is None:
        parts.append(StateTrack(machine.states, None))
        parts.append(Text(WORKING, style="dim italic"))
        return parts
    parts.append(StateTrack(machine.states, state.state, state.before))
    parts += _held_step(state) if held else _this_step(state)
    parts.append(Text(state.about, style="dim italic"))
    parts += _section("may next", [Text(line) for line in state.may])
    mistakes = [Text.assemble(m.says, (f"  {m.rule}", "dim")) for m in state.must_not]
    parts += _section("would be a mistake here", mistakes or [Text("nothing the app can send", style="dim")])
    if state.framing is not None:
        parts += _section("framing", [Text(line) for line in state.framing.says])
    elif state.request_body is not None:
        parts += _section("framing", [Text("decided once the app sets the status and headers", style="dim")])
    if state.request_body is not None:
        parts += _section("request body", [_request_body(state.request_body)])
    return parts


def _this_step(state: StepState) -> list[RenderableType]:
    transition = state.transition
    lines: list[Text] = []
    if transition is None:
        lines.append(Text.assemble(("no move: stays ", "dim"), (state.state.label, "bold")))
    elif state.before is None:
        lines.append(Text.assemble(("into ", "dim"), (state.state.label, "bold")))
    elif state.before is state.state:
        lines.append(Text.assemble(("stays ", "dim"), (state.state.label, "bold")))
    else:
        lines.append(Text.assemble((state.before.label, "bold"), (" → ", "dim"), (state.state.label, "bold")))
    if transition is not None:
        lines.append(Text(transition.says))
    for mistake in state.made:
        server = mistake.by == "server"
        lines.append(Text.assemble(("the server's mistake: " if server else "a mistake: ",
                                    "bold yellow" if server else "bold red"),
                                   mistake.says, (f"  {mistake.rule}", "dim")))
    return [Text("this step", style="bold cyan"), Padding(Group(*lines), (0, 0, 0, 2))]


def _held_step(state: StepState) -> list[RenderableType]:
    if state.before is None:
        line = Text.assemble(("held before it happens: ", "dim"), "the server has not called the app yet")
    else:
        line = Text.assemble(("held before it happens: stays ", "dim"), (state.state.label, "bold"),
                             (" until it goes on", "dim"))
    return [Text("this step", style="bold cyan"), Padding(line, (0, 0, 0, 2))]


def _section(title: str, lines: Iterable[Text]) -> list[RenderableType]:
    grid = Table.grid(padding=(0, 1))
    grid.add_column(width=1, style="dim")
    grid.add_column(ratio=1, overflow="fold")
    for line in lines:
        grid.add_row("·", line)
    return [Text(title, style="bold cyan"), grid]


def _request_body(body: RequestBody) -> Text:
    read = fmt.size(body.read)
    if body.declared is not None:
        said = f"{read} of {fmt.size(body.declared)} read (Content-Length)"
        if body.unread:
            return Text.assemble(said, ", ", (f"{fmt.size(body.unread)} unread", "bold yellow"))
        return Text(f"{said}: all of it")
    if body.unread == 0:
        return Text(f"{read} read, to the end of the body")
    return Text(f"{read} read so far; without a Content-Length, what remains is not known")


class StateTrack:
    """A machine's states in order, joined by arrows, the current one lit; lines break between states.

    Args:
        states: The machine's states, in drawing order.
        current: The state to light, or None.
        before: The state the step left, underlined when it is not the current one.
    """

    def __init__(self, states: tuple[State, ...], current: State | None, before: State | None = None) -> None:
        self.states = states
        self.current = current
        self.before = before

    def _pieces(self) -> list[Text]:
        pieces = []
        for state in self.states:
            if state is self.current:
                style = "bold reverse"
            elif state is self.before:
                style = "underline"
            else:
                style = "dim"
            pieces.append(Text(f" {state.label} ", style=style))
        return pieces

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        line = Text()
        for index, piece in enumerate(self._pieces()):
            arrow = Text("→", style="dim") if index else Text("")
            if line.cell_len and line.cell_len + arrow.cell_len + piece.cell_len > width:
                yield line
                line = Text()
            line.append_text(arrow)
            line.append_text(piece)
        if line.cell_len:
            yield line

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        pieces = self._pieces()
        widest = max((piece.cell_len + 1 for piece in pieces), default=1)
        return Measurement(widest, sum(piece.cell_len + 1 for piece in pieces))
