"""`tracer learn`: the UI opens on a copy of the shipped sample trace, with the guided tour."""

from __future__ import annotations

import os
from importlib.resources import files
from pathlib import Path

import pytest

from tracer import cli
from tracer.commands import learn
from tracer.errors import TracerError
from tracer.reader import check_header
from tracer.samples import TOUR_TRACE


def sample_bytes() -> bytes:
    return files("tracer").joinpath(*TOUR_TRACE).read_bytes()


def test_the_sample_trace_is_package_data_and_small() -> None:
    data = sample_bytes()
    assert 0 < len(data) < 300 * 1024
    check_header(data.split(b"\n", 1)[0] + b"\n", "tour.jsonl")


def test_learn_opens_the_ui_on_a_copy_with_the_tour(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, object] = {}

    def fake_viewer(path: str, *, follow: bool, tour: bool = False) -> int:
        seen.update(follow=follow, tour=tour, same=Path(path).read_bytes() == sample_bytes(), path=path)
        return 0

    monkeypatch.setattr(learn, "load_viewer", lambda: fake_viewer)
    assert cli.main(["learn"]) == 0
    assert seen["follow"] is False and seen["tour"] is True and seen["same"] is True
    assert not os.path.exists(str(seen["path"])), "the copy is removed when the UI quits"


def test_learn_with_a_ui_that_has_no_tour_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    def old_viewer(path: str, *, follow: bool) -> int:
        raise AssertionError("not called")

    monkeypatch.setattr(learn, "load_viewer", lambda: old_viewer)
    with pytest.raises(TracerError, match="no guided tour"):
        learn.run(cli.build_parser().parse_args(["learn"]))


def test_learn_is_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert "learn" in cli.COMMANDS
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert "learn" in capsys.readouterr().out


def test_the_ui_entry_point_takes_the_tour() -> None:
    from tracer.commands.view import _takes_keyword, load_viewer

    assert _takes_keyword(load_viewer(), "tour")
