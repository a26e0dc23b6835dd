"""The sample trace shipped with tracer: the demo's tour, for `tracer learn`.

Recorded from the sample apps by ``python -m sample_apps.record_tour``, never
edited by hand.
"""

from __future__ import annotations

import shutil
from importlib.resources import as_file, files

from .errors import TracerError

TOUR_TRACE = ("data", "tour.jsonl")
"""Where the sample trace lies inside the ``tracer`` package."""


def tour_trace() -> bytes:
    """The sample trace file's bytes."""
    with as_file(files("tracer").joinpath(*TOUR_TRACE)) as path:
        return path.read_bytes()


def copy_tour_trace(target: str) -> None:
    """Copy the sample trace to `target`.

    Raises:
        TracerError: The sample is not installed.
    """
    try:
        with as_file(files("tracer").joinpath(*TOUR_TRACE)) as source:
            shutil.copyfile(source, target)
    except OSError as exc:
        raise TracerError(f"the sample traces are not installed ({exc}): reinstall tracer (pip install -e .)") from None
