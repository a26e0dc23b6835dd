"""Acting on requests from the UI: copy as curl or httpx, export to HAR or to a new trace file."""

from __future__ import annotations

import json
import os
import shutil
import stat

import pytest
from textual.widgets import Input, RadioButton

from tests.tui.conftest import fixed_checker, fixture, scanned, wait_for
from tracer import read_traces
from tui.app import TracerApp
from tui.export import default_export_path, format_of, with_format, write_requests
from tui.screens.export import ExportScreen
from tui.screens.replay import ReplayScreen
from tui.screens.requests import RequestsScreen
from tui.widgets.marked_table import MarkedRequestTable

SIZE = (120, 36)


@pytest.fixture
def mixed_copy(tmp_path) -> str:  # type: ignore[no-untyped-def]
    """The mixed fixture in a directory of its own: exports go beside it."""
    return str(shutil.copy(fixture("mixed.jsonl"), tmp_path / "mixed.jsonl"))


def notified(app: TracerApp) -> str:
    return "\n".join(str(notification.message) for notification in app._notifications)


def go_to(app: TracerApp, trace_id: str) -> None:
    table = app.screen_stack[0].query_one(MarkedRequestTable)
    table.cursor = [s.id for s in table.rows].index(trace_id)


def mode(path: str) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# Copy


async def test_C_copies_the_request_as_curl(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        go_to(app, "wsgi-post-json")
        await pilot.press("C")
        assert app.clipboard.startswith("curl -X POST http://localhost/api/items")
        assert "--data-binary '{\"name\": \"widget\"}'" in app.clipboard
        assert "POST /api/items" in notified(app)


async def test_H_copies_the_request_as_httpx_code(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        go_to(app, "asgi-stream")
        await pilot.press("H")
        assert app.clipboard.startswith("import httpx")
        assert "/upload" in app.clipboard
        compile(app.clipboard, "<copied>", "exec")


async def test_a_lifespan_has_nothing_to_copy(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        go_to(app, "asgi-lifespan")
        await pilot.press("C")
        assert app.clipboard == ""
        assert "cannot copy as curl: a lifespan trace has no request to send" in notified(app)


async def test_redacted_headers_are_named_in_the_copy_and_the_notification(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from werkzeug.test import Client

    from tracer import JsonlSink, WSGITracer

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    path = str(tmp_path / "secret.jsonl")
    with JsonlSink(path) as sink:
        Client(WSGITracer(app, sink=sink)).get("/me", headers={"Authorization": "Bearer s3cret"}).close()
    ui = TracerApp(path, checker=fixed_checker)
    async with ui.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("C")
        assert "s3cret" not in ui.clipboard
        assert "# redacted in the trace, fill in: Authorization" in ui.clipboard
        assert "redacted in the trace, fill in: Authorization" in notified(ui)


async def test_the_replay_copies_from_the_command_palette(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        go_to(app, "wsgi-hello")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen))
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        commands["Copy as curl"]()
        assert app.clipboard.startswith("curl http://localhost/hello")
        commands["Copy as httpx"]()
        assert "httpx" in app.clipboard and "/hello" in app.clipboard


# Export


async def open_export(pilot, trace_id: str) -> ExportScreen:  # type: ignore[no-untyped-def]
    await scanned(pilot)
    go_to(pilot.app, trace_id)
    await pilot.press("w")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ExportScreen))
    await pilot.pause()
    return pilot.app.screen


async def test_w_exports_the_selected_request_to_a_har_beside_the_trace_file(mixed_copy: str) -> None:
    app = TracerApp(mixed_copy, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_export(pilot, "wsgi-post-json")
        line = dialog.query_one(Input)
        expected = os.path.join(os.path.dirname(mixed_copy), "mixed-wsgi-post-json.har")
        assert line.value == expected and line.has_focus
        await pilot.press("enter")
        await wait_for(pilot, lambda: "written" in notified(app))
        assert isinstance(app.screen, RequestsScreen)
        with open(expected, "rb") as f:
            har = json.load(f)
        [entry] = har["log"]["entries"]
        assert entry["request"]["method"] == "POST" and entry["request"]["url"].endswith("/api/items")
        assert entry["response"]["status"] == 201
        assert "_events" not in entry
        assert mode(expected) == 0o600
        assert f"1 request written as a HAR to {expected} (readable by you only)" in notified(app)


async def test_w_exports_every_request_the_filter_shows_to_a_trace_file(mixed_copy: str) -> None:
    app = TracerApp(mixed_copy, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("slash", *"~http", "enter")
        await wait_for(pilot, lambda: len(app.requests.rows) == 9)
        dialog = await open_export(pilot, "wsgi-hello")
        dialog.query_one("#export-shown", RadioButton).value = True  # as a click on it does
        dialog.query_one("#export-trace", RadioButton).value = True
        await pilot.pause()
        line = dialog.query_one(Input)
        expected = os.path.join(os.path.dirname(mixed_copy), "mixed-shown.jsonl")
        assert line.value == expected
        line.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "written" in notified(app))
        traces = read_traces(expected)
        assert [t.id for t in traces] == [s.id for s in app.requests.rows]
        assert all(t.scope_type == "http" for t in traces)
        original = {t.id: t for t in read_traces(mixed_copy)}
        assert all(t.events == original[t.id].events for t in traces)
        assert mode(expected) == 0o600
        assert "9 requests written as a trace file" in notified(app)


async def test_a_path_typed_over_the_prefill_keeps_its_name_and_follows_the_format(mixed_copy: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = TracerApp(mixed_copy, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_export(pilot, "wsgi-hello")
        line = dialog.query_one(Input)
        line.value = str(tmp_path / "mine.har")
        await pilot.pause()
        await pilot.click("#export-trace")
        await pilot.pause()
        assert line.value == str(tmp_path / "mine.jsonl")
        await pilot.press("escape")
        assert isinstance(app.screen, RequestsScreen)
        assert not os.path.exists(tmp_path / "mine.jsonl")


async def test_exporting_over_the_trace_file_itself_is_refused(mixed_copy: str) -> None:
    with open(mixed_copy, "rb") as f:
        before = f.read()
    app = TracerApp(mixed_copy, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_export(pilot, "wsgi-hello")
        dialog.query_one(Input).value = mixed_copy
        await pilot.pause()
        assert "the file exists" in str(dialog.query_one("#export-hint").render())
        dialog.query_one(Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "is the trace file being read" in notified(app))
    with open(mixed_copy, "rb") as f:
        assert f.read() == before


async def test_an_export_that_cannot_be_written_says_why(mixed_copy: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = TracerApp(mixed_copy, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        dialog = await open_export(pilot, "wsgi-hello")
        dialog.query_one(Input).value = str(tmp_path / "missing" / "out.har")
        await pilot.pause()
        assert "no directory" in str(dialog.query_one("#export-hint").render())
        dialog.query_one(Input).focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: "cannot write" in notified(app))
        assert isinstance(app.screen, RequestsScreen)


async def test_the_palette_offers_copy_and_export_on_the_list(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Copy as curl", "Copy as httpx", "Export requests", "Mark for comparing"} <= titles


# Without the UI


def test_default_paths_are_new_files_beside_the_trace_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    trace = str(tmp_path / "traces.jsonl")
    first = default_export_path(trace, "har", "shown")
    assert first == str(tmp_path / "traces-shown.har")
    open(first, "w").close()
    assert default_export_path(trace, "har", "shown") == str(tmp_path / "traces-shown-2.har")
    assert default_export_path(trace, "trace", "ab/c d:1") == str(tmp_path / "traces-ab_c_d_1.jsonl")


def test_formats_follow_the_extension() -> None:
    assert format_of("x.har") == "har" and format_of("x.JSONL") == "trace" and format_of("x.txt") is None
    assert with_format("out.har", "trace") == "out.jsonl"
    assert with_format("out", "har") == "out.har"
    assert with_format("out.v1", "har") == "out.v1.har"


def test_a_failed_export_leaves_no_file(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from tracer.index import read_index

    index = read_index(fixture("mixed.jsonl"))

    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("tui.export.write_har", broken)
    target = tmp_path / "out.har"
    with pytest.raises(OSError):
        write_requests(index, index.in_start_order(), str(target), "har")
    assert os.listdir(tmp_path) == []
