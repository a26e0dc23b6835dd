"""Apps and real servers on 127.0.0.1 for the debugger's tests.

In-process: `wsgi_server` (Werkzeug's threaded server) and `asgi_server`
(uvicorn), each in a thread and stopped by its context manager. In a second
process: ``python -m tests.tracer.breakpoint_servers wsgi|asgi TRACE_FILE``
serves the app wrapped in the middleware (breakpoints from
``TRACER_BREAKPOINTS``), prints ``serving on URL`` and stops when its stdin
closes. `StreamReader` reads a response in a thread, so a test can see what
has reached the client so far. Every wait is bounded.
"""

from __future__ import annotations

import contextlib
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from tracer import TracerWarning, read_traces

STREAM_CHUNKS = (b"one\n", b"two\n", b"three\n")
SAW: list[Any] = []
"""What the apps saw that a client cannot (a disconnect the debugger made up)."""


def wsgi_app(environ: dict[str, Any], start_response: Any) -> Any:
    path = environ.get("PATH_INFO", "")
    if path == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return (chunk for chunk in STREAM_CHUNKS)
    if path == "/echo":
        # Werkzeug's dev server gives no end-of-file: read exactly CONTENT_LENGTH.
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length)
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
        return [body]
    body = b"hello"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


async def asgi_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    if scope["type"] == "websocket":
        await _websocket(receive, send)
        return
    path = scope["path"]
    if path == "/stream":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        for index, chunk in enumerate(STREAM_CHUNKS):
            await send({"type": "http.response.body", "body": chunk, "more_body": index < len(STREAM_CHUNKS) - 1})
        return
    if path == "/echo":
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                SAW.append(message)
                body = b"app saw http.disconnect"
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
        await send({"type": "http.response.body", "body": body})
        return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"hello"})


async def _websocket(receive: Any, send: Any) -> None:
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    await send({"type": "websocket.accept"})
    while True:
        message = await receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is not None:
            await send({"type": "websocket.send", "text": f"echo: {text}"})
        else:
            await send({"type": "websocket.send", "bytes": b"echo: " + (message.get("bytes") or b"")})


def complete_traces(trace_file: Any, count: int = 1, timeout: float = 5.0) -> list[Any]:
    """The complete traces of `trace_file`, once there are `count` (the sink writes them within 50 ms)."""

    def found() -> list[Any] | None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TracerWarning)  # a line still being written
            traces = [trace for trace in read_traces(trace_file) if trace.complete]
        return traces if len(traces) >= count else None

    return wait_until(found, timeout, f"{count} complete traces")


def wait_until(condition: Callable[[], Any], timeout: float = 5.0, what: str = "the condition") -> Any:
    """Poll `condition` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not happen within {timeout} s")
        time.sleep(0.01)


@contextlib.contextmanager
def wsgi_server(app: Any) -> Iterator[str]:
    """Werkzeug's threaded development server for `app` on a free port; yields its URL."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@contextlib.contextmanager
def asgi_server(app: Any) -> Iterator[str]:
    """uvicorn for `app` on a free port, in a thread; yields its URL."""
    import uvicorn

    from tracer.serve import bind_socket

    sock = bind_socket("127.0.0.1", 0)
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False, timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, 10, "uvicorn starting")
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        if thread.is_alive():
            server.force_exit = True
            thread.join(5)
        sock.close()


class StreamReader:
    """A request made in a thread, its response read as it arrives.

    Attributes:
        status: The status once the response has started, else None.
        headers: The response headers once it has started.
        chunks: The body pieces received so far (as the network delivered them).
        done: Whether the body is complete (or the request failed: `error`).
    """

    def __init__(self, method: str, url: str, **kwargs: Any) -> None:
        self.status: int | None = None
        self.headers: httpx.Headers | None = None
        self.chunks: list[bytes] = []
        self.done = False
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(method, url), kwargs=kwargs, daemon=True)
        self._thread.start()

    def _run(self, method: str, url: str, **kwargs: Any) -> None:
        try:
            with httpx.Client(timeout=httpx.Timeout(30.0)) as client, client.stream(method, url, **kwargs) as response:
                self.status = response.status_code
                self.headers = response.headers
                for chunk in response.iter_raw():
                    self.chunks.append(chunk)
        except BaseException as exc:  # noqa: BLE001 - the test reads it
            self.error = exc
        finally:
            self.done = True

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def join(self, timeout: float = 10.0) -> StreamReader:
        self._thread.join(timeout)
        assert not self._thread.is_alive(), "the request did not finish"
        if self.error is not None:
            raise self.error
        return self


def _serve_in_process(protocol: str, trace_file: str) -> None:
    """Serve the app in the middleware (TRACER_BREAKPOINTS decides the debugger) until stdin closes."""
    from tracer import ASGITracer, JsonlSink, WSGITracer

    sink = JsonlSink(trace_file)
    if protocol == "wsgi":
        server = wsgi_server(WSGITracer(wsgi_app, sink=sink, hold_timeout=20))
    else:
        server = asgi_server(ASGITracer(asgi_app, sink=sink, hold_timeout=20))
    with server as url:
        print(f"serving on {url}", flush=True)
        sys.stdin.read()
    sink.close()


if __name__ == "__main__":
    _serve_in_process(sys.argv[1], sys.argv[2])
