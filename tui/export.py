"""Requests out of the UI: copied as a curl command or httpx code, written to a HAR or a new trace file.

    text = client_code(trace, "curl")                       # what "Copy as curl" puts on the clipboard
    path = default_export_path("traces.jsonl", "har", "shown")   # traces-shown.har, beside the trace file
    count = write_requests(index, summaries, path, "har")   # owner-only file, written whole or not at all

A HAR holds the same headers and bodies as the trace, so exported files are
readable by their owner only (0600), as `tracer export` writes them and the
trace file itself is created.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence

from tracer.exporters.client_code import as_curl, as_httpx
from tracer.exporters.har import write_har
from tracer.index import TraceIndex
from tracer.jsonl import header_line
from tracer.model import Trace
from tracer.summary import TraceSummary

COPY_FORMATS: dict[str, tuple[str, Callable[[Trace], str]]] = {
    "curl": ("curl", as_curl),
    "httpx": ("httpx", as_httpx),
}
"""How a request can be copied: name -> (what the notification calls it, the exporter)."""

EXPORT_FORMATS: dict[str, tuple[str, str]] = {
    "har": ("HAR", ".har"),
    "trace": ("trace file", ".jsonl"),
}
"""Formats of an export from the UI: name -> (what the dialog calls it, the file's extension)."""

FILE_MODE = 0o600


def client_code(trace: Trace, how: str) -> str:
    """The request of `trace` as a curl command (`how` ``"curl"``) or httpx code (``"httpx"``).

    Headers the trace redacted are named in a comment of the text itself.

    Raises:
        ValueError: A lifespan trace, which has no request to send.
    """
    return COPY_FORMATS[how][1](trace)


def copied_message(text: str, title: str) -> str:
    """What the notification after a copy says: the request's line, and the comments of the copied text.

    Args:
        text: What was copied.
        title: The request, as the list shows it (``POST /notes``).
    """
    notes = [line.lstrip("# ").strip() for line in text.splitlines() if line.startswith("# ")]
    return "\n".join([title, *notes])


def format_of(path: str) -> str | None:
    """The export format a file name asks for by its extension (``.har``, ``.jsonl``), or None."""
    extension = os.path.splitext(path)[1].lower()
    for name, (_, ext) in EXPORT_FORMATS.items():
        if extension == ext or (name == "trace" and extension in (".json", ".ndjson")):
            return name
    return None


def with_format(path: str, fmt: str) -> str:
    """`path` with the extension of `fmt` in place of a known export extension (or added)."""
    stem, extension = os.path.splitext(path)
    if format_of(path) is None:
        stem = path
    return stem + EXPORT_FORMATS[fmt][1]


def default_export_path(trace_path: str, fmt: str, which: str) -> str:
    """A new file beside `trace_path` for an export: ``traces-shown.har``, ``traces-5f3a9c21-000004.jsonl``.

    Args:
        trace_path: The trace file the UI shows.
        fmt: A name of `EXPORT_FORMATS`.
        which: ``"shown"`` for the requests the list shows, else the id of the one exported.

    Returns:
        A path that does not exist yet (``-2``, ``-3``… added when it does).
    """
    directory = os.path.dirname(os.path.abspath(trace_path))
    stem = os.path.basename(trace_path)
    for extension in (".jsonl", ".json", ".ndjson"):
        if stem.lower().endswith(extension):
            stem = stem[: -len(extension)]
            break
    label = re.sub(r"[^\w.-]+", "_", which).strip("._") or "request"
    extension = EXPORT_FORMATS[fmt][1]
    base = os.path.join(directory, f"{stem or 'traces'}-{label}")
    path = base + extension
    number = 2
    while os.path.exists(path):
        path = f"{base}-{number}{extension}"
        number += 1
    return path


def write_requests(index: TraceIndex, summaries: Sequence[TraceSummary], path: str, fmt: str) -> int:
    """Write the traces of `summaries` to `path` as a HAR or as a trace file, readable by the owner only.

    The file is written beside its final place and renamed over it when
    complete, so a failed export leaves no half-written file. A trace file
    gets each trace's lines exactly as the trace file holds them (redacted as
    they were recorded); a HAR leaves the raw events out and lifespan traces,
    which have no request, too.

    Args:
        index: The index of the trace file the summaries come from.
        summaries: The traces, in the order to write them.
        path: The new file (replaced if it exists).
        fmt: ``"har"`` or ``"trace"``.

    Returns:
        The number of requests written.

    Raises:
        OSError: The file could not be written.
        ValueError: `path` is the trace file being read.
    """
    target = os.path.abspath(path)
    if os.path.exists(target) and os.path.exists(index.path) and os.path.samefile(target, index.path):
        raise ValueError(f"{path} is the trace file being read: choose another name")
    directory = os.path.dirname(target)
    fd, temporary = tempfile.mkstemp(prefix=".tracer-export-", dir=directory)  # created 0600
    try:
        with os.fdopen(fd, "wb") as out:
            if fmt == "har":
                count = write_har(_traces(index, summaries), out, raw_events=False)
            else:
                out.write(header_line())
                count = 0
                for summary in summaries:
                    for line in index.read_lines(summary):
                        out.write(line if line.endswith(b"\n") else line + b"\n")
                    count += 1
        os.chmod(temporary, FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return count


def _traces(index: TraceIndex, summaries: Iterable[TraceSummary]) -> Iterator[Trace]:
    for summary in summaries:
        yield index.read_trace(summary)


__all__ = [
    "COPY_FORMATS",
    "EXPORT_FORMATS",
    "FILE_MODE",
    "client_code",
    "copied_message",
    "default_export_path",
    "format_of",
    "with_format",
    "write_requests",
]
