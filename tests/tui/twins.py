"""A trace file of the demo's twin notes app: one POST /notes to the WSGI twin, one to the ASGI twin.

The two requests are recorded through `WSGITracer` and `ASGITracer` from
`sample_apps.twin_wsgi` and `sample_apps.twin_asgi`, then given fixed ids
and times (as `tests/fixtures/make_fixtures.py` does), so the UI draws them
the same on every run. They differ as a WSGI/ASGI pair recorded from two
clients would: the ASGI request carries an extra header, its JSON body is
another note and arrives in two ``http.request`` messages.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from typing import Any

from werkzeug.test import EnvironBuilder, run_wsgi_app

from sample_apps import twin_asgi, twin_wsgi
from tracer import ASGITracer, WSGITracer

HEADER = {"format": "tracer", "version": 1, "created": "2023-11-14T22:13:20+00:00", "tracer": "0.1.0"}
START = 1_700_000_000.0
TIMING = {"wsgi-notes": (0.0, 50_000), "asgi-notes": (0.010, 40_000)}
"""Trace id -> (start offset in seconds, nanoseconds between steps)."""
WSGI_BODY = b'{"text": "hello"}'
ASGI_PIECES = (b'{"text": ', b'"hello, ASGI"}')
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


class _Records:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    def write(self, record: dict[str, Any]) -> None:
        self.records.append(record)

    def close(self) -> None:
        pass


def _post_wsgi(sink: _Records) -> None:
    environ = EnvironBuilder(
        path="/notes", method="POST", data=WSGI_BODY,
        headers={"Host": "notes.test", "Content-Type": "application/json", "User-Agent": "twins/1.0"},
    ).get_environ()
    body, _, _ = run_wsgi_app(WSGITracer(twin_wsgi.app, sink=sink), environ, buffered=True)
    b"".join(body)


async def _post_asgi(sink: _Records) -> None:
    size = str(sum(len(piece) for piece in ASGI_PIECES)).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"}, "http_version": "1.1",
        "method": "POST", "scheme": "http", "path": "/notes", "raw_path": b"/notes", "query_string": b"",
        "root_path": "", "client": ["127.0.0.1", 51000], "server": ["notes.test", 80],
        "headers": [(b"host", b"notes.test"), (b"content-type", b"application/json"), (b"user-agent", b"twins/1.0"),
                    (b"accept", b"application/json"), (b"content-length", size)],
    }
    inbound = [
        {"type": "http.request", "body": ASGI_PIECES[0], "more_body": True},
        {"type": "http.request", "body": ASGI_PIECES[1], "more_body": False},
    ]

    async def receive() -> dict[str, Any]:
        return inbound.pop(0) if inbound else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        pass

    await ASGITracer(twin_asgi.app, sink=sink)(scope, receive, send)


def write_twins(path: str) -> None:
    """Write the twin trace file to `path`."""
    sink = _Records()
    saved = list(twin_wsgi._notes), list(twin_asgi._notes)
    twin_wsgi._notes.clear()  # Each app numbers its notes: start both from none.
    twin_asgi._notes.clear()
    try:
        _post_wsgi(sink)
        asyncio.run(_post_asgi(sink))
    finally:
        twin_wsgi._notes[:], twin_asgi._notes[:] = saved
    names = iter(TIMING)
    ids: dict[str, str] = {}
    records = []
    for record in sink.records:
        record = json.loads(_ADDRESS.sub(" at 0x0", json.dumps(record)))
        if record["trace"] not in ids:
            ids[record["trace"]] = next(names)
        name = ids[record["trace"]]
        offset, step = TIMING[name]
        record["trace"] = name
        record["t_ns"] = record["seq"] * step
        if "start" in record:
            record["start"] = round(START + offset, 6)
        records.append(record)
    with open(path, "w", encoding="utf-8", newline="\n") as out:
        out.write(json.dumps(HEADER, separators=(",", ":")) + "\n")
        for record in records:
            out.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")


def twins_file(directory: str) -> str:
    """Write ``twins.jsonl`` in `directory`; returns its path."""
    path = os.path.join(directory, "twins.jsonl")
    write_twins(path)
    return path
