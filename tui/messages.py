"""Messages the UI's workers and widgets post (past tense: what happened).

Messages from worker threads carry their results as data; the handler on the
UI thread hands them to the list model, so that thread alone changes what
the screens draw.

They are plain classes rather than dataclasses: making a dataclass costs
about 0.3 ms, and these are imported before the list's first rows are painted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    import rich.repr

    from tracer.index import Problem
    from tracer.summary import TraceSummary


class _Data(Message):
    """A message whose fields (`FIELDS`) show in its repr, and compare, as a dataclass's would."""

    FIELDS: tuple[str, ...] = ()

    def __rich_repr__(self) -> rich.repr.Result:
        for name in self.FIELDS:
            yield name, getattr(self, name)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, name) == getattr(other, name) for name in self.FIELDS)

    __hash__ = None  # type: ignore[assignment]


class TracesScanned(_Data):
    """The background scan indexed more of the file.

    Attributes:
        summaries: The traces found or grown since the last message, as they are now, in order of
            first appearance: the scan never changes these objects again (`tracer.index.ScanResult`),
            and the list model takes in a grown one by copying it into the summary it holds.
        problems: Lines that could not be read.
        progress: Fraction of the file scanned so far, 0 to 1.
        done: The first full pass over the file has finished.
        cut_line: The last line, if it was cut off mid-write.
        waiting: The file is followed and does not exist yet (`tracer.index.TraceIndex.waiting`).
    """

    FIELDS = ("summaries", "problems", "progress", "done", "cut_line", "waiting")

    def __init__(
        self, summaries: list[TraceSummary] | None = None, problems: list[Problem] | None = None,
        progress: float = 1.0, done: bool = False, cut_line: int | None = None, waiting: bool = False,
    ) -> None:
        super().__init__()
        self.summaries: list[TraceSummary] = [] if summaries is None else summaries
        self.problems: list[Problem] = [] if problems is None else problems
        self.progress = progress
        self.done = done
        self.cut_line = cut_line
        self.waiting = waiting


class ScanFailed(_Data):
    """The file could not be read at all (missing, or not a trace file)."""

    FIELDS = ("message",)

    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


class TraceSelected(_Data):
    """The user chose a trace to replay."""

    FIELDS = ("summary",)

    def __init__(self, summary: TraceSummary) -> None:
        super().__init__()
        self.summary = summary


class StepSelected(_Data):
    """The replay cursor moved to another step."""

    FIELDS = ("step",)

    def __init__(self, step: int) -> None:
        super().__init__()
        self.step = step

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StepSelected)


class FilterMatched(_Data):
    """A filter that reads events checked more traces.

    Attributes:
        generation: Which filter, as counted by the list model (a newer one makes these stale).
        results: Trace number -> (events it had when checked, whether it matches).
        progress: Fraction of the traces to check that are checked, 0 to 1.
    """

    FIELDS = ("generation", "results", "progress")

    def __init__(self, generation: int, results: dict[int, tuple[int, bool]], progress: float = 1.0) -> None:
        super().__init__()
        self.generation = generation
        self.results = results
        self.progress = progress


class ColumnClicked(_Data):
    """The user clicked a column heading of the request list."""

    FIELDS = ("column",)

    def __init__(self, column: str) -> None:
        super().__init__()
        self.column = column


class RowsChecked(_Data):
    """The protocol checks ran on some rows of the list.

    Attributes:
        marks: Trace number -> (events it had when checked, worst finding: "error", "warning" or "").
    """

    FIELDS = ("marks",)

    def __init__(self, marks: dict[int, tuple[int, str]]) -> None:
        super().__init__()
        self.marks = marks


class PhaseChosen(_Data):
    """The user clicked a phase in the compare screen's phase table."""

    FIELDS = ("phase",)

    def __init__(self, phase: str) -> None:
        super().__init__()
        self.phase = phase


class DifferenceChosen(_Data):
    """The user clicked a difference in the compare screen's list of differences.

    Attributes:
        index: Its place in the comparison's differences.
    """

    FIELDS = ("index",)

    def __init__(self, index: int) -> None:
        super().__init__()
        self.index = index


class DebuggersAttached(_Data):
    """A look for live processes of the trace file found these (maybe none).

    Attributes:
        connections: The new connections (`tracer.debug.client.Connection`), already subscribed.
        first: This was the first look.
    """

    FIELDS = ("connections", "first")

    def __init__(self, connections: list[object] | None = None, first: bool = False) -> None:
        super().__init__()
        self.connections: list[object] = [] if connections is None else connections
        self.first = first


class DebugEventArrived(_Data):
    """A connection to a live process heard a debugger event (`tracer.debug.client.DebugEvent`)."""

    FIELDS = ("event",)

    def __init__(self, event: object) -> None:
        super().__init__()
        self.event = event
