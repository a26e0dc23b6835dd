"""The held replay driven from the UI, on a real uvicorn server in this process (127.0.0.1, a free port).

A client's request is held by a breakpoint; the UI shows it in its live
replay; the pilot presses the keys a user would (``n``, ``c``, ``e``,
``E``) and each test asserts what the client has received after each key,
and what the trace file kept.
"""

from __future__ import annotations

import shlex
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.widgets import TextArea
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.frameworks.running import logger_state, restore_loggers
from tests.tracer.breakpoint_servers import STREAM_CHUNKS, StreamReader, asgi_app, asgi_server, complete_traces
from tests.tui.conftest import fixed_checker, wait_for
from tracer import ASGITracer, JsonlSink
from tui.app import TracerApp
from tui.screens.edit_held import EditHeldScreen
from tui.screens.held import HeldScreen
from tui.widgets.held_table import HeldRequestTable

SIZE = (120, 36)


@pytest.fixture(autouse=True)
def _server_loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


class Served:
    """uvicorn serving the ASGI test app in the middleware, breakpoints on, recording into `trace_file`."""

    def __init__(self, url: str, trace_file: Path) -> None:
        self.url = url
        self.trace_file = trace_file


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    trace_file = tmp_path / "traces.jsonl"
    sink = JsonlSink(trace_file)
    tracer = ASGITracer(asgi_app, sink=sink, breakpoints=True, hold_timeout=20)
    try:
        with asgi_server(tracer) as url:
            try:
                yield Served(url, trace_file)
            finally:
                if tracer.debugger is not None:
                    tracer.debugger.close()  # Releases whatever a failed test left held.
    finally:
        sink.close()


async def open_held_replay(pilot: Any) -> HeldScreen:
    """Wait for the held request's row, and Enter on it: its live replay."""
    app = pilot.app
    await wait_for(pilot, lambda: app.debugger.held_for_any() is not None)
    trace = app.debugger.held_for_any().trace
    table = app.screen.query_one(HeldRequestTable)
    await wait_for(pilot, lambda: any(row.id == trace for row in table.rows))
    table.cursor = next(i for i, row in enumerate(table.rows) if row.id == trace)
    await pilot.press("enter")
    await wait_for(pilot, lambda: isinstance(app.screen, HeldScreen))
    screen = app.screen
    assert isinstance(screen, HeldScreen)
    await wait_for(pilot, lambda: screen.held is not None and screen.view.held_step is not None)
    return screen


def on_held_step(screen: HeldScreen) -> bool:
    """The cursor is on the held step, and the detail shows it."""
    step = screen.view.held_step
    return step is not None and screen.step == step and screen._shown == step


async def test_n_releases_one_chunk_and_c_the_rest_from_the_replay(served: Served) -> None:
    app = TracerApp(str(served.trace_file), live=True, checker=fixed_checker,
                    breakpoints=["~u /stream @ http.response.body"])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.debugger.all_breakpoints())
        reader = StreamReader("GET", served.url + "/stream")
        screen = await open_held_replay(pilot)
        await wait_for(pilot, lambda: on_held_step(screen))
        assert screen.held is not None and screen.held.message["body"] == STREAM_CHUNKS[0]
        first_seq = screen.held.seq
        assert reader.body == b""
        # One event loop: while the stream is held, another request to the same server is answered.
        assert httpx.get(served.url + "/hello", timeout=5).text == "hello"
        assert reader.body == b""

        # n: exactly the first chunk reaches the client; the replay follows to the next hold.
        await pilot.press("n")
        await wait_for(pilot, lambda: reader.body == STREAM_CHUNKS[0])
        await wait_for(pilot, lambda: screen.held is not None and screen.held.seq == first_seq + 1)
        await wait_for(pilot, lambda: on_held_step(screen))
        assert screen.held.message["body"] == STREAM_CHUNKS[1] and screen.held.reason == "next"
        # The released chunk is a step of the file now, just before the held one.
        await wait_for(pilot, lambda: screen.view.index_of(first_seq) == screen.view.held_step - 1)
        assert reader.body == STREAM_CHUNKS[0]

        # c: the rest of it, to the end; the replay shows the whole trace.
        await pilot.press("c")
        await wait_for(pilot, lambda: reader.done)
        assert reader.join().body == b"".join(STREAM_CHUNKS)
        await wait_for(pilot, lambda: screen.held is None and screen.steps.complete)
        assert screen.view.held_step is None
        assert "it went on (continue)" in str(screen.query_one("#replay-held").render())


class Received:
    """What a websocket client received, read in a thread so the UI's loop never waits on it."""

    def __init__(self, ws: ClientConnection) -> None:
        self.messages: list[str | bytes] = []
        self._ws = ws
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        try:
            for message in self._ws:
                self.messages.append(message)
        except ConnectionClosed:
            pass

    def join(self) -> None:
        self._thread.join(5)


async def edit_in_dialog(pilot: Any, screen: HeldScreen, text: str) -> None:
    """``e``, the fields as JSON, ctrl+s: the edit is applied and the replay shows it."""
    await pilot.press("e")
    dialog = pilot.app.screen
    assert isinstance(dialog, EditHeldScreen)
    dialog.query_one(TextArea).text = text
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: pilot.app.screen is screen)
    await wait_for(pilot, lambda: screen.held is not None and screen.held.edited)


async def test_websocket_messages_edited_from_the_replay_reach_the_client_edited(served: Served) -> None:
    app = TracerApp(str(served.trace_file), live=True, checker=fixed_checker, breakpoints=["~ws @ websocket.receive"])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.debugger.all_breakpoints())
        with connect(served.url.replace("http://", "ws://") + "/ws", open_timeout=5, close_timeout=2) as ws:
            received = Received(ws)
            ws.send("hi")
            screen = await open_held_replay(pilot)
            assert screen.held is not None and screen.held.message == {"type": "websocket.receive", "text": "hi"}
            # The message the app receives, edited in the dialog.
            await edit_in_dialog(pilot, screen, '{"text": "HI", "bytes": null}')
            assert screen.held.message["text"] == "HI"
            await pilot.press("n")
            # The app echoed what it got: its answer is held next, before the client has it.
            await wait_for(pilot, lambda: screen.held is not None and screen.held.type == "websocket.send")
            await wait_for(pilot, lambda: on_held_step(screen))
            assert screen.held.message["text"] == "echo: HI"
            assert received.messages == []
            # The message the client gets, edited too.
            await edit_in_dialog(pilot, screen, '{"text": "edited in the UI", "bytes": null}')
            await pilot.press("c")
            await wait_for(pilot, lambda: received.messages == ["edited in the UI"])
            # Continued: the next message is not held.
            ws.send("again")
            await wait_for(pilot, lambda: received.messages == ["edited in the UI", "echo: again"])
        received.join()
    [trace] = complete_traces(served.trace_file)
    edited = [event for event in trace.events if "original" in event.data]
    assert [(e.data["message"]["type"], e.data["message"]["text"]) for e in edited] == [
        ("websocket.receive", "HI"), ("websocket.send", "edited in the UI"),
    ]
    assert [e.data["original"]["message"]["text"] for e in edited] == ["hi", "echo: HI"]
    assert trace.summary.edits == 2


EDITOR_SCRIPT = """\
import json, sys
path = sys.argv[1]
with open(path, encoding="utf-8") as f:
    fields = json.load(f)
fields["status"] = 418
fields["headers"].append(["x-edited", "in-editor"])
with open(path, "w", encoding="utf-8") as f:
    json.dump(fields, f)
"""


async def test_E_edits_the_held_message_in_the_editor(
    served: Served, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR_SCRIPT, encoding="utf-8")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}")
    app = TracerApp(str(served.trace_file), live=True, checker=fixed_checker,
                    breakpoints=["~u /hello @ http.response.start"])
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.debugger.all_breakpoints())
        reader = StreamReader("GET", served.url + "/hello")
        screen = await open_held_replay(pilot)
        assert screen.held is not None and screen.held.message["status"] == 200
        await pilot.press("E")
        await wait_for(pilot, lambda: screen.held is not None and screen.held.edited)
        assert screen.held.message["status"] == 418
        assert reader.status is None
        await pilot.press("c")
        await wait_for(pilot, lambda: reader.done)
    reader.join()
    assert reader.status == 418 and reader.headers is not None and reader.headers["x-edited"] == "in-editor"
    assert reader.body == b"hello"
    [trace] = complete_traces(served.trace_file)
    [start] = [e for e in trace.events if e.data.get("message", {}).get("type") == "http.response.start"]
    assert start.data["message"]["status"] == 418
    assert start.data["original"]["message"]["status"] == 200
