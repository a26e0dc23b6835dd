"""The held replay of a request held at its first event: named from its scope, and fed by the file once it has lines."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from textual.widgets import Static

from tests.tui.conftest import fixed_checker, wait_for
from tests.tui.debugfakes import attach_fake, held_event
from tui.app import TracerApp
from tui.debugger import method_and_path, where
from tui.screens.held import HeldScreen
from tui.widgets.held_table import HeldRequestTable

SIZE = (120, 36)
SCOPE = {"type": "http", "method": "GET", "path": "/hello", "root_path": "", "query_string": b""}


def at_first_event(trace: str = "new-000001"):  # type: ignore[no-untyped-def]
    """A request held at its scope, before the app saw it: the debugger knows no method or path yet."""
    held = held_event(trace, kind="asgi.scope", data={"scope": SCOPE}, seq=0, editable=(), title="? ?")
    return replace(held, type="http", method=None, path=None)


def test_a_request_held_at_its_first_event_is_named_from_its_scope() -> None:
    held = at_first_event()
    assert method_and_path(held) == ("GET", "/hello")
    assert where(held) == "asgi.scope"
    environ = held_event(kind="wsgi.environ", data={"environ": {"REQUEST_METHOD": "POST", "SCRIPT_NAME": "/app",
                                                               "PATH_INFO": "/form"}}, seq=0)
    assert method_and_path(replace(environ, method=None, path=None)) == ("POST", "/app/form")
    # Later events keep what the debugger says.
    assert method_and_path(held_event(title="GET /stream")) == ("GET", "/stream")
    assert where(held_event()) == "http.response.body"


def scope_line(trace: str) -> str:
    return json.dumps({
        "trace": trace, "seq": 0, "t_ns": 0, "kind": "asgi.scope",
        "data": {"scope": {**SCOPE, "query_string": {"$bytes": ""}}},
        "protocol": "asgi", "scope_type": "http", "start": 1_700_000_000.0,
    }) + "\n"


async def test_the_replay_opens_before_the_file_has_a_line_and_reads_it_once_it_has(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text(json.dumps({"format": "tracer", "version": 1, "created": "2023-11-14T22:13:20Z"}) + "\n")
    app = TracerApp(str(path), live=True, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not app.requests.scanning)
        connection = await attach_fake(pilot)
        first = at_first_event()
        connection.hold(first)
        table = app.screen.query_one(HeldRequestTable)
        await wait_for(pilot, lambda: table.row_count == 1)
        assert table.rows[0].path == "/hello" and table.rows[0].method == "GET"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, HeldScreen))
        screen = app.screen
        assert isinstance(screen, HeldScreen)
        await wait_for(pilot, lambda: screen.view.held_step == 0)
        assert "GET /hello" in str(screen.query_one("#replay-title", Static).content)
        assert screen.steps.count == 0 and screen.step == 0

        # n: the scope goes on, is written to the file, and the request is held at its next event.
        await pilot.press("n")
        assert connection.calls[-1] == ("next", first.hold)
        with open(path, "a", encoding="utf-8") as out:
            out.write(scope_line(first.trace))
        connection.hold(held_event(first.trace, hold=f"{first.trace}:2", seq=1, title="GET /hello", editable=(),
                                   message={"type": "http.response.start", "status": 200, "headers": []}))
        await wait_for(pilot, lambda: screen.steps.count == 1 and screen.view.held_step == 1)
        await wait_for(pilot, lambda: screen.step == 1)
        assert screen.view.row(0).kind == "asgi.scope" and screen.view.row(1).kind == "asgi.send"
        assert "held at http.response.start (step 1)" in str(screen.query_one("#replay-held", Static).content)
