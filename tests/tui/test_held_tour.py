"""The debugger's tour (``python -m sample_apps.demo --hold``): chosen by the file, its held stops open live replays."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, fixture, wait_for
from tests.tui.debugfakes import attach_fake, held_event
from tui.app import TracerApp
from tui.screens.held import HeldScreen
from tui.screens.requests import RequestsScreen
from tui.tour import HOLD_STOPS, STOPS, tour_for
from tui.widgets.tour_panel import TourPanel

SIZE = (140, 45)
START = 1_700_000_000.0


def first_event(trace: str, protocol: str, query: str) -> str:
    """The first line of a request to the notes app's /slow, as a server writes it when the request comes in."""
    if protocol == "asgi":
        kind = "asgi.scope"
        data = {"scope": {"type": "http", "method": "GET", "path": "/slow", "query_string": {"$bytes": query}}}
    else:
        kind = "wsgi.environ"
        data = {"environ": {"REQUEST_METHOD": "GET", "PATH_INFO": "/slow", "QUERY_STRING": query}}
    return json.dumps({"trace": trace, "seq": 0, "t_ns": 0, "kind": kind, "data": data,
                       "protocol": protocol, "scope_type": "http", "start": START})


@pytest.fixture
def held_file(tmp_path: Path) -> str:
    """Two requests the demo's breakpoint holds, as the file has them while they are held."""
    path = tmp_path / "hold.jsonl"
    header = json.dumps({"format": "tracer", "version": 1, "created": "2023-11-14T22:13:20Z"})
    lines = [header, first_event("asgi-held", "asgi", "seconds=0&hold=1"),
             first_event("wsgi-held", "wsgi", "seconds=0&hold=1")]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def test_the_file_decides_the_tour(held_file: str) -> None:
    from tracer.index import TraceIndex

    index = TraceIndex(held_file)
    index.scan()
    assert tour_for(index.summaries).stops == HOLD_STOPS
    other = TraceIndex(fixture("mixed.jsonl"))
    other.scan()
    assert tour_for(other.summaries).stops == STOPS


def panel_text(app: TracerApp) -> str:
    panel = app.screen.query_one(TourPanel)
    return f"{panel.border_title}\n{panel.render()}"


async def on_stop(pilot: Pilot, index: int) -> None:
    app = pilot.app
    assert isinstance(app, TracerApp) and app.guide is not None
    await wait_for(pilot, lambda: app.guide.tour.index == index and bool(app.screen.query(TourPanel)))
    await pilot.pause()


async def test_the_held_stops_open_the_live_replay_of_the_request_held_now(held_file: str) -> None:
    app = TracerApp(held_file, checker=fixed_checker, tour=True)
    async with app.run_test(size=SIZE) as pilot:
        await on_stop(pilot, 0)
        assert app.guide is not None and app.guide.tour.stops == HOLD_STOPS
        assert "One request held, the others served" in panel_text(app)
        connection = await attach_fake(pilot)
        held = held_event("asgi-held", seq=1, title="GET /slow", editable=("status", "headers", "message"),
                          message={"type": "http.response.start", "status": 200, "headers": []})
        connection.hold(held)
        await wait_for(pilot, lambda: app.debugger.held)

        # 2: the ASGI request held now, in its live replay, the cursor on the held step.
        await pilot.press("full_stop")
        await on_stop(pilot, 1)
        screen = app.screen
        assert isinstance(screen, HeldScreen) and screen.summary.id == "asgi-held"
        await wait_for(pilot, lambda: screen.view.held_step is not None and screen.step == screen.view.held_step)
        assert "ASGI: the held request, live" in panel_text(app)
        # Its keys work on the tour's stop.
        await pilot.press("c")
        assert connection.calls[-1] == ("continue", held.hold)

        # 3: no WSGI request is held: the stop says so, over the list.
        await pilot.press("full_stop")
        await on_stop(pilot, 2)
        assert isinstance(app.screen, RequestsScreen)
        assert "No WSGI GET /slow?hold=1 is held right now" in panel_text(app)
