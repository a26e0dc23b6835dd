"""`tracer learn`: a guided tour of WSGI and ASGI in the terminal UI, on a sample trace shipped with tracer.

The sample is the demo's tour (``make demo``) recorded once: the same notes
request on WSGI and on ASGI, and bursts of concurrent requests. No server
starts; the UI opens on a copy of the file, with the tour on.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from typing import Any

from ..errors import TracerError
from ..samples import TOUR_TRACE, copy_tour_trace
from .view import _takes_keyword, load_viewer



def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `learn` subcommand."""
    return subparsers.add_parser(
        "learn",
        help="a guided tour of WSGI and ASGI in the UI, on sample traces (no server needed)",
        description=(
            "Open the terminal UI on sample traces shipped with tracer and walk through WSGI and ASGI: "
            "the same request on both side by side, step by step, the protocol state of each, and how "
            "each runs concurrent requests (threads, an event loop, and a blocking call that queues them). "
            "In the UI a full stop (.) goes on to the next stop, a comma (,) goes back, Esc leaves the tour."
        ),
    )


def run(args: argparse.Namespace) -> int:
    """Copy the sample trace to a temporary directory and open the UI on it with the tour."""
    viewer = load_viewer()
    if not _takes_keyword(viewer, "tour"):
        raise TracerError("the installed terminal UI has no guided tour (reinstall tracer: pip install -e .)")
    with tempfile.TemporaryDirectory(prefix="tracer-learn-") as directory:
        path = copy_sample(directory)
        return int(viewer(path, follow=False, tour=True) or 0)


def copy_sample(directory: str) -> str:
    """Copy the sample trace into `directory` (the UI saves screenshots beside it); returns the copy's path.

    Raises:
        TracerError: The sample is not installed.
    """
    target = os.path.join(directory, TOUR_TRACE[-1])
    copy_tour_trace(target)
    return target
