"""The arrows and labels of the sequence diagram (kept in `tracer.labels`, which `tracer show` reads too)."""

from __future__ import annotations

from tracer.labels import ASGI_LANES, ITERATING_KINDS, WSGI_LANES, Arrow, arrow, arrows, lanes, message_label

__all__ = ["ASGI_LANES", "ITERATING_KINDS", "WSGI_LANES", "Arrow", "arrow", "arrows", "lanes", "message_label"]
