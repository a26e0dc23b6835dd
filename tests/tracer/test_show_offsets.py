"""`tracer show` writes every offset of one trace in one unit, as the replay does."""

from __future__ import annotations

import re

from tracer.model import Event, Trace
from tracer.show import show_trace


def test_a_long_traces_offsets_share_one_unit() -> None:
    scope = {"type": "websocket", "path": "/ws", "headers": []}
    events = [
        Event(0, 0, "asgi.scope", {"scope": scope}),
        Event(1, 5_000_000, "asgi.receive", {"message": {"type": "websocket.connect"}}),
        Event(2, 12_000_000_000, "asgi.send", {"message": {"type": "websocket.close", "code": 1000}}),
        Event(3, 12_000_100_000, "asgi.end", {}),
    ]
    text = show_trace(Trace("t", "asgi", "websocket", 1.0, events))
    offsets = re.findall(r"^#\d+\s+(\+\S+)", text, flags=re.MULTILINE)
    assert len(offsets) == 4
    assert all(value.endswith("s") and not value.endswith("ms") for value in offsets), offsets
    assert len({len(value.split(".")[1]) for value in offsets}) == 1, offsets
