"""Copy as curl / as httpx: the generated command and code send the same request again."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server
from werkzeug.test import Client

from tracer import Recorder, WSGITracer
from tracer.exporters.client_code import as_curl, as_httpx
from tracer.model import Trace


def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "text/plain")])
    line = f"{environ['REQUEST_METHOD']} {environ['PATH_INFO']}?{environ['QUERY_STRING']} x={environ.get('HTTP_X_THING')} "
    return [line.encode() + body]


@pytest.fixture
def server() -> Iterator[tuple[str, Recorder]]:
    recorder = Recorder()
    httpd = make_server("127.0.0.1", 0, WSGITracer(echo, sink=recorder), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", recorder
    finally:
        httpd.shutdown()
        thread.join(5)


def _recorded(headers: dict[str, str] | None = None) -> Trace:
    recorder = Recorder()
    Client(WSGITracer(echo, sink=recorder)).post(
        "/items?a=1&b=two words", data=b"it's {\"json\"}", headers={"X-Thing": "yes", **(headers or {})},
        base_url="http://placeholder",
    )
    return recorder.traces()[0]


def _point_at(text: str, url: str) -> str:
    return text.replace("http://placeholder", url)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_copy_as_curl_sends_the_same_request(server: tuple[str, Recorder]) -> None:
    url, _ = server
    command = _point_at(as_curl(_recorded()), url)
    done = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=20)
    assert done.stdout == "POST /items?a=1&b=two%20words x=yes it's {\"json\"}"


def test_copy_as_httpx_sends_the_same_request(server: tuple[str, Recorder]) -> None:
    url, recorder = server
    code = _point_at(as_httpx(_recorded()), url)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "200 POST /items?a=1&b=two%20words x=yes it's {\"json\"}"
    (again,) = recorder.traces()
    assert again.method == "POST" and again.summary.request_bytes == len(b"it's {\"json\"}")


def test_redacted_headers_are_named_for_the_user_to_fill_in() -> None:
    trace = _recorded({"Authorization": "Bearer secret"})
    for text in (as_curl(trace), as_httpx(trace)):
        assert "secret" not in text
        assert "# redacted in the trace, fill in: Authorization" in text


def test_a_lifespan_trace_has_no_request() -> None:
    with pytest.raises(ValueError, match="lifespan"):
        as_curl(Trace("t", "asgi", "lifespan", 0.0))
