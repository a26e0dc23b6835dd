"""The public API is exactly what `__all__` lists, kept sorted."""

from __future__ import annotations

import tracer


def test_all_is_sorted_and_complete() -> None:
    public = {name for name in dir(tracer) if not name.startswith("_") or name == "__version__"}
    modules = {name for name in public if type(getattr(tracer, name)).__name__ == "module"}
    assert tracer.__all__ == sorted(tracer.__all__)
    assert set(tracer.__all__) == public - modules


def test_design_api_is_importable() -> None:
    from tracer import (  # noqa: F401
        ASGITracer,
        JsonlSink,
        Recorder,
        TracerError,
        TracerWarning,
        WSGITracer,
        read_traces,
        trace_app,
    )

    assert issubclass(TracerWarning, Warning)
    assert issubclass(TracerError, Exception)
    assert {"authorization", "cookie", "set-cookie", "x-api-key", "x-csrf-token", "proxy-authorization"} <= set(
        tracer.DEFAULT_REDACT_HEADERS
    )
