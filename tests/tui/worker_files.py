"""Trace files two worker processes wrote (each with its own trace-id tag), for the worker column's tests."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tui.tracefiles import START, request, write

A, B = "6d29d4dd", "a3f07c11"


def logged_exception(trace: str, start: float, *, status: int = 500) -> list[str]:
    """An ASGI GET whose framework logged the exception it handled, then answered `status`."""
    lines = request(trace, start, 2_000_000, path="/boom", status=status)
    log = {"trace": trace, "seq": 1, "t_ns": 500_000, "kind": "app.log",
           "data": {"source": "logging", "level": "ERROR", "logger": "django.request", "thread": "MainThread",
                    "message": "Internal Server Error: /boom",
                    "exception": "Traceback (most recent call last):\nValueError: boom\n"}}
    renumbered = [json.loads(line) for line in lines[1:]]
    for record in renumbered:
        record["seq"] += 1
    return [lines[0], json.dumps(log) + "\n", *(json.dumps(record) + "\n" for record in renumbered)]


def two_workers(path: Path) -> str:
    """Worker A served /a and /c, worker B /b and /boom (which logged an exception and answered 200)."""
    return write(
        path,
        request(f"{A}-000001", START + 1.000, 1_000_000, path="/a"),
        request(f"{B}-000001", START + 1.002, 3_000_000, path="/b"),
        request(f"{A}-000002", START + 1.004, 2_000_000, path="/c", status=404),
        logged_exception(f"{B}-000002", START + 1.006, status=200),
    )
