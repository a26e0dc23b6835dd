"""Recording proxies for ``environ["wsgi.input"]`` and ``environ["wsgi.errors"]``.

A proxy offers exactly the methods its stream has: Werkzeug, for one, asks
``hasattr(stream, "readinto")`` before using it, so a proxy that offered a
method the stream lacks would change what the app does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._session import TraceSession
from .codec import encode


def traced_input(stream: Any, session: TraceSession, base: type[TracedInput] | None = None) -> TracedInput:
    """A `TracedInput` (or a subclass `base` of it) around `stream`, with the optional methods `stream` has."""
    # Which of _OPTIONAL_METHODS the stream has, asked without a generator: this runs for every request.
    key = (base or TracedInput, hasattr(stream, "readinto"), hasattr(stream, "read1"), hasattr(stream, "__next__"))
    proxy_class = _input_classes.get(key)
    if proxy_class is None:
        base = key[0]
        methods = {name: method for name, method, has in zip(_OPTIONAL_METHODS, _OPTIONAL_METHODS.values(), key[1:]) if has}
        proxy_class = type(base.__name__, (base,), {"__slots__": (), **methods})
        _input_classes[key] = proxy_class
    return proxy_class(stream, session)


class TracedInput:
    """Proxy for ``wsgi.input`` that records each read and returns exactly what the stream returned."""

    __slots__ = ("_stream", "_session")

    def __init__(self, stream: Any, session: TraceSession) -> None:
        self._stream = stream
        self._session = session

    def _record(self, method: str, size: Any, data: Any) -> Any:
        """Record one read; returns what the app gets (`data` itself: a subclass may hold or edit it)."""
        self._session.emit("wsgi.input", self._data(method, size, data))
        return data

    def _data(self, method: str, size: Any, data: Any) -> dict[str, Any]:
        session = self._session
        if type(data) is bytes:
            encoded: Any = session.request_body.encode(data)
        elif type(data) is list:
            encoded = [session.request_body.encode(d) if type(d) is bytes else encode(d) for d in data]
        else:
            encoded = encode(data)
        return {"method": method, "size": size if size is None or type(size) is int else encode(size), "data": encoded}

    def read(self, *args: Any) -> Any:
        return self._record("read", args[0] if args else None, self._stream.read(*args))

    def readline(self, *args: Any) -> Any:
        return self._record("readline", args[0] if args else None, self._stream.readline(*args))

    def readlines(self, *args: Any) -> Any:
        return self._record("readlines", args[0] if args else None, self._stream.readlines(*args))

    def __iter__(self) -> Iterator[Any]:
        iterator = iter(self._stream)
        while True:
            try:
                line = next(iterator)
            except StopIteration:
                self._record("iter", None, b"")
                return
            yield self._record("iter", None, line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __repr__(self) -> str:
        return f"<TracedInput {self._stream!r}>"


class TracedErrors:
    """Proxy for ``wsgi.errors`` that records what the app writes to it."""

    __slots__ = ("_stream", "_session")

    def __init__(self, stream: Any, session: TraceSession) -> None:
        self._stream = stream
        self._session = session

    def write(self, data: Any) -> Any:
        self._session.fenced("wsgi.errors", _errors_data, data)
        return self._stream.write(data)

    def writelines(self, lines: Any) -> Any:
        lines = list(lines)
        self._session.fenced("wsgi.errors", _errors_data, "".join(map(str, lines)))
        return self._stream.writelines(lines)

    def flush(self) -> Any:
        return self._stream.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)

    def __repr__(self) -> str:
        return f"<TracedErrors {self._stream!r}>"


def _errors_data(data: Any) -> dict[str, Any]:
    return {"data": encode(data)}


def _readinto(self: TracedInput, buffer: Any) -> Any:
    # Werkzeug's LimitedStream (Flask's request body) reads this way when it can.
    count = self._stream.readinto(buffer)
    data = bytes(memoryview(buffer)[:count]) if isinstance(count, int) and count > 0 else b""
    given = self._record("readinto", len(buffer), data)
    if given is not data:
        # An edit in the debugger (never longer than the buffer).
        memoryview(buffer).cast("B")[: len(given)] = given
        count = len(given)
    return count


def _read1(self: TracedInput, *args: Any) -> Any:
    return self._record("read1", args[0] if args else None, self._stream.read1(*args))


def _next(self: TracedInput) -> Any:
    try:
        line = next(self._stream)
    except StopIteration:
        self._record("iter", None, b"")
        raise
    return self._record("iter", None, line)


_OPTIONAL_METHODS = {"readinto": _readinto, "read1": _read1, "__next__": _next}
_input_classes: dict[tuple[Any, ...], type[TracedInput]] = {}
"""Proxy classes by (base, whether the stream has each of _OPTIONAL_METHODS, in its order)."""
