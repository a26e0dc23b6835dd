"""`tracer view FILE` without --follow follows the file once it attaches to a live process writing it."""

from __future__ import annotations

import shutil
from pathlib import Path

from werkzeug.test import Client

from tests.tui.conftest import fixed_checker, fixture, scanned, wait_for
from tracer import JsonlSink, WSGITracer
from tui.app import TracerApp


def hello(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello"]


async def test_a_live_process_of_the_file_makes_the_view_follow_it(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(path)
    tracer = WSGITracer(hello, sink=sink, breakpoints=True)
    try:
        Client(tracer).get("/before")
        sink.flush()
        app = TracerApp(str(path), checker=fixed_checker)
        async with app.run_test(size=(120, 30)) as pilot:
            await scanned(pilot)
            assert [s.path for s in app.requests.store] == ["/before"]
            await wait_for(pilot, lambda: app.live)
            assert "(following)" in app.sub_title
            Client(tracer).get("/after")
            sink.flush()
            await wait_for(pilot, lambda: [s.path for s in app.requests.store] == ["/before", "/after"])
    finally:
        assert tracer.debugger is not None
        tracer.debugger.close()
        sink.close()


async def test_a_file_nobody_writes_is_read_once(tmp_path: Path) -> None:
    path = str(shutil.copy(fixture("mixed.jsonl"), tmp_path / "mixed.jsonl"))
    app = TracerApp(path, checker=fixed_checker)
    async with app.run_test(size=(120, 30)) as pilot:
        await scanned(pilot)
        await pilot.pause(0.3)
        assert not app.live and "(following)" not in app.sub_title
        assert not [w for w in app.workers if w.group == "scan" and w.is_running]
