"""The CLI's way in: `tui.app.run_view`, and the rule that tracer never imports the UI."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tomllib

import pytest

from tests.tui.conftest import fixture
from tracer.commands import view as view_command
from tracer.commands.view import load_viewer, load_web_viewer
from tui import app as app_module
from tui import web as web_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_entry_point_is_run_view() -> None:
    assert load_viewer() is app_module.run_view
    assert load_web_viewer() is web_module


def test_the_ui_beside_tracer_is_what_the_entry_points_name() -> None:
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as handle:
        declared = tomllib.load(handle)["project"]["entry-points"]["tracer.ui"]
    own = {name: module + (f":{attribute}" if attribute else "") for name, (module, attribute) in view_command.OWN_UI.items()}
    assert own == declared


def test_without_the_ui_beside_tracer_the_entry_points_find_it(monkeypatch: pytest.MonkeyPatch) -> None:
    # Another project's ``tui`` on the path, or none: the installed entry points are read.
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, package=None: None)
    assert load_viewer() is app_module.run_view
    assert load_web_viewer() is web_module


def test_the_ui_beside_tracer_is_found_without_listing_entry_points(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata

    def listed(**kwargs):  # type: ignore[no-untyped-def]
        raise AssertionError("every distribution's entry points were listed")

    monkeypatch.setattr(importlib.metadata, "entry_points", listed)
    assert load_viewer() is app_module.run_view
    assert load_web_viewer() is web_module


def test_run_view_runs_the_app_and_returns_its_status(monkeypatch: pytest.MonkeyPatch) -> None:
    seen = {}

    def fake_run(self):  # type: ignore[no-untyped-def]
        seen.update(path=self.path, live=self.live)
        return None

    monkeypatch.setattr(app_module.TracerApp, "run", fake_run)
    assert app_module.run_view(fixture("mixed.jsonl"), follow=True) == 0
    assert seen == {"path": fixture("mixed.jsonl"), "live": True}


def test_tracer_never_imports_textual_or_tui() -> None:
    code = (
        "import sys, tracer, tracer.cli, tracer.jsonl, tracer.checks\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'tui')]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_the_ui_is_imported_without_collections_and_runs_with_them(monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    seen = {}

    def load():  # type: ignore[no-untyped-def]
        seen["while_loading"] = gc.isenabled()
        return viewer

    def viewer(path, *, follow):  # type: ignore[no-untyped-def]
        seen["while_running"] = gc.isenabled()
        seen["frozen"] = gc.get_freeze_count()
        return 0

    monkeypatch.setattr(view_command, "load_viewer", load)
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert view_command.open_viewer(fixture("mixed.jsonl")) == 0
    assert seen["while_loading"] is False and seen["while_running"] is True and seen["frozen"] > 0
    assert gc.isenabled() and gc.get_freeze_count() == 0  # as it was
