"""`tracer view --follow FILE` started before FILE exists waits for it, as ``tail -F`` does."""

from __future__ import annotations

import pytest

from tests.tui.conftest import fixed_checker, fixture, wait_for
from tracer.commands import view
from tracer.errors import TraceFileError
from tracer.index import TraceIndex
from tui.app import TracerApp
from tui.widgets.request_table import RequestTable

SIZE = (120, 36)


def fixture_lines() -> list[bytes]:
    with open(fixture("mixed.jsonl"), "rb") as handle:
        return handle.read().splitlines(keepends=True)


def status_of(app: TracerApp) -> str:
    return str(app.screen.query_one("#status").render())


async def test_a_followed_file_created_after_the_app_starts_shows_its_rows(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    header, events = lines[0], lines[1:]
    path = tmp_path / "later" / "new.jsonl"
    app = TracerApp(str(path), live=True, checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one(RequestTable)
        await wait_for(pilot, lambda: not app.requests.scanning)
        await pilot.pause(0.3)
        assert table.row_count == 0
        assert f"waiting for {path}" in status_of(app)
        assert f"waiting for {path}" in table.empty_text
        assert not app.requests.problems, "a file not there yet is no problem"

        path.parent.mkdir()
        path.write_bytes(header)
        # Created, with no request yet: no longer waited for, followed.
        await wait_for(pilot, lambda: "waiting for" not in status_of(app))
        assert "following" in status_of(app)
        assert table.row_count == 0

        with open(path, "ab") as out:
            out.write(b"".join(events[:6]))  # the lifespan trace
        await wait_for(pilot, lambda: table.row_count == 1)
        with open(path, "ab") as out:
            out.write(b"".join(events[6:]))
        await wait_for(pilot, lambda: table.row_count > 1)
        assert not app.requests.problems


async def test_a_missing_file_not_followed_is_still_an_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "missing.jsonl"
    app = TracerApp(str(path), checker=fixed_checker)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: not app.requests.scanning)
        table = app.screen.query_one(RequestTable)
        assert "no such file" in table.empty_text
        assert "waiting for" not in status_of(app)


def test_the_index_waits_for_a_followed_file_and_reads_it_once_it_appears(tmp_path) -> None:  # type: ignore[no-untyped-def]
    lines = fixture_lines()
    path = tmp_path / "new.jsonl"
    index = TraceIndex(str(path), live=True)
    assert index.scan_first().new == 0 and index.waiting
    assert index.scan().new == 0 and index.waiting
    path.write_bytes(b"".join(lines))
    result = index.scan()
    assert not index.waiting and result.new == len(index.summaries) > 0 and not result.problems


def test_the_index_of_a_missing_file_not_followed_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    index = TraceIndex(str(tmp_path / "missing.jsonl"))
    with pytest.raises(TraceFileError, match="no such file"):
        index.scan()
    assert not index.waiting


def test_the_command_checks_a_missing_file_only_without_follow(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = str(tmp_path / "new.jsonl")
    view.check_trace_file(path, allow_empty=True, allow_missing=True)
    with pytest.raises(TraceFileError, match="no such file"):
        view.check_trace_file(path, allow_empty=True)
    (tmp_path / "dir.jsonl").mkdir()
    with pytest.raises(TraceFileError, match="is a directory"):
        view.check_trace_file(str(tmp_path / "dir.jsonl"), allow_empty=True, allow_missing=True)


def test_tracer_view_follow_opens_the_viewer_on_a_file_not_there_yet(
    tmp_path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]  # type: ignore[no-untyped-def]
) -> None:
    from tracer.cli import main

    opened: list[tuple[str, bool]] = []
    monkeypatch.setattr(view, "open_viewer", lambda path, follow=False, **options: opened.append((path, follow)) or 0)
    path = str(tmp_path / "new.jsonl")
    assert main(["view", path]) == 2
    assert capsys.readouterr().err == f"tracer: error: {path}: no such file\n"
    assert main(["view", "--follow", path]) == 0
    assert opened == [(path, True)]
