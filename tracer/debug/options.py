"""The ``--break`` and ``--hold-timeout`` options that ``tracer run`` and ``tracer view`` share."""

from __future__ import annotations

import argparse
import math
from typing import Any

from ..errors import UsageError
from ..defaults import DEFAULT_HOLD_TIMEOUT
from .syntax import EXAMPLES, HOLD_KINDS, SYNTAX

BREAK_EPILOG = "\n".join(
    [
        f"breakpoints: --break '{SYNTAX}' (repeatable)",
        "  FILTER is the request list's filter language (~m ~u ~c ~h ~t ..., free text, ! & | ( )),",
        "  read on the request so far; KIND is an event kind, an ASGI message type or a prefix.*:",
        f"    {' '.join(HOLD_KINDS)}",
        "    http.request http.response.start http.response.body websocket.receive websocket.send",
        "    websocket.accept websocket.close lifespan.startup ... websocket.*",
        "  Without '@' the request is held at its first event, before the app sees it.",
        *(f"    --break '{text}'".ljust(58) + f"  {meaning}" for text, meaning in EXAMPLES),
    ]
)
"""The help text's account of breakpoints (argparse epilog, shown as written), without the hold timeout's line."""


def break_epilog(*, hold_timeout: bool) -> str:
    """`BREAK_EPILOG` and how long a request stays held: set here (``tracer run``) or by the app's process (``tracer view``)."""
    if hold_timeout:
        last = "  A held request goes on by itself after --hold-timeout seconds. See docs/debugging.md."
    else:
        last = (
            "  A held request goes on by itself after the hold timeout of the process serving it "
            f"(tracer run --hold-timeout, default {DEFAULT_HOLD_TIMEOUT:g} s). See docs/debugging.md."
        )
    return f"{BREAK_EPILOG}\n{last}"


def add_break_options(parser: argparse.ArgumentParser, *, hold_timeout: bool) -> None:
    """Add ``--break BP`` (repeatable) and, if asked, ``--hold-timeout S`` to `parser`."""
    parser.add_argument(
        "--break",
        dest="breaks",
        action="append",
        default=[],
        metavar="BP",
        help=f"hold requests matching BP, written {SYNTAX!r} (repeatable; see below)",
    )
    if hold_timeout:
        parser.add_argument(
            "--hold-timeout",
            type=float,
            default=DEFAULT_HOLD_TIMEOUT,
            metavar="S",
            help="seconds after which a held request goes on by itself (default: %(default)g)",
        )


def check_hold_timeout(seconds: Any) -> float:
    """`seconds` if it is a usable hold timeout.

    Raises:
        UsageError: Not a positive, finite number.
    """
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 < seconds < math.inf:
        raise UsageError(f"--hold-timeout must be a positive number of seconds, not {seconds!r}")
    return float(seconds)
