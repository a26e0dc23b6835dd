"""The worker column (files several processes wrote) and the mark of an exception the app logged."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tests.tui.tracefiles import START, request, write
from tests.tui.worker_files import A, B, two_workers
from tracer.summary import TraceSummary
from tui.app import TracerApp
from tui.messages import ColumnClicked
from tui.widgets.request_table import RequestTable, layout

SIZE = (140, 20)
def table(app: TracerApp) -> RequestTable:
    return app.screen_stack[0].query_one(RequestTable)


def lines(app: TracerApp) -> list[str]:
    t = table(app)
    return [t.render_line(y).text for y in range(t.row_count + 1)]


def worker_cells(app: TracerApp) -> list[str]:
    t = table(app)
    columns = t.columns()
    names = [name for name, _, _ in columns]
    start = sum(width + 1 for _, width, _ in columns[: names.index("worker")])
    return [line[start : start + 6].strip() for line in lines(app)[1:]]


async def test_one_process_no_worker_column(tmp_path: Path) -> None:
    path = write(tmp_path / "one.jsonl", request(f"{A}-000001", START, 1_000_000),
                 request(f"{A}-000002", START + 1, 1_000_000))
    app = TracerApp(path, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        assert not table(app).workers_shown
        assert "worker" not in table(app).header_labels()
        assert table(app).columns() == layout(table(app).width_inside)


async def test_two_processes_show_a_worker_column_with_the_tags_first_digits(tmp_path: Path) -> None:
    app = TracerApp(two_workers(tmp_path / "two.jsonl"), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        t = table(app)
        assert not app.requests.problems and t.row_count == 4
        assert t.workers_shown
        names = [name for name, _, _ in t.columns()]
        assert names.index("worker") == names.index("time") + 1
        assert "worker" in lines(app)[0]
        assert worker_cells(app) == ["6d29", "a3f0", "6d29", "a3f0"]


async def test_the_column_stays_when_a_filter_shows_one_worker(tmp_path: Path) -> None:
    app = TracerApp(two_workers(tmp_path / "two.jsonl"), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        assert app.requests.set_filter("~w a3f0")
        await pilot.pause()
        assert [s.id for s in table(app).rows] == [f"{B}-000001", f"{B}-000002"]
        assert worker_cells(app) == ["a3f0", "a3f0"]
        await pilot.press("slash", *"~w 6d29 & ~c 404", "enter")
        await wait_for(pilot, lambda: [s.id for s in table(app).rows] == [f"{A}-000002"])


async def test_a_followed_file_gets_the_column_when_a_second_worker_writes(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    write(path, request(f"{A}-000001", START, 1_000_000, path="/a"))
    app = TracerApp(str(path), live=True, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: table(app).row_count == 1)
        assert not table(app).workers_shown
        with open(path, "a") as out:
            out.write("".join(request(f"{B}-000001", START + 0.5, 1_000_000, path="/b")))
        await wait_for(pilot, lambda: table(app).row_count == 2)
        assert table(app).workers_shown
        assert worker_cells(app) == ["6d29", "a3f0"]


async def test_clicking_the_worker_heading_asks_to_sort_by_it(tmp_path: Path) -> None:
    app = TracerApp(two_workers(tmp_path / "two.jsonl"), checker=fixed_checker)
    clicked: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        t = table(app)
        columns = t.columns()
        names = [name for name, _, _ in columns]
        x = sum(width + 1 for _, width, _ in columns[: names.index("worker")]) + 2
        original = t.post_message
        t.post_message = lambda message: (  # type: ignore[method-assign]
            clicked.append(message.column) if isinstance(message, ColumnClicked) else None, original(message))[1]
        await pilot.click(RequestTable, offset=(x, 0))
        await pilot.pause()
        assert clicked == ["worker"]


async def test_sorting_by_worker_groups_each_process_in_start_order(tmp_path: Path) -> None:
    app = TracerApp(two_workers(tmp_path / "two.jsonl"), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        app.requests.sort_by_column("worker")
        if app.requests.sort_key != "worker":
            pytest.skip("the list model has no worker order yet (tui/listmodel.py)")
        await pilot.pause()
        assert [s.id for s in table(app).rows] == [f"{A}-000001", f"{A}-000002", f"{B}-000001", f"{B}-000002"]
        assert table(app).header_labels()["worker"].endswith("▲")
        app.requests.sort_by_column("worker")  # again: reversed, ties still in start order
        await pilot.pause()
        assert [s.id for s in table(app).rows] == [f"{B}-000001", f"{B}-000002", f"{A}-000001", f"{A}-000002"]
        assert table(app).header_labels()["worker"].endswith("▼")


async def test_a_logged_exception_is_marked_like_an_error(tmp_path: Path) -> None:
    app = TracerApp(two_workers(tmp_path / "two.jsonl"), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        t = table(app)
        boom = t.rows[3]
        assert boom.logged_exception and not boom.error and boom.status == 200
        t.cursor = 0  # the cursor's style off the rows looked at
        await pilot.pause()
        status = {name: (sum(w + 1 for _, w, _ in t.columns()[:i]), w)
                  for i, (name, w, _) in enumerate(t.columns())}["status"]
        cells = [line[status[0] : status[0] + status[1]].strip() for line in lines(app)[1:]]
        assert cells == ["200", "200", "404", "!200"]
        error = t.get_component_rich_style("request-table--error").color
        ok = t.get_component_rich_style("request-table--ok").color
        assert error != ok

        def colors(row: int) -> set[object]:
            return {segment.style.color for segment in t.render_line(row + 1) if segment.style and segment.text.strip()}

        assert error in colors(3) and ok not in colors(3)
        assert error not in colors(1)
        app.requests.set_filter("~exc")
        await pilot.pause()
        assert [s.id for s in t.rows] == [f"{B}-000002"]


class _Table(App[None]):
    def compose(self) -> ComposeResult:
        yield RequestTable()


@pytest.mark.parametrize(
    ("ids", "workers", "shown"),
    [
        ([f"{A}-000001", f"{A}-000002"], {A}, False),
        ([f"{A}-000001", f"{B}-000001"], {A, B}, True),
        ([f"{A}-000001", "wsgi-hello"], {A, ""}, False),  # an id of another form has no tag
        ([f"{A}-000001"], {A, B}, True),  # the caller knows the file holds two
        ([f"{A}-000001", f"{B}-000001"], {A}, False),  # ... and the caller's word is taken
        ([f"{A}-000001"], {A, ""}, False),
    ],
)
async def test_the_table_shows_the_worker_column_by_the_callers_tags(
    ids: list[str], workers: set[str], shown: bool
) -> None:
    app = _Table()
    async with app.run_test(size=SIZE) as pilot:
        t = app.query_one(RequestTable)
        t.set_rows([TraceSummary(trace_id, start=START) for trace_id in ids], workers=workers)
        await pilot.pause()
        assert t.workers_shown is shown
        assert ("worker" in t.render_line(0).text) is shown


@pytest.mark.parametrize(
    ("width", "missing"),
    [(160, []), (100, ["ev", "req"]), (90, ["proto", "scope", "ev", "req"]), (80, ["worker", "proto", "scope", "ev", "req"])],
)
def test_a_narrow_list_gives_up_the_worker_after_scope_and_protocol(width: int, missing: list[str]) -> None:
    columns = layout(width, workers=True)
    names = [name for name, _, _ in columns]
    every = [name for name, _, _ in layout(1000, workers=True)]
    assert [name for name in every if name not in names] == missing
    assert sum(w for _, w, _ in columns) + len(columns) - 1 <= width
