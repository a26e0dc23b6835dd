"""One plain sentence per step: what this event means in the protocol (kept in `tracer.explain`)."""

from __future__ import annotations

from tracer.explain import ASGI, ASGI_MESSAGES, WSGI, explain

__all__ = ["ASGI", "ASGI_MESSAGES", "WSGI", "explain"]
