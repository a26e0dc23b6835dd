"""The list marks a request edited at a breakpoint; the diagram's end step after an exception says the app raised."""

from __future__ import annotations

import json
from pathlib import Path

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tracer.edited_step import EDITED_MARK
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.widgets.request_table import RequestTable

HEADER = {"format": "tracer", "version": 1, "created": "2026-11-30T00:00:00+00:00"}
SCOPE = {"type": "http", "method": "GET", "path": "/x", "headers": [], "query_string": {"$bytes": ""}}


def start(trace: str, path: str) -> dict:
    scope = {**SCOPE, "path": path}
    return {"trace": trace, "seq": 0, "t_ns": 0, "kind": "asgi.scope", "data": {"scope": scope},
            "protocol": "asgi", "scope_type": "http", "start": 1700000000.0}


def event(trace: str, seq: int, kind: str, data: dict) -> dict:
    return {"trace": trace, "seq": seq, "t_ns": seq * 1000, "kind": kind, "data": data}


def response_start(status: int) -> dict:
    return {"type": "http.response.start", "status": status, "headers": []}


def write(path: Path) -> str:
    records = [
        HEADER,
        start("edited", "/edited"),
        event("edited", 1, "asgi.send", {"message": response_start(418), "held_ns": 5_000_000, "released": "next",
                                         "original": {"message": response_start(200)}}),
        event("edited", 2, "asgi.send", {"message": {"type": "http.response.body", "body": {"$bytes": "ok"}}}),
        event("edited", 3, "asgi.end", {}),
        start("raised", "/raised"),
        event("raised", 1, "asgi.error", {"type": "KeyError", "message": "'missing'",
                                          "traceback": "Traceback (most recent call last):\nKeyError: 'missing'\n"}),
        event("raised", 2, "asgi.end", {}),
    ]
    path.write_text("".join(json.dumps(record) + "\n" for record in records))
    return str(path)


async def test_an_edited_request_is_marked_and_the_end_after_an_exception_reads_raised(tmp_path: Path) -> None:
    app = TracerApp(write(tmp_path / "t.jsonl"), checker=fixed_checker)
    async with app.run_test(size=(140, 30)) as pilot:
        await scanned(pilot)
        table = app.screen.query_one(RequestTable)
        lines = {row.path: table.render_line(1 + n).text for n, row in enumerate(table.rows)}
        assert f"{EDITED_MARK}418" in lines["/edited"]
        assert EDITED_MARK not in lines["/raised"]
        table.cursor = [row.path for row in table.rows].index("/raised")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen))
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        label = screen.steps.row(2).arrow.label
        assert "raised" in label and "return" not in label
