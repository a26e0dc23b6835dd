"""The request list's columns: the sort arrow, rows that grow while followed, the waterfall's scale and zoom,
and an app's refusal of lifespan shown as the normal thing it is."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.tui.conftest import fixed_checker, scanned, wait_for
from tests.tui.tracefiles import START, lifespan, refused_lifespan, request, write
from tracer.summary import TraceSummary
from tui.app import TracerApp
from tui.listmodel import SORT_KEYS
from tui.widgets.request_table import RequestTable, layout

SIZE = (140, 20)


def table(app: TracerApp) -> RequestTable:
    return app.screen_stack[0].query_one(RequestTable)


def line(app: TracerApp, y: int) -> str:
    return table(app).render_line(y).text


def row_of(app: TracerApp, trace_id: str) -> int:
    """The screen line (1 is the first row) of `trace_id`."""
    return 1 + [s.id for s in table(app).rows].index(trace_id)


def cell(app: TracerApp, y: int, column: str) -> str:
    """The text of `column` on screen line `y`."""
    x = 0
    for name, width, _ in layout(table(app).width_inside):
        if name == column:
            return line(app, y)[x : x + width]
        x += width + 1
    raise KeyError(column)


def bar(app: TracerApp, trace_id: str) -> tuple[int, int]:
    """Where `trace_id`'s waterfall bar starts, and how many cells it takes."""
    drawn = cell(app, row_of(app, trace_id), "waterfall")
    stripped = drawn.lstrip(" ")
    return len(drawn) - len(stripped), len(stripped.rstrip(" "))


# The sort arrow


async def test_the_sort_arrow_shows_for_every_sort_key(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=(120, 36)) as pilot:
        await scanned(pilot)
        for key in SORT_KEYS:
            await pilot.press("s") if key != "time" else None
            await pilot.pause()
            assert app.requests.sort_key == key
            heading = cell(app, 0, key).strip()
            assert heading.endswith("▲") and key in heading, heading
            await pilot.press("r")
            await pilot.pause()
            assert cell(app, 0, key).strip().endswith("▼")
            await pilot.press("r")
        assert line(app, 0).count("▲") == 1


@pytest.mark.parametrize("width", [160, 100, 80, 60])
async def test_the_sort_arrow_survives_narrow_columns(mixed: str, width: int) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=(width, 30)) as pilot:
        await scanned(pilot)
        for key in SORT_KEYS:
            app.requests.set_order(key)
            await pilot.pause()
            labels = table(app).header_labels()
            if key in labels:  # (a narrow list drops the time column; the status line still says the order)
                assert labels[key].endswith("▲") and "▲" in line(app, 0)


# Rows in progress grow with the clock


async def test_a_followed_lifespan_row_grows_with_the_wall_clock_and_a_cut_one_does_not(tmp_path: Path) -> None:
    path = write(tmp_path / "live.jsonl", lifespan("life", START, 0, done=False))
    app = TracerApp(path, live=True, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: table(app).row_count == 1)
        clock = [START + 1.5]
        table(app).now = lambda: clock[0]
        table(app).refresh()
        await pilot.pause()
        assert cell(app, 1, "duration").strip() == "1.50s…"

        # Nothing else happens: the once-a-second redraw shows the time passing.
        clock[0] = START + 28.0
        await wait_for(pilot, lambda: cell(app, 1, "duration").strip() == "28.00s…", timeout=2.5)
        assert table(app).duration_ns(table(app).rows[0]) == 28_000_000_000

    # The same file, not followed: a trace cut short keeps the time of its last event.
    app = TracerApp(path, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        table(app).now = lambda: START + 28.0
        table(app).refresh()
        await pilot.pause()
        assert cell(app, 1, "duration").strip() == "800µs…"


async def test_rows_in_progress_grow_their_bar_and_complete_rows_do_not(tmp_path: Path) -> None:
    path = write(
        tmp_path / "live.jsonl",
        request("done", START, 100_000_000),
        request("running", START, 2_000_000, done=False),
    )
    app = TracerApp(path, live=True, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: table(app).row_count == 2)
        table(app).now = lambda: START + 1.0
        table(app).refresh()
        await pilot.pause()
        width = dict((n, w) for n, w, _ in layout(table(app).width_inside))["waterfall"]
        assert cell(app, row_of(app, "running"), "duration").strip() == "1.00s…"
        assert cell(app, row_of(app, "done"), "duration").strip() == "100.0ms"
        assert bar(app, "running") == (0, width)  # the axis runs to now
        assert bar(app, "done")[1] <= width // 10 + 1
        assert "1.00s" in cell(app, 0, "waterfall")


# The waterfall: lifespan off the axis, a scale, zoom


@pytest.fixture
def burst(tmp_path: Path) -> str:
    """A 28 s lifespan session, a burst of three requests after 1 s, and one more 5 s later."""
    return write(
        tmp_path / "burst.jsonl",
        lifespan("life", START, 28_000_000_000),
        request("a", START + 1.000, 1_000_000, path="/a"),
        request("b", START + 1.002, 1_000_000, path="/b"),
        request("c", START + 1.004, 2_000_000, path="/c"),
        request("late", START + 6.000, 1_000_000, path="/late"),
    )


def scale(app: TracerApp) -> str:
    return cell(app, 0, "waterfall").strip()


async def test_lifespan_stays_off_the_axis_and_the_heading_gives_the_scale(burst: str) -> None:
    app = TracerApp(burst, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        # From the first request's start to the last one's end: 5.001 s, not the lifespan's 28 s.
        assert re.fullmatch(r"0 ┈+ 5\.00s", scale(app)), scale(app)
        width = len(cell(app, 0, "waterfall"))
        assert bar(app, "late")[0] == width - 1
        assert bar(app, "life") == (0, width)  # runs off both ends, drawn thin
        assert set(cell(app, row_of(app, "life"), "waterfall")) == {"─"}


async def test_z_zooms_to_the_rows_it_is_pressed_on_and_Z_goes_back(burst: str) -> None:
    app = TracerApp(burst, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        width = len(cell(app, 0, "waterfall"))
        assert bar(app, "a")[1] == bar(app, "c")[1] == 1  # squeezed into one cell each

        table(app).cursor = row_of(app, "a") - 1
        await pilot.press("z")
        assert scale(app).startswith("zoom 0 ┈") and scale(app).endswith(" 1.0ms")
        assert bar(app, "a") == (0, width)

        await pilot.press("j", "j", "z")  # down to /c: the zoom takes in a, b and c
        assert table(app).current is not None and table(app).current.id == "c"
        assert scale(app).endswith(" 6.0ms")
        a, b, c = bar(app, "a"), bar(app, "b"), bar(app, "c")
        assert a[0] == 0 and a[0] + a[1] <= b[0] and b[0] + b[1] <= c[0] and c[0] + c[1] == width
        assert c[1] >= width // 3
        assert bar(app, "late") == (width - 1, 1)  # after the zoomed range: a mark at its right edge

        # A zoomed axis stays put while the rows on screen change.
        await pilot.press("end", "home")
        assert scale(app).endswith(" 6.0ms")

        await pilot.press("Z")
        assert re.fullmatch(r"0 ┈+ 5\.00s", scale(app))
        assert bar(app, "a")[1] == 1


async def test_zoom_from_the_palette(burst: str) -> None:
    app = TracerApp(burst, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        table(app).cursor = row_of(app, "late") - 1
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        assert "Unzoom the waterfall" not in commands
        commands["Zoom the waterfall"]()
        await pilot.pause()
        assert scale(app).startswith("zoom") and scale(app).endswith(" 1.0ms")
        commands = {c.title: c.callback for c in app.get_system_commands(app.screen)}
        commands["Unzoom the waterfall"]()
        await pilot.pause()
        assert not scale(app).startswith("zoom")


# An app that does not support lifespan


async def test_a_refused_lifespan_is_a_muted_row_with_a_note_not_an_error(tmp_path: Path) -> None:
    path = write(tmp_path / "django.jsonl", refused_lifespan("life", START), request("home", START + 0.5, 1_000_000))
    app = TracerApp(path, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        refused: TraceSummary = table(app).rows[0]
        assert refused.lifespan_unsupported and not refused.error
        y = row_of(app, "life")
        assert cell(app, y, "path").strip() == "(lifespan: not supported by the app)"
        assert cell(app, y, "status").strip() == "-"

        muted = table(app).get_component_rich_style("request-table--dim").color
        error = table(app).get_component_rich_style("request-table--error").color
        table(app).cursor = 1  # the cursor's colours off the row
        await pilot.pause()
        drawn = table(app).render_line(y)
        colours = {segment.style.color for segment in drawn if segment.text.strip() and segment.style}
        assert muted in colours and error not in colours

        await pilot.press("slash", *"~err", "enter")
        await pilot.pause()
        assert table(app).row_count == 0
