"""`tracer check FILE`: findings grouped by request, --json, and exit status 0, 1 or 2."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import create_environ, run_wsgi_app

from tracer import JsonlSink, WSGITracer
from tracer.cli import main

TEXT = [("Content-Type", "text/plain; charset=utf-8")]


def good(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", TEXT)
    return [b"ok"]


def bad(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", TEXT + [("Content-Length", "10")])
    start_response("200 OK", TEXT)
    return [b"short"]


def shaky(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", TEXT + [("Connection", "close")])
    return [b"ok"]


def relative_redirect(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("302 Found", TEXT + [("Location", "/next")])
    return [b"moved"]


def record(path: Path, *apps: Any) -> Path:
    sink = JsonlSink(path)
    for app in apps:
        app_iter, _, _ = run_wsgi_app(WSGITracer(app, sink=sink), create_environ(f"/{app.__name__}"))
        b"".join(app_iter)
        app_iter.close()
    sink.close()
    return path


def test_clean_file_exits_0_with_a_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", good, good)
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out == "2 traces checked, 0 with findings: 0 errors, 0 warnings, 0 info\n"


def test_findings_are_grouped_by_request_and_errors_exit_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", good, bad, relative_redirect)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    blocks = out.strip().split("\n\n")
    assert len(blocks) == 3
    head, *lines = blocks[0].splitlines()
    assert head.startswith("GET /bad -> 200  [wsgi http, trace ")
    assert lines[0].startswith("  step 2   error   wsgi-start-response-twice: start_response() was called again")
    assert any("http-content-length-mismatch" not in line for line in lines)
    assert blocks[1].splitlines()[0].startswith("GET /relative_redirect -> 302")
    assert "info    http-location-relative" in blocks[1]
    assert blocks[2] == "3 traces checked, 2 with findings: 1 error, 0 warnings, 1 info"


def test_warnings_alone_exit_0(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", shaky)
    assert main(["check", str(path)]) == 1  # a hop-by-hop header is an error
    capsys.readouterr()
    path2 = record(tmp_path / "u.jsonl", relative_redirect)
    assert main(["check", str(path2)]) == 0


def test_json_lists_every_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", good, bad, relative_redirect)
    assert main(["check", "--json", str(path)]) == 1
    findings = json.loads(capsys.readouterr().out)
    assert [f["rule"] for f in findings] == ["wsgi-start-response-twice", "http-location-relative"]
    assert all(set(f) == {"trace", "seq", "rule", "severity", "message", "cause"} for f in findings)
    assert [f["cause"] for f in findings] == [None, None]  # the app's own mistakes
    assert findings[0]["severity"] == "error" and findings[0]["seq"] == 2


def test_json_of_a_clean_file_is_an_empty_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--json", str(record(tmp_path / "t.jsonl", good))]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_min_severity_hides_lesser_findings_but_not_the_exit_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = record(tmp_path / "t.jsonl", bad, relative_redirect)
    assert main(["check", "--json", "--min-severity", "warning", str(path)]) == 1
    assert [f["rule"] for f in json.loads(capsys.readouterr().out)] == ["wsgi-start-response-twice"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "empty file, not a tracer trace file"),
        (b"hello\n", "not a tracer trace file"),
        (b'{"format": "other", "version": 1}\n', "unknown trace format 'other'"),
        (b'{"format": "tracer", "version": 1}\n{"trace": 1}\n', ":2: "),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes | None, message: str
) -> None:
    path = tmp_path / "in.jsonl"
    if content is not None:
        path.write_bytes(content)
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("tracer: error: ") and message in err and err.count("\n") == 1


def test_a_directory_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err


def test_a_checker_failure_on_one_trace_is_a_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracer.commands import check

    path = record(tmp_path / "t.jsonl", good, bad)
    real = check.check_trace

    def flaky(trace, live=False):  # type: ignore[no-untyped-def]
        if trace.path == "/good":
            raise ValueError("unexpected")
        return real(trace, live=live)

    monkeypatch.setattr(check, "check_trace", flaky)
    assert main(["check", str(path)]) == 1
    captured = capsys.readouterr()
    assert "could not be checked (ValueError: unexpected)" in captured.err
    assert "wsgi-start-response-twice" in captured.out


def test_json_prints_nothing_when_the_file_breaks_halfway(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", bad)
    with open(path, "ab") as handle:
        handle.write(b"not json\n{}\n")
    assert main(["check", "--json", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "not valid JSON" in captured.err


def test_ignore_leaves_a_rule_out_of_output_and_exit_status(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", bad, relative_redirect)
    assert main(["check", "--ignore", "wsgi-start-response-twice", "--ignore", "http-location-relative", str(path)]) == 0
    assert capsys.readouterr().out == "2 traces checked, 0 with findings: 0 errors, 0 warnings, 0 info\n"


def test_ignoring_an_unknown_rule_is_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", good)
    assert main(["check", "--ignore", "no-such-rule", str(path)]) == 2
    assert "unknown rule 'no-such-rule'" in capsys.readouterr().err


class _Terminal:
    """Standard output as a terminal would be: captured, but isatty() is true."""

    def __init__(self) -> None:
        import io

        self.buffer = io.StringIO()

    def write(self, text: str) -> int:
        return self.buffer.write(text)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("env", "coloured"), [({}, True), ({"NO_COLOR": "1"}, False), ({"TERM": "dumb"}, False)])
def test_severities_are_coloured_only_on_a_terminal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], coloured: bool
) -> None:
    path = record(tmp_path / "t.jsonl", bad)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["check", str(path)]) == 1
    text = terminal.buffer.getvalue()
    assert ("\x1b[1;31merror  \x1b[0m" in text) is coloured
    assert ("\x1b[" in text) is coloured


def test_output_to_a_pipe_or_file_has_no_colour(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", bad)
    assert main(["check", str(path)]) == 1
    assert "\x1b[" not in capsys.readouterr().out


def test_repeated_findings_are_folded_and_all_prints_them(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", bad, relative_redirect, bad, bad, bad)
    assert main(["check", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.count("GET /bad -> 200  [") == 1
    assert "… and 3 more traces like GET /bad -> 200 (the same findings; --all prints them)" in out
    assert out.endswith("5 traces checked, 5 with findings: 4 errors, 0 warnings, 1 info\n")
    assert main(["check", "--all", str(path)]) == 1
    out = capsys.readouterr().out
    assert out.count("GET /bad -> 200  [") == 4 and "more traces like" not in out


def test_the_summary_says_how_many_findings_min_severity_hid(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", bad, relative_redirect)
    assert main(["check", "--min-severity", "warning", str(path)]) == 1
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert last == "2 traces checked, 1 with findings: 1 error, 0 warnings, 1 info; 1 below --min-severity warning not shown"


def test_traces_are_checked_in_start_order_and_bad_lines_can_be_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = record(tmp_path / "t.jsonl", bad, relative_redirect)
    lines = path.read_bytes().splitlines(keepends=True)
    # The second trace's lines first, as a second process writing the file would leave them.
    first = [line for line in lines[1:] if json.loads(line)["trace"] == json.loads(lines[1])["trace"]]
    rest = [line for line in lines[1:] if line not in first]
    path.write_bytes(lines[0] + b"".join(rest) + b"this is not json\n" + b"".join(first))
    assert main(["check", str(path)]) == 2
    assert capsys.readouterr().err.startswith(f"tracer: error: {path}:{len(rest) + 2}: not valid JSON")
    assert main(["check", "--skip-bad-lines", str(path)]) == 1
    out, err = capsys.readouterr()
    assert f"{path}:{len(rest) + 2}: not valid JSON" in err and err.rstrip().endswith("line skipped")
    assert out.index("GET /bad") < out.index("GET /relative_redirect")


def test_a_request_the_server_stopped_is_not_blamed_on_the_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tracer import read_traces
    from tracer.checks import check_trace

    def slow(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", TEXT)
        return [b"never"]

    path = record(tmp_path / "t.jsonl", slow)
    lines = path.read_bytes().splitlines(keepends=True)
    # What `tracer run` leaves when a server stops mid-request: no close(), an end that says why.
    kept = [line for line in lines if b'"wsgi.close"' not in line and b'"wsgi.body"' not in line]
    events = [json.loads(line) for line in kept[1:]]
    for seq, event in enumerate(events):  # numbered without gaps: these steps never happened
        event["seq"] = seq
    kept = kept[:1] + [(json.dumps(event) + "\n").encode() for event in events]
    end = json.loads(kept[-1])
    end["data"]["stopped"] = "server shutdown"
    kept[-1] = (json.dumps(end) + "\n").encode()
    path.write_bytes(b"".join(kept))
    (trace,) = read_traces(path)
    unstopped = json.loads(kept[-1])
    del unstopped["data"]["stopped"]
    assert "wsgi-close-not-called" not in [f.rule for f in check_trace(trace)]
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("1 trace checked, 0 with findings")
    path.write_bytes(b"".join(kept[:-1]) + (json.dumps(unstopped) + "\n").encode())
    (trace,) = read_traces(path)
    assert "wsgi-close-not-called" in [f.rule for f in check_trace(trace)]


def test_a_gap_in_the_file_is_not_blamed_on_the_app(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = record(tmp_path / "t.jsonl", good)
    lines = path.read_bytes().splitlines(keepends=True)
    (close,) = [i for i, line in enumerate(lines) if b'"wsgi.close"' in line]
    lines[close] = b"{this line was damaged\n"
    path.write_bytes(b"".join(lines))
    assert main(["check", "--skip-bad-lines", str(path)]) == 0
    out = capsys.readouterr().out
    assert "wsgi-close-not-called" not in out
    assert out.splitlines()[-1].startswith("1 trace checked, 0 with findings")


def _slow(environ: dict[str, Any], start_response: Any) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first"
    yield b"second"


def test_a_trace_still_being_served_is_in_progress_not_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`tracer check` on the file of a server still running (with a control socket, as under `tracer run`)."""
    from tracer.debug import enable

    path = tmp_path / "live.jsonl"
    sink = JsonlSink(path)
    traced = WSGITracer(_slow, sink=sink)
    result = run_wsgi_app(traced, create_environ("/stream"))[0]
    assert next(iter(result)) == b"first"  # the response is half sent: the trace has no end yet
    sink.flush()
    debugger = enable(traced)
    try:
        assert main(["check", str(path)]) == 0
        out = capsys.readouterr().out
        assert "trace-incomplete" not in out
        assert "; 1 still in progress (a live process is writing the file)" in out
    finally:
        debugger.close()
        result.close()  # type: ignore[attr-defined]
        sink.close()
    assert main(["check", str(path)]) == 0  # ended since: nothing in progress, nothing incomplete
    out = capsys.readouterr().out
    assert "in progress" not in out and "trace-incomplete" not in out


def test_a_trace_no_live_process_writes_is_incomplete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "cut.jsonl"
    sink = JsonlSink(path)
    result = run_wsgi_app(WSGITracer(_slow, sink=sink), create_environ("/stream"))[0]
    next(iter(result))
    sink.flush()
    assert main(["check", str(path)]) == 0
    assert "trace-incomplete" in capsys.readouterr().out
    result.close()  # type: ignore[attr-defined]
    sink.close()
