"""Reading trace files: the header, each event line, and whole traces.

Every reader of a trace file (`read_traces`, `iter_traces`, `TraceIndex`,
the commands, the UI) parses and judges lines here, so a bad line gets the
same message wherever it is read: ``file:line: reason``.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Union

import orjson

from .errors import TraceFileError, TracerWarning, UnsupportedFormatError
from .model import Trace
from .summary import PROTOCOLS, SCOPE_TYPES

if TYPE_CHECKING:
    from ._assemble import TraceAssembler

FORMAT = "tracer"
VERSION = 1

Source = Union[str, "os.PathLike[str]", IO[bytes]]


def check_header(line: bytes, name: str) -> dict[str, Any]:
    """Validate a trace file's first line.

    Raises:
        TraceFileError: It is not a tracer header.
        UnsupportedFormatError: It names another format or a newer version.
    """
    if not line.strip():
        raise TraceFileError(f"{name}: empty file, not a tracer trace file")
    try:
        header = loads(line)
    except (ValueError, RecursionError):
        raise TraceFileError(f"{name}:1: not a tracer trace file (the first line is not JSON)") from None
    if not isinstance(header, dict) or "format" not in header:
        raise TraceFileError(f"{name}:1: not a tracer trace file (no header line)")
    if header.get("format") != FORMAT:
        raise UnsupportedFormatError(f"{name}:1: unknown trace format {header.get('format')!r} (expected {FORMAT!r})")
    version = header.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise UnsupportedFormatError(f"{name}:1: trace format version {version!r} is not a number")
    if version > VERSION:
        raise UnsupportedFormatError(
            f"{name}:1: trace format version {version} is newer than this tracer reads ({VERSION}); upgrade tracer"
        )
    return header


def loads(line: bytes) -> Any:
    """Parse one JSON line (orjson, falling back to the stdlib for escaped surrogates and big ints)."""
    try:
        return orjson.loads(line)
    except orjson.JSONDecodeError:
        return json.loads(line)


def validate_record(value: Any) -> str | None:
    """Why `value` is not a valid event record, or None if it is."""
    if (type(value) is dict and type(value.get("trace")) is str and type(value.get("seq")) is int
            and type(value.get("t_ns")) is int and type(value.get("kind")) is str and type(value.get("data")) is dict):
        return None  # What JSON makes of a good line, checked at once (by exact type: a bool is no int).
    if not isinstance(value, dict):
        return "not a JSON object"
    for key, kind in (("trace", str), ("seq", int), ("t_ns", int), ("kind", str), ("data", dict)):
        if key not in value:
            return f"event has no {key!r}"
        if not isinstance(value[key], kind) or (kind is int and isinstance(value[key], bool)):
            return f"event field {key!r} is not a {kind.__name__}"
    return None


def first_record_problem(record: dict[str, Any]) -> str | None:
    """Why a trace's first record cannot open a trace (an undefined protocol or scope type), or None."""
    protocol = record.get("protocol")
    if protocol is None:
        protocol = record["kind"].partition(".")[0]
        if protocol not in PROTOCOLS:
            return f"the first event of trace {record['trace']!r} has kind {record['kind']!r} and no protocol"
    elif protocol not in PROTOCOLS:
        return f"protocol {protocol!r} is not one the trace format defines ({', '.join(PROTOCOLS)})"
    scope_type = record.get("scope_type")
    if scope_type is not None and scope_type not in SCOPE_TYPES:
        return f"scope_type {scope_type!r} is not one the trace format defines ({', '.join(SCOPE_TYPES)})"
    return None


def line_problem(line: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """Parse one event line: ``(record, None)``, or ``(None, reason)`` when it is not an event."""
    try:
        record = loads(line)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        return None, f"not valid JSON ({_short(exc)})"
    problem = validate_record(record)
    if problem is not None:
        return None, problem
    return record, None


def parse_record(line: bytes, name: str, line_no: int) -> dict[str, Any]:
    """Parse and validate one event line.

    Raises:
        TraceFileError: The line is not JSON or not an event; the message names file and line.
    """
    record, problem = line_problem(line)
    if record is None:
        raise TraceFileError(f"{name}:{line_no}: {problem}")
    return record


def decode_problem(exc: Exception) -> str:
    """The reason given for event data whose ``$``-encodings do not decode."""
    return f"cannot decode event data ({type(exc).__name__}: {_short(exc)})"


def cut_line_warning(name: str, line_no: int) -> str:
    """What a reader says of a last line without its newline that does not parse."""
    return (
        f"{name}:{line_no}: last line is cut off (the file is still being written, "
        "or the writer stopped mid-line); it was skipped"
    )


def _short(exc: Exception) -> str:
    return str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__


def iter_records(source: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_no, record)`` for each event line of a trace file.

    A path whose file was rotated (``path.1``, ``path.2``… beside it) is read
    as one file, oldest part first. A last line cut off mid-write is skipped
    with a `TracerWarning`.

    Raises:
        TraceFileError: Missing file, no header, or a malformed line (named).
    """
    if not hasattr(source, "read"):
        for older in rotated_predecessors(os.fspath(source)):  # type: ignore[arg-type]
            yield from _records_of(older)
    yield from _records_of(source)


def _records_of(source: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    handle, name, owned = open_source(source)
    try:
        check_header(handle.readline(), name)
        line_no = 1
        pending: bytes | None = None
        for line in handle:
            line_no += 1
            if pending is not None:
                yield from _one(pending, name, line_no - 1)
            pending = line
        if pending is not None:
            if pending.endswith(b"\n"):
                yield from _one(pending, name, line_no)
            else:
                record, _problem = line_problem(pending)
                if record is None:
                    warnings.warn(cut_line_warning(name, line_no), TracerWarning, stacklevel=3)
                else:
                    yield line_no, record
    finally:
        if owned:
            handle.close()


def _one(line: bytes, name: str, line_no: int) -> Iterator[tuple[int, dict[str, Any]]]:
    if line.strip():
        yield line_no, parse_record(line, name, line_no)


def open_source(source: Source) -> tuple[IO[bytes], str, bool]:
    """``(binary handle, name for messages, whether the caller must close it)``.

    Raises:
        TraceFileError: The path is missing, a directory, or unreadable.
    """
    if hasattr(source, "read"):
        handle = source  # type: ignore[assignment]
        return handle, str(getattr(handle, "name", "<stream>")), False  # type: ignore[return-value]
    name = os.fspath(source)  # type: ignore[arg-type]
    try:
        return open(name, "rb"), name, True
    except OSError as exc:
        raise TraceFileError(open_problem(name, exc)) from None


def open_problem(name: str, exc: OSError) -> str:
    """The one-line message for a trace file that cannot be opened for reading."""
    if isinstance(exc, FileNotFoundError):
        return f"{name}: no such file"
    if isinstance(exc, IsADirectoryError):
        return f"{name}: is a directory, not a trace file"
    return f"{name}: cannot read: {exc.strerror or exc}"


def rotated_predecessors(path: str) -> list[str]:
    """The files a size-rotating `JsonlSink` left beside `path` (``path.1``, ``path.2``…), oldest first."""
    names = []
    number = 1
    while os.path.isfile(f"{path}.{number}"):
        names.append(f"{path}.{number}")
        number += 1
    return names[::-1]


def _assembled(source: Source) -> Iterator[tuple[TraceAssembler, Any]]:
    from ._assemble import TraceAssembler  # Only to read whole traces: the UI's list paints without it.

    assembler = TraceAssembler()
    name = _source_name(source)
    for line_no, record in iter_records(source):
        if record["trace"] not in assembler:
            problem = first_record_problem(record)
            if problem is not None:
                raise TraceFileError(f"{name}:{line_no}: {problem}")
        try:
            done = assembler.add(record)
        except Exception as exc:  # noqa: BLE001 - malformed $-encodings
            raise TraceFileError(f"{name}:{line_no}: {decode_problem(exc)}") from None
        yield assembler, done
    yield assembler, None


def iter_traces(source: Source) -> Iterator[Trace]:
    """Yield traces as the file completes them, then the incomplete ones.

    Memory holds only the traces still open at a given point of the file,
    so this streams through files of any size. For start order, use
    `TraceIndex.traces`.

    Raises:
        TraceFileError: As `read_traces`.
    """
    assembler = None
    for assembler, done in _assembled(source):
        if done is not None:
            yield assembler.pop(done.id) or done
    if assembler is not None:
        yield from assembler.traces()


def read_traces(source: Source) -> list[Trace]:
    """Read every trace of a trace file, in order of first appearance.

    Args:
        source: A path, or an open binary file.

    Returns:
        The traces, complete or still in progress, with decoded event data.

    Raises:
        TraceFileError: Missing file, not a trace file, or a malformed line (the
            message names file and line). A cut last line only warns.
        UnsupportedFormatError: Another format or a newer version.
    """
    from ._assemble import TraceAssembler

    assembler = TraceAssembler()
    for assembler, _done in _assembled(source):
        pass
    return assembler.traces()


def _source_name(source: Source) -> str:
    if hasattr(source, "read"):
        return str(getattr(source, "name", "<stream>"))
    return os.fspath(source)  # type: ignore[arg-type]
