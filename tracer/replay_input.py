"""``wsgi.input`` for a replayed request: the recorded body, read in the recorded pieces.

A sized read never runs past the end of a piece the recorded app got in one
read, so an app that reads as it did gets the same pieces, short reads
included. Werkzeug reads with ``readinto`` only where the stream has it, so
a replay offers the optional methods the recorded stream offered
(`ReplayInput.offering`).
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from typing import Any


class ReplayInput:
    """``wsgi.input`` holding a recorded request body; a sized read stops at the end of a recorded piece.

    Use `offering` for a class that also has ``readinto`` / ``read1``: Werkzeug
    reads with ``readinto`` only where the stream has it, so a replay offers
    what the recorded stream offered.
    """

    __slots__ = ("_data", "_position", "_ends")
    _classes: dict[frozenset[str], type[ReplayInput]] = {}

    def __init__(self, pieces: Iterable[bytes]) -> None:
        pieces = list(pieces)
        self._data = b"".join(pieces)
        self._position = 0
        self._ends: list[int] = []
        total = 0
        for piece in pieces:
            total += len(piece)
            self._ends.append(total)

    @classmethod
    def offering(cls, methods: Iterable[str]) -> type[ReplayInput]:
        """The class whose streams also have the optional methods among `methods` (``readinto``, ``read1``)."""
        chosen = frozenset(methods) & {"readinto", "read1"}
        found = cls._classes.get(chosen)
        if found is None:
            extra = {name: getattr(_Optional, name) for name in chosen}
            found = cls._classes[chosen] = type("ReplayInput", (cls,), {"__slots__": (), **extra})
        return found

    def _take(self, size: int | None) -> bytes:
        start, data = self._position, self._data
        stop = len(data)
        if size is not None and size >= 0:
            stop = min(stop, start + size)
            index = bisect_right(self._ends, start)
            if index < len(self._ends):
                stop = min(stop, self._ends[index])
        self._position = stop
        return data[start:stop]

    def read(self, size: int | None = -1) -> bytes:
        return self._take(size)

    def readline(self, size: int | None = -1) -> bytes:
        start, data = self._position, self._data
        newline = data.find(b"\n", start)
        stop = len(data) if newline < 0 else newline + 1
        if size is not None and size >= 0:
            stop = min(stop, start + size)
        self._position = stop
        return data[start:stop]

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        lines, total = [], 0
        while line := self.readline():
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self) -> ReplayInput:
        return self

    def __next__(self) -> bytes:
        line = self.readline()
        if not line:
            raise StopIteration
        return line


class _Optional:
    def readinto(self: Any, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._take(len(view))
        view[: len(data)] = data
        return len(data)

    def read1(self: Any, size: int | None = -1) -> bytes:
        return self._take(size)
