"""``FILE#TRACE_ID`` on the command line: one trace of a trace file, named by its id, a unique prefix of it, or its number."""

from __future__ import annotations

import os
from dataclasses import dataclass

from ..errors import UsageError
from ..index import TraceIndex, read_index
from ..model import Trace
from ..summary import TraceSummary
from .view import check_trace_file


@dataclass(frozen=True, slots=True)
class TraceRef:
    """What a command-line argument names: a whole file (`trace_id` None) or one trace of it."""

    path: str
    trace_id: str | None = None

    def __str__(self) -> str:
        return self.path if self.trace_id is None else f"{self.path}#{self.trace_id}"


def parse_ref(argument: str) -> TraceRef:
    """Split ``FILE#TRACE_ID`` (or a bare ``FILE``); a file whose own name holds ``#`` is taken whole when it exists."""
    path, hash_sign, trace_id = argument.rpartition("#")
    if not hash_sign or os.path.exists(argument):
        return TraceRef(argument)
    if not path:
        raise UsageError(f"{argument!r}: name the trace file before '#' (FILE#TRACE_ID)")
    if not trace_id:
        raise UsageError(f"{argument!r}: name a trace after '#' (FILE#TRACE_ID; a unique prefix of the id, or its number, will do)")
    return TraceRef(path, trace_id)


def open_index(path: str) -> TraceIndex:
    """The scanned index of a trace file.

    Raises:
        TraceFileError: Missing, not a trace file, or with a bad line.
    """
    check_trace_file(path)
    return read_index(path)


def find_summary(index: TraceIndex, trace_id: str) -> TraceSummary:
    """The summary of trace `trace_id` in `index`, of the one trace whose id starts with it, or of the one numbered so.

    A trace id is the recording process's tag and a number (``a1b2c3d4-000003``):
    every trace of one process shares the tag, so ``3`` (or ``000003``) names
    the third, as long as one process wrote the file.

    Raises:
        UsageError: No trace, or several, match.
    """
    found = index.by_id.get(trace_id)
    if found is not None:
        return found
    matches = [summary for summary in index.summaries if summary.id.startswith(trace_id)]
    if len(matches) == 1:
        return matches[0]
    if trace_id.isdigit():
        numbered = [summary for summary in index.summaries if _number(summary.id) == int(trace_id)]
        if len(numbered) == 1:
            return numbered[0]
        if len(numbered) > 1 and not matches:
            raise UsageError(
                f"{index.path}: {len(numbered)} processes wrote a trace number {trace_id} ({_ids(numbered)}); "
                "give the whole id"
            )
    if not matches:
        raise UsageError(f"{index.path}: no trace {trace_id!r} (tracer view {index.path} lists them)")
    raise UsageError(f"{index.path}: {trace_id!r} starts {len(matches)} trace ids ({_ids(matches)}); give more of it")


def _ids(summaries: list[TraceSummary]) -> str:
    """The first three ids, and an ellipsis if there are more."""
    return ", ".join(summary.id for summary in summaries[:3]) + (", …" if len(summaries) > 3 else "")


def _number(trace_id: str) -> int | None:
    """The number after the process tag (``3`` of ``a1b2c3d4-000003``), None in an id not made so."""
    _, dash, number = trace_id.rpartition("-")
    return int(number) if dash and number.isdigit() else None


def load_trace(ref: TraceRef, index: TraceIndex | None = None) -> Trace:
    """The trace `ref` names (it must name one).

    Raises:
        UsageError: `ref` names a whole file, or no single trace.
        TraceFileError: The file cannot be read.
    """
    if ref.trace_id is None:
        raise UsageError(f"{ref.path}: name one trace as {ref.path}#TRACE_ID")
    index = index or open_index(ref.path)
    return index.read_trace(find_summary(index, ref.trace_id), strict=True)
