"""The CLI's way in: `tui.app.run_view`, and the rule that tracer never imports the UI."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.tui.conftest import fixture
from tracer.commands.view import load_viewer
from tui import app as app_module


def test_entry_point_is_run_view() -> None:
    assert load_viewer() is app_module.run_view


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
