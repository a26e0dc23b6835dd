"""Default values that the middlewares, the debugger and the command line share (nothing to import with them)."""

from __future__ import annotations

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
"""Body bytes a trace keeps per direction unless ``max_body_bytes`` says otherwise."""

DEFAULT_TRACE_FILE = "traces.jsonl"

DEFAULT_HOLD_TIMEOUT = 60.0
"""Seconds after which an event held at a breakpoint goes on by itself."""
