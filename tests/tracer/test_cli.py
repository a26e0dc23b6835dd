"""The tracer command line: help, version, and one-line errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracer import __version__
from tracer.cli import main


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tracer.cli", *args], capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
    )


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("view", "run", "check", "export"):
        assert command in out


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.strip() == f"tracer {__version__}"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing.jsonl: no such file"),
        (b"plain text\n", "not a tracer trace file"),
        (b'{"format": "tracer", "version": 99}\n', "version 99 is newer"),
    ],
)
def test_view_rejects_bad_files_in_one_line(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "missing.jsonl"
    if content is not None:
        path.write_bytes(content)
    result = run_cli("view", str(path))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
