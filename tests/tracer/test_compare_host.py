"""The server's address (Host, SERVER_NAME/SERVER_PORT, scope['server']) is left out of a comparison unless asked for."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from sample_apps import twin_asgi, twin_notes, twin_wsgi
from tracer import ASGITracer, JsonlSink, WSGITracer, read_traces
from tracer.compare import DEFAULT_IGNORED_HEADERS, compare, server_address

from .test_diff_cli import diff_cli


@pytest.fixture
def two_servers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """`GET /` and `POST /notes` on the WSGI twin as if served on port 8001, and on the ASGI twin on port 8002."""
    monkeypatch.setattr(twin_notes, "STREAM_DELAY", 0.0)
    monkeypatch.setattr(twin_wsgi, "_notes", [])
    monkeypatch.setattr(twin_asgi, "_notes", [])
    wsgi_file, asgi_file = tmp_path / "wsgi.jsonl", tmp_path / "asgi.jsonl"
    sink = JsonlSink(wsgi_file)
    with httpx.Client(transport=httpx.WSGITransport(app=WSGITracer(twin_wsgi.app, sink=sink)),
                      base_url="http://127.0.0.1:8001") as client:
        client.get("/")
        client.post("/notes", json={"text": "hello"})
    sink.close()
    sink = JsonlSink(asgi_file)

    async def tour() -> None:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=ASGITracer(twin_asgi.app, sink=sink)),
                                     base_url="http://127.0.0.1:8002") as client:
            await client.get("/")
            await client.post("/notes", json={"text": "hello"})

    asyncio.run(tour())
    sink.close()
    return wsgi_file, asgi_file


def test_two_servers_on_two_ports_compare_the_same_by_default(two_servers: tuple[Path, Path]) -> None:
    wsgi, asgi = (read_traces(path) for path in two_servers)
    for a, b in zip(wsgi, asgi):
        assert (server_address(a), server_address(b)) == ("127.0.0.1:8001", "127.0.0.1:8002")
        result = compare(a, b)
        assert result.same, [d.message for d in result.differences]
        assert "host" in result.ignored_headers


def test_host_and_the_server_address_are_compared_when_asked(two_servers: tuple[Path, Path]) -> None:
    a, b = read_traces(two_servers[0])[0], read_traces(two_servers[1])[0]
    result = compare(a, b, ignore_headers=DEFAULT_IGNORED_HEADERS - {"host"})
    assert [(d.phase, d.message) for d in result.differences] == [
        ("request", "server address: '127.0.0.1:8001' → '127.0.0.1:8002'"),
        ("request", "request header changed: host: '127.0.0.1:8001' → '127.0.0.1:8002'"),
    ]


def test_diff_leaves_the_host_out_and_include_header_puts_it_back(
    two_servers: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    wsgi, asgi = (str(path) for path in two_servers)
    code, out, err = diff_cli(wsgi, asgi, capsys=capsys)
    assert (code, err) == (0, "")
    assert out.splitlines()[-1] == "2 pairs compared: 2 same, 0 different"

    a, b = read_traces(wsgi)[1].id, read_traces(asgi)[1].id
    code, out, _ = diff_cli(f"{wsgi}#{a}", f"{asgi}#{b}", capsys=capsys)
    assert code == 0, out
    assert "host (and the server's address)" in out.splitlines()[-1]

    code, out, _ = diff_cli(f"{wsgi}#{a}", f"{asgi}#{b}", "--include-header", "Host", capsys=capsys)
    assert code == 1
    assert "  request           server address: '127.0.0.1:8001' → '127.0.0.1:8002'" in out
    assert "  request           request header changed: host: '127.0.0.1:8001' → '127.0.0.1:8002'" in out
    assert "host" not in out.splitlines()[-1]

    code, out, _ = diff_cli(wsgi, asgi, "--include-header", "host", capsys=capsys)
    assert code == 1 and out.splitlines()[-1] == "2 pairs compared: 0 same, 2 different"


def test_include_header_names_only_a_header_left_out_by_default(
    two_servers: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    wsgi, asgi = (str(path) for path in two_servers)
    code, out, err = diff_cli(wsgi, asgi, "--include-header", "x-build", capsys=capsys)
    assert (code, out) == (2, "")
    assert err.startswith("tracer: error: --include-header: 'x-build' is compared anyway; the headers left out by default are ")
    assert err.count("\n") == 1 and "host" in err


def test_a_unix_socket_server_has_no_port() -> None:
    from tracer.model import Event, Trace

    trace = Trace("t", "asgi", "http", 0.0, [Event(0, 0, "asgi.scope", {"scope": {"type": "http", "server": ["/tmp/app.sock", None]}})])
    assert server_address(trace) == "/tmp/app.sock"
