"""The replay's protocol-state panel and the spec beside each step."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from rich.console import Console, RenderableType
from textual.pilot import Pilot

from tests.tui.conftest import fixed_checker, fixture, scanned, wait_for
from tests.tui.rare_states import write_rare
from tests.tui.test_replay_lazy import HEADER, websocket_lines
from tracer import read_traces
from tracer.checks import check_trace
from tracer.spec import KINDS, RULES
from tracer.states import MACHINES, State, states_of
from tui.app import TracerApp
from tui.screens.replay import ReplayScreen
from tui.widgets.request_table import RequestTable
from tui.widgets.state_panel import WORKING, StatePanel
from tui.widgets.step_detail import StepDetail

SIZE = (120, 36)


def text_of(renderable: RenderableType, width: int = 60) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return console.export_text()


def flat(text: str) -> str:
    """`text` with every run of whitespace (the panel's line breaks) as one space."""
    return " ".join(text.split())


def panel_text(screen: ReplayScreen) -> str:
    return text_of(screen.query_one(StatePanel).content)


def detail_text(screen: ReplayScreen) -> str:
    return text_of(screen.query_one(StepDetail).content, width=100)


async def open_trace(pilot: Pilot, trace_id: str) -> ReplayScreen:
    app = pilot.app
    await scanned(pilot)
    table = app.screen.query_one(RequestTable)
    table.cursor = [s.id for s in table.rows].index(trace_id)
    await pilot.press("enter")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ReplayScreen)
    await wait_for(pilot, lambda: screen.checked and screen.states_panel.state is not None)
    return screen


@pytest.fixture(scope="module")
def rare(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Traces recorded in-process from small apps: the states the mixed fixture never reaches, and broken apps."""
    return write_rare(str(tmp_path_factory.mktemp("rare") / "rare.jsonl"))


@pytest.mark.parametrize(
    ("trace_id", "title", "lit", "transition"),
    [
        ("wsgi-stream", "WSGI state", "headers sent", "status and headers set → headers sent"),
        ("asgi-stream", "ASGI HTTP state", "body read", "awaiting the request body → body read"),
        ("asgi-ws", "ASGI WebSocket state", "accepted", "connecting → accepted"),
        ("asgi-lifespan", "ASGI Lifespan state", "started", "starting → started"),
    ],
)
async def test_the_panel_shows_the_state_and_the_transition_of_the_step(
    mixed: str, trace_id: str, title: str, lit: str, transition: str
) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, trace_id)
        trace = next(t for t in read_traces(mixed) if t.id == trace_id)
        expected = states_of(trace)
        # The state machine the checks follow, step by step.
        for step, state in enumerate(expected):
            assert screen.states_panel.state is not None
            assert screen.states_panel.state.state is state.state, step
            await pilot.press("right")
        await pilot.press("home")
        while screen.states_panel.state is not None and screen.states_panel.state.state.label != lit:
            await pilot.press("right")
        text = panel_text(screen)
        assert text.startswith(title)
        assert "this step" in text and transition in text
        assert "may next" in text and "would be a mistake here" in text


async def test_the_panel_says_what_follows_for_an_http_request(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "wsgi-post-json")
        text = panel_text(screen)
        assert "0 B of 18 B read (Content-Length), 18 B unread" in text
        assert "decided once the app sets the status and headers" in text
        await pilot.press("right")  # the body read
        assert "18 B of 18 B read (Content-Length): all of it" in panel_text(screen)
        await pilot.press("right", "right")  # the first chunk sends the headers
        text = panel_text(screen)
        assert "Content-Length: 55" in text and "keep-alive" in text
        assert "wsgi-start-response-twice" in text  # a mistake from here, with its rule


async def test_a_mistake_in_the_panel_is_the_finding_tracer_check_reports(rare: str) -> None:
    app = TracerApp(rare)
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        for trace in read_traces(rare):
            findings = {(f.seq, f.rule) for f in check_trace(trace)}
            made = {(s.seq, m.rule) for s in states_of(trace) for m in s.made}
            if not made:
                continue
            screen = await open_trace(pilot, trace.id)
            seen = set()
            for _ in range(trace.summary.events):
                state = screen.states_panel.state
                assert state is not None
                for mistake in state.made:
                    seen.add((state.seq, mistake.rule))
                    assert f"a mistake: {mistake.says}" in flat(panel_text(screen))
                await pilot.press("right")
            assert seen == made and made <= findings
            await pilot.press("escape")


async def test_every_state_of_every_machine_is_lit_by_some_fixture_step(rare: str) -> None:
    lit: dict[str, set[State]] = {name: set() for name in MACHINES}
    for path in (fixture("mixed.jsonl"), rare):
        app = TracerApp(path, checker=fixed_checker)
        async with app.run_test(size=SIZE) as pilot:
            await scanned(pilot)
            for trace in read_traces(path):
                screen = await open_trace(pilot, trace.id)
                for _ in range(trace.summary.events):
                    state = screen.states_panel.state
                    assert state is not None
                    lit[state.machine.name].add(state.state)
                    await pilot.press("right")
                await pilot.press("escape")
    for name, machine in MACHINES.items():
        missing = [state.label for state in machine.states if state not in lit[name]]
        assert not missing, f"{machine.title}: never lit: {missing}"


async def test_s_hides_and_shows_the_panel(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "asgi-hello")
        panel = screen.states_panel
        detail = screen.query_one(StepDetail)
        shared = detail.size.height
        assert panel.display and panel.size.height >= 6
        await pilot.press("s")
        await pilot.pause()
        assert not panel.display and detail.size.height > shared
        await pilot.press("right", "right")  # moves on while hidden
        await pilot.press("s")
        await pilot.pause()
        assert panel.display and panel.state is not None and panel.state.state.label == "response started"
        # The diagram keeps its whole height and most of the width at 120x36.
        assert screen.diagram.size.height >= 30 and screen.diagram.size.width >= 70


async def test_below_110_columns_the_panel_sits_beside_the_detail_under_the_diagram(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_trace(pilot, "wsgi-hello")
        panel, detail = screen.states_panel, screen.query_one(StepDetail)
        assert panel.region.y == detail.region.y and panel.region.x > detail.region.x
        assert screen.diagram.region.bottom <= panel.region.y


async def test_a_long_trace_works_out_its_states_in_a_worker(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    path.write_text(HEADER + websocket_lines(0, 50_000, end=50_000))
    app = TracerApp(str(path))
    async with app.run_test(size=SIZE) as pilot:
        await scanned(pilot)
        screen = ReplayScreen(app.index.by_id["ws"])  # as the replay opens by itself: by summary
        await app.push_screen(screen)
        # The states of 50,000 steps are not worked out before the screen shows.
        assert screen.timeline is not None and screen.timeline.count == 0
        assert WORKING in panel_text(screen)
        # Stepping goes on while the worker runs (how fast is bench/replay_scale.py's to say, not a test's).
        for _ in range(15):
            painted = asyncio.Event()
            screen.action_step(1)
            screen.call_after_refresh(painted.set)
            await painted.wait()
        assert screen.step == 15
        await wait_for(pilot, lambda: screen.timeline is not None and screen.timeline.count == 50_000, timeout=20)
        assert screen.states_panel.state is not None and screen.states_panel.state.state.label == "open"
        await pilot.press("end")
        state = screen.states_panel.state
        assert state is not None and state.state.label == "closed" and "no move: stays closed" in panel_text(screen)
        await pilot.press("left")  # websocket.disconnect
        assert "open → closed" in panel_text(screen)


async def test_a_live_trace_is_followed_as_it_grows(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_text(HEADER + websocket_lines(0, 3))
    app = TracerApp(str(path), live=True)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "ws")
        await pilot.press("end")
        assert screen.states_panel.state is not None and screen.states_panel.state.state.label == "accepted"
        with open(path, "a") as out:
            out.write(websocket_lines(3, 5))
        await wait_for(pilot, lambda: screen.diagram.steps == 5)
        await pilot.press("end")
        assert screen.timeline is not None and screen.timeline.count == 5
        assert screen.states_panel.state is not None and screen.states_panel.state.state.label == "open"
        with open(path, "a") as out:
            out.write(websocket_lines(5, 400) + websocket_lines(400, 402, end=402))
        await wait_for(pilot, lambda: screen.diagram.steps == 402)
        await wait_for(pilot, lambda: screen.timeline is not None and screen.timeline.count == 402)
        await pilot.press("end")
        assert screen.states_panel.state is not None and screen.states_panel.state.state.label == "closed"


async def test_i_shows_the_spec_of_the_step_with_section_links(mixed: str) -> None:
    app = TracerApp(mixed, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_trace(pilot, "wsgi-hello")
        await pilot.press("right")  # start_response
        assert "spec ·" not in detail_text(screen)
        await pilot.press("i")
        text = detail_text(screen)
        note = KINDS["wsgi.start_response"]
        assert "spec · wsgi.start_response" in text
        assert note.sections[0].label == "PEP 3333: The start_response() Callable"
        for section in note.sections:
            assert section.label in text and section.url in text
        links = {span.style.link for span in _spans(screen) if getattr(span.style, "link", None)}
        assert {section.url for section in note.sections} <= links
        # Stepping keeps it on; the payload follows the note.
        await pilot.press("right")
        text = detail_text(screen)
        assert "spec · wsgi.body" in text and text.index("spec · wsgi.body") < text.index("chunk  13 B")
        await pilot.press("i")
        assert "spec ·" not in detail_text(screen)


async def test_the_spec_of_an_asgi_message_and_of_a_finding_rule(rare: str) -> None:
    app = TracerApp(rare)
    async with app.run_test(size=SIZE) as pilot:
        trace = next(t for t in read_traces(rare) if t.summary.path == "/twice")
        screen = await open_trace(pilot, trace.id)
        await pilot.press("i", "right", "right", "right")  # the second http.response.start
        text = detail_text(screen)
        assert "spec · asgi.send" in text and "spec · http.response.start" in text
        rule = RULES["asgi-start-twice"]
        assert "rule · asgi-start-twice" in text and rule.sections[0].label in text


def _spans(screen: ReplayScreen) -> list:  # type: ignore[type-arg]
    console = Console(width=100, file=io.StringIO(), color_system=None)
    return list(console.render(screen.query_one(StepDetail).content))
