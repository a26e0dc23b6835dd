"""The CLI prints tracer's own warnings as one `tracer: warning:` line; everyone else's keep Python's format."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any

import pytest

from tests.frameworks.running import REPO
from tracer import TracerWarning
from tracer.cli import _warning_printer

WARNS_ON_IMPORT = """
    import warnings

    from tracer import TracerWarning

    warnings.warn("the app's own runtime warning", RuntimeWarning)
    warnings.warn("a framework's user warning", UserWarning)
    warnings.warn("tracer: something tracer says", TracerWarning)
"""


def test_only_tracer_warnings_get_the_prefix(tmp_path: Path) -> None:
    (tmp_path / "warns.py").write_text(textwrap.dedent(WARNS_ON_IMPORT))
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONWARNINGS="")
    done = subprocess.run(
        [sys.executable, "-m", "tracer.cli", "run", "warns:nope", "--port", "0"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.splitlines()
    module = str(tmp_path / "warns.py")
    assert f"{module}:6: RuntimeWarning: the app's own runtime warning" in lines, done.stderr
    assert f"{module}:7: UserWarning: a framework's user warning" in lines, done.stderr
    assert "tracer: warning: something tracer says" in lines, done.stderr
    assert not any(line.startswith("tracer: warning:") and "own" in line for line in lines)
    assert lines[-1].startswith("tracer: error: module 'warns' has no attribute 'nope'")


def test_the_printer_hands_other_warnings_to_the_previous_one() -> None:
    handed: list[tuple[Any, ...]] = []
    show = _warning_printer(lambda *args: handed.append(args))
    out = io.StringIO()
    show(RuntimeWarning("mine"), RuntimeWarning, "app.py", 3, out, None)
    show(TracerWarning("tracer: recording failed"), TracerWarning, "x.py", 1, out, None)
    assert [(str(a[0]), a[1], a[2], a[3]) for a in handed] == [("mine", RuntimeWarning, "app.py", 3)]
    assert out.getvalue() == "tracer: warning: recording failed\n"


def test_tracer_warnings_go_to_stderr_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    show = _warning_printer(warnings.showwarning)
    show(TracerWarning("tracer: a"), TracerWarning, "x.py", 1)
    assert capsys.readouterr().err == "tracer: warning: a\n"
