"""``R`` in the request list: re-send to a real Werkzeug server on 127.0.0.1, then compare old and new traces."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.serving import make_server

from tests.tui.conftest import fixed_checker, wait_for
from tracer import JsonlSink, WSGITracer
from tui.app import TracerApp
from tui.screens.compare import CompareScreen
from tui.screens.requests import RequestsScreen

SIZE = (140, 40)
TIMEOUT = 10


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello from " + environ["PATH_INFO"].encode()]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(path, flush_interval=0.01)
    server = make_server("127.0.0.1", 0, WSGITracer(app, sink=sink), threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", path
    finally:
        server.shutdown()
        server.server_close()
        thread.join(TIMEOUT)
        sink.close()


def _record(url: str, path: Path) -> None:
    """GET `url` from the traced app and wait until its trace is in `path`."""
    httpx.get(url, timeout=TIMEOUT)
    deadline = time.monotonic() + TIMEOUT
    while not (path.exists() and '.end"' in path.read_text()):
        assert time.monotonic() < deadline, "the trace was not written"
        time.sleep(0.02)


async def test_r_resends_the_request_and_compares_the_new_trace_with_it(served: tuple[str, Path]) -> None:
    url, path = served
    _record(f"{url}/greet?who=ada", path)
    tracer_app = TracerApp(str(path), live=True, checker=fixed_checker, app_url=url)
    async with tracer_app.run_test(size=SIZE) as pilot:
        screen = tracer_app.screen
        assert isinstance(screen, RequestsScreen)
        await wait_for(pilot, lambda: any(s.complete for s in tracer_app.index.summaries))
        await pilot.pause()
        [old] = tracer_app.index.summaries
        assert screen.table.current is not None and screen.table.current.id == old.id
        await pilot.press("R")
        await wait_for(pilot, lambda: isinstance(tracer_app.screen, CompareScreen), timeout=TIMEOUT)
        compare = tracer_app.screen
        assert isinstance(compare, CompareScreen)
        await wait_for(pilot, lambda: compare.comparison is not None, timeout=TIMEOUT)
        await pilot.pause()
        a, b = compare.summaries
        assert a.id == old.id
        assert b.id != old.id
        assert (b.method, b.path, b.query) == ("GET", "/greet", "who=ada")


async def test_r_is_not_offered_without_a_running_app(served: tuple[str, Path]) -> None:
    url, path = served
    _record(f"{url}/", path)
    tracer_app = TracerApp(str(path), live=True, checker=fixed_checker)
    async with tracer_app.run_test(size=SIZE) as pilot:
        screen = tracer_app.screen
        await wait_for(pilot, lambda: bool(tracer_app.index.summaries))
        assert screen.check_action("resend", ()) is False
        await pilot.press("R")
        await pilot.pause()
        assert tracer_app.screen is screen


async def test_the_title_bar_says_where_the_app_serves(served: tuple[str, Path]) -> None:
    url, path = served
    tracer_app = TracerApp(str(path), live=True, checker=fixed_checker, app_url=url)
    async with tracer_app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert tracer_app.sub_title == f"{path}  (following)  ·  app on {url}"
    assert TracerApp(str(path))._sub_title() == str(path)  # a file alone: no app


async def test_r_says_so_when_the_app_is_gone(served: tuple[str, Path]) -> None:
    url, path = served
    _record(f"{url}/", path)
    tracer_app = TracerApp(str(path), live=True, checker=fixed_checker, app_url="http://127.0.0.1:1")
    async with tracer_app.run_test(size=SIZE) as pilot:
        screen = tracer_app.screen
        await wait_for(pilot, lambda: any(s.complete for s in tracer_app.index.summaries))
        await pilot.pause()
        await pilot.press("R")
        await wait_for(pilot, lambda: any("ConnectError" in str(n.message) for n in tracer_app._notifications))
        assert tracer_app.screen is screen
