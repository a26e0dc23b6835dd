"""The benchmark's "minimal recorder" writes exactly the lines the tracer writes, so comparing their costs is fair."""

from __future__ import annotations

import asyncio
import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.tracer._fixed_clock import fix_ids_and_clocks
from tracer import ASGITracer, JsonlSink, WSGITracer

BENCH = Path(__file__).resolve().parents[2] / "bench"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


scenarios = _load("scenarios")
minimal = _load("minimal")


class _Input(io.BytesIO):
    def __repr__(self) -> str:  # the same text in both recordings (no address)
        return "<request body>"


def _wsgi_requests(app: Any, count: int) -> None:
    for realistic in (False, True):
        make = scenarios.wsgi_environ(realistic)
        for _ in range(count):
            environ = make()
            environ["wsgi.input"] = _Input(scenarios.BODY if realistic else b"")
            environ["wsgi.errors"] = sys.__stderr__
            result = app[realistic](environ, lambda status, headers, exc_info=None: None)
            for _chunk in result:
                pass
            result.close()


def _asgi_requests(app: Any, count: int) -> None:
    async def run() -> None:
        for realistic in (False, True):
            for _ in range(count):
                delivered = False

                async def receive() -> dict[str, Any]:
                    nonlocal delivered
                    if delivered:
                        return {"type": "http.disconnect"}
                    delivered = True
                    return {"type": "http.request", "body": scenarios.BODY if realistic else b"", "more_body": False}

                async def send(message: dict[str, Any]) -> None:
                    pass

                await app[realistic](scenarios.asgi_scope(realistic), receive, send)

    asyncio.run(run())


def _events(path: Path) -> bytes:
    lines = path.read_bytes().splitlines(keepends=True)
    return b"".join(line for line in lines if line.startswith(b'{"trace"'))


@pytest.mark.parametrize("protocol", ["wsgi", "asgi"])
def test_minimal_recorder_lines_are_the_tracers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, protocol: str) -> None:
    fix_ids_and_clocks(monkeypatch)
    traced_path, minimal_path = tmp_path / "tracer.jsonl", tmp_path / "minimal.jsonl"
    sink = JsonlSink(traced_path)
    if protocol == "wsgi":
        apps = (scenarios.wsgi_hello, scenarios.wsgi_realistic)
        _wsgi_requests([WSGITracer(app, sink=sink) for app in apps], 3)
        fix_ids_and_clocks(monkeypatch)
        _wsgi_requests([minimal.MinimalWSGI(app, str(minimal_path)) for app in apps], 3)
    else:
        apps = (scenarios.asgi_hello, scenarios.asgi_realistic)
        _asgi_requests([ASGITracer(app, sink=sink) for app in apps], 3)
        fix_ids_and_clocks(monkeypatch)
        _asgi_requests([minimal.MinimalASGI(app, str(minimal_path)) for app in apps], 3)
    sink.close()
    traced = _events(traced_path)
    assert traced.count(b"\n") > 20
    assert _events(minimal_path) == traced
