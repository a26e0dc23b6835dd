"""Small ASGI trace files written line by line, for UI tests that need their own times and shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HEADER = {"format": "tracer", "version": 1, "created": "2023-11-14T22:13:20+00:00", "tracer": "0.1.0"}
START = 1_700_000_000.0


def _record(trace: str, seq: int, t_ns: int, kind: str, data: dict[str, Any], **first: Any) -> str:
    return json.dumps({"trace": trace, "seq": seq, "t_ns": t_ns, "kind": kind, "data": data, **first}) + "\n"


def request(
    trace: str, start: float, took_ns: int, *, path: str = "/", status: int = 200, done: bool = True
) -> list[str]:
    """An ASGI GET that starts at `start` and answers `status` after `took_ns` (or is still running)."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": {"$bytes": path}, "query_string": {"$bytes": ""}, "root_path": "",
             "headers": [], "server": ["127.0.0.1", 8000], "client": ["127.0.0.1", 50000]}
    lines = [
        _record(trace, 0, 0, "asgi.scope", {"scope": scope}, protocol="asgi", scope_type="http", start=start),
        _record(trace, 1, took_ns // 2, "asgi.send",
                {"message": {"type": "http.response.start", "status": status, "headers": []}}),
    ]
    if done:
        lines += [
            _record(trace, 2, took_ns - 1000, "asgi.send",
                    {"message": {"type": "http.response.body", "body": {"$bytes": "ok"}, "more_body": False}}),
            _record(trace, 3, took_ns, "asgi.end", {}),
        ]
    return lines


def lifespan(trace: str, start: float, took_ns: int, *, done: bool = True) -> list[str]:
    """A lifespan session that starts up, and shuts down after `took_ns` (or is still serving)."""
    lines = [
        _record(trace, 0, 0, "asgi.scope", {"scope": {"type": "lifespan", "asgi": {"version": "3.0"}}},
                protocol="asgi", scope_type="lifespan", start=start),
        _record(trace, 1, 400_000, "asgi.receive", {"message": {"type": "lifespan.startup"}}),
        _record(trace, 2, 800_000, "asgi.send", {"message": {"type": "lifespan.startup.complete"}}),
    ]
    if done:
        lines += [
            _record(trace, 3, took_ns - 2000, "asgi.receive", {"message": {"type": "lifespan.shutdown"}}),
            _record(trace, 4, took_ns - 1000, "asgi.send", {"message": {"type": "lifespan.shutdown.complete"}}),
            _record(trace, 5, took_ns, "asgi.end", {}),
        ]
    return lines


def refused_lifespan(trace: str, start: float) -> list[str]:
    """Django's answer to a lifespan scope: it raises at once, which the ASGI spec allows."""
    return [
        _record(trace, 0, 0, "asgi.scope", {"scope": {"type": "lifespan", "asgi": {"version": "3.0"}}},
                protocol="asgi", scope_type="lifespan", start=start),
        _record(trace, 1, 300_000, "asgi.error",
                {"type": "ValueError", "message": "Django can only handle ASGI/HTTP connections, not lifespan.",
                 "traceback": "Traceback (most recent call last):\nValueError: Django can only handle ASGI/HTTP "
                              "connections, not lifespan.\n"}),
        _record(trace, 2, 400_000, "asgi.end", {}),
    ]


def write(path: Path, *traces: list[str]) -> str:
    """Write a trace file of `traces` (each a list of lines); returns its path as a string."""
    path.write_text(json.dumps(HEADER) + "\n" + "".join(line for trace in traces for line in trace))
    return str(path)
