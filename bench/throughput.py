"""Requests per second and server CPU per request through real servers, traced (JsonlSink to a file) against bare.

For each server (Werkzeug's threaded server from `werkzeug.serving.make_server`,
or uvicorn with its defaults), two server processes run side by side on
127.0.0.1, one bare and one traced (`WSGITracer` / `ASGITracer` with a
`JsonlSink` to a temporary file), and one client process drives them:
`--threads` threads, each with its own connection per server (TCP_NODELAY,
each request sent in one write, the response parsed by `http.client`). The
connection is kept alive when the server allows it: uvicorn does; Werkzeug's
server closes every connection after one response, so there each request
opens a new one and the server starts a thread for it.

After a warm-up of each, the client sends `--requests` requests to the bare
and to the traced server in turn, `--rounds` times, the order flipped every
round, so that a change in what else the machine is running falls on both.
Each burst is timed (requests/s) and the server's CPU time, all threads,
from `time.process_time()` in the server itself, is read just before and
after it (CPU µs/request, and context switches from `getrusage`): on a shared machine the CPU per request varies far
less than requests/s. The report gives both per round, then per server the
median and range of each and of traced/bare.

    python bench/throughput.py                       # 1,500 requests per burst, 20 rounds
    python bench/throughput.py --threads 1 --requests 1000 --rounds 3   # time per request on one connection
    python bench/throughput.py --scenario realistic --servers uvicorn

Every process it starts is stopped by its pid, and every wait is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import resource
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from typing import IO, Any

HERE = os.path.dirname(os.path.abspath(__file__))
WAIT = 120.0  # seconds any one step may take before the benchmark gives up on it
WARMUP = 20  # untimed requests per client thread and server before the first round


# The server process


def _serve(server: str, traced: bool, scenario: str, trace_file: str) -> None:
    sys.path.insert(0, HERE)
    import scenarios

    from tracer import ASGITracer, JsonlSink, WSGITracer

    realistic = scenario == "realistic"
    sink = JsonlSink(trace_file) if traced else None
    if server == "werkzeug":
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
        app: Any = scenarios.wsgi_realistic if realistic else scenarios.wsgi_hello
        if sink is not None:
            app = WSGITracer(app, sink=sink)
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        _answer_parent(httpd.server_port, httpd.shutdown)
        httpd.serve_forever()
        httpd.server_close()
    else:
        import uvicorn

        app = scenarios.asgi_realistic if realistic else scenarios.asgi_hello
        if sink is not None:
            app = ASGITracer(app, sink=sink)
        config = uvicorn.Config(app, lifespan="off", log_level="warning", access_log=False)
        userver = uvicorn.Server(config)

        def stop() -> None:
            userver.should_exit = True

        # proto must be IPPROTO_TCP, as when uvicorn binds host and port itself: asyncio sets
        # TCP_NODELAY on an accepted socket only if its proto says TCP, and without it the last
        # small write of a chunked response waits for the client's delayed ACK (about 40 ms).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(1024)
        _answer_parent(sock.getsockname()[1], stop)
        userver.run(sockets=[sock])
    if sink is not None:
        sink.close()


def _answer_parent(port: int, stop: Callable[[], None]) -> None:
    """Print the port; then each line on stdin asks for this process's CPU time and context switches
    (all threads, ended ones included), and its end asks it to stop."""
    print(json.dumps({"port": port}), flush=True)

    def answer() -> None:
        for _ in sys.stdin:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            switches = usage.ru_nvcsw + usage.ru_nivcsw
            print(json.dumps({"cpu": time.process_time(), "switches": switches}), flush=True)
        stop()

    threading.Thread(target=answer, daemon=True).start()


# The client process


def _request_bytes(port: int, scenario: str) -> bytes:
    """The request `http.client` would send, as one buffer, so it leaves in one write."""
    from scenarios import BODY, EXTRA_HEADERS

    if scenario == "realistic":
        head = ["POST /api/items?page=2 HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept-Encoding: identity"]
        head += [f"{name}: {value}" for name, value in EXTRA_HEADERS if name != "Accept-Encoding"]
        head.append(f"Content-Length: {len(BODY)}")
        body = BODY
    else:
        head = ["GET / HTTP/1.1", f"Host: 127.0.0.1:{port}", "Accept-Encoding: identity", "Accept: */*"]
        body = b""
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


def _client(threads: int, scenario: str) -> None:
    """Run bursts: each line on stdin, `{"port": P, "requests": N}`, is answered with its time and outcome."""
    sys.path.insert(0, HERE)
    requests_by_port: dict[int, bytes] = {}
    job: dict[str, Any] = {}
    start_line = threading.Barrier(threads + 1)
    finish_line = threading.Barrier(threads + 1)
    errors: list[str] = []
    opened: list[int] = []  # one item per connection opened; list.append is atomic

    def one(port: int, request: bytes, sock: socket.socket | None) -> socket.socket | None:
        """One request; the connection for the next one, None if the server closed it."""
        if sock is None:
            sock = socket.create_connection(("127.0.0.1", port), timeout=30)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            opened.append(1)
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"status {response.status}")
        if response.will_close:
            sock.close()
            return None
        return sock

    def worker(index: int) -> None:
        connections: dict[int, socket.socket | None] = {}
        while True:
            try:
                start_line.wait()  # idle between bursts; the main thread's wait is the bounded one
            except threading.BrokenBarrierError:
                break
            if not job:  # the end
                break
            port, request = job["port"], job["request"]
            count = job["requests"] // threads + (1 if index < job["requests"] % threads else 0)
            try:
                for _ in range(count):
                    connections[port] = one(port, request, connections.get(port))
            except Exception as exc:  # noqa: BLE001 - reported to the parent, the run stops
                errors.append(repr(exc))
                connections[port] = None
            try:
                finish_line.wait()
            except threading.BrokenBarrierError:
                break
        for sock in connections.values():
            if sock is not None:
                sock.close()

    workers = [threading.Thread(target=worker, args=(index,), daemon=True) for index in range(threads)]
    for thread in workers:
        thread.start()
    for line in sys.stdin:
        command = json.loads(line)
        if command["port"] not in requests_by_port:
            requests_by_port[command["port"]] = _request_bytes(command["port"], scenario)
        job.update(command, request=requests_by_port[command["port"]])
        del errors[:], opened[:]
        cpu = time.process_time()
        started = time.perf_counter()
        start_line.wait(WAIT)
        finish_line.wait(WAIT)
        elapsed = time.perf_counter() - started
        print(json.dumps({"seconds": elapsed, "cpu": time.process_time() - cpu, "connections": len(opened),
                          "errors": errors[:3], "failed": len(errors)}), flush=True)
    job.clear()
    start_line.wait(WAIT)
    for thread in workers:
        thread.join(WAIT)


# The parent


class Child:
    """A process this benchmark started, spoken to in lines of JSON, stopped by its pid."""

    def __init__(self, name: str, arguments: list[str]) -> None:
        self.name = name
        self.process = subprocess.Popen([sys.executable, os.path.abspath(__file__)] + arguments,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, message: str | None) -> dict[str, Any]:
        """Send a line (unless None), return the line of JSON it answers, waiting at most WAIT seconds."""
        stdin, stdout = self.process.stdin, self.process.stdout
        assert stdin is not None and stdout is not None
        if message is not None:
            stdin.write(message + "\n")
            stdin.flush()
        ready, _, _ = select.select([stdout], [], [], WAIT)
        line = stdout.readline() if ready else ""
        if not line:
            raise RuntimeError(f"{self.name} said nothing within {WAIT:.0f} s")
        return json.loads(line)

    def stop(self) -> None:
        """Close its stdin (asking it to end), then wait, then SIGTERM, then SIGKILL, within bounds."""
        if self.process.stdin:
            self.process.stdin.close()
        if self.process.poll() is None:
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGTERM)
                try:
                    self.process.wait(5)
                except subprocess.TimeoutExpired:
                    os.kill(self.process.pid, signal.SIGKILL)
                    self.process.wait(5)


def _burst(client: Child, server: Child, port: int, requests: int) -> dict[str, Any]:
    before = server.ask("cpu")
    result = client.ask(json.dumps({"port": port, "requests": requests}))
    after = server.ask("cpu")
    server_cpu = after["cpu"] - before["cpu"]
    if result["failed"]:
        raise SystemExit(f"{server.name}: {result['failed']} client errors, e.g. {result['errors']}")
    return {
        "rate": requests / result["seconds"],
        "server_us": server_cpu / requests * 1e6,
        "server_busy": server_cpu / result["seconds"],
        "client_busy": result["cpu"] / result["seconds"],
        "connections": result["connections"] / requests,
        "switches": (after["switches"] - before["switches"]) / requests,
    }


def measure(server: str, args: argparse.Namespace, directory: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Alternate bursts to the bare and the traced server; print a row per round."""
    trace_file = os.path.join(directory, f"{server}.jsonl")
    children: list[Child] = []
    try:
        for traced in (False, True):
            name = f"the {'traced' if traced else 'bare'} {server} server"
            children.append(Child(name, ["--serve", server, "--scenario", args.scenario, "--trace-file", trace_file]
                                  + (["--traced"] if traced else [])))
        ports = [child.ask(None)["port"] for child in children]
        client = Child("the client", ["--client", "--threads", str(args.threads), "--scenario", args.scenario])
        children.append(client)
        for child, port in zip(children, ports):
            _burst(client, child, port, WARMUP * args.threads)
        rows = []
        for round_ in range(1, args.rounds + 1):
            order = (0, 1) if round_ % 2 else (1, 0)
            results = {variant: _burst(client, children[variant], ports[variant], args.requests) for variant in order}
            bare, traced = results[0], results[1]
            rows.append((bare, traced))
            print(f"| {server} | {round_} | {bare['rate']:,.0f} | {traced['rate']:,.0f} | "
                  f"{traced['rate'] / bare['rate']:.2f} | {bare['server_us']:,.0f} | {traced['server_us']:,.0f} | "
                  f"{traced['server_us'] / bare['server_us']:.2f} | "
                  f"{bare['server_busy']:.0%} / {traced['server_busy']:.0%} | "
                  f"{bare['client_busy']:.0%} / {traced['client_busy']:.0%} | "
                  f"{bare['switches']:.1f} / {traced['switches']:.1f} |", flush=True)
    finally:
        for child in reversed(children):
            child.stop()
    with open(trace_file, "rb") as file:
        ends = sum(1 for line in file if b'"kind":"wsgi.end"' in line or b'"kind":"asgi.end"' in line)
    expected = WARMUP * args.threads + args.rounds * args.requests
    if ends != expected:
        raise SystemExit(f"{trace_file}: {ends:,} traces ended, expected {expected:,}")
    return rows


def _spread(values: list[float], form: str) -> str:
    """Median and range, e.g. `0.97 (0.91-1.02)`."""
    return f"{statistics.median(values):{form}} ({min(values):{form}}-{max(values):{form}})"


def report(server: str, rows: list[tuple[dict[str, Any], dict[str, Any]]], threads: int) -> None:
    both = [result for pair in rows for result in pair]
    print(f"\n{server}: req/s bare {_spread([b['rate'] for b, _ in rows], ',.0f')}, "
          f"traced {_spread([t['rate'] for _, t in rows], ',.0f')}; "
          f"traced/bare {_spread([t['rate'] / b['rate'] for b, t in rows], '.2f')}")
    print(f"{server}: server CPU µs/request bare {_spread([b['server_us'] for b, _ in rows], ',.0f')}, "
          f"traced {_spread([t['server_us'] for _, t in rows], ',.0f')}; "
          f"traced/bare {_spread([t['server_us'] / b['server_us'] for b, t in rows], '.2f')}")
    print(f"{server}: server context switches/request bare {_spread([b['switches'] for b, _ in rows], '.1f')}, "
          f"traced {_spread([t['switches'] for _, t in rows], '.1f')}")
    print(f"{server}: time per request on one connection {_spread([threads / r['rate'] * 1e3 for r in both], '.2f')} ms; "
          f"connections opened per request {statistics.median(r['connections'] for r in both):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="timed requests per burst")
    parser.add_argument("--threads", type=int, default=32, help="client threads, one connection each per server")
    parser.add_argument("--rounds", type=int, default=20, help="bare/traced pairs of bursts per server")
    parser.add_argument("--scenario", choices=("hello", "realistic"), default="hello")
    parser.add_argument("--servers", default="werkzeug,uvicorn")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--trace-file", help=argparse.SUPPRESS)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.traced, args.scenario, args.trace_file)
        return
    if args.client:
        _client(args.threads, args.scenario)
        return
    if args.requests < 1 or args.threads < 1 or args.rounds < 1:
        parser.error("--requests, --threads and --rounds must be at least 1")
    servers = args.servers.split(",")
    if not set(servers) <= {"werkzeug", "uvicorn"}:
        parser.error(f"--servers: {args.servers!r} is not a comma-separated list of werkzeug and uvicorn")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.scenario}, {args.requests:,} requests "
          f"per burst, {args.rounds} rounds, {args.threads} client threads in another process\n")
    print("| server | round | bare req/s | traced req/s | traced / bare | server CPU µs/req bare | traced | "
          "traced / bare | server busy bare / traced | client busy bare / traced | server context switches/req |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for server in servers:
            results[server] = measure(server, args, directory)
    for server, rows in results.items():
        report(server, rows, args.threads)


if __name__ == "__main__":
    main()
