"""Trace files of tests: one per test, named after its node id, written whole."""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import tempfile
from pathlib import Path
from typing import Any

from .jsonl import dumps_record, header_line
from .reader import FORMAT

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_MAX_NAME = 120


class TraceFiles:
    """Names, writes and removes the trace files of one test session.

    Args:
        folder: Where the files go; created (owner-only) when first needed.
        shown_from: Paths in messages are relative to this folder when inside it.
    """

    def __init__(self, folder: Path, shown_from: Path) -> None:
        self.folder = folder
        self.shown_from = shown_from
        self._names: dict[str, str] = {}  # file name -> node id

    def path_for(self, nodeid: str) -> Path:
        """The trace file of a test: its node id made a file name, unique in this session."""
        name = _UNSAFE.sub("-", nodeid.replace("::", "-")).strip("-.") or "test"
        if len(name) > _MAX_NAME:
            name = name[: _MAX_NAME - 11].rstrip("-.")
            name = f"{name}-{_digest(nodeid)}"
        owner = self._names.setdefault(name, nodeid)
        if owner != nodeid:
            # Two node ids that differ only in characters a file name cannot hold.
            name = f"{name}-{_digest(nodeid)}"
            self._names[name] = nodeid
        return self.folder / f"{name}.jsonl"

    def write(self, path: Path, records: list[dict[str, Any]]) -> None:
        """Write `records` as a trace file at `path`, replacing any earlier one.

        Each trace's lines are kept together, in start order; the file is
        created owner-only and appears whole (written aside, then renamed).
        """
        self._make_folder()
        by_trace: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_trace.setdefault(record["trace"], []).append(record)
        lines = [header_line()]
        for trace_records in by_trace.values():
            trace_records.sort(key=lambda record: record["seq"])
            lines.extend(dumps_record(record) for record in trace_records)
        fd, temporary = tempfile.mkstemp(prefix=".", suffix=".part", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.writelines(lines)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def remove_stale(self, path: Path) -> None:
        """Remove a trace file an earlier run left for a test that has now passed."""
        try:
            with path.open("rb") as handle:
                first = handle.readline(200)
        except OSError:
            return
        if f'"format":"{FORMAT}"'.encode() in first.replace(b" ", b""):
            path.unlink(missing_ok=True)

    def shown(self, path: Path) -> str:
        """`path` as messages show it: relative to where pytest was started when inside it."""
        try:
            return str(path.relative_to(self.shown_from))
        except ValueError:
            return str(path)

    def view_command(self, path: Path) -> str:
        """The one command that opens `path`."""
        return f"tracer view {shlex.quote(self.shown(path))}"

    def _make_folder(self) -> None:
        if self.folder.is_dir():
            return
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.folder.name == ".tracer":
            # Like .pytest_cache: test output that no one means to commit.
            (self.folder / ".gitignore").write_text("# Created by tracer's pytest plugin.\n*\n")


def _digest(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:10]
