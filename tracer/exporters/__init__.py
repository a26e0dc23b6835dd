"""Exporters: take traces to other tools.

- `tracer.exporters.har`: HAR 1.2, for browser devtools, mitmproxy and HAR viewers.
- `tracer.exporters.chrome`: the Trace Event Format, for Perfetto and ``chrome://tracing``.

Both stream: they take an iterable of traces (``iter_traces(path)``) and
write as they go, so files of any size export in bounded memory.
"""
