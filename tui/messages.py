"""Messages the UI's workers and widgets post (past tense: what happened).

Messages from worker threads carry their results as data; the handler on the
UI thread hands them to the list model, so that thread alone changes what
the screens draw.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.message import Message

from tracer.index import Problem
from tracer.summary import TraceSummary


@dataclass
class TracesScanned(Message):
    """The background scan indexed more of the file.

    Attributes:
        summaries: The traces found or grown since the last message, as they are now, in order of
            first appearance: the scan never changes these objects again (`tracer.index.ScanResult`),
            and the list model takes in a grown one by copying it into the summary it holds.
        problems: Lines that could not be read.
        progress: Fraction of the file scanned so far, 0 to 1.
        done: The first full pass over the file has finished.
        cut_line: The last line, if it was cut off mid-write.
    """

    summaries: list[TraceSummary] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    progress: float = 1.0
    done: bool = False
    cut_line: int | None = None


@dataclass
class ScanFailed(Message):
    """The file could not be read at all (missing, or not a trace file)."""

    message: str


@dataclass
class TraceSelected(Message):
    """The user chose a trace to replay."""

    summary: TraceSummary


@dataclass
class StepSelected(Message):
    """The replay cursor moved to another step."""

    step: int

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, StepSelected)


@dataclass
class FilterMatched(Message):
    """A filter that reads events checked more traces.

    Attributes:
        generation: Which filter, as counted by the list model (a newer one makes these stale).
        results: Trace number -> (events it had when checked, whether it matches).
        progress: Fraction of the traces to check that are checked, 0 to 1.
    """

    generation: int
    results: dict[int, tuple[int, bool]]
    progress: float = 1.0


@dataclass
class ColumnClicked(Message):
    """The user clicked a column heading of the request list."""

    column: str


@dataclass
class RowsChecked(Message):
    """The protocol checks ran on some rows of the list.

    Attributes:
        marks: Trace number -> (events it had when checked, worst finding: "error", "warning" or "").
    """

    marks: dict[int, tuple[int, str]]


@dataclass
class PhaseChosen(Message):
    """The user clicked a phase in the compare screen's phase table."""

    phase: str


@dataclass
class DifferenceChosen(Message):
    """The user clicked a difference in the compare screen's list of differences.

    Attributes:
        index: Its place in the comparison's differences.
    """

    index: int


@dataclass
class DebuggersAttached(Message):
    """A look for live processes of the trace file found these (maybe none).

    Attributes:
        connections: The new connections (`tracer.debug.client.Connection`), already subscribed.
        first: This was the first look.
    """

    connections: list[object] = field(default_factory=list)
    first: bool = False


@dataclass
class DebugEventArrived(Message):
    """A connection to a live process heard a debugger event (`tracer.debug.client.DebugEvent`)."""

    event: object
