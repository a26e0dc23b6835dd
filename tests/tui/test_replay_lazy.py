"""The replay reads only what it shows: long traces, traces still being written, big binary bodies."""

from __future__ import annotations

import base64
import io
import json
import os
import threading
from pathlib import Path

import pytest
from rich.console import Console

from tests.tui.conftest import scanned, wait_for
from tracer.checks import Finding
from tracer.model import Trace
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.steps import LineReader
from tui.widgets.body_view import FIRST_LINES, WINDOW_ROWS, HexRows, TextRows, body_view
from tui.widgets.step_detail import StepDetail

SIZE = (140, 40)
HEADER = '{"format":"tracer","version":1}\n'


def websocket_lines(start: int, stop: int, *, end: int | None = None) -> str:
    """Event lines `start` to `stop` of a websocket trace; `end` is the count of a complete trace."""
    lines = []
    for seq in range(start, stop):
        if seq == 0:
            data = {"scope": {"type": "websocket", "path": "/ws/feed", "query_string": {"$bytes": ""}}}
            extra = ',"protocol":"asgi","scope_type":"websocket","start":1700000000.0'
            kind = "asgi.scope"
        elif end is not None and seq == end - 1:
            data, extra, kind = {}, "", "asgi.end"
        elif end is not None and seq == end - 2:
            data, extra, kind = {"message": {"type": "websocket.disconnect", "code": 1000}}, "", "asgi.receive"
        elif seq == 1:
            data, extra, kind = {"message": {"type": "websocket.connect"}}, "", "asgi.receive"
        elif seq == 2:
            data, extra, kind = {"message": {"type": "websocket.accept"}}, "", "asgi.send"
        else:
            data, extra, kind = {"message": {"type": "websocket.send", "text": f"message {seq}"}}, "", "asgi.send"
        lines.append(f'{{"trace":"ws","seq":{seq},"t_ns":{seq * 1000},"kind":"{kind}","data":{json.dumps(data)}{extra}}}\n')
    return "".join(lines)


def detail_text(screen: ReplayScreen) -> str:
    console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
    console.print(screen.query_one(StepDetail).content)
    return console.export_text()


def title_text(screen: ReplayScreen) -> str:
    return str(screen.query_one("#replay-title").render())


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Offsets of the event lines the replay reads from the file on the UI thread (the checks' worker reads them all)."""
    offsets: list[int] = []
    real = LineReader.read

    def read(self: LineReader, offset: int, length: int) -> bytes:
        if threading.current_thread() is threading.main_thread():
            offsets.append(offset)
        return real(self, offset, length)

    monkeypatch.setattr(LineReader, "read", read)
    return offsets


def flag_step_five(trace: Trace) -> list[Finding]:
    return [Finding(trace.id, 5, "demo-rule", "warning", "Step five is suspicious.")] if len(trace.events) > 5 else []


async def open_by_summary(pilot, trace_id: str = "ws") -> ReplayScreen:  # type: ignore[no-untyped-def]
    """Open the replay as the screen itself asks to be opened: by its summary alone."""
    app = pilot.app
    await scanned(pilot)
    screen = ReplayScreen(app.index.by_id[trace_id])
    await app.push_screen(screen)
    await pilot.pause()
    return screen


async def test_a_long_trace_opens_and_steps_reading_only_the_steps_on_screen(tmp_path: Path, reads: list[int]) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text(HEADER + websocket_lines(0, 20_000, end=20_000))
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.diagram.steps == 20_000
        assert "20000 events" in title_text(screen)
        assert "#0 asgi.scope" in detail_text(screen)
        await pilot.press("right")
        assert screen.step == 1 and "#1 asgi.receive" in detail_text(screen)
        await pilot.press("end")
        assert screen.step == 19_999 and "#19999 asgi.end" in detail_text(screen)
        assert "the whole exchange" in detail_text(screen)
        await pilot.press("home", "pagedown")
        page = screen.diagram.page_steps
        assert page > 5 and screen.step == page and f"#{page} asgi.send" in detail_text(screen)
        label = screen.diagram.render_line(1 + 2 * page - round(screen.diagram.scroll_y)).text
        assert f"{page:>4} " in label and 'send(websocket.send "' in label
        await pilot.press("pageup")
        assert screen.step == 0
        # A few screens of the diagram, not the whole trace.
        assert 0 < len(set(reads)) < 500


async def test_findings_arrive_from_the_checks_worker_and_are_marked(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text(HEADER + websocket_lines(0, 3_000, end=3_000))
    app = TracerApp(str(path), checker=flag_step_five)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_by_summary(pilot)
        await wait_for(pilot, lambda: screen.checked)
        await pilot.pause()
        assert "1 finding" in title_text(screen)
        assert "⚠" in screen.diagram.render_line(1 + 2 * 5 - round(screen.diagram.scroll_y)).text
        for _ in range(5):
            await pilot.press("right")
        assert "warning: Step five is suspicious." in detail_text(screen)


@pytest.mark.parametrize("by_summary", [False, True], ids=["opened-from-the-list", "opened-by-summary"])
async def test_a_live_trace_gains_its_new_steps_in_place(tmp_path: Path, reads: list[int], by_summary: bool) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text(HEADER + websocket_lines(0, 2_000))
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        if by_summary:
            screen = await open_by_summary(pilot)
        else:
            await scanned(pilot)
            await pilot.press("enter")
            await pilot.pause()
            screen = app.screen
        assert isinstance(screen, ReplayScreen) and screen.diagram.steps == 2_000
        assert "in progress" in title_text(screen)
        await pilot.press("right", "right", "right")
        read_before = len(reads)
        with open(path, "a") as out:
            out.write(websocket_lines(2_000, 2_500))
        await wait_for(pilot, lambda: screen.diagram.steps == 2_500)
        assert app.screen is screen and screen.step == 3 and "#3 asgi.send" in detail_text(screen)
        assert "2500 events" in title_text(screen) and "in progress" in title_text(screen)
        # The steps on screen were not read again: nothing new is in view yet.
        assert len(reads) - read_before < 10
        await pilot.press("end")
        assert screen.step == 2_499 and "message 2499" in detail_text(screen)
        with open(path, "a") as out:
            out.write(websocket_lines(2_500, 2_502, end=2_502))
        await wait_for(pilot, lambda: screen.diagram.steps == 2_502)
        await pilot.pause(0.1)
        assert app.screen is screen and screen.step == 2_499
        assert "in progress" not in title_text(screen)
        await pilot.press("end")
        assert "#2501 asgi.end" in detail_text(screen)


async def test_a_trace_still_being_written_is_not_called_incomplete(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text(HEADER + websocket_lines(0, 50))
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_by_summary(pilot)
        await wait_for(pilot, lambda: screen.checked)
        assert not [f for f in screen.findings if f.rule == "trace-incomplete"]


def flag_the_end(trace: Trace) -> list[Finding]:
    return [Finding(trace.id, trace.events[-1].seq, "demo-rule", "warning", "It ended.")] if trace.complete else []


async def test_the_checks_run_again_as_soon_as_a_live_trace_completes(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text(HEADER + websocket_lines(0, 50))
    app = TracerApp(str(path), live=True, checker=flag_the_end)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_by_summary(pilot)
        await wait_for(pilot, lambda: screen.checked)
        with open(path, "a") as out:
            out.write(websocket_lines(50, 60))
        await wait_for(pilot, lambda: screen.diagram.steps == 60)
        assert not screen.findings  # rechecked later: a growing trace is not checked on every line
        with open(path, "a") as out:
            out.write(websocket_lines(60, 62, end=62))
        await wait_for(pilot, lambda: bool(screen.findings), timeout=3)
        assert screen.findings[0].seq == 61 and "1 finding" in title_text(screen)


def upload_file(path: Path, body: bytes) -> None:
    encoded = base64.b64encode(body).decode()
    path.write_text(
        HEADER
        + '{"trace":"up","seq":0,"t_ns":0,"kind":"asgi.scope","data":{"scope":{"type":"http","method":"POST",'
        '"path":"/upload","headers":[]}},"protocol":"asgi","scope_type":"http","start":1700000000.0}\n'
        '{"trace":"up","seq":1,"t_ns":5,"kind":"asgi.receive","data":{"message":{"type":"http.request",'
        f'"body":{{"$base64":"{encoded}"}},"more_body":false}}}}}}\n'
        '{"trace":"up","seq":2,"t_ns":9,"kind":"asgi.send","data":{"message":{"type":"http.response.start",'
        '"status":204,"headers":[]}}}\n'
    )


async def test_a_big_binary_body_shows_a_first_screen_and_the_rest_as_the_pane_scrolls(tmp_path: Path) -> None:
    body = bytes(range(256)) * 4096  # 1 MiB
    path = tmp_path / "upload.jsonl"
    upload_file(path, body)
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("enter")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        await pilot.press("right")
        text = detail_text(screen)
        assert "1.0 MiB  binary, hex" in text
        assert "00000000  00 01 02 03" in text
        assert f"… {len(body) - 1024:,} more bytes, drawn as the pane scrolls" in text
        detail = screen.query_one(StepDetail)
        rows = screen.query_one("#step-hex", HexRows)
        assert rows.display and rows.start == 1024 and rows.rows > WINDOW_ROWS
        per_row = rows._per_row
        first = rows.render_line(0).text
        assert first.startswith(f"{1024:08x}  ")
        # Scrolling to the end of what is there makes room for more, and so on.
        for _ in range(3):
            limit = rows.limit
            detail.scroll_end(animate=False)
            await pilot.pause()
            assert rows.limit > limit
        last_row = rows.limit - 1
        assert rows.render_line(last_row).text.startswith(f"{1024 + last_row * per_row:08x}  ")
        await pilot.press("right")  # a step without a body: the rows go
        assert not rows.display and "hex" not in detail_text(screen)


async def test_a_small_binary_body_is_all_in_the_first_screen(tmp_path: Path) -> None:
    path = tmp_path / "upload.jsonl"
    upload_file(path, bytes(range(256)) * 2)
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("enter", "right")
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        text = detail_text(screen)
        assert "00000000  00 01 02 03" in text and "000001f0  f0 f1" in text and "more bytes" not in text
        assert not screen.query_one("#step-hex", HexRows).display


def upload_text_file(path: Path, body: bytes, content_type: str) -> None:
    path.write_text(
        HEADER
        + '{"trace":"up","seq":0,"t_ns":0,"kind":"asgi.scope","data":{"scope":{"type":"http","method":"POST",'
        f'"path":"/upload","headers":[[{{"$bytes":"content-type"}},{{"$bytes":"{content_type}"}}]]}}}},'
        '"protocol":"asgi","scope_type":"http","start":1700000000.0}\n'
        '{"trace":"up","seq":1,"t_ns":5,"kind":"asgi.receive","data":{"message":{"type":"http.request",'
        f'"body":{json.dumps({"$bytes": body.decode()})},"more_body":false}}}}}}\n'
    )


async def test_a_long_json_body_shows_a_first_screen_and_the_rest_as_the_pane_scrolls(tmp_path: Path) -> None:
    items = [{"id": i, "name": f"item {i}"} for i in range(1500)]
    path = tmp_path / "json.jsonl"
    upload_text_file(path, json.dumps(items).encode(), "application/json")
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("enter", "right")
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        text = detail_text(screen)
        assert '"name": "item 0"' in text and '"name": "item 100"' not in text
        lines = len(json.dumps(items, indent=2).split("\n"))
        assert f"… {lines - FIRST_LINES:,} more lines, drawn as the pane scrolls" in text
        rows = screen.query_one("#step-text", TextRows)
        assert rows.display and not screen.query_one("#step-hex", HexRows).display
        detail = screen.query_one(StepDetail)
        limit = rows.limit
        detail.scroll_end(animate=False)
        await pilot.pause()
        assert rows.limit > limit
        shown = [rows.render_line(y).text.strip() for y in range(len(rows._rows))]
        assert '"name": "item 100"' in shown
        await pilot.press("left")
        assert not rows.display


def test_a_text_body_of_one_long_line_is_cut_into_a_first_screen() -> None:
    parts = body_view(b"x" * 50_000, "text/plain")
    assert [type(part).__name__ for part in parts] == ["Text", "Text", "MoreText"]
    assert len(parts[1].plain) == 8 * 1024 and parts[2].lines == ["x" * (50_000 - 8 * 1024)]


async def test_a_line_that_no_longer_decodes_is_a_step_that_says_so(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    path.write_text(
        HEADER + websocket_lines(0, 3)
        + '{"trace":"ws","seq":3,"t_ns":5,"kind":"asgi.send","data":{"message":{"type":"websocket.send",'
        '"bytes":{"$base64":"not base64!"}}}}\n'
        + websocket_lines(4, 6, end=6)
    )
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_by_summary(pilot)
        assert screen.diagram.steps == 6
        await pilot.press("right", "right", "right")
        text = detail_text(screen)
        assert "unreadable line" in text and "cannot decode event data" in text
        await pilot.press("right")
        assert "#4 asgi.receive" in detail_text(screen)


def test_reading_after_close_gives_nothing(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"hello")
    reader = LineReader(os.fspath(path))
    assert reader.read(1, 3) == b"ell"
    reader.close()
    assert reader.read(1, 3) == b""


@pytest.mark.parametrize(("kinds", "source"), [
    (["wsgi.environ", "wsgi.error"], "app"),
    (["wsgi.environ", "wsgi.start_response", "wsgi.body", "wsgi.error"], "iterable"),
])
def test_an_exception_raised_while_the_server_iterates_comes_from_the_iterable(kinds: list[str], source: str) -> None:
    from tracer.model import Event
    from tracer.summary import TraceSummary
    from tui.steps import Steps

    data = {"wsgi.environ": {"environ": {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}},
            "wsgi.start_response": {"status": "200 OK", "headers": []}, "wsgi.body": {"data": b"x"},
            "wsgi.error": {"type": "ValueError", "message": "bad", "traceback": ""}}
    events = [Event(seq, seq, kind, data[kind]) for seq, kind in enumerate(kinds)]
    steps = Steps(TraceSummary("t"), events=events)
    assert steps.count == len(kinds) and steps.row(len(kinds) - 1).arrow.source == source
