"""Snapshots of the replay's protocol-state panel and of the spec beside a step (fixed ids and times).

Update only after reading the report: pytest tests/tui/test_snapshots_states.py --snapshot-update
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import FIXTURES, fixed_checker, scanned, wait_for
from tests.tui.test_snapshots import opening
from tests.tui.tracefiles import HEADER
from tui.app import TracerApp
from tui.widgets.state_panel import StatePanel

SIZE = (120, 36)


@pytest.fixture
def app(monkeypatch: pytest.MonkeyPatch) -> TracerApp:
    # A relative path, so the title bar shows the same name everywhere.
    monkeypatch.chdir(FIXTURES)
    return TracerApp("mixed.jsonl", checker=fixed_checker)


def _line(seq: int, kind: str, data: dict, **first: object) -> str:  # type: ignore[type-arg]
    return json.dumps({"trace": "twice", "seq": seq, "t_ns": seq * 100_000, "kind": kind, "data": data, **first})


@pytest.fixture
def broken(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> TracerApp:
    """An ASGI app that sends http.response.start twice."""
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": "/twice", "raw_path": {"$bytes": "/twice"}, "query_string": {"$bytes": ""}, "root_path": "",
             "headers": [], "server": ["127.0.0.1", 8000], "client": ["127.0.0.1", 50000]}
    start = {"type": "http.response.start", "headers": [[{"$bytes": "content-type"}, {"$bytes": "text/plain"}]]}
    lines = [
        _line(0, "asgi.scope", {"scope": scope}, protocol="asgi", scope_type="http", start=1_700_000_000.0),
        _line(1, "asgi.receive", {"message": {"type": "http.request", "body": {"$bytes": ""}, "more_body": False}}),
        _line(2, "asgi.send", {"message": {**start, "status": 200}}),
        _line(3, "asgi.send", {"message": {**start, "status": 500}}),
        _line(4, "asgi.send", {"message": {"type": "http.response.body", "body": {"$bytes": "oops"}}}),
        _line(5, "asgi.end", {}),
    ]
    (tmp_path / "broken.jsonl").write_text(json.dumps(HEADER) + "\n" + "\n".join(lines) + "\n")
    monkeypatch.chdir(tmp_path)
    return TracerApp("broken.jsonl")


class TestStatePanel:
    def test_wsgi_first_chunk_sends_the_headers(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # start_response, then the first non-empty chunk: status and headers set → headers sent.
        assert snap_compare(app, run_before=opening("wsgi-stream", "right", "right"), terminal_size=SIZE)

    def test_asgi_http_response_started(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # The streamed request body read (two pieces), then http.response.start: body read → response started.
        assert snap_compare(app, run_before=opening("asgi-stream", "right", "right", "right"), terminal_size=SIZE)

    def test_the_panel_scrolls_to_the_framing_and_the_request_body(  # type: ignore[no-untyped-def]
        self, snap_compare, app: TracerApp
    ) -> None:
        async def run_before(pilot: Pilot) -> None:
            await opening("asgi-stream", "right", "right", "right")(pilot)
            pilot.app.screen.query_one(StatePanel).scroll_end(animate=False)  # what follows from the state
            await pilot.pause()

        assert snap_compare(app, run_before=run_before, terminal_size=(160, 45))

    def test_websocket_accepted(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # websocket.connect, then websocket.accept: connecting → accepted.
        assert snap_compare(app, run_before=opening("asgi-ws", "right", "right"), terminal_size=SIZE)

    def test_lifespan_started(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # lifespan.startup, then lifespan.startup.complete: starting → started.
        assert snap_compare(app, run_before=opening("asgi-lifespan", "right", "right"), terminal_size=SIZE)

    def test_a_mistake_is_named_with_its_rule(self, snap_compare, broken: TracerApp) -> None:  # type: ignore[no-untyped-def]
        async def run_before(pilot: Pilot) -> None:
            await scanned(pilot)
            await pilot.press("enter")
            await wait_for(pilot, lambda: getattr(pilot.app.screen, "checked", False))
            await pilot.press("right", "right", "right")  # the second http.response.start
            await pilot.pause()

        assert snap_compare(broken, run_before=run_before, terminal_size=SIZE)

    def test_s_hides_the_panel(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # The step detail takes the whole column again.
        assert snap_compare(app, run_before=opening("wsgi-post-json", "right", "s"), terminal_size=SIZE)

    def test_narrow_terminal_puts_the_panel_beside_the_detail(  # type: ignore[no-untyped-def]
        self, snap_compare, app: TracerApp
    ) -> None:
        assert snap_compare(app, run_before=opening("wsgi-post-json", "right"), terminal_size=(100, 30))


class TestSpec:
    def test_i_shows_the_spec_of_start_response(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # start_response, then i: the PEP 3333 sections it comes from, linked.
        assert snap_compare(app, run_before=opening("wsgi-hello", "right", "i"), terminal_size=SIZE)

    def test_i_shows_the_spec_of_an_asgi_message(self, snap_compare, app: TracerApp) -> None:  # type: ignore[no-untyped-def]
        # websocket.accept: the note on asgi.send, then the one on the message type.
        assert snap_compare(app, run_before=opening("asgi-ws", "right", "right", "i"), terminal_size=SIZE)
