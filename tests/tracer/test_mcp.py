"""`tracer mcp`: the tools a coding agent calls, driven by the MCP SDK's own client in-process.

The client talks to the server over the SDK's in-memory streams with the
JSON-RPC framing and initialize handshake stdio uses (``mode="legacy"``), so
what is tested is what an agent gets, without a subprocess.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from werkzeug.test import Client as WerkzeugClient

from tracer import JsonlSink, WSGITracer
from tracer.cli import main

pytest.importorskip("mcp.server.mcpserver", reason="the MCP SDK (pip install 'tracer[mcp]')")

from mcp import Client  # noqa: E402

from tracer.mcp_server import build_server  # noqa: E402

MIXED = str(Path(__file__).parents[1] / "fixtures" / "mixed.jsonl")
TOOLS = {"list_requests", "show_request", "check_requests", "compare_requests"}


async def call(server: object, tool: str, **arguments: object) -> tuple[bool, str]:
    """Call one tool through a fresh client session; returns (is_error, text)."""
    async with Client(server, mode="legacy") as client:  # type: ignore[arg-type]
        result = await client.call_tool(tool, arguments)
    assert len(result.content) == 1
    return bool(result.is_error), result.content[0].text  # type: ignore[union-attr]


def hello_app(environ, start_response):  # type: ignore[no-untyped-def]
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return [b"hello " + environ["PATH_INFO"].encode()]


async def test_the_server_offers_four_read_only_tools() -> None:
    async with Client(build_server(MIXED), mode="legacy") as client:
        listed = (await client.list_tools()).tools
    assert {tool.name for tool in listed} == TOOLS
    for tool in listed:
        assert tool.annotations is not None and tool.annotations.read_only_hint is True
        assert tool.description
    by_name = {tool.name: tool for tool in listed}
    assert by_name["show_request"].input_schema["required"] == ["trace_id"]
    assert by_name["show_request"].input_schema["properties"]["format"]["enum"] == ["text", "markdown"]
    assert "~c 404  ~c 5xx  ~c none: status, a class of statuses" in by_name["list_requests"].description


async def test_list_requests_gives_one_line_per_request() -> None:
    error, text = await call(build_server(MIXED), "list_requests")
    assert not error
    lines = text.splitlines()
    assert lines[0] == f"11 requests in {MIXED}. Columns: trace id, status, duration, findings, request."
    assert "wsgi-not-found  404     450µs  1 info              GET /missing" in lines
    assert "asgi-ws         101    16.0ms  no findings         WS /ws  (closed 1000)" in lines
    assert len([line for line in lines if line.startswith(("wsgi-", "asgi-"))]) == 11


async def test_list_requests_filters_and_keeps_the_most_recent() -> None:
    server = build_server(MIXED)
    _, text = await call(server, "list_requests", filter="~c 2xx", limit=2)
    lines = text.splitlines()
    assert lines[0].startswith(f"7 of 11 requests in {MIXED} match '~c 2xx'; the last 2 shown (start order).")
    assert [line.split()[0] for line in lines[1:3]] == ["asgi-hello", "asgi-stream"]
    _, text = await call(server, "list_requests", filter="~c 5xx")
    assert text == f"No request in {MIXED} matches '~c 5xx' (11 requests in all)."


async def test_show_request_is_the_tracer_show_text(capsys: pytest.CaptureFixture[str]) -> None:
    server = build_server(MIXED)
    error, text = await call(server, "show_request", trace_id="asgi-st")
    assert not error
    assert main(["show", MIXED, "#asgi-stream"]) == 0
    assert text == capsys.readouterr().out
    _, markdown = await call(server, "show_request", trace_id="#asgi-ws", format="markdown", spec=True)
    assert markdown.startswith("### WS /ws → 101 Switching Protocols, closed 1000\n")
    assert "| # | time | from → to | step | state after | findings |" in markdown
    assert "(https://asgi.readthedocs.io/" in markdown


async def test_check_requests_lists_findings_with_rule_ids() -> None:
    server = build_server(MIXED)
    _, text = await call(server, "check_requests")
    assert "GET /missing -> 404  [wsgi http, trace wsgi-not-found]\n  step 1   info    http-charset-missing: " in text
    assert text.splitlines()[-2] == "11 requests checked, 4 with findings: 4 info."
    _, one = await call(server, "check_requests", trace_id="asgi-hel")
    assert one == "1 request checked, 0 with findings: none."
    _, filtered = await call(server, "check_requests", filter="~asgi")
    assert "4 requests checked, 1 with findings: 1 info." in filtered and "wsgi-" not in filtered


async def test_compare_requests_is_the_diff_report() -> None:
    error, text = await call(build_server(MIXED), "compare_requests", a="wsgi-hello", b="asgi-hello")
    assert not error
    assert text.startswith("A  GET /hello  [trace wsgi-hello]\nB  GET /hello  [trace asgi-hello]\n")
    assert "response header changed: content-type: 'text/plain; charset=utf-8' → 'application/json'" in text
    assert "note: A is WSGI, B is ASGI" in text
    assert text.rstrip().splitlines()[-1].startswith("different (timings aside")


@pytest.mark.parametrize(
    ("tool", "arguments", "message"),
    [
        ("show_request", {"trace_id": "wsgi"}, "'wsgi' starts 7 trace ids"),
        ("show_request", {"trace_id": "nope"}, "no trace 'nope'"),
        ("show_request", {"trace_id": " "}, "name a request by its trace id"),
        ("list_requests", {"filter": "~zz"}, "filter '~zz': unknown filter '~zz'"),
        ("check_requests", {"trace_id": "asgi-ws", "filter": "~ws"}, "give trace_id or filter, not both"),
        ("compare_requests", {"a": "asgi-ws", "b": "zzz"}, "no trace 'zzz'"),
    ],
)
async def test_bad_arguments_are_tool_errors_with_the_commands_message(tool: str, arguments: dict[str, object], message: str) -> None:
    error, text = await call(build_server(MIXED), tool, **arguments)
    assert error
    assert message in text and "\n" not in text


async def test_a_file_that_does_not_exist_yet_is_read_once_it_does(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    server = build_server(str(path))
    error, text = await call(server, "list_requests")
    assert error and text.endswith(f"{path}: no such file")
    shutil.copy(MIXED, path)
    error, text = await call(server, "list_requests")
    assert not error and text.startswith("11 requests in")


async def test_each_call_sees_what_the_app_appended_since(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(str(path))
    client = WerkzeugClient(WSGITracer(hello_app, sink=sink))
    client.get("/one")
    server = build_server(str(path))
    _, before = await call(server, "list_requests")
    assert before.startswith("1 request in") and "GET /one" in before
    client.get("/two")
    _, after = await call(server, "list_requests")
    assert after.startswith("2 requests in") and "GET /two" in after
    _, shown = await call(server, "show_request", trace_id=after.splitlines()[2].split()[0])
    assert shown.startswith("GET /two → 200 OK\n")
    sink.close()
    # A new session over the same name: the file is read from its start again.
    path.unlink()
    sink = JsonlSink(str(path))
    WerkzeugClient(WSGITracer(hello_app, sink=sink)).get("/three")
    sink.close()
    _, replaced = await call(server, "list_requests")
    assert replaced.startswith("1 request in") and "GET /three" in replaced and "GET /one" not in replaced


async def test_a_file_truncated_in_place_is_read_again(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    shutil.copy(MIXED, path)
    server = build_server(str(path))
    _, before = await call(server, "list_requests")
    assert before.startswith("11 requests in")
    lines = Path(MIXED).read_bytes().splitlines(keepends=True)
    with open(path, "r+b") as handle:  # same inode, same header: only the size tells
        handle.truncate(0)
        handle.write(b"".join([lines[0], *(line for line in lines if b'"trace":"asgi-ws"' in line)]))
    _, after = await call(server, "list_requests")
    assert after.startswith("1 request in") and "WS /ws" in after


def test_the_command_serves_the_default_file_over_stdio(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from mcp.server.mcpserver import MCPServer

    served: list[tuple[str, str]] = []
    monkeypatch.setattr(MCPServer, "run", lambda self, transport="stdio", **kw: served.append((self.name, transport)))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRACER_FILE", str(tmp_path / "mine.jsonl"))
    assert main(["mcp"]) == 0
    assert served == [("tracer", "stdio")]


def test_without_the_sdk_the_command_names_the_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "mcp.server.mcpserver", None)
    assert main(["mcp", MIXED]) == 2
    assert capsys.readouterr().err == "tracer: error: tracer mcp needs the MCP SDK (mcp 2 or later): pip install 'tracer[mcp]'\n"
