"""The request list: opening files, filtering, sorting, bad files."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from tests.tui.conftest import fixed_checker, fixture, marked, scanned, wait_for
from tracer.cli import main
from tui.app import TracerApp, make_app
from tui.screens.problems import ProblemsScreen
from tui.screens.requests import RequestsScreen
from tui.widgets.request_table import COLUMNS as COLUMNS_ALL
from tui.widgets.request_table import RequestTable, layout

SIZE = (120, 36)


def table(app: TracerApp) -> RequestTable:
    return app.screen_stack[0].query_one(RequestTable)


def ids(app: TracerApp) -> list[str]:
    return [s.id for s in table(app).rows]


def status_line(app: TracerApp) -> str:
    return str(app.screen_stack[0].query_one("#status").render())


async def test_opening_a_file_lists_every_trace(mixed: str) -> None:
    app = make_app(mixed)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        assert isinstance(app.screen, RequestsScreen)
        assert table(app).row_count == 11
        assert ids(app)[:2] == ["asgi-lifespan", "wsgi-hello"]
        assert "11 traces" in status_line(app)
        assert table(app).has_focus


FILTERS = [
    ("~m POST", ["wsgi-post-json", "asgi-stream"]),
    ("~u /api", ["wsgi-post-json"]),
    ("~c 5xx | ~c none", ["asgi-lifespan", "wsgi-error"]),
    ("~c 404", ["wsgi-not-found"]),
    ("~wsgi & ~c 201", ["wsgi-post-json"]),
    ("~asgi & !~http", ["asgi-lifespan", "asgi-ws"]),
    ("~ws", ["asgi-ws"]),
    ("~lifespan", ["asgi-lifespan"]),
    ("~err", ["wsgi-error"]),
    ("~b widget", ["wsgi-post-json"]),
    ("~violation", ["wsgi-stream"]),
    ("upload", ["asgi-stream"]),
]


async def test_each_filter_operator_typed_in_the_filter_line(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        filter_line = app.screen.query_one("#filter", Input)
        for expression, expected in FILTERS:
            await pilot.press("slash")
            assert filter_line.has_focus
            filter_line.value = expression  # typing every key is slow; one test below types
            await pilot.press("enter")
            await wait_for(pilot, lambda: ids(app) == expected)
            assert table(app).has_focus
            assert f"filter: {expression}" in status_line(app)
            await pilot.press("c")
            await wait_for(pilot, lambda: table(app).row_count == 11)


async def test_filter_can_be_typed_key_by_key(mixed: str) -> None:
    app = make_app(mixed)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("slash", *"!~wsgi ~m GET", "enter")
        assert ids(app) == ["asgi-hello"]


async def test_bad_filter_shows_one_line_and_keeps_the_list(mixed: str) -> None:
    app = make_app(mixed)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("f", *"~c teapot", "enter")
        await pilot.pause()
        assert table(app).row_count == 11
        assert "~c wants a status" in status_line(app)
        assert any("~c wants a status" in n.message for n in app._notifications)
        await pilot.press("escape")
        assert table(app).has_focus


async def test_sort_cycles_time_duration_status_and_reverses(mixed: str) -> None:
    app = make_app(mixed)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("s")
        durations = [s.duration_ns for s in table(app).rows]
        assert durations == sorted(durations)
        await pilot.press("r")
        assert ids(app)[0] == "asgi-ws"  # longest first
        await pilot.press("s")
        statuses = [s.status for s in table(app).rows if s.status is not None]
        assert statuses == sorted(statuses, reverse=True)
        await pilot.press("s", "r")
        assert ids(app)[0] == "asgi-lifespan"


async def test_cursor_moves_and_enter_opens_the_trace_under_it(mixed: str) -> None:
    app = make_app(mixed)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("down", "j", "end", "k")
        assert table(app).current.id == "asgi-stream"  # type: ignore[union-attr]
        await pilot.press("home")
        assert table(app).cursor == 0


async def test_malformed_line_is_reported_and_the_rest_shown() -> None:
    path = fixture("malformed_middle.jsonl")
    app = make_app(path)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        assert table(app).row_count == 11
        messages = [n.message for n in app._notifications]
        assert any(m.startswith(f"{path}:") and "not valid JSON" in m for m in messages)
        assert "1 problem" in status_line(app)
        await pilot.press("p")
        assert isinstance(app.screen, ProblemsScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, RequestsScreen)


async def test_cut_last_line_shows_an_in_progress_trace() -> None:
    app = make_app(fixture("cut_last_line.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        (summary,) = table(app).rows
        assert not summary.complete
        assert "line 6 cut off" in status_line(app)
        assert not [n for n in app._notifications if n.severity == "error"]


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("newer_version.jsonl", "trace format version 99 is newer"),
        ("not_a_trace.jsonl", "not a tracer trace file"),
        ("no_such_file.jsonl", "no such file"),
    ],
)
async def test_unreadable_file_in_the_ui_is_a_message_not_a_crash(name: str, message: str) -> None:
    app = make_app(fixture(name))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        assert table(app).row_count == 0
        assert any(message in n.message for n in app._notifications)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("newer_version.jsonl", "newer_version.jsonl:1: trace format version 99 is newer"),
        ("not_a_trace.jsonl", "not_a_trace.jsonl:1: not a tracer trace file"),
        ("no_such_file.jsonl", "no_such_file.jsonl: no such file"),
    ],
)
def test_tracer_view_refuses_bad_files_in_one_line(name: str, message: str, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["view", fixture(name)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


async def test_clicking_headings_sorts_and_double_click_opens(mixed: str) -> None:
    app = make_app(mixed)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        columns = layout(table(app).size.width)
        names = [name for name, _, _ in columns]
        x = sum(w + 1 for _, w, _ in columns[: names.index("duration")]) + 2
        await pilot.click(RequestTable, offset=(x, 0))
        assert app.requests.sort_key == "duration"
        await pilot.click(RequestTable, offset=(x, 0))
        assert ids(app)[0] == "asgi-ws"  # clicked again: reversed
        await pilot.click(RequestTable, offset=(5, 3), times=2)  # third row
        await pilot.pause()
        assert app.screen.__class__.__name__ == "ReplayScreen"
        assert app.screen.summary.id == table(app).rows[2].id  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("width", "missing"),
    [
        (160, []),
        (100, ["req"]),
        (80, ["proto", "scope", "ev", "req"]),
        (60, ["time", "proto", "scope", "ev", "req", "waterfall"]),
    ],
)
def test_narrow_terminals_give_up_minor_columns_first(width: int, missing: list[str]) -> None:
    columns = layout(width)
    names = [name for name, _, _ in columns]
    assert [name for name, _, _ in COLUMNS_ALL if name not in names] == missing
    assert sum(w for _, w, _ in columns) + len(columns) - 1 <= width
    assert dict((n, w) for n, w, _ in columns)["path"] >= 8


async def test_rows_on_screen_get_marked_with_their_worst_finding(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await marked(pilot)
        marks = {s.id: app.requests.mark_of(s) for s in table(app).rows}
        assert marks["wsgi-stream"] == "warning"
        assert marks["wsgi-hello"] == ""
        row = ids(app).index("wsgi-stream")
        assert table(app).render_line(row + 1).text.startswith("⚠")


async def test_keys_typed_in_one_burst_after_slash_land_in_the_filter(mixed: str) -> None:
    from textual import events

    app = make_app(mixed)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        # As a terminal delivers a fast typist or a paste: every key queued before the first is handled.
        keys = [("slash", "/"), ("tilde", "~"), ("u", "u"), ("space", " "), ("slash", "/"), ("f", "f"),
                ("space", " "), ("tilde", "~"), ("m", "m"), ("space", " "), ("P", "P"), ("O", "O"), ("S", "S"),
                ("T", "T")]
        for key, char in keys:
            event = events.Key(key, char)
            event.set_sender(app)
            app._driver.send_message(event)  # type: ignore[union-attr]
        await wait_for(pilot, lambda: app.screen.query_one("#filter", Input).value == "~u /f ~m POST")
        assert app.requests.sort_key == "time"  # the S did not sort the list


async def test_rows_are_drawn_beside_the_scrollbar_not_under_it(mixed: str) -> None:
    app = make_app(mixed)
    async with app.run_test(size=(120, 10)) as pilot:  # 11 rows in a short terminal: a scrollbar shows
        await scanned(pilot)
        rows = table(app)
        inside = rows.scrollable_content_region.width
        assert inside < rows.size.width
        strips = [rows.render_line(y) for y in range(rows.scrollable_content_region.height)]
        assert {strip.cell_length for strip in strips} == {inside}
        assert any(strip.text.rstrip().endswith("━") for strip in strips)  # the waterfall's right end shows


async def test_control_and_wide_characters_in_a_path_keep_the_columns(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "odd.jsonl"
    lines = ['{"format":"tracer","version":1}']
    for n, where in enumerate(["/\\u001b[31mred\\u001b[0m", "/日本語/ページ", "/plain"]):
        lines.append(f'{{"trace":"t{n}","seq":0,"t_ns":0,"kind":"asgi.scope","data":{{"scope":{{"type":"http",'
                     f'"method":"GET","path":"{where}"}}}},"protocol":"asgi","scope_type":"http","start":1700000000.0}}')
        lines.append(f'{{"trace":"t{n}","seq":1,"t_ns":10,"kind":"asgi.send","data":{{"message":'
                     f'{{"type":"http.response.start","status":200,"headers":[]}}}}}}')
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    app = make_app(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        texts = [table(app).render_line(y).text for y in (1, 2, 3)]
        assert "\x1b" not in texts[0] and "/␛[31mred␛[0m" in texts[0]
        from rich.cells import cell_len

        # The status column starts at the same cell in every row (a wide character takes two cells).
        assert len({cell_len(text[: text.index(" 200 ")]) for text in texts}) == 1


async def test_an_empty_list_says_why(mixed: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    app = make_app(mixed)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("slash", *"nothing-like-this", "enter")
        assert table(app).row_count == 0
        assert "no trace matches the filter" in table(app).render_line(1).text
    path = tmp_path / "live.jsonl"
    path.write_bytes(b"")
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        assert "no requests yet: waiting for the app to write to" in table(app).render_line(1).text
    app = make_app(fixture("no_such_file.jsonl"))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        assert "no such file" in table(app).render_line(1).text


async def test_a_filtered_list_takes_each_new_trace_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.tui.test_pilot_follow import fixture_lines
    from tui.messages import TracesScanned

    lines = fixture_lines()
    path = tmp_path / "grows.jsonl"
    path.write_bytes(b"".join(lines))
    app = make_app(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        await pilot.press("slash", *"~lifespan", "enter")
        assert ids(app) == ["asgi-lifespan"]
        with open(path, "ab") as out:
            for name in ("one", "two"):
                out.write(lines[1].replace(b'"asgi-lifespan"', f'"{name}"'.encode()))
        # The scan found both; the message that carries them arrives, then (say, resent) again.
        assert app.index.scan().new == 2
        found = app.index.summaries[11:]
        app.post_message(TracesScanned(found))
        app.post_message(TracesScanned(found))
        await pilot.pause()
        assert ids(app) == ["asgi-lifespan", "one", "two"]  # the same start: file order
        assert len(app.requests.store) == 13


async def test_palette_commands_change_the_model_and_the_screen_shows_it(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        commands["Filter: websockets"]()
        commands["Sort by duration"]()
        await pilot.pause()
        assert app.requests.expression == "~ws" and app.requests.sort_key == "duration"
        assert app.screen.query_one("#filter", Input).value == "~ws"  # drawn from the model
        assert ids(app) == ["asgi-ws"] and "filter: ~ws" in status_line(app) and "sort: duration" in status_line(app)
        commands["Clear filter"]()
        await pilot.pause()
        assert app.screen.query_one("#filter", Input).value == "" and table(app).row_count == 11
