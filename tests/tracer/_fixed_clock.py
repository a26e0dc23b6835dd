"""Fixed trace ids and clocks, so that two recordings of the same requests are byte for byte equal."""

from __future__ import annotations

import itertools
import time

import pytest

from tracer import _session


def fix_ids_and_clocks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Trace ids ``fixed-000001``…, a monotonic clock stepping 1 µs per call, and a wall clock at 1e9 s."""
    ticks = itertools.count(1_000_000, 1_000)
    # The module's globals, not new_trace_id itself: compiled with mypyc, _session calls its
    # own functions directly, but still reads its globals from the module.
    monkeypatch.setattr(_session, "_PROCESS_TAG", "fixed")
    monkeypatch.setattr(_session, "_counter", itertools.count(1))
    monkeypatch.setattr(_session, "_monotonic_ns", lambda: next(ticks))
    monkeypatch.setattr(time, "time", lambda: 1_000_000_000.0)
