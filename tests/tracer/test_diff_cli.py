"""`tracer diff A B` on the command line: two traces or two files, text or JSON, exit 0/1/2."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import sys
from pathlib import Path

import httpx
import pytest

from sample_apps import twin_asgi, twin_notes, twin_wsgi
from tests.tracer.lifespan_sessions import lifespan_session, refuses_to_start
from tracer import ASGITracer, JsonlSink, WSGITracer, read_traces
from tracer.commands import diff as diff_command
from tracer.errors import TracerError

NOTES = [("GET", "/", {}), ("POST", "/notes", {"json": {"text": "hello"}}), ("GET", "/notes/1", {}), ("GET", "/stream", {})]


def diff_cli(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `tracer diff` as the CLI does (TracerError -> one line, exit 2); returns (status, stdout, stderr)."""
    parser = argparse.ArgumentParser(prog="tracer")
    diff_command.add_parser(parser.add_subparsers())
    args = parser.parse_args(["diff", *argv])
    try:
        code = diff_command.run(args)
    except TracerError as exc:
        print(f"tracer: error: {exc}", file=sys.stderr)
        code = 2
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def twins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """The notes tour recorded twice on the WSGI twin, once on the ASGI twin, and once on a WSGI twin that lost a route."""
    monkeypatch.setattr(twin_notes, "STREAM_DELAY", 0.0)
    files = {name: tmp_path / f"{name}.jsonl" for name in ("wsgi", "wsgi_again", "asgi", "broken")}

    def broken(environ, start_response):  # type: ignore[no-untyped-def]
        if environ["PATH_INFO"] == "/notes/1":
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"oops\n"]
        return twin_wsgi.app(environ, start_response)

    for name, app in (("wsgi", twin_wsgi.app), ("wsgi_again", twin_wsgi.app), ("broken", broken)):
        monkeypatch.setattr(twin_wsgi, "_notes", [])
        sink = JsonlSink(files[name])
        with httpx.Client(transport=httpx.WSGITransport(app=WSGITracer(app, sink=sink)), base_url="http://notes") as client:
            for method, url, options in NOTES:
                client.request(method, url, **options)
        sink.close()
    monkeypatch.setattr(twin_asgi, "_notes", [])
    sink = JsonlSink(files["asgi"])

    async def tour() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ASGITracer(twin_asgi.app, sink=sink)), base_url="http://notes") as client:
            for method, url, options in NOTES:
                await client.request(method, url, **options)

    asyncio.run(tour())
    sink.close()
    return files


def ids(path: Path) -> dict[str, str]:
    return {trace.summary.title: trace.id for trace in read_traces(path)}


def test_the_same_request_twice_is_the_same(twins: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = ids(twins["wsgi"])["POST /notes"], ids(twins["wsgi_again"])["POST /notes"]
    code, out, err = diff_cli(f"{twins['wsgi']}#{a}", f"{twins['wsgi_again']}#{b}", capsys=capsys)
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0].startswith("A  POST /notes -> 201  [wsgi http, trace") and lines[0].endswith(str(twins["wsgi"]))
    assert lines[-1].startswith("same (timings aside; headers not compared: content-length")
    assert "\x1b[" not in out  # not a terminal


def test_a_different_request_exits_1_and_says_what_differs(twins: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = ids(twins["wsgi"])["GET /notes/1"], ids(twins["broken"])["GET /notes/1"]
    code, out, _ = diff_cli(f"{twins['wsgi']}#{a}", f"{twins['broken']}#{b}", capsys=capsys)
    assert code == 1
    assert "  response started  status: 200 → 500" in out
    assert "  response started  response header changed: content-type: 'application/json' → 'text/plain'" in out
    assert "      +oops" in out
    assert out.splitlines()[-1].startswith("different")


def test_a_unique_prefix_names_a_trace(twins: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    renamed = tmp_path / "renamed.jsonl"
    text = twins["wsgi"].read_text()
    for title, new_id in (("GET /", "alpha-0001"), ("POST /notes", "beta-0002"), ("GET /notes/1", "beta-0003")):
        text = text.replace(ids(twins["wsgi"])[title], new_id)
    renamed.write_text(text)
    code, out, err = diff_cli(f"{renamed}#alp", f"{twins['wsgi']}#{ids(twins['wsgi'])['GET /']}", capsys=capsys)
    assert (code, err) == (0, "")
    assert "trace alpha-0001" in out.splitlines()[0]
    code, _, err = diff_cli(f"{renamed}#beta", f"{renamed}#alpha-0001", capsys=capsys)
    assert code == 2
    assert err == f"tracer: error: {renamed}: 'beta' starts 2 trace ids (beta-0002, beta-0003); give more of it\n"


def test_json_output_holds_every_difference(twins: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = ids(twins["wsgi"])["GET /notes/1"], ids(twins["broken"])["GET /notes/1"]
    code, out, _ = diff_cli(f"{twins['wsgi']}#{a}", f"{twins['broken']}#{b}", "--json", capsys=capsys)
    document = json.loads(out)
    assert code == 1 and document["same"] is False
    assert (document["a"]["status"], document["b"]["status"]) == (200, 500)
    aspects = [d["aspect"] for d in document["differences"]]
    assert aspects == ["status", "response header", "response body"]
    assert document["differences"][0] == {
        "phase": "response started", "aspect": "status", "message": "status: 200 → 500", "detail": "", "a": 200, "b": 500,
    }
    assert [row["phase"] for row in document["phases"]] == ["request", "body read", "response started", "body sent", "end"]


def test_ignore_header_leaves_a_header_out(twins: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    a, b = ids(twins["wsgi"])["GET /"], ids(twins["asgi"])["GET /"]
    code, out, _ = diff_cli(f"{twins['wsgi']}#{a}", f"{twins['asgi']}#{b}", capsys=capsys)
    assert code == 0, out  # the same client, the same answer: WSGI and ASGI alike
    assert "note: A is WSGI, B is ASGI" in out
    sink = JsonlSink(twins["asgi"])
    with httpx.Client(transport=httpx.WSGITransport(app=WSGITracer(twin_wsgi.app, sink=sink)), base_url="http://notes") as client:
        client.get("/", headers={"X-Debug": "1"})
    sink.close()
    c = read_traces(twins["asgi"])[-1].id
    code, out, _ = diff_cli(f"{twins['wsgi']}#{a}", f"{twins['asgi']}#{c}", capsys=capsys)
    assert code == 1 and "request header added: x-debug: '1'" in out
    code, out, _ = diff_cli(f"{twins['wsgi']}#{a}", f"{twins['asgi']}#{c}", "--ignore-header", "X-Debug", capsys=capsys)
    assert code == 0, out


def test_two_files_are_paired_by_method_path_and_order(twins: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = diff_cli(str(twins["wsgi"]), str(twins["asgi"]), capsys=capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == "4 pairs compared: 4 same, 0 different"
    code, out, _ = diff_cli(str(twins["wsgi"]), str(twins["broken"]), capsys=capsys)
    assert code == 1
    assert [line.split()[0] for line in out.splitlines() if line and not line.startswith(" ")][:4] == ["same", "same", "differs", "same"]
    assert out.splitlines()[-1] == "4 pairs compared: 3 same, 1 different"


def test_unpaired_traces_are_listed_and_make_files_differ(twins: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    fewer = tmp_path / "fewer.jsonl"
    sink = JsonlSink(fewer)
    with httpx.Client(transport=httpx.WSGITransport(app=WSGITracer(twin_wsgi.app, sink=sink)), base_url="http://notes") as client:
        client.get("/")
        client.get("/nowhere")
    sink.close()
    code, out, _ = diff_cli(str(fewer), str(twins["wsgi"]), "--json", capsys=capsys)
    document = json.loads(out)
    assert code == 1 and document["same"] is False
    assert [item["title"] for item in document["only_a"]] == ["GET /nowhere"]
    assert [item["title"] for item in document["only_b"]] == ["POST /notes", "GET /notes/1", "GET /stream"]


def with_lifespans(source: Path, target: Path, *apps: object) -> Path:
    """`source`'s requests, then a lifespan session of each app in `apps` (one per server process)."""
    target.write_bytes(source.read_bytes())
    sink = JsonlSink(target)
    for app in apps:
        lifespan_session(app, sink)
    sink.close()
    return target


def test_lifespan_traces_are_paired_when_both_files_have_them(twins: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    started = with_lifespans(twins["asgi"], tmp_path / "started.jsonl", twin_asgi.app)
    again = with_lifespans(twins["asgi"], tmp_path / "again.jsonl", twin_asgi.app)
    failed = with_lifespans(twins["asgi"], tmp_path / "failed.jsonl", refuses_to_start)
    code, out, _ = diff_cli(str(started), str(again), capsys=capsys)
    assert code == 0, out
    assert out.splitlines()[-2:] == [
        f"same      LIFESPAN  [trace {read_traces(started)[-1].id} ↔ {read_traces(again)[-1].id}]",
        "5 pairs compared: 5 same, 0 different",
    ]
    code, out, _ = diff_cli(str(started), str(failed), capsys=capsys)
    assert code == 1
    lines = out.splitlines()
    assert lines[-4].startswith("differs   LIFESPAN  [trace ")
    assert lines[-3].startswith("            messages          messages: 4 events (") and "lifespan.startup.failed ×1) in B" in lines[-3]
    assert lines[-2] == "            end               error: none → RuntimeError: no database"
    assert lines[-1] == "5 pairs compared: 4 same, 1 different"


def test_lifespan_traces_without_a_partner_are_left_out_and_counted(twins: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    one = with_lifespans(twins["asgi"], tmp_path / "one.jsonl", twin_asgi.app)
    two = with_lifespans(twins["asgi"], tmp_path / "two.jsonl", twin_asgi.app, twin_asgi.app)
    # A WSGI server runs no lifespan: the ASGI recording's is no difference.
    code, out, _ = diff_cli(str(twins["wsgi"]), str(one), capsys=capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == (
        "4 pairs compared: 4 same, 0 different; 1 lifespan trace left out (A has none, B has 1: A's server ran no lifespan)"
    )
    # Two worker processes, two lifespan traces: the first pairs with the other file's only one.
    code, out, _ = diff_cli(str(two), str(one), capsys=capsys)
    assert code == 0, out
    assert out.splitlines()[-1] == (
        "5 pairs compared: 5 same, 0 different; 1 lifespan trace left out (A has 2, B has 1: one per server process)"
    )
    code, out, _ = diff_cli(str(two), str(twins["wsgi"]), "--json", capsys=capsys)
    document = json.loads(out)
    assert (code, document["same"], document["only_a"], document["only_b"]) == (0, True, [], [])
    assert document["left_out_a"] == [{"trace": trace.id, "title": "LIFESPAN"} for trace in read_traces(two)[-2:]]
    assert document["left_out_b"] == []


def test_colour_only_on_a_terminal_and_never_with_no_color(twins: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    a, b = ids(twins["wsgi"])["GET /notes/1"], ids(twins["broken"])["GET /notes/1"]

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    def run(argv: list[str]) -> str:
        parser = argparse.ArgumentParser(prog="tracer")
        diff_command.add_parser(parser.add_subparsers())
        terminal = Terminal()
        monkeypatch.setattr(sys, "stdout", terminal)
        diff_command.run(parser.parse_args(["diff", *argv]))
        monkeypatch.undo()
        return terminal.getvalue()

    argv = [f"{twins['wsgi']}#{a}", f"{twins['broken']}#{b}"]
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    assert "\x1b[31mdifferent\x1b[0m" in run(argv)
    monkeypatch.setenv("NO_COLOR", "1")
    assert "\x1b[" not in run(argv)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["{missing}#abc", "{wsgi}#{any}"], "missing.jsonl: no such file"),
        (["{wsgi}#nope", "{wsgi}#{any}"], "no trace 'nope'"),
        (["{wsgi}", "{wsgi}#{any}"], "compare a trace with a trace (FILE#TRACE_ID FILE#TRACE_ID) or a file with a file"),
        (["{wsgi}#", "{wsgi}#{any}"], "name a trace after '#'"),
        (["{notatrace}", "{wsgi}"], "not a tracer trace file"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(twins: dict[str, Path], tmp_path: Path, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "plain.txt").write_text("hello\n")
    names = {"missing": tmp_path / "missing.jsonl", "wsgi": twins["wsgi"], "any": ids(twins["wsgi"])["GET /"], "notatrace": tmp_path / "plain.txt"}
    code, out, err = diff_cli(*(arg.format(**names) for arg in argv), capsys=capsys)
    assert (code, out) == (2, "")
    assert err.startswith("tracer: error: ") and err.count("\n") == 1 and message in err


def test_the_commands_are_registered_and_errors_stay_one_line(twins: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    import subprocess

    from tracer.cli import main

    with pytest.raises(SystemExit):
        main(["--help"])
    listed = capsys.readouterr().out
    assert all(name in listed for name in ("diff", "replay", "resend"))
    a, b = ids(twins["wsgi"])["GET /notes/1"], ids(twins["broken"])["GET /notes/1"]
    assert main(["diff", f"{twins['wsgi']}#{a}", f"{twins['broken']}#{b}"]) == 1
    assert "status: 200 → 500" in capsys.readouterr().out
    result = subprocess.run(
        [sys.executable, "-m", "tracer.cli", "diff", f"{twins['wsgi']}#nope", f"{twins['broken']}#{b}"],
        capture_output=True, text=True, timeout=60,
    )
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == f"tracer: error: {twins['wsgi']}: no trace 'nope' (tracer view {twins['wsgi']} lists them)\n"
