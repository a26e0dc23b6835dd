"""`ProblemsScreen`: the lines of the file that could not be read."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tracer.index import Problem


class ProblemsScreen(ModalScreen[None]):
    """A dialog listing each unreadable line with its file and line number."""

    BINDINGS = [Binding("escape,q,p", "dismiss", "Close", id="problems.close", tooltip="Back to the list")]

    DEFAULT_CSS = """
    ProblemsScreen { align: center middle; }
    ProblemsScreen > VerticalScroll {
        width: 90%; max-height: 80%; height: auto;
        border: thick $error; background: $surface; padding: 0 1;
    }
    """

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__()
        self.problems = problems

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = f"{len(self.problems)} unreadable line(s); the rest of the file is shown"
            for problem in self.problems[:1000]:
                yield Static(problem.message, markup=False)
