"""A recorded traceback read as frames: which are the app's own, which a library's, the stdlib's or tracer's.

A framework's traceback is mostly the framework: twenty Starlette or Django
frames around the two lines that are the app's. `read_traceback` tells them
apart by path, and names the innermost frame of the app's own code (not in
site-packages, not the standard library, not tracer) as *your code*, the
frame a person looks for first. Tracer's own frames (the middleware around
the app) are left out and counted. Paths are read as recorded, so a trace
from another machine reads the same.

    shown = read_traceback(text)
    shown.yours          # Frame('/srv/app/views.py', 27, 'helper', ...)
    for line in shown.lines:
        print(line.role, line.text)
"""

from __future__ import annotations

import os
import pkgutil
import re
import sysconfig
from dataclasses import dataclass, field

APP, LIBRARY, STDLIB, TRACER = "app", "library", "stdlib", "tracer"
"""Where a frame's code comes from."""

HEADING, FRAME, CODE, EXCEPTION, OMITTED, TEXT = "heading", "frame", "code", "exception", "omitted", "text"
"""Roles of a traceback's lines."""

_FRAME = re.compile(r'^(?P<lead>[ |+\-]*)File "(?P<path>.*)", line (?P<line>\d+), in (?P<function>.*)$')
_HEADINGS = (
    "Traceback (most recent call last):",
    "During handling of the above exception, another exception occurred:",
    "The above exception was the direct cause of the following exception:",
)
_STDLIB = re.compile(r"[/\\]lib[/\\]python3(\.\d+)?t?[/\\]|[/\\]Lib[/\\]", re.IGNORECASE)
_OWN_DIR = os.path.dirname(os.path.abspath(__file__))
_OWN_MODULES = frozenset(module.name for module in pkgutil.iter_modules([_OWN_DIR]))
_OWN_PATH = re.compile(r"[/\\]tracer[/\\](?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:\.py$|[/\\])")


@dataclass(frozen=True, slots=True)
class Frame:
    """One frame of a traceback: where it ran and the source lines shown under it."""

    path: str
    line: int
    function: str
    origin: str
    source: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """``views.py:27 in helper`` with the path as recorded."""
        return f"{self.path}:{self.line} in {self.function}"

    @property
    def code(self) -> str:
        """The frame's source line, stripped (``""`` when the traceback has none)."""
        return self.source[0].strip() if self.source else ""


@dataclass(frozen=True, slots=True)
class TracebackLine:
    """One line to show, with its role (`HEADING`, `FRAME`, `CODE`, `EXCEPTION`, `OMITTED`, `TEXT`).

    A `FRAME` or `CODE` line carries its frame; `yours` marks the lines of the *your code* frame.
    """

    text: str
    role: str
    frame: Frame | None = None
    yours: bool = False


@dataclass(frozen=True, slots=True)
class ReadTraceback:
    """A traceback as lines to show, tracer's frames left out, and the app's own innermost frame."""

    lines: list[TracebackLine] = field(default_factory=list)
    yours: Frame | None = None
    left_out: int = 0
    """Tracer frames left out."""


def origin(path: str) -> str:
    """Where the code at `path` comes from: `TRACER`, `LIBRARY` (site- or dist-packages), `STDLIB` or `APP`."""
    match = _OWN_PATH.search(path)
    if (match is not None and match.group("name") in _OWN_MODULES) or _under(path, _OWN_DIR):
        return TRACER
    if "site-packages" in path or "dist-packages" in path:
        return LIBRARY
    if path.startswith("<frozen ") or _STDLIB.search(path) or any(_under(path, root) for root in _STDLIB_ROOTS):
        return STDLIB
    return APP


def short_path(path: str) -> str:
    """A library's or the standard library's path from its package on (``…/starlette/routing.py``); others as they are."""
    for marker in ("site-packages", "dist-packages"):
        at = path.rfind(marker)
        if at >= 0:
            return "…" + path[at + len(marker) :]
    match = _STDLIB.search(path)
    if match is not None:
        return "…" + path[match.end() - 1 :]
    return path


def read_traceback(text: str, *, shorten: bool = False) -> ReadTraceback:
    """`text` (a formatted traceback, chained ones too) as lines with roles, and the *your code* frame.

    The *your code* frame is the innermost app frame of the last traceback
    (the exception that was raised in the end), or of an earlier one when the
    last has none. With `shorten`, library and stdlib frames' lines give their
    paths from the package on (`short_path`).
    """
    lines = text.rstrip("\n").split("\n")
    sections: list[list[int]] = [[]]  # line indexes of frames, per traceback
    parsed: list[TracebackLine] = []
    frame: Frame | None = None
    frame_lead = ""
    for raw in lines:
        match = _FRAME.match(raw)
        if match is not None:
            path = match.group("path")
            frame = Frame(path, int(match.group("line")), match.group("function"), origin(path))
            frame_lead = match.group("lead")
            sections[-1].append(len(parsed))
            if shorten and frame.origin in (LIBRARY, STDLIB):
                raw = raw.replace(f'File "{path}"', f'File "{short_path(path)}"', 1)
            parsed.append(TracebackLine(raw, FRAME, frame))
            continue
        stripped = raw.strip(" |")
        if stripped in _HEADINGS:
            if stripped != _HEADINGS[0] or sections[-1]:
                sections.append([])
            frame = None
            parsed.append(TracebackLine(raw, HEADING))
        elif frame is not None and raw.startswith(frame_lead + " ") and raw.strip():
            parsed.append(TracebackLine(raw, CODE, frame))
        else:
            frame = None
            parsed.append(TracebackLine(raw, EXCEPTION if raw and not raw[0].isspace() else TEXT))
    # Each frame with its source lines (carets included).
    sources: dict[int, list[str]] = {}
    for item in parsed:
        if item.frame is not None and item.role == CODE:
            sources.setdefault(id(item.frame), []).append(item.text)
    yours: Frame | None = None
    for section in reversed(sections):
        for index in reversed(section):
            candidate = parsed[index].frame
            if candidate is not None and candidate.origin == APP:
                yours = candidate
                break
        if yours is not None:
            break
    chosen = yours
    if yours is not None:
        yours = _with_source(yours, sources.get(id(yours), []))
    result: list[TracebackLine] = []
    left_out = 0
    run = 0
    for item in parsed:
        if item.frame is not None and item.frame.origin == TRACER:
            if item.role == FRAME:
                left_out += 1
                run += 1
            continue
        if run:
            result.append(_omitted(run))
            run = 0
        if item.frame is not None:
            result.append(TracebackLine(item.text, item.role, item.frame, item.frame is chosen))
        else:
            result.append(item)
    if run:
        result.append(_omitted(run))
    return ReadTraceback(result, yours, left_out)


def _with_source(frame: Frame, source: list[str]) -> Frame:
    return Frame(frame.path, frame.line, frame.function, frame.origin, tuple(source))


def _omitted(count: int) -> TracebackLine:
    return TracebackLine(f"  … {count} tracer frame{'s' if count != 1 else ''} left out", OMITTED)


def _under(path: str, root: str) -> bool:
    return bool(root) and (path == root or path.startswith(root.rstrip("/\\") + os.sep))


_STDLIB_ROOTS = tuple(
    dict.fromkeys(
        os.path.abspath(path)
        for path in (sysconfig.get_paths().get("stdlib"), sysconfig.get_paths().get("platstdlib"))
        if path
    )
)
