"""The step pane reads bodies as people do: decoded, forms as fields, tracebacks with the app's frame first;
a body opens in $PAGER and saves to an owner-only file."""

from __future__ import annotations

import base64
import contextlib
import gzip
import io
import json
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import Input, Static

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.screens.save_body import SaveBodyScreen
from tui.widgets import body_actions, step_detail
from tui.widgets.body_view import bytes_per_row
from tui.widgets.request_table import RequestTable
from tui.widgets.step_detail import StepDetail

SIZE = (140, 40)
HEADER = {"format": "tracer", "version": 1, "created": "2023-11-14T22:13:20+00:00", "tracer": "0.1.0"}
ITEMS = {"items": [{"id": i, "name": f"item {i}"} for i in range(40)]}
BOUNDARY = "XyZ"
STREAM = "\n".join(str(i * 7919 % 10007) for i in range(2000)).encode()
HALF = 2000
MULTIPART = (
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nreport\r\n"
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"notes.txt\"\r\n"
    f"Content-Type: text/plain\r\n\r\nline one\nline two\r\n--{BOUNDARY}--\r\n"
).encode()
TRACEBACK = """Traceback (most recent call last):
  File "/srv/venv/lib/python3.12/site-packages/tracer/asgi.py", line 165, in __call__
    await self.app(scope, traced_receive, traced_send)
  File "/srv/venv/lib/python3.12/site-packages/starlette/routing.py", line 62, in app
    response = await f(request)
  File "/srv/shop/prices.py", line 12, in total
    return sum(prices) / len(prices)
ZeroDivisionError: division by zero
"""


def _bytes(data: bytes) -> dict[str, str]:
    try:
        return {"$bytes": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"$base64": base64.b64encode(data).decode("ascii")}


def _trace(trace: str, start: float, method: str, path: str, request_headers: list[list[bytes]],
           events: list[tuple[str, dict[str, Any]]]) -> list[str]:
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
             "path": path, "raw_path": _bytes(path.encode()), "query_string": _bytes(b""), "root_path": "",
             "headers": [[_bytes(n), _bytes(v)] for n, v in request_headers],
             "server": ["127.0.0.1", 8000], "client": ["127.0.0.1", 50000]}
    records = [{"trace": trace, "seq": 0, "t_ns": 0, "kind": "asgi.scope", "data": {"scope": scope},
                "protocol": "asgi", "scope_type": "http", "start": start}]
    for seq, (kind, data) in enumerate([*events, ("asgi.end", {})], start=1):
        records.append({"trace": trace, "seq": seq, "t_ns": seq * 100_000, "kind": kind, "data": data})
    return [json.dumps(record) for record in records]


def _start(status: int, headers: list[list[bytes]]) -> tuple[str, dict[str, Any]]:
    return ("asgi.send", {"message": {"type": "http.response.start", "status": status,
                                      "headers": [[_bytes(n), _bytes(v)] for n, v in headers]}})


def _body(kind: str, body: bytes, more: bool = False) -> tuple[str, dict[str, Any]]:
    message_type = "http.request" if kind == "asgi.receive" else "http.response.body"
    return (kind, {"message": {"type": message_type, "body": _bytes(body), "more_body": more}})


@pytest.fixture
def bodies(tmp_path: Path) -> str:
    whole = gzip.compress(json.dumps(ITEMS).encode())
    stream = gzip.compress(STREAM)
    json_gzip = [[b"content-type", b"application/json"], [b"content-encoding", b"gzip"]]
    lines = [json.dumps(HEADER)]
    lines += _trace("gzip-json", 1_700_000_000.0, "GET", "/items", [], [_start(200, json_gzip), _body("asgi.send", whole)])
    lines += _trace("gzip-stream", 1_700_000_001.0, "GET", "/stream", [], [
        _start(200, [[b"content-type", b"text/plain"], [b"content-encoding", b"gzip"]]),
        _body("asgi.send", stream[:HALF], more=True), _body("asgi.send", stream[HALF:]),
    ])
    lines += _trace("brotli", 1_700_000_002.0, "GET", "/br", [], [
        _start(200, [[b"content-type", b"text/plain"], [b"content-encoding", b"br"]]),
        _body("asgi.send", b"\x8b\x02\x80hello\x03"),
    ])
    lines += _trace("urlencoded", 1_700_000_003.0, "POST", "/form",
                    [[b"content-type", b"application/x-www-form-urlencoded"]],
                    [_body("asgi.receive", b"name=Ada+Lovelace&note=x%3D1%26y%3D2"), _start(200, []),
                     _body("asgi.send", b"ok")])
    lines += _trace("multipart", 1_700_000_004.0, "POST", "/upload",
                    [[b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()]],
                    [_body("asgi.receive", MULTIPART[:50], more=True), _body("asgi.receive", MULTIPART[50:]),
                     _start(200, []), _body("asgi.send", b"ok")])
    lines += _trace("raised", 1_700_000_005.0, "GET", "/total", [], [
        ("asgi.error", {"type": "builtins.ZeroDivisionError", "message": "division by zero", "traceback": TRACEBACK}),
    ])
    path = tmp_path / "bodies.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return str(path)


async def open_step(pilot, trace_id: str, step: int) -> ReplayScreen:  # type: ignore[no-untyped-def]
    await scanned(pilot)
    table = pilot.app.screen.query_one(RequestTable)
    table.cursor = [s.id for s in table.rows].index(trace_id)
    await pilot.press("enter")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, ReplayScreen)
    await pilot.press(*["right"] * step)
    await pilot.pause()
    assert screen.step == step
    return screen


def detail_text(screen: ReplayScreen, width: int = 100) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(screen.query_one(StepDetail).content)
    return console.export_text()


async def test_a_gzip_json_response_reads_decoded_and_m_shows_it_as_sent(bodies: str) -> None:
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "gzip-json", 2)
        text = detail_text(screen)
        size = len(json.dumps(ITEMS).encode())
        assert f"-decoded, " in text and f"→ {size:,} bytes" in text and "gzip-decoded" in text
        assert '"name": "item 0"' in text  # pretty JSON, decoded
        detail = screen.query_one(StepDetail)
        detail.focus()
        await pilot.press("m")
        raw = detail_text(screen)
        assert "binary, hex" in raw and "00000000  1f 8b" in raw and '"item 0"' not in raw
        assert "shown as sent" in raw
        await pilot.press("m")
        assert '"name": "item 0"' in detail_text(screen)


async def test_a_gzip_stream_reads_decoded_so_far_and_whole_at_its_last_piece(bodies: str) -> None:
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "gzip-stream", 2)
        first = detail_text(screen)
        note = next(line for line in first.splitlines() if "gzip-decoded" in line)
        assert f"gzip-decoded, {HALF:,} → " in note and "pieces" not in note and "ends early" not in note
        shown = first.split("decoded  ", 1)[1].splitlines()[1:3]
        assert shown == STREAM.decode().splitlines()[:2]
        await pilot.press("right")
        last = detail_text(screen)
        assert f"→ {len(STREAM):,} bytes; 2 pieces in all" in last and "decoded, whole body" in last


async def test_br_without_brotli_says_how_to_decode_it(bodies: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "brotli", None)
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "brotli", 2)
        assert "br-encoded (brotli): pip install brotli to see it decoded" in detail_text(screen)


async def test_forms_show_their_fields_and_files(bodies: str) -> None:
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "urlencoded", 1)
        text = detail_text(screen)
        assert "form (2 fields)" in text
        assert "name  Ada Lovelace" in text and "note  x=1&y=2" in text
        await pilot.press("escape")
        screen = await open_step(pilot, "multipart", 2)
        text = detail_text(screen, width=120)
        assert "2 form fields" in text and "2 pieces in all" in text
        upload = next(line for line in text.splitlines() if "notes.txt" in line)
        assert "upload" in upload and "text/plain" in upload and "17 B" in upload and "line one␊line two" in upload


async def test_a_traceback_names_your_code_first_and_leaves_tracer_out(bodies: str) -> None:
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "raised", 1)
        lines = detail_text(screen, width=120).splitlines()
        yours = next(i for i, line in enumerate(lines) if "your code" in line)
        assert "/srv/shop/prices.py:12 in total" in lines[yours] and "return sum(prices)" in lines[yours + 1]
        assert any("… 1 tracer frame left out" in line for line in lines)
        assert not any("tracer/asgi.py" in line for line in lines)
        assert any('▶   File "/srv/shop/prices.py", line 12, in total' in line for line in lines)
        assert any('File "…/starlette/routing.py"' in line for line in lines)
        assert [line for line in lines if line.strip()][-1].strip() == "ZeroDivisionError: division by zero"


@contextlib.contextmanager
def _no_suspend(self: App[Any]) -> Iterator[None]:
    yield


async def test_v_opens_the_decoded_body_in_the_pager(bodies: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ran: list[tuple[list[str], bytes]] = []
    monkeypatch.setenv("PAGER", "mypager --quit-if-one-screen")
    monkeypatch.setattr(App, "suspend", _no_suspend)
    monkeypatch.setattr(body_actions, "run_pager", lambda argv, text: ran.append((argv, text)))
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "gzip-json", 2)
        screen.query_one(StepDetail).focus()
        await pilot.press("v")
        assert ran and ran[0][0] == ["mypager", "--quit-if-one-screen"]
        assert json.loads(ran[0][1]) == ITEMS and b'\n  "items": [' in ran[0][1]  # decoded, pretty
        await pilot.press("m", "v")
        assert ran[1][1].startswith(b"00000000  1f 8b")  # as sent: a hex dump, not raw bytes on the terminal


async def test_v_without_a_terminal_says_so_in_one_line(bodies: str) -> None:
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:  # headless: the app cannot suspend
        screen = await open_step(pilot, "gzip-json", 2)
        screen.query_one(StepDetail).focus()
        await pilot.press("v")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("cannot suspend" in m and "\n" not in m for m in messages)


async def test_w_saves_the_body_owner_only(bodies: str, tmp_path: Path) -> None:
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "gzip-json", 2)
        screen.query_one(StepDetail).focus()
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, SaveBodyScreen))
        line = app.screen.query_one(Input)
        assert line.value == os.path.join(str(tmp_path), "body-gzip-json-2.json")  # beside the trace file
        # A folder that does not exist: one line, and the dialog stays.
        line.value = str(tmp_path / "missing" / "x.json")
        await pilot.press("enter")
        problem = app.screen.query_one("#save-body-problem", Static)
        assert isinstance(app.screen, SaveBodyScreen) and problem.display
        assert str(problem.render()).startswith(f"cannot write {tmp_path / 'missing' / 'x.json'}: no such file")
        target = tmp_path / "items.json"
        line.value = str(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ReplayScreen))
        assert json.loads(target.read_bytes()) == ITEMS
        assert stat.S_IMODE(target.stat().st_mode) == 0o600


@pytest.mark.parametrize(("width", "diagram", "detail"), [(110, 66, 44), (140, 80, 60), (160, 80, 80), (200, 80, 120)])
async def test_the_diagram_takes_what_its_lifelines_need_and_the_detail_the_rest(
    bodies: str, width: int, diagram: int, detail: int
) -> None:
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=(width, 40)) as pilot:
        screen = await open_step(pilot, "gzip-json", 2)
        assert (screen.diagram.outer_size.width, screen.query_one("#replay-side").outer_size.width) == (diagram, detail)
        if width >= 160:
            # 16-byte hex rows fit beside the diagram.
            screen.query_one(StepDetail).focus()
            await pilot.press("m")
            assert bytes_per_row(screen.query_one(StepDetail).size.width) == 16


async def test_a_body_piece_too_far_in_says_it_is_shown_as_sent(bodies: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(step_detail, "MAX_JOIN_STEPS", 3)
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "gzip-stream", 3)
        text = detail_text(screen)
        assert "gzip-encoded: read only within the first 3 steps; shown as sent" in text
        assert "binary, hex" in text  # the piece itself


async def test_the_body_keys_work_from_the_diagram_too(bodies: str) -> None:
    app = TracerApp(bodies, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_step(pilot, "gzip-json", 2)
        assert not screen.query_one(StepDetail).has_focus
        await pilot.press("m")
        assert "shown as sent" in detail_text(screen)
        await pilot.press("m")
        assert '"name": "item 0"' in detail_text(screen)
