"""The "minimal recorder": the tracer's events for the benchmark's requests, written the simplest fast way.

A baseline for `overhead.py` and `throughput.py`, not a tracer: it writes the
same lines as `WSGITracer`/`ASGITracer` with a `JsonlSink` (the test
``tests/tracer/test_bench_minimal.py`` compares the bytes) for the requests the
benchmarks make, in process or through Werkzeug's server and uvicorn, with one Python call per event, no fencing of failures and
no live flushing: each trace's lines go to the file in one ``writev`` at its
end. What the tracer costs beyond it is the price of its generality.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

import orjson

from tracer import _session
from tracer.codec import encode_socket
from tracer.redact import DEFAULT_REDACT_HEADERS, Redactor

_OPT = orjson.OPT_APPEND_NEWLINE
_dumps = orjson.dumps
_LIMIT = 1024 * 1024
_BNAMES = frozenset(n.encode() for n in DEFAULT_REDACT_HEADERS)


def _now_ns() -> int:
    return _session._monotonic_ns()


def _trace_id() -> str:
    return _session.new_trace_id()


class _Trace:
    """One trace's lines, written at its end."""

    __slots__ = ("id", "t0", "seq", "lines", "remaining_in", "remaining_out")

    def __init__(self, kind: str, data: dict[str, Any], protocol: str) -> None:
        self.id = _trace_id()
        self.t0 = _now_ns()
        self.seq = 1
        self.remaining_in = self.remaining_out = _LIMIT
        first = {
            "trace": self.id,
            "seq": 0,
            "t_ns": 0,
            "kind": kind,
            "data": data,
            "protocol": protocol,
            "scope_type": "http",
            "start": time.time(),
        }
        self.lines = [_dumps(first, option=_OPT)]

    def add(self, kind: str, data: dict[str, Any]) -> None:
        seq = self.seq
        self.seq = seq + 1
        record = {"trace": self.id, "seq": seq, "t_ns": _now_ns() - self.t0, "kind": kind, "data": data}
        self.lines.append(_dumps(record, option=_OPT))


def _body(data: bytes) -> dict[str, Any]:
    # The benchmark's bodies are UTF-8 and well under the limit.
    return {"$bytes": data.decode()}


def _repr(value: Any) -> dict[str, str]:
    kind = type(value)
    text = repr(value)
    if len(text) > 300:
        text = text[:299] + "…"
    return {"$repr": text, "$type": f"{kind.__module__}.{kind.__qualname__}"}


class MinimalWSGI:
    """Records a WSGI request's events into `path`."""

    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        redactor = Redactor()
        self.secret = redactor.environ_keys | redactor._process_env

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        secret = self.secret
        snapshot: dict[str, Any] = {}
        for key, value in environ.items():
            kind = type(value)
            if key in secret:
                snapshot[key] = "[redacted]"
            elif kind is str or kind is bool or kind is int or value is None:
                snapshot[key] = value
            elif kind is tuple:
                snapshot[key] = list(value)
            elif kind is socket.socket:
                # Werkzeug's server passes its socket; the tracer's text of it, without the two system calls of repr().
                snapshot[key] = encode_socket(value)
            else:
                snapshot[key] = _repr(value)
        trace = _Trace("wsgi.environ", {"environ": snapshot}, "wsgi")
        environ["wsgi.input"] = _Input(environ["wsgi.input"], trace)
        status: list[str] = []

        def minimal_start_response(status_line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            encoded = [[n, "[redacted]" if n.lower() in DEFAULT_REDACT_HEADERS else v] for n, v in headers]
            trace.add("wsgi.start_response", {"status": status_line, "headers": encoded, "exc_info": None})
            status.append(status_line)
            return start_response(status_line, headers, exc_info)

        result = self.app(environ, minimal_start_response)
        return _Result(result, trace, status, self.fd)


class _Input:
    __slots__ = ("stream", "trace")

    def __init__(self, stream: Any, trace: _Trace) -> None:
        self.stream = stream
        self.trace = trace

    def read(self, size: int | None = None) -> bytes:
        data = self.stream.read(size)
        self.trace.add("wsgi.input", {"method": "read", "size": size, "data": _body(data)})
        return data


class _Result:
    __slots__ = ("result", "iterator", "trace", "status", "fd", "sent", "exhausted")

    def __init__(self, result: Any, trace: _Trace, status: list[str], fd: int) -> None:
        self.result = result
        self.iterator = iter(result)
        self.trace = trace
        self.status = status
        self.fd = fd
        self.sent = 0
        self.exhausted = False

    def __len__(self) -> int:
        return len(self.result)

    def __iter__(self) -> _Result:
        return self

    def __next__(self) -> bytes:
        try:
            chunk = next(self.iterator)
        except StopIteration:
            self.exhausted = True
            raise
        self.sent += len(chunk)
        self.trace.add("wsgi.body", {"data": _body(chunk)})
        return chunk

    def close(self) -> None:
        trace = self.trace
        trace.add("wsgi.close", {})
        trace.add("wsgi.end", {"status": self.status[0], "bytes_sent": self.sent, "exhausted": self.exhausted})
        os.writev(self.fd, trace.lines)


def _headers(headers: list[tuple[bytes, bytes]]) -> list[list[dict[str, str]]]:
    return [
        [{"$bytes": n.decode()}, {"$bytes": "[redacted]" if n.lower() in _BNAMES else v.decode()}] for n, v in headers
    ]


def _mapping(mapping: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        kind = type(value)
        if kind is str or kind is bool or kind is int or value is None:
            out[key] = value
        elif key == "headers":
            out[key] = _headers(value)
        elif kind is bytes:
            out[key] = _body(value)
        elif kind is tuple:
            out[key] = list(value)
        else:
            out[key] = _mapping(value)
    return out


class MinimalASGI:
    """Records an ASGI http request's messages into `path`."""

    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        trace = _Trace("asgi.scope", {"scope": _mapping(scope)}, "asgi")

        async def minimal_receive() -> Any:
            message = await receive()
            trace.add("asgi.receive", {"message": _mapping(message)})
            return message

        async def minimal_send(message: Any) -> None:
            trace.add("asgi.send", {"message": _mapping(message)})
            await send(message)

        try:
            await self.app(scope, minimal_receive, minimal_send)
        finally:
            trace.add("asgi.end", {})
            os.writev(self.fd, trace.lines)
