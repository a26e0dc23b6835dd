"""Flask, Django (both handlers) and Starlette under `tracer run`'s servers, hit with httpx.

Each app runs twice: traced, through `tracer run` in a subprocess, and
untraced, on the same kind of server in a thread of this process. The
responses must be identical, and the trace file must hold one complete,
correct trace per request.
"""

from __future__ import annotations

import importlib
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest

from tests.frameworks.apps import CHUNK_DELAY, CHUNKS
from tests.frameworks.running import TracerRun, completed, logger_state, restore_loggers, wait_for_traces
from tracer.serve import bind_socket, display_address, make_server


@dataclass
class Framework:
    name: str
    reference: str
    protocol: str


FRAMEWORKS = [
    Framework("flask", "tests.frameworks.apps.flask_app:app", "wsgi"),
    Framework("django-wsgi", "tests.frameworks.apps.django_app:wsgi", "wsgi"),
    Framework("django-asgi", "tests.frameworks.apps.django_app:asgi", "asgi"),
    Framework("starlette", "tests.frameworks.apps.starlette_app:app", "asgi"),
]

REQUESTS = [
    ("GET", "/hello", {}),
    ("POST", "/echo", {"params": {"q": "traced"}, "json": {"a": [1, 2, {"b": None}], "text": "h\u00e9llo"}}),
    ("GET", "/stream", {}),
    ("GET", "/missing", {}),
]

IGNORED_HEADERS = {"date"}


@dataclass
class Servers:
    framework: Framework
    traced: TracerRun
    untraced_url: str


@pytest.fixture(scope="module", params=FRAMEWORKS, ids=lambda f: f.name)
def servers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    framework: Framework = request.param
    saved_loggers = logger_state()
    module_name, attr = framework.reference.split(":")
    app = getattr(importlib.import_module(module_name), attr)
    sock = bind_socket("127.0.0.1", 0)
    url = display_address(sock)
    untraced = make_server(app, framework.protocol, sock, quiet=True)  # type: ignore[arg-type]
    untraced.start_in_thread()
    try:
        traced = TracerRun(framework.reference, tmp_path_factory.mktemp(framework.name) / "traces.jsonl")
    except BaseException:
        untraced.stop()
        raise
    yield Servers(framework, traced, url)
    traced.stop()
    untraced.stop()
    restore_loggers(saved_loggers)


def _fetch(base_url: str, method: str, path: str, options: dict) -> httpx.Response:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        return client.request(method, path, **options)


def _comparable(response: httpx.Response) -> tuple:
    headers = sorted((k, v) for k, v in response.headers.multi_items() if k not in IGNORED_HEADERS)
    return response.status_code, headers, response.content


def test_responses_are_identical_and_traces_complete(servers: Servers) -> None:
    traced_url = servers.traced.url
    for method, path, options in REQUESTS:
        traced = _fetch(traced_url, method, path, options)
        untraced = _fetch(servers.untraced_url, method, path, options)
        assert _comparable(traced) == _comparable(untraced), f"{method} {path}"

    traces = completed(servers.traced.trace_file, len(REQUESTS), scope_type="http")
    by_path = {trace.path: trace for trace in traces}
    assert sorted(by_path) == sorted(path for _, path, _ in REQUESTS)
    expected_status = {"/hello": 200, "/echo": 200, "/stream": 200, "/missing": 404}
    for path, trace in by_path.items():
        assert trace.protocol == servers.framework.protocol
        assert trace.status == expected_status[path]
        assert not trace.error
        kinds = [event.kind for event in trace.events]
        assert [event.seq for event in trace.events] == list(range(len(kinds)))
        if trace.protocol == "wsgi":
            assert kinds[0] == "wsgi.environ" and kinds[-1] == "wsgi.end"
            assert kinds.count("wsgi.start_response") == 1 and "wsgi.close" in kinds
        else:
            assert kinds[0] == "asgi.scope" and kinds[-1] == "asgi.end"
            sent = [e.data["message"]["type"] for e in trace.events if e.kind == "asgi.send"]
            assert sent[0] == "http.response.start" and set(sent[1:]) == {"http.response.body"}
    # The body the trace kept is the body the client got.
    echo = by_path["/echo"]
    response = _fetch(servers.untraced_url, *REQUESTS[1][:2], REQUESTS[1][2])
    assert _response_body(echo) == response.content
    assert b"secret-value" not in servers.traced.trace_file.read_bytes()


def _response_body(trace) -> bytes:
    if trace.protocol == "wsgi":
        return b"".join(e.data["data"] for e in trace.events if e.kind in ("wsgi.body", "wsgi.write"))
    return b"".join(
        e.data["message"].get("body", b"")
        for e in trace.events
        if e.kind == "asgi.send" and e.data["message"]["type"] == "http.response.body"
    )


def test_streamed_response_arrives_chunk_by_chunk(servers: Servers, record_property) -> None:
    arrivals: list[tuple[float, bytes]] = []
    with httpx.Client(base_url=servers.traced.url, timeout=10) as client:
        started = time.monotonic()
        with client.stream("GET", "/stream") as response:
            for chunk in response.iter_raw():
                arrivals.append((time.monotonic() - started, chunk))
    body = b"".join(chunk for _, chunk in arrivals)
    assert body == b"".join(f"chunk {n}\n".encode() for n in range(CHUNKS))
    assert len(arrivals) == CHUNKS, f"chunks were merged: {arrivals}"
    gaps = [later[0] - earlier[0] for earlier, later in zip(arrivals, arrivals[1:])]
    record_property("inter_chunk_gaps_s", [round(gap, 3) for gap in gaps])
    print(f"{servers.framework.name}: first chunk after {arrivals[0][0] * 1000:.1f} ms, gaps {[f'{g * 1000:.1f} ms' for g in gaps]}")
    assert arrivals[0][0] < CHUNK_DELAY, "the first chunk was held back"
    assert all(CHUNK_DELAY * 0.7 < gap < CHUNK_DELAY * 2.5 for gap in gaps), gaps


def test_framework_specifics_are_traced(servers: Servers) -> None:
    """What only some stacks do: WSGI body reads, websockets, lifespan state, a refused lifespan."""
    name = servers.framework.name
    url = servers.traced.url
    if servers.framework.protocol == "wsgi":
        _fetch(url, "POST", "/echo", {"json": {"n": 1}})
        traces = wait_for_traces(
            servers.traced.trace_file, lambda ts: len([t for t in ts if t.path == "/echo" and t.complete]) >= 2
        )
        echo = [t for t in traces if t.path == "/echo" and t.complete][-1]
        # Django reads with read(); Flask, through Werkzeug's LimitedStream, with readinto().
        reads = [e.data for e in echo.events if e.kind == "wsgi.input"]
        assert {r["method"] for r in reads} <= {"read", "readinto"}
        read = b"".join(r["data"] for r in reads)
        assert read == b'{"n":1}'
    elif name == "starlette":
        from websockets.sync.client import connect

        with connect(url.replace("http", "ws") + "/ws", open_timeout=5, close_timeout=5) as ws:
            ws.send("hi")
            assert ws.recv(timeout=5) == "echo: hi"
        assert "started yes" in httpx.get(url + "/hello", timeout=5).text
        (ws_trace,) = completed(servers.traced.trace_file, 1, scope_type="websocket")
        types = [e.data["message"]["type"] for e in ws_trace.events if e.kind in ("asgi.receive", "asgi.send")]
        assert types[:2] == ["websocket.connect", "websocket.accept"]
        assert "websocket.close" in types
        (lifespan,) = [t for t in wait_for_traces(servers.traced.trace_file, bool) if t.scope_type == "lifespan"]
        # Still running: its shutdown and end come when the server stops.
        assert not lifespan.complete
        assert [e.data["message"]["type"] for e in lifespan.events[1:]] == ["lifespan.startup", "lifespan.startup.complete"]
    elif name == "django-asgi":
        # Django's ASGIHandler raises on lifespan; uvicorn's "auto" mode serves on regardless. The ASGI
        # spec allows that refusal, so the trace says "no lifespan support" rather than "the app failed".
        (lifespan,) = completed(servers.traced.trace_file, 1, scope_type="lifespan")
        assert not lifespan.error and lifespan.summary.lifespan_unsupported
        assert lifespan.events[-2].data["type"] == lifespan.summary.error_type == "ValueError"
