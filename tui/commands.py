"""Entries this app adds to Textual's command palette (ctrl+p).

Commands act on the list model, never on widgets: the screen redraws from
what the model announces.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.screen import Screen

from tracer.summary import TraceSummary

from .export import COPY_FORMATS
from .filters import PRESETS
from .listmodel import SORT_KEYS
from .screens.compare import CompareScreen
from .screens.replay import ReplayScreen
from .screens.requests import RequestsScreen, copy_request

# The app imports this module when the palette first opens, not at start.

if TYPE_CHECKING:
    from .app import TracerApp

SORT_HELP = {"time": "when each request started", "duration": "how long each took", "status": "status code"}
_CODE = {"curl": "a curl command", "httpx": "Python code using httpx"}


def screen_commands(app: TracerApp, screen: Screen[object]) -> Iterable[SystemCommand]:
    """The commands that make sense on `screen`."""
    yield SystemCommand("Keys and filter language", "Every key of every screen", app.action_help)
    if isinstance(screen, RequestsScreen):
        requests = screen.requests
        for title, expression in PRESETS:
            yield SystemCommand(f"Filter: {title}", f"Show only {expression}", partial(requests.set_filter, expression))
        yield SystemCommand("Clear filter", "Show every trace", partial(requests.set_filter, ""))
        for key in SORT_KEYS:
            yield SystemCommand(f"Sort by {key}", f"Order the list by {SORT_HELP[key]}", partial(requests.set_order, key))
        yield SystemCommand("Unreadable lines", "Lines of the file that could not be read", screen.action_problems)
        current = screen.table.current
        if current is not None:
            marked = requests.is_compare_marked(current)
            yield SystemCommand("Unmark" if marked else "Mark for comparing",
                                "m: the request under the cursor" + ("" if marked else ", to compare another with it"),
                                screen.action_mark)
            if requests.compare_mark is not None and not marked:
                yield SystemCommand("Compare with the marked request", "M: both side by side, phase by phase",
                                    screen.action_compare)
            for how, (name, _) in COPY_FORMATS.items():
                yield SystemCommand(f"Copy as {name}", f"The request under the cursor, as {_CODE[how]}",
                                    partial(screen.action_copy, how))
        yield SystemCommand("Add a breakpoint", "b: hold matching live requests at a protocol event",
                            screen.action_add_breakpoint)
        yield SystemCommand("Breakpoints", "B: the breakpoints of the attached processes; remove them",
                            screen.action_breakpoints)
        if screen.debug.held:
            yield SystemCommand("Continue every held request", "Let every held request run to its end",
                                screen.continue_all)
        yield SystemCommand("Export requests", "w: the request under the cursor, or every one shown, to HAR or a trace file",
                            screen.action_export)
    elif isinstance(screen, CompareScreen):
        yield SystemCommand("Next difference", "n: both sides to the phase of the next difference",
                            partial(screen.action_difference, 1))
        yield SystemCommand("Swap sides", "s: B becomes A", screen.action_swap)
        yield SystemCommand("Ignore headers", "i: headers left out of the comparison", screen.action_ignore_headers)
        yield SystemCommand("Back to the list", "Leave the comparison", screen.action_back)
    elif isinstance(screen, ReplayScreen):
        yield SystemCommand("Play / pause", "Play the steps at recorded speed", screen.action_play)
        yield SystemCommand("First step", "Back to the server calling the app", screen.action_first)
        yield SystemCommand("Last step", "Jump to the end of the trace", screen.action_last)
        yield SystemCommand("Show/hide the protocol state", "s: the state machine at this step, what may come next",
                            screen.action_toggle_states)
        yield SystemCommand("Show/hide the spec", "i: the PEP 3333 / ASGI sections behind this step, with links",
                            screen.action_toggle_spec)
        yield SystemCommand("Back to the list", "Leave the replay", screen.action_back)
        summary = screen.summary
        title = "lifespan" if summary.scope_type == "lifespan" else summary.title
        for how, (name, _) in COPY_FORMATS.items():
            yield SystemCommand(f"Copy as {name}", f"This request, as {_CODE[how]}",
                                partial(_copy, app, summary, title, how))


def _copy(app: TracerApp, summary: TraceSummary, title: str, how: str) -> None:
    copy_request(app, app.requests.load(summary).trace, title, how)
