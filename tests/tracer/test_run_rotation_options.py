"""`tracer run --max-size SIZE --backups N` hands them to the trace file's sink."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import pytest

from tracer.cli import main
from tracer.commands import run as run_command
from tracer.errors import UsageError


@pytest.mark.parametrize(
    ("text", "size"), [("100M", 100 * 1024**2), ("512k", 512 * 1024), ("1G", 1024**3), ("4096", 4096), ("1.5M", 1572864), ("10MiB", 10 * 1024**2)]
)
def test_sizes_are_read_with_their_unit(text: str, size: int) -> None:
    assert run_command.parse_size(text) == size


@pytest.mark.parametrize("text", ["", "M", "ten", "-1M", "0"])
def test_a_size_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        run_command.parse_size(text)


def test_max_size_and_backups_reach_the_jsonl_sink(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    given: dict[str, Any] = {}

    def fake_sink(path: str, **kwargs: Any) -> Any:
        given.update(kwargs, path=path)
        raise UsageError("stop here")  # the server is not needed

    monkeypatch.setattr(run_command, "JsonlSink", fake_sink)
    out = tmp_path / "t.jsonl"
    args = ["run", "sample_apps.hello_wsgi:simple_app", "--port", "0", "--out", str(out), "--max-size", "100M", "--backups", "3"]
    assert main(args) == 2
    assert given == {"path": str(out), "max_bytes": 100 * 1024**2, "backups": 3}


def test_without_max_size_the_file_never_rotates(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    given: dict[str, Any] = {}

    def fake_sink(path: str, **kwargs: Any) -> Any:
        given.update(kwargs)
        raise UsageError("stop here")

    monkeypatch.setattr(run_command, "JsonlSink", fake_sink)
    assert main(["run", "sample_apps.hello_wsgi:simple_app", "--port", "0", "--out", str(tmp_path / "t.jsonl")]) == 2
    assert given == {"max_bytes": None, "backups": 5}
