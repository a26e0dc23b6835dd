"""Shared helpers for the UI tests: fixture files, a fixed checker, waiting for scans."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest
from textual.pilot import Pilot

from tracer.checks import Finding
from tracer.model import Trace

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


@pytest.fixture(autouse=True)
def utc_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The list shows local time: snapshots must not depend on the machine's time zone."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def fixture(name: str) -> str:
    """Path of a fixture trace file."""
    return os.path.join(FIXTURES, name)


def fixed_checker(trace: Trace) -> list[Finding]:
    """A stand-in for the protocol checks, so UI tests do not follow the rules' evolution.

    It reports one warning on the ``wsgi-stream`` trace's ``close()`` step.
    """
    if trace.id == "wsgi-stream":
        return [Finding(trace.id, 5, "demo-rule", "warning", "A made-up finding for the UI tests.")]
    return []


async def wait_for(pilot: Pilot, condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Let the app run until `condition()` holds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError("timed out waiting for the app")
        await pilot.pause(0.02)


async def scanned(pilot: Pilot) -> None:
    """Wait until the first full scan of the file is done."""
    await wait_for(pilot, lambda: not pilot.app.requests.scanning)  # type: ignore[attr-defined]
    await pilot.pause()


async def marked(pilot: Pilot) -> None:
    """Wait until the scan is done and the protocol checks have marked the rows on screen."""
    from tui.widgets.request_table import RequestTable

    await scanned(pilot)
    table = pilot.app.screen.query_one(RequestTable)
    mark_of = pilot.app.requests.mark_of  # type: ignore[attr-defined]
    await wait_for(pilot, lambda: all(mark_of(s) is not None for s in table.visible_rows() if s.complete))
    await pilot.pause()


@pytest.fixture
def mixed() -> str:
    """The mixed WSGI/ASGI fixture: 11 traces of every kind."""
    return fixture("mixed.jsonl")
