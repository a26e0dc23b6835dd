"""`--break` and `--hold-timeout` on the command line: checked before anything starts, handed to the UI."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from tracer.commands import run as run_command
from tracer.commands import view as view_command
from tracer.debug import BreakpointError
from tracer.debug.options import check_hold_timeout
from tracer.errors import TracerError, UsageError
from tracer.jsonl import JsonlSink


def parse(command: Any, argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="tracer")
    command.add_parser(parser.add_subparsers())
    return parser.parse_args(argv)


@pytest.fixture
def trace_file(tmp_path: Path) -> str:
    path = tmp_path / "traces.jsonl"
    JsonlSink(path).close()
    return str(path)


def test_view_hands_its_breakpoints_to_the_ui(trace_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def viewer(path: str, *, follow: bool = False, breakpoints: tuple[str, ...] = ()) -> int:
        calls.append((path, {"follow": follow, "breakpoints": breakpoints}))
        return 0

    monkeypatch.setattr(view_command, "load_viewer", lambda: viewer)
    args = parse(view_command, ["view", trace_file, "--break", "~u /stream @ http.response.body", "--break", "~m POST"])
    assert view_command.run(args) == 0
    assert calls == [(trace_file, {"follow": False, "breakpoints": ("~u /stream @ http.response.body", "~m POST")})]


def test_view_without_breakpoints_calls_the_ui_as_before(trace_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, bool]] = []

    def viewer(path: str, *, follow: bool = False) -> int:
        calls.append((path, follow))
        return 0

    monkeypatch.setattr(view_command, "load_viewer", lambda: viewer)
    assert view_command.run(parse(view_command, ["view", trace_file, "-f"])) == 0
    assert calls == [(trace_file, True)]
    args = parse(view_command, ["view", trace_file, "--break", "~u /x"])
    with pytest.raises(TracerError, match="does not take --break yet"):
        view_command.run(args)


def test_a_bad_break_option_stops_view_before_the_ui(trace_file: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(view_command, "load_viewer", lambda: pytest.fail("the UI must not start"))
    with pytest.raises(BreakpointError, match="unknown event kind 'http.body'"):
        view_command.run(parse(view_command, ["view", trace_file, "--break", "~u /x @ http.body"]))


def test_a_bad_break_option_stops_run_before_it_serves(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(run_command, "load_app", lambda *a, **k: pytest.fail("nothing must be loaded"))
    args = parse(run_command, ["run", "app:app", "--break", "~b x @ wsgi.body"])
    with pytest.raises(BreakpointError, match="~b reads the whole trace"):
        run_command.run(args)
    args = parse(run_command, ["run", "app:app", "--hold-timeout", "0"])
    with pytest.raises(UsageError, match="--hold-timeout must be a positive number"):
        run_command.run(args)


@pytest.mark.parametrize("value", [0, -1, float("inf"), float("nan")])
def test_a_hold_timeout_is_a_positive_finite_number(value: float) -> None:
    with pytest.raises(UsageError):
        check_hold_timeout(value)
    assert check_hold_timeout(2) == 2.0


def test_the_help_shows_the_breakpoint_syntax() -> None:
    for command in (run_command, view_command):
        parser = argparse.ArgumentParser(prog="tracer")
        sub = command.add_parser(parser.add_subparsers())
        text = sub.format_help()
        assert "--break BP" in text and "[FILTER] [@ KIND[,KIND...]]" in text
        assert "~u /stream @ http.response.body" in text
    assert "--hold-timeout S" in parse_help(run_command)


def test_each_help_names_only_options_its_command_has() -> None:
    """`tracer view` has no --hold-timeout of its own: the process serving a request sets it."""
    run_help, view_help = parse_help(run_command), parse_help(view_command)
    assert "after --hold-timeout seconds" in run_help
    assert "--hold-timeout S" not in view_help and "after --hold-timeout" not in view_help
    assert "(tracer run --hold-timeout, default 60 s)" in view_help


def parse_help(command: Any) -> str:
    parser = argparse.ArgumentParser(prog="tracer")
    return command.add_parser(parser.add_subparsers()).format_help()
