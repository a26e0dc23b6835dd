"""The filter language, which lives in `tracer.filters` (breakpoints and commands use it too)."""

from __future__ import annotations

from tracer.filters import (
    CODES,
    COMPARATORS,
    HINT,
    OPERATORS,
    PRESETS,
    SIZE_UNITS,
    TIME_UNITS,
    Deep,
    Filter,
    FilterError,
    Operator,
    body_chunks,
    help_rows,
    parse,
    unknown_message,
)

__all__ = [
    "CODES",
    "COMPARATORS",
    "HINT",
    "OPERATORS",
    "PRESETS",
    "SIZE_UNITS",
    "TIME_UNITS",
    "Deep",
    "Filter",
    "FilterError",
    "Operator",
    "body_chunks",
    "help_rows",
    "parse",
    "unknown_message",
]
