"""Requests per second and server CPU per request through real servers, traced (JsonlSink to a file) against bare.

For each server (Werkzeug's threaded server from `werkzeug.serving.make_server`,
or uvicorn with its defaults), three server processes run side by side on
127.0.0.1: one bare, one traced (`WSGITracer` / `ASGITracer` with a
`JsonlSink` to a temporary file), and one with the "minimal recorder"
(`minimal.py`: the same lines written the simplest fast way), whose ratio to
bare is the bound for a recorder of this design; one client process drives them:
`--threads` threads, each with its own connection per server (TCP_NODELAY,
each request sent in one write, the response parsed by `http.client`). The
connection is kept alive when the server allows it: uvicorn does; Werkzeug's
server closes every connection after one response, so there each request
opens a new one and the server starts a thread for it.

After a warm-up of each, the client sends `--requests` requests to each
server in turn, `--rounds` times, the order changed every round (the six
orders in turn), so that a change in what else the machine is running falls
on all three.
Each burst is timed (requests/s) and the server's CPU time, all threads,
from `time.process_time()` in the server itself, is read just before and
after it (CPU µs/request, and context switches from `getrusage`): on a shared machine the CPU per request varies far
less than requests/s. The report gives both per round, then per server the
median and range of each and of traced/bare and minimal/bare.

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


def _serve(server: str, variant: str, scenario: str, trace_file: str) -> None:
    sys.path.insert(0, HERE)
    import scenarios
    from minimal import MinimalASGI, MinimalWSGI

    from tracer import ASGITracer, JsonlSink, WSGITracer

    realistic = scenario == "realistic"
    sink = JsonlSink(trace_file) if variant == "traced" else None
    if server == "werkzeug":
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no access log line per request
        app: Any = scenarios.wsgi_realistic if realistic else scenarios.wsgi_hello
        if sink is not None:
            app = WSGITracer(app, sink=sink)
        elif variant == "minimal":
            app = MinimalWSGI(app, trace_file)
        httpd = make_server("127.0.0.1", 0, app, threaded=True)
        _answer_parent(httpd.server_port, httpd.shutdown)
        httpd.serve_forever()
        httpd.server_close()
    else:
        import uvicorn

        app = scenarios.asgi_realistic if realistic else scenarios.asgi_hello
        if sink is not None:
            app = ASGITracer(app, sink=sink)
        elif variant == "minimal":
            app = MinimalASGI(app, trace_file)
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


VARIANTS = ("bare", "traced", "minimal")
ORDERS = ((0, 1, 2), (2, 1, 0), (1, 2, 0), (0, 2, 1), (2, 0, 1), (1, 0, 2))
"""The order of the three servers' bursts, round after round: each goes first, second and last twice."""

Row = tuple[dict[str, Any], dict[str, Any], dict[str, Any]]


def measure(server: str, args: argparse.Namespace, directory: str) -> list[Row]:
    """Alternate bursts to the bare, the traced and the minimal recorder's server; print a row per round."""
    trace_files = {variant: os.path.join(directory, f"{server}-{variant}.jsonl") for variant in VARIANTS[1:]}
    children: list[Child] = []
    try:
        for variant in VARIANTS:
            name = f"the {variant} {server} server"
            children.append(Child(name, ["--serve", server, "--scenario", args.scenario, "--variant", variant,
                                         "--trace-file", trace_files.get(variant, os.devnull)]))
        ports = [child.ask(None)["port"] for child in children]
        client = Child("the client", ["--client", "--threads", str(args.threads), "--scenario", args.scenario])
        children.append(client)
        for child, port in zip(children, ports):
            _burst(client, child, port, WARMUP * args.threads)
        rows = []
        for round_ in range(1, args.rounds + 1):
            order = ORDERS[(round_ - 1) % len(ORDERS)]
            results = {variant: _burst(client, children[variant], ports[variant], args.requests) for variant in order}
            bare, traced, least = results[0], results[1], results[2]
            rows.append((bare, traced, least))
            print(f"| {server} | {round_} | {bare['rate']:,.0f} | {traced['rate']:,.0f} | {least['rate']:,.0f} | "
                  f"{traced['rate'] / bare['rate']:.2f} | {least['rate'] / bare['rate']:.2f} | "
                  f"{bare['server_us']:,.0f} | {traced['server_us']:,.0f} | {least['server_us']:,.0f} | "
                  f"{traced['server_us'] / bare['server_us']:.2f} | {least['server_us'] / bare['server_us']:.2f} | "
                  f"{bare['server_busy']:.0%} / {traced['server_busy']:.0%} / {least['server_busy']:.0%} | "
                  f"{bare['client_busy']:.0%} / {traced['client_busy']:.0%} / {least['client_busy']:.0%} | "
                  f"{bare['switches']:.1f} / {traced['switches']:.1f} / {least['switches']:.1f} |", flush=True)
    finally:
        for child in reversed(children):
            child.stop()
    expected = WARMUP * args.threads + args.rounds * args.requests
    for trace_file in trace_files.values():
        with open(trace_file, "rb") as file:
            ends = sum(1 for line in file if b'"kind":"wsgi.end"' in line or b'"kind":"asgi.end"' in line)
        if ends != expected:
            raise SystemExit(f"{trace_file}: {ends:,} traces ended, expected {expected:,}")
    return rows


def _spread(values: list[float], form: str) -> str:
    """Median and range, e.g. `0.97 (0.91-1.02)`."""
    return f"{statistics.median(values):{form}} ({min(values):{form}}-{max(values):{form}})"


def report(server: str, rows: list[Row], threads: int) -> None:
    every = [result for row in rows for result in row]
    print(f"\n{server}: req/s bare {_spread([b['rate'] for b, _, _ in rows], ',.0f')}, "
          f"traced {_spread([t['rate'] for _, t, _ in rows], ',.0f')}, "
          f"minimal recorder {_spread([m['rate'] for _, _, m in rows], ',.0f')}; "
          f"traced/bare {_spread([t['rate'] / b['rate'] for b, t, _ in rows], '.2f')}, "
          f"minimal/bare {_spread([m['rate'] / b['rate'] for b, _, m in rows], '.2f')}")
    print(f"{server}: server CPU µs/request bare {_spread([b['server_us'] for b, _, _ in rows], ',.0f')}, "
          f"traced {_spread([t['server_us'] for _, t, _ in rows], ',.0f')}, "
          f"minimal recorder {_spread([m['server_us'] for _, _, m in rows], ',.0f')}; "
          f"traced/bare {_spread([t['server_us'] / b['server_us'] for b, t, _ in rows], '.2f')}, "
          f"minimal/bare {_spread([m['server_us'] / b['server_us'] for b, _, m in rows], '.2f')}")
    print(f"{server}: server context switches/request bare {_spread([b['switches'] for b, _, _ in rows], '.1f')}, "
          f"traced {_spread([t['switches'] for _, t, _ in rows], '.1f')}, "
          f"minimal recorder {_spread([m['switches'] for _, _, m in rows], '.1f')}")
    print(f"{server}: time per request on one connection {_spread([threads / r['rate'] * 1e3 for r in every], '.2f')} ms; "
          f"connections opened per request {statistics.median(r['connections'] for r in every):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500, help="timed requests per burst")
    parser.add_argument("--threads", type=int, default=32, help="client threads, one connection each per server")
    parser.add_argument("--rounds", type=int, default=20, help="bare/traced/minimal bursts per server")
    parser.add_argument("--scenario", choices=("hello", "realistic"), default="hello")
    parser.add_argument("--servers", default="werkzeug,uvicorn")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--variant", choices=VARIANTS, default="bare", help=argparse.SUPPRESS)
    parser.add_argument("--trace-file", help=argparse.SUPPRESS)
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.variant, args.scenario, args.trace_file)
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
    print("| server | round | bare req/s | traced req/s | minimal req/s | traced / bare | minimal / bare | "
          "server CPU µs/req bare | traced | minimal | traced / bare | minimal / bare | "
          "server busy bare / traced / minimal | client busy bare / traced / minimal | server context switches/req |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    results = {}
    with tempfile.TemporaryDirectory() as directory:
        for server in servers:
            results[server] = measure(server, args, directory)
    for server, rows in results.items():
        report(server, rows, args.threads)


if __name__ == "__main__":
    main()
