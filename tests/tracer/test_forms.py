"""Form bodies read as fields and files, in the HAR export too."""

from __future__ import annotations

import io
from typing import Any

import pytest
from werkzeug.test import Client

from tracer import Recorder, WSGITracer
from tracer.exporters.har import har_entry
from tracer.forms import FormField, parse_form


def reading_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


def _post(**kwargs: Any) -> Any:
    recorder = Recorder()
    Client(WSGITracer(reading_app, sink=recorder)).post("/form", **kwargs)
    (trace,) = recorder.traces()
    return trace


def test_urlencoded_fields_reach_har_params() -> None:
    trace = _post(data={"name": "Ada Lovelace", "empty": ""})
    post = har_entry(trace)["request"]["postData"]  # type: ignore[index]
    assert post["mimeType"] == "application/x-www-form-urlencoded"
    assert post["params"] == [{"name": "name", "value": "Ada Lovelace"}, {"name": "empty", "value": ""}]


def test_multipart_fields_and_files_reach_har_params() -> None:
    trace = _post(data={"title": "café", "upload": (io.BytesIO(b"\x00\x01data"), "notes.bin", "application/octet-stream")})
    post = har_entry(trace)["request"]["postData"]  # type: ignore[index]
    assert post["mimeType"].startswith("multipart/form-data; boundary=")
    assert {"name": "title", "value": "café"} in post["params"]
    assert {"name": "upload", "fileName": "notes.bin", "contentType": "application/octet-stream"} in post["params"]


def test_parse_form_gives_file_bytes() -> None:
    body = (
        b"--xyz\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n"
        b"--xyz\r\nContent-Disposition: form-data; name=\"f\"; filename=\"x.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
        b"--xyz--\r\n"
    )
    fields = parse_form("multipart/form-data; boundary=xyz", body)
    assert fields == [FormField("a", "1"), FormField("f", filename="x.txt", content_type="text/plain", data=b"hello")]
    assert fields is not None and fields[1].is_file and not fields[0].is_file


@pytest.mark.parametrize(
    ("content_type", "body"),
    [(None, b"a=1"), ("application/json", b"{}"), ("multipart/form-data", b"no boundary"),
     ("multipart/form-data; boundary=xyz", b"--xyz\r\nbroken")],
)
def test_what_is_not_a_form_is_none_or_fields_so_far(content_type: str | None, body: bytes) -> None:
    result = parse_form(content_type, body)
    assert result is None or all(isinstance(field, FormField) for field in result)
    if content_type in (None, "application/json", "multipart/form-data"):
        assert result is None
