"""`tracer show`: a request as text or markdown, step by step, named by id prefix or found by a filter."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from werkzeug.test import Client

from tracer import JsonlSink, WSGITracer, read_traces
from tracer.cli import main
from tracer.explain import explain
from tracer.labels import arrows
from tracer.model import Trace
from tracer.show import SEPARATOR, show_trace

MIXED = str(Path(__file__).parents[1] / "fixtures" / "mixed.jsonl")
JSON_BODY = b'{"name": "widget", "tags": ["new"], "note": "long enough that it does not fit on one line"}'


def show(*argv: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``tracer show`` as a user does; returns (status, stdout, stderr)."""
    code = main(["show", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def fixture_trace(trace_id: str) -> Trace:
    return next(trace for trace in read_traces(MIXED) if trace.id == trace_id)


def step_block(text: str, seq: int) -> str:
    """The lines of step `seq` in text output: its heading line to the blank line after it."""
    match = re.search(rf"^#{seq}  .*?(?=\n\n|\Z)", text, re.MULTILINE | re.DOTALL)
    assert match, f"no step #{seq} in:\n{text}"
    return match.group(0)


@pytest.fixture
def recorded(tmp_path: Path) -> Path:
    """A trace file recorded in-test: a JSON POST, a long text body, a path with markdown and control characters."""

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        path = environ["PATH_INFO"]
        body = environ["wsgi.input"].read()
        if path == "/long":
            start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
            return [f"line {n:04d}\n".encode() for n in range(500)]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"echo": ' + (body or b"null") + b"}"]

    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(str(path))
    client = Client(WSGITracer(app, sink=sink))
    client.post("/items", data=JSON_BODY, content_type="application/json")
    client.get("/long")
    client.get("/a|b`c`/*x*/\x1b[2J")
    sink.close()
    return path


# Text


def test_every_step_has_the_replays_label_and_sentence(capsys: pytest.CaptureFixture[str]) -> None:
    for trace in read_traces(MIXED):
        code, out, err = show(MIXED, f"#{trace.id}", capsys=capsys)
        assert (code, err) == (0, "")
        raised = False
        for event, item in zip(trace.events, arrows(trace.events)):
            block = step_block(out, event.seq)
            assert f"{item.source} → {item.target}  {item.label}" in block.splitlines()[0]
            assert explain(event, raised=raised) in block
            raised = raised or event.kind in ("wsgi.error", "asgi.error")


def test_a_wsgi_request_shows_its_heading_payloads_and_states(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(MIXED, "#wsgi-post-json", capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "POST /api/items → 201 Created"
    assert "  trace       wsgi-post-json · WSGI http · 2023-11-14 22:13:20.001 UTC" in lines
    assert "  request     18 B application/json read in 1 read" in lines
    assert "  response    55 B application/json in 1 chunk" in lines
    assert "  findings    none" in lines
    environ = step_block(out, 0)
    assert "    environ     REQUEST_METHOD     POST" in environ
    assert "CONTENT_LENGTH     18" in environ
    assert "    headers (1) Host: localhost" in environ
    assert "state       called: The server calls the app" in environ
    read = step_block(out, 1)
    assert '    read        18 B: {"name": "widget"}' in read
    start = step_block(out, 2)
    assert "    status      201 Created" in start
    assert "Content-Length: 55" in start
    assert "framing     Content-Length: 55: the server sends exactly 55 body bytes" in start
    chunk = step_block(out, 3)
    assert '    chunk       55 B: {"id": 7, "name": "widget", "tags": ["new", "fixture"]}' in chunk
    assert "state       headers sent" in chunk


def test_an_asgi_request_shows_messages_and_findings_at_their_step(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(MIXED, "#asgi-stream", capsys=capsys)
    assert code == 0
    assert out.startswith("POST /upload → 200 OK\n")
    assert "  findings    1 info" in out
    assert "    body        9 B: part one," in step_block(out, 1)
    assert "state       awaiting the request body: A piece of the request body; more follow." in step_block(out, 1)
    start = step_block(out, 3)
    assert "    info        http-charset-missing: Content-Type 'text/plain' has no charset" in start
    assert "    headers (1) content-type: text/plain" in start
    assert "http-charset-missing" not in step_block(out, 4)
    assert "state       complete: The last piece: the response is complete." in step_block(out, 7)


def test_a_websocket_shows_its_messages_and_close_code(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(MIXED, "#asgi-ws", capsys=capsys)
    assert code == 0
    assert out.startswith("WS /ws → 101 Switching Protocols, closed 1000\n")
    assert "  received    2 messages, 5 B" in out and "  sent        2 messages, 17 B" in out
    assert "    text        2 B: hi" in step_block(out, 3)
    assert "state       accepted: The server completes the handshake" in step_block(out, 2)
    assert "    code        1000" in step_block(out, 7)


def test_a_lifespan_trace_shows_each_phase(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(MIXED, "#asgi-lifespan", capsys=capsys)
    assert code == 0
    assert out.startswith("LIFESPAN → complete\n")
    assert "request" not in out.split("\n\n")[0]  # no request or response rows for lifespan
    assert "receive() → lifespan.startup" in step_block(out, 1)
    assert "state       started: The server starts taking connections." in step_block(out, 2)
    assert "state       stopped: The server exits." in step_block(out, 4)


def test_an_exception_shows_its_type_and_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = show(MIXED, "#wsgi-error", capsys=capsys)
    assert out.startswith("GET /boom → no response, raised ZeroDivisionError: division by zero\n")
    error = step_block(out, 1)
    assert "    exception   ZeroDivisionError: division by zero" in error
    assert "    traceback   Traceback (most recent call last):" in error
    assert '                    raise ZeroDivisionError("division by zero")' in error


def test_binary_bodies_show_a_hex_preview_and_cut_bodies_say_so(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = show(MIXED, "#wsgi-binary", capsys=capsys)
    chunk = step_block(out, 2)
    assert "    chunk       38 B, binary:" in chunk
    assert "00000000  80 81 82 83 84 85 86 87 88 89 8a 8b 8c 8d 8e 8f  ................" in chunk
    assert "00000020  89 50 4e 47 0d 0a" in chunk
    _, out, _ = show(MIXED, "#wsgi-cut", capsys=capsys)
    assert "    chunk       40 B, cut by max_body_bytes: 10 of 40 bytes kept:" in step_block(out, 3)


def test_long_bodies_are_cut_to_max_body(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    summary = read_traces(str(recorded))[1]
    code, out, _ = show(str(recorded), f"#{summary.id}", "--max-body", "100", capsys=capsys)
    assert code == 0
    first = step_block(out, 3)
    assert "    chunk       10 B: line 0000␊" in first  # one short line: inline, its line break shown
    code, out, _ = show(str(recorded), "~u /long", "--max-body", "4", capsys=capsys)
    assert "    chunk       10 B:\n                line\n                … 6 more bytes" in step_block(out, 3)


def test_json_longer_than_a_line_is_indented(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = show(str(recorded), "~m POST", capsys=capsys)
    read = step_block(out, 1)
    assert f"    read        {len(JSON_BODY)} B:\n                {{\n                  \"name\": \"widget\"," in read
    assert '                  "note": "long enough that it does not fit on one line"\n                }' in read


def test_spec_adds_the_sections_behind_each_step_and_finding(capsys: pytest.CaptureFixture[str]) -> None:
    _, plain, _ = show(MIXED, "#wsgi-not-found", capsys=capsys)
    assert "https://" not in plain
    _, out, _ = show(MIXED, "#wsgi-not-found", "--spec", capsys=capsys)
    start = step_block(out, 1)
    assert "PEP 3333: The start_response() Callable <https://peps.python.org/pep-3333/#the-start-response-callable>" in start
    assert "RFC 9110: §8.3.2 Charset <https://www.rfc-editor.org/rfc/rfc9110#section-8.3.2>" in start


def test_control_characters_from_a_trace_never_reach_the_terminal(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = read_traces(str(recorded))[2]
    code, out, _ = show(str(recorded), f"#{odd.id}", capsys=capsys)
    assert code == 0
    assert "\x1b" not in out
    assert out.startswith("GET /a|b`c`/*x*/␛[2J → 200 OK\n")


# Markdown


def test_markdown_has_a_table_of_steps_and_fenced_payloads(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(MIXED, "#asgi-stream", "--format", "markdown", capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "### POST /upload → 200 OK"
    assert "- **findings**: 1 info" in lines
    header = lines.index("| # | time | from → to | step | state after | findings |")
    rows = lines[header + 2 : header + 11]
    assert len(rows) == 9 and all(row.startswith(f"| {n} |") for n, row in enumerate(rows))
    assert rows[3] == ("| 3 | +3.600ms | app → server | `send(http.response.start 200, 1 header)` | response started "
                       "| `http-charset-missing` |")
    assert "#### #1 `asgi.receive` · +1.200ms" in lines
    fenced = out.split("#### #1 `asgi.receive`")[1].split("```text\n")[1].split("\n```")[0]
    assert fenced == "more_body   True\nbody        9 B: part one,"
    assert "- **info** `http-charset-missing`: Content-Type 'text/plain' has no charset" in out
    assert "\x1b" not in out


def test_markdown_keeps_trace_text_literal(recorded: Path, capsys: pytest.CaptureFixture[str]) -> None:
    odd = read_traces(str(recorded))[2]
    _, out, _ = show(str(recorded), f"#{odd.id}", "--format", "markdown", "--spec", capsys=capsys)
    lines = out.splitlines()
    assert lines[0] == r"### GET /a\|b\`c\`/\*x\*/␛\[2J → 200 OK"
    row = next(line for line in lines if line.startswith("| 0 |"))
    assert row.count(" | ") == 5  # the pipe in the path does not add a cell
    assert "``app(environ, start_response)  GET /a\\|b`c`/*x*/␛[2J``" in row
    assert "[PEP 3333: The start_response() Callable](https://peps.python.org/pep-3333/#the-start-response-callable)" in out


def test_a_payload_with_backticks_gets_a_longer_fence() -> None:
    from tracer.show import _fence

    assert _fence("a ```` b") == ["`````text", "a ```` b", "`````"]
    assert _fence("plain") == ["```text", "plain", "```"]


# Choosing requests


def test_a_unique_prefix_names_a_request_with_hash_or_in_the_file_argument(capsys: pytest.CaptureFixture[str]) -> None:
    _, by_hash, _ = show(MIXED, "#wsgi-po", capsys=capsys)
    _, in_file, _ = show(f"{MIXED}#wsgi-po", capsys=capsys)
    assert by_hash == in_file and by_hash.startswith("POST /api/items → 201 Created\n")


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["#wsgi"], "mixed.jsonl: 'wsgi' starts 7 trace ids (wsgi-hello, wsgi-post-json, wsgi-not-found, …); give more of it"),
        (["#nope"], "mixed.jsonl: no trace 'nope'"),
        (["#"], "name a trace after '#'"),
        (["~zz"], "filter '~zz': unknown filter '~zz' (one of ~m ~u ~c"),
        (["(~m GET"], "filter '(~m GET': missing ')'"),
    ],
)
def test_bad_selectors_are_one_line_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = show(MIXED, *argv, capsys=capsys)
    assert code == 2 and out == ""
    assert err.startswith("tracer: error: ") and message in err and err.count("\n") == 1


def test_a_missing_file_and_a_doubly_named_trace_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = show(str(tmp_path / "none.jsonl"), capsys=capsys)
    assert (code, err) == (2, f"tracer: error: {tmp_path / 'none.jsonl'}: no such file\n")
    code, _, err = show(f"{MIXED}#wsgi-hello", "#asgi-hello", capsys=capsys)
    assert code == 2 and err.count("\n") == 1 and "name the trace once" in err


def test_a_filter_shows_every_match_with_a_separator(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(MIXED, "~c 404 | ~ws", capsys=capsys)
    assert code == 0
    first, second = out.split(f"\n{SEPARATOR}\n\n")
    assert first.startswith("GET /missing → 404 Not Found\n")
    assert second.startswith("WS /ws → 101 Switching Protocols, closed 1000\n")
    assert second.endswith("\n2 requests match '~c 404 | ~ws'\n")
    _, markdown, _ = show(MIXED, "~c 404 | ~ws", "--format", "markdown", capsys=capsys)
    assert "\n---\n\n### WS /ws" in markdown


def test_a_filter_reading_bodies_and_findings_matches(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = show(MIXED, "~bs echo", capsys=capsys)
    assert out.startswith("WS /ws → ") and SEPARATOR not in out
    _, out, _ = show(MIXED, "~violation", capsys=capsys)  # info findings only: no match
    assert out == ""


def test_no_match_is_exit_1_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = show(MIXED, "~c 5xx", capsys=capsys)
    assert (code, out) == (1, "")
    assert err == f"tracer: no request in {MIXED} matches '~c 5xx' (11 requests in all)\n"


def test_without_a_selector_every_request_is_listed_with_a_hint(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = show(MIXED, capsys=capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "asgi-lifespan     -     2.0ms  no findings         LIFESPAN"
    assert "wsgi-not-found  404     450µs  1 info              GET /missing" in lines
    assert "wsgi-error        -     600µs  no findings         GET /boom  (raised ZeroDivisionError)" in lines
    assert "asgi-ws         101    16.0ms  no findings         WS /ws  (closed 1000)" in lines
    assert lines[11] == ""
    assert lines[12].startswith(f"11 requests. Show one: tracer show {MIXED} '#ID'")


def test_an_empty_file_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b'{"format":"tracer","version":1}\n')
    assert show(str(path), capsys=capsys) == (0, f"{path} holds no requests yet\n", "")


# Colour


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_only_on_a_terminal_without_no_color(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _, piped, _ = show(MIXED, "#wsgi-not-found", capsys=capsys)
    assert "\x1b[" not in piped
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm")
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["show", MIXED, "#wsgi-not-found"]) == 0
    coloured = terminal.getvalue()
    assert "\x1b[1mGET /missing → 404 Not Found\x1b[0m" in coloured
    assert "\x1b[36minfo\x1b[0m" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == piped
    monkeypatch.setenv("NO_COLOR", "1")
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    main(["show", MIXED, "#wsgi-not-found"])
    assert terminal.getvalue() == piped
    monkeypatch.delenv("NO_COLOR")
    terminal = _Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    main(["show", MIXED, "#wsgi-not-found", "--format", "markdown"])
    assert "\x1b[" not in terminal.getvalue()


# The library function


def test_show_trace_reads_a_trace_from_memory() -> None:
    from tracer import Recorder

    rec = Recorder()

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        start_response("204 No Content", [])
        return []

    Client(WSGITracer(app, sink=rec)).delete("/items/7")
    text = show_trace(rec.traces()[0])
    assert text.startswith("DELETE /items/7 → 204 No Content\n")
    assert "start_response('204 No Content', 0 headers)" in text
    assert "    headers (0) none" in text


def test_a_malformed_step_is_shown_raw() -> None:
    from tracer.model import Event

    trace = fixture_trace("wsgi-hello")
    trace.events[1] = Event(1, 1, "wsgi.start_response", {"status": "200 OK", "headers": 7, "exc_info": None})
    text = show_trace(trace)
    assert "start_response" in step_block(text, 1)
    odd = Trace("odd", "asgi", "http", 0.0, [Event(0, 0, "asgi.send", {"message": "not a dict"})])
    assert "data        {'message': 'not a dict'}" in show_trace(odd)
