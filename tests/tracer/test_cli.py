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


@pytest.mark.parametrize(
    ("argv", "usage", "error"),
    [
        (["view", "--hold-timeout", "5", "f.jsonl"], "usage: tracer view ", "tracer view: error: unrecognized arguments: --hold-timeout f.jsonl"),
        (["show", "--bogus", "f.jsonl"], "usage: tracer show ", "tracer show: error: unrecognized arguments: --bogus"),
        (["--bogus"], "usage: tracer [-h]", "tracer: error: unrecognized arguments: --bogus"),
    ],
)
def test_an_unknown_option_is_the_commands_own_usage_error(argv: list[str], usage: str, error: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage) and err.rstrip().endswith(error)


def test_a_command_imports_only_its_own_module() -> None:
    # `tracer view FILE` starts the UI without importing the other commands (about 60 ms of imports).
    code = (
        "import sys\n"
        "from tracer.cli import COMMANDS, build_parser\n"
        "args = build_parser(['view', '-f', 'x.jsonl']).parse_args(['view', '-f', 'x.jsonl'])\n"
        "assert args.command == 'view' and args.follow and args.file == 'x.jsonl', args\n"
        "others = [name for name in COMMANDS if f'tracer.commands.{name}' in sys.modules and name != 'view']\n"
        "assert not others, others\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


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


def test_view_without_a_file_opens_tracer_file_or_traces_jsonl(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tracer.commands import view

    opened: list[str] = []
    monkeypatch.setattr(view, "open_viewer", lambda path, follow=False, **options: opened.append(path) or 0)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRACER_FILE", raising=False)
    assert main(["view"]) == 2
    assert capsys.readouterr().err == "tracer: error: traces.jsonl: no such file\n"
    (tmp_path / "traces.jsonl").write_bytes(b'{"format":"tracer","version":1}\n')
    assert main(["view"]) == 0
    monkeypatch.setenv("TRACER_FILE", str(tmp_path / "mine.jsonl"))
    (tmp_path / "mine.jsonl").write_bytes(b'{"format":"tracer","version":1}\n')
    assert main(["view"]) == 0
    assert opened == ["traces.jsonl", str(tmp_path / "mine.jsonl")]


def test_a_path_as_sink_means_a_trace_file(tmp_path: Path) -> None:
    from werkzeug.test import Client

    from tracer import WSGITracer, read_traces

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("200 OK", [])
        return [b"ok"]

    traced = WSGITracer(app, sink=str(tmp_path / "t.jsonl"))
    assert Client(traced).get("/p").data == b"ok"
    traced_again = WSGITracer(app, sink=tmp_path / "u.jsonl")
    Client(traced_again).get("/q")
    assert [t.path for t in read_traces(tmp_path / "t.jsonl")] == ["/p"]
    assert [t.path for t in read_traces(tmp_path / "u.jsonl")] == ["/q"]
