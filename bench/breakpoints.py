"""What breakpoints cost: per request when none matches, and from `next` to the client's next chunk.

1. Per-request cost, in-process like bench/overhead.py (a prebuilt environ or
   scope, no network), of the tracer with a `Recorder`: breakpoints off, on
   with none set, and on with one breakpoint whose filter is asked at every
   body chunk and never matches. Variants run interleaved in rounds, in a new
   random order each round.
2. Latency from `next` to the client: a real server streams a response held
   at each chunk; the benchmark calls `next` and times until the next chunk
   reaches a client socket. In-process: Werkzeug or uvicorn in a thread of
   this process, the debugger called directly (`LocalConnection`). Over the
   control socket: the server in a second process, reached with
   `attach(trace_file)` (`SocketConnection`).

    python bench/breakpoints.py            # full run
    python bench/breakpoints.py --quick    # fewer rounds and steps
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from tracer import ASGITracer, JsonlSink, Recorder, WSGITracer
from tracer.debug.client import Connection, attach

BODY = b"x" * 4096
CHUNK = b"x" * 1024
STREAM_CHUNK = b"c" * 64
NOWHERE = "~u /nowhere @ http.response.body,wsgi.body"


# Part 1: per-request cost


def wsgi_hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def wsgi_realistic(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(8 * len(CHUNK)))])
    return (CHUNK for _ in range(8))


async def asgi_hello(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": b"Hello, World!"})


async def asgi_realistic(scope: dict[str, Any], receive: Any, send: Any) -> None:
    await receive()
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/octet-stream")]})
    for index in range(8):
        await send({"type": "http.response.body", "body": CHUNK, "more_body": index < 7})


def environ(realistic: bool) -> dict[str, Any]:
    return {
        "REQUEST_METHOD": "POST" if realistic else "GET", "SCRIPT_NAME": "", "PATH_INFO": "/api/items" if realistic else "/",
        "QUERY_STRING": "", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000", "CONTENT_LENGTH": str(len(BODY)) if realistic else "",
        "wsgi.version": (1, 0), "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(BODY if realistic else b""),
        "wsgi.errors": sys.stderr, "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }


def scope(realistic: bool) -> dict[str, Any]:
    return {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST" if realistic else "GET",
            "scheme": "http", "path": "/api/items" if realistic else "/", "raw_path": b"/", "query_string": b"",
            "root_path": "", "headers": [(b"host", b"127.0.0.1:8000")], "client": ("127.0.0.1", 5), "server": ("127.0.0.1", 8000)}


def run_wsgi(app: Any, realistic: bool, count: int) -> None:
    for _ in range(count):
        result = app(environ(realistic), lambda status, headers, exc_info=None: None)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()


async def run_asgi(app: Any, realistic: bool, count: int) -> None:
    async def send(message: Any) -> None:
        pass

    for _ in range(count):
        async def receive() -> Any:
            return {"type": "http.request", "body": BODY if realistic else b"", "more_body": False}

        await app(scope(realistic), receive, send)


def cost(protocol: str, realistic: bool, rounds: int, batch: int) -> list[str]:
    app = {("wsgi", False): wsgi_hello, ("wsgi", True): wsgi_realistic,
           ("asgi", False): asgi_hello, ("asgi", True): asgi_realistic}[(protocol, realistic)]
    tracer_class = WSGITracer if protocol == "wsgi" else ASGITracer
    sinks = [Recorder(), Recorder(), Recorder()]
    variants = {
        "breakpoints off": tracer_class(app, sink=sinks[0], breakpoints=False),
        "on, none set": tracer_class(app, sink=sinks[1], breakpoints=True),
        "on, one matching nothing": tracer_class(app, sink=sinks[2], breakpoints=[NOWHERE]),
    }
    samples: dict[str, list[float]] = {name: [] for name in variants}
    loop = asyncio.new_event_loop()

    def run_batch(name: str) -> float:
        gc.collect()
        start = time.perf_counter_ns()
        if protocol == "wsgi":
            run_wsgi(variants[name], realistic, batch)
        else:
            loop.run_until_complete(run_asgi(variants[name], realistic, batch))
        elapsed = (time.perf_counter_ns() - start) / batch / 1000
        for sink in sinks:
            sink.clear()
        return elapsed

    for name in variants:
        run_batch(name)
    for _ in range(rounds):
        for name in random.sample(list(variants), len(variants)):
            samples[name].append(run_batch(name))
    loop.close()
    for tracer in variants.values():
        if tracer.debugger is not None:
            tracer.debugger.close()
    medians = {name: statistics.median(values) for name, values in samples.items()}
    off = medians["breakpoints off"]
    scenario = "realistic (POST 4 KiB read, 8 x 1 KiB streamed)" if realistic else "hello"
    lines = [f"### {protocol.upper()} {scenario}", "", "| variant | median µs/request | extra µs over off |", "|---|---:|---:|"]
    for name, median in medians.items():
        lines.append(f"| {name} | {median:.1f} | {median - off:+.1f} |")
    return lines + [""]


# Part 2: latency from `next` to the client


def wsgi_stream(environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
    count = int(environ.get("QUERY_STRING") or 10)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return (STREAM_CHUNK for _ in range(count))


async def asgi_stream(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    count = int(scope["query_string"] or 10)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    for index in range(count):
        await send({"type": "http.response.body", "body": STREAM_CHUNK, "more_body": index < count - 1})


class Server:
    """The streaming app under breakpoints on a real server, in this process or a second one."""

    def __init__(self, protocol: str, trace_file: str, remote: bool) -> None:
        self.process: subprocess.Popen[str] | None = None
        self._stop: Callable[[], None] = lambda: None
        if remote:
            self.process = subprocess.Popen(
                [sys.executable, __file__, "--serve", protocol, trace_file],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)),
            )
            assert self.process.stdout is not None
            self.port = int(self.process.stdout.readline().split()[-1])
        else:
            self.port, self._stop, self.sink = serve(protocol, trace_file)
        [self.connection] = attach(trace_file)

    def close(self) -> None:
        self.connection.close()
        if self.process is not None:
            assert self.process.stdin is not None
            self.process.stdin.close()
            self.process.wait(20)
        else:
            self._stop()


def serve(protocol: str, trace_file: str) -> tuple[int, Callable[[], None], JsonlSink]:
    """Serve the streaming app with breakpoints on; returns its port and how to stop it."""
    sink = JsonlSink(trace_file)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    if protocol == "wsgi":
        import logging

        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        listener.close()
        server = make_server("127.0.0.1", port, WSGITracer(wsgi_stream, sink=sink, breakpoints=True), threaded=True)
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        thread.start()

        def stop() -> None:
            server.shutdown()
            server.server_close()
            sink.close()
    else:
        import logging

        import uvicorn

        logging.getLogger("uvicorn.error").setLevel(logging.WARNING)
        config = uvicorn.Config(ASGITracer(asgi_stream, sink=sink, breakpoints=True), lifespan="off", log_config=None, access_log=False)
        userver = uvicorn.Server(config)
        listener.listen(64)
        thread = threading.Thread(target=userver.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        while not userver.started:
            time.sleep(0.01)

        def stop() -> None:
            userver.should_exit = True
            thread.join(10)
            listener.close()
            sink.close()
    return port, stop, sink


class Client:
    """A raw HTTP/1.1 GET whose bytes are timed as they arrive."""

    def __init__(self, port: int, steps: int) -> None:
        self.arrivals: list[tuple[float, int]] = []
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.sendall(f"GET /stream?{steps + 1} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        self.received = 0
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        while True:
            data = self.sock.recv(65536)
            if not data:
                break
            self.received += len(data)
            self.arrivals.append((time.perf_counter(), self.received))
        self.sock.close()


def latency(protocol: str, remote: bool, steps: int) -> list[float]:
    """Milliseconds from each `next` to the client receiving the chunk it released."""
    with tempfile.TemporaryDirectory() as directory:
        server = Server(protocol, os.path.join(directory, "bench.jsonl"), remote)
        connection: Connection = server.connection
        kind = "wsgi.body" if protocol == "wsgi" else "http.response.body"
        connection.add_breakpoint(f"~u /stream @ {kind}")
        client = Client(server.port, steps)
        found: list[float] = []
        try:
            for _ in range(steps):
                held = _wait(lambda: connection.held())[0]
                seen = len(client.arrivals)
                began = time.perf_counter()
                connection.next(held)
                _wait(lambda: len(client.arrivals) > seen)
                found.append((client.arrivals[seen][0] - began) * 1000)
                # The next chunk is held before the next step is timed.
                _wait(lambda: connection.held() and connection.held()[0].hold != held.hold)
            connection.continue_all()
            client.thread.join(10)
        finally:
            server.close()
    return found


def _wait(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark stalled")
        time.sleep(0.0002)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and steps")
    parser.add_argument("--serve", nargs=2, metavar=("PROTOCOL", "FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        port, stop, _ = serve(*args.serve)
        print(f"port {port}", flush=True)
        sys.stdin.read()
        stop()
        return
    rounds, batch, steps = (5, 100, 20) if args.quick else (25, 200, 100)
    print(f"python {sys.version.split()[0]}, {rounds} rounds x {batch} requests per variant, interleaved\n")
    for protocol in ("wsgi", "asgi"):
        for realistic in (False, True):
            print("\n".join(cost(protocol, realistic, rounds, batch)), flush=True)
    print(f"### From next to the client receiving the chunk ({steps} steps each)\n")
    print("| server | debugger reached | median ms | p95 ms | max ms |")
    print("|---|---|---:|---:|---:|")
    for protocol, name in (("wsgi", "Werkzeug threaded"), ("asgi", "uvicorn")):
        for remote in (False, True):
            found = sorted(latency(protocol, remote, steps))
            p95 = found[min(len(found) - 1, int(len(found) * 0.95))]
            where = "control socket (2nd process)" if remote else "in-process"
            print(f"| {name} | {where} | {statistics.median(found):.2f} | {p95:.2f} | {found[-1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
