"""Exporters: take traces to other tools.

- `tracer.exporters.har`: HAR 1.2, for browser devtools, mitmproxy and HAR viewers.
- `tracer.exporters.chrome`: the Trace Event Format, for Perfetto and ``chrome://tracing``.
- `tracer.exporters.otlp`: OpenTelemetry spans (OTLP/JSON, or OTLP/HTTP through `tracer.otlp_sink`).
- `tracer.exporters.client_code`: one request as a curl command or httpx code.

The file exporters stream: they take an iterable of traces (``TraceIndex.traces()``,
in start order) and write as they go, so files of any size export in bounded memory.
"""
