"""Keys on the replay lay the screen out only when a pane's size changes; a hidden list draws when shown again."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.widgets import Static

from tests.tui.conftest import fixed_checker, wait_for
from tests.tui.tracefiles import START, request, write
from tracer.codec import encode
from tracer.jsonl import dumps_record, header_line
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.screens.requests import RequestsScreen
from tui.widgets.in_place import update_in_place
from tui.widgets.step_detail import StepDetail


class Pane(App[None]):
    CSS = "#filled { min-height: 100%; }"

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="pane"):
            yield Static("one\ntwo", id="filled")


def lines(count: int, word: str = "line") -> Text:
    return Text("\n".join(f"{word} {i}" for i in range(count)))


async def test_a_new_content_as_tall_as_the_pane_takes_no_layout_and_shows() -> None:
    app = Pane()
    async with app.run_test(size=(40, 10)) as pilot:
        static = app.query_one("#filled", Static)
        await pilot.pause()
        assert static.size.height == 10  # filled
        assert update_in_place(static, lines(3, "short")) is False
        await pilot.pause()
        assert str(static.render()).startswith("short 0")
        assert static.size.height == 10


async def test_a_taller_or_shorter_content_lays_out_again() -> None:
    app = Pane()
    async with app.run_test(size=(40, 10)) as pilot:
        static = app.query_one("#filled", Static)
        pane = app.query_one("#pane", VerticalScroll)
        await pilot.pause()
        layouts: list[bool] = []
        real = app.screen._refresh_layout
        app.screen._refresh_layout = lambda *a, **k: (layouts.append(True), real(*a, **k))[1]  # type: ignore[method-assign]
        assert update_in_place(static, lines(25)) is True
        await pilot.pause()
        assert static.size.height == 25
        assert pane.max_scroll_y == 15 and pane.show_vertical_scrollbar
        pane.scroll_end(animate=False)
        await pilot.pause()
        assert pane.scroll_y == 15
        assert layouts  # it grew: laid out
        assert update_in_place(static, lines(25, "other")) is False  # as tall: drawn in place
        assert update_in_place(static, lines(2)) is True
        await pilot.pause()
        assert static.size.height == 10
        assert pane.max_scroll_y == 0 and pane.scroll_y == 0 and not pane.show_vertical_scrollbar


def websocket_file(path: Path, messages: int) -> str:
    """A trace file of one websocket: connect, accept, then `messages` short texts each way."""
    scope = {"type": "websocket", "path": "/ws", "query_string": b"", "headers": [], "subprotocols": []}
    records = [{"trace": "ws", "seq": 0, "t_ns": 0, "kind": "asgi.scope", "data": encode({"scope": scope}),
                "protocol": "asgi", "scope_type": "websocket", "start": 1_700_000_000.0}]
    sent = [{"type": "websocket.connect"}, {"type": "websocket.accept", "subprotocol": None, "headers": []}]
    sent += [{"type": "websocket.receive" if i % 2 else "websocket.send", "text": f"message {i}", "bytes": None}
             for i in range(messages)]
    for seq, message in enumerate(sent, start=1):
        kind = "asgi.receive" if message["type"] in ("websocket.connect", "websocket.receive") else "asgi.send"
        records.append({"trace": "ws", "seq": seq, "t_ns": seq * 1000, "kind": kind, "data": encode({"message": message})})
    path.write_bytes(header_line() + b"".join(dumps_record(record) for record in records))
    return str(path)


async def test_stepping_between_steps_that_fit_lays_nothing_out(tmp_path: Path) -> None:
    app = TracerApp(websocket_file(tmp_path / "ws.jsonl", 12), checker=fixed_checker)
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: app.requests.rows != [])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen))
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        for _ in range(4):
            await pilot.press("right")  # onto the messages: the state stays "open"
        await pilot.pause()
        layouts: list[bool] = []
        real = screen._refresh_layout
        screen._refresh_layout = lambda *a, **k: (layouts.append(True), real(*a, **k))[1]  # type: ignore[method-assign]
        detail = screen.query_one(StepDetail)
        body = detail.query_one("#step-body", Static)
        for _ in range(4):
            before = screen.step
            await pilot.press("right")
            await pilot.pause()
            assert screen.step == before + 1 and detail.event is screen.steps.event(screen.step)
            assert body.render_lines(Region(0, 0, body.size.width, 1))[0].text.startswith(f"#{detail.event.seq} ")
            assert body.size.height == detail.scrollable_content_region.height
        assert layouts == []


def status_of(screen: RequestsScreen) -> str:
    return str(screen.query_one("#status", Static).render())


async def test_the_list_hidden_by_the_replay_draws_what_changed_when_shown_again(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    write(path, request("one", START, 1_000_000), request("two", START + 1, 1_000_000))
    app = TracerApp(str(path), live=True, checker=fixed_checker)
    async with app.run_test(size=(120, 36)) as pilot:
        await wait_for(pilot, lambda: len(app.requests.rows) == 2)
        listed = app.screen
        assert isinstance(listed, RequestsScreen)
        await wait_for(pilot, lambda: status_of(listed).startswith("2 traces"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen))
        with open(path, "a") as out:
            out.write("".join(request("three", START + 2, 1_000_000)))
        await wait_for(pilot, lambda: len(app.requests.rows) == 3)
        await pilot.pause(0.2)
        assert status_of(listed).startswith("2 traces")  # under the replay: not drawn
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is listed)
        await wait_for(pilot, lambda: status_of(listed).startswith("3 traces"))
        assert listed.table.row_count == 3


async def test_without_shrink_a_shorter_content_that_still_scrolls_keeps_the_height() -> None:
    app = Pane()
    async with app.run_test(size=(40, 10)) as pilot:
        static = app.query_one("#filled", Static)
        pane = app.query_one("#pane", VerticalScroll)
        await pilot.pause()
        assert update_in_place(static, lines(25), shrink=False) is True  # taller: laid out
        # Settled: the scrollbar that came with it (a narrower pane) has been laid out too.
        await wait_for(pilot, lambda: static.size.height == 25 and pane.show_vertical_scrollbar)
        await pilot.pause()
        assert update_in_place(static, lines(18, "shorter"), shrink=False) is False  # scrolls either way
        await pilot.pause()
        assert static.size.height == 25 and pane.show_vertical_scrollbar
        assert static.render_lines(Region(0, 0, 40, 1))[0].text.startswith("shorter 0")
        assert update_in_place(static, lines(3), shrink=False) is True  # fits: no scrollbar for blank lines
        await pilot.pause()
        assert static.size.height == 10 and not pane.show_vertical_scrollbar


class Counted:
    """A Rich renderable that counts its renderings."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.renders = 0

    def __rich_console__(self, console, options):  # type: ignore[no-untyped-def]
        self.renders += 1
        yield lines(self.count, "counted")


async def test_a_rich_renderable_shown_in_place_is_rendered_once_for_its_height_and_its_lines() -> None:
    app = Pane()
    async with app.run_test(size=(40, 10)) as pilot:
        static = app.query_one("#filled", Static)
        update_in_place(static, lines(20))  # the pane scrolls: the width stays as the content changes
        await pilot.pause()
        content = Counted(25)
        assert update_in_place(static, content) is True
        await pilot.pause()
        assert static.size.height == 25
        drawn = static.render_lines(Region(0, 0, static.size.width, 25))
        assert [strip.text.rstrip() for strip in drawn[:2]] == ["counted 0", "counted 1"]
        assert content.renders == 1
