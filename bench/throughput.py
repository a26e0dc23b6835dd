"""Requests per second and server CPU per request through real servers, traced (JsonlSink to a file) against bare.

The server runs in one process (Werkzeug's threaded server or uvicorn, on
127.0.0.1, an ephemeral port), the clients in another: `--threads` threads,
each with its own connection (TCP_NODELAY, each request sent in one write,
the response parsed by `http.client`), sharing the requests of a run. The
connection is kept alive when the server allows it: uvicorn does, Werkzeug's
server closes every connection after one response, so there each request
opens a new one (and the server starts a thread for it). Each server is measured bare and traced in alternation, `--rounds`
times, the order flipped every round, with a warm-up before every timed run.
Besides requests/s, the parent reads the server process's CPU time
(`/proc/PID/stat`, all its threads) just before and just after the timed
requests: CPU per request depends far less on what else the machine runs
than requests/s does. The report gives both per round, and per server the
median and range of traced/bare.

    python bench/throughput.py                      # 3,000 requests per run, 10 rounds
    python bench/throughput.py --threads 1 --requests 1000 --rounds 1   # per-connection latency
    python bench/throughput.py --scenario realistic --servers uvicorn

Every process it starts is stopped by its pid, and every wait is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import select
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import IO, Any

HERE = os.path.dirname(os.path.abspath(__file__))
WAIT = 120.0  # seconds any one step may take before the benchmark gives up on it
WARMUP = 20  # untimed requests per connection before every timed run
TICKS = os.sysconf("SC_CLK_TCK")


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
        _on_stdin_close(httpd.shutdown)
        print(json.dumps({"port": httpd.server_port}), flush=True)
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

        _on_stdin_close(stop)
        # proto must be IPPROTO_TCP, as when uvicorn binds host and port itself: asyncio sets
        # TCP_NODELAY on an accepted socket only if its proto says TCP, and without it the last
        # small write of a chunked response waits for the client's delayed ACK (about 40 ms).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        sock.listen(1024)
        print(json.dumps({"port": port}), flush=True)
        userver.run(sockets=[sock])
    if sink is not None:
        sink.close()


def _on_stdin_close(stop: Any) -> None:
    """The parent stops the server by closing its stdin."""

    def watch() -> None:
        sys.stdin.read()
        stop()

    threading.Thread(target=watch, daemon=True).start()


# The client process


def _request_bytes(port: int, scenario: str) -> bytes:
    """The request `http.client` would send, as one buffer, so it leaves in one write."""
    sys.path.insert(0, HERE)
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


def _client(port: int, requests: int, threads: int, scenario: str) -> None:
    """Warm up, say so on stdout, wait for a line on stdin, then time the requests."""
    request = _request_bytes(port, scenario)
    warmed = threading.Barrier(threads + 1)
    start_line = threading.Barrier(threads + 1)
    shares = [requests // threads + (1 if i < requests % threads else 0) for i in range(threads)]
    errors: list[str] = []
    connections: list[int] = []  # one item per connection opened; list.append is atomic

    def connect() -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        connections.append(1)
        return sock

    def one(sock: socket.socket | None) -> socket.socket | None:
        """One request; the connection to use for the next, None once the server closed it."""
        if sock is None:
            sock = connect()
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"status {response.status}")
        if response.will_close:  # Werkzeug's server closes every connection after one response
            sock.close()
            return None
        return sock

    def worker(count: int) -> None:
        sock: socket.socket | None = None
        try:
            for _ in range(WARMUP):
                sock = one(sock)
        except Exception as exc:  # noqa: BLE001 - reported, the run does not count
            errors.append(repr(exc))
        warmed.wait(WAIT)
        start_line.wait(WAIT)
        try:
            for _ in range(count):
                sock = one(sock)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        if sock is not None:
            sock.close()

    workers = [threading.Thread(target=worker, args=(share,), daemon=True) for share in shares]
    for thread in workers:
        thread.start()
    warmed.wait(WAIT)
    print(json.dumps({"warmed": True}), flush=True)
    sys.stdin.readline()
    opened = len(connections)
    started = time.perf_counter()
    start_line.wait(WAIT)
    for thread in workers:
        thread.join(WAIT)
    elapsed = time.perf_counter() - started
    print(json.dumps({"requests": requests, "seconds": elapsed, "connections": len(connections) - opened,
                      "errors": errors[:3], "failed": len(errors)}), flush=True)


# The parent


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process, all its threads (dead ones included)."""
    with open(f"/proc/{pid}/stat") as file:
        fields = file.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime and stime, fields 14 and 15


def _read_json_line(stream: IO[str] | None, what: str) -> dict[str, Any]:
    """One line of JSON from a child's stdout, waiting at most WAIT seconds."""
    if stream is None:
        raise RuntimeError(f"no pipe from {what}")
    ready, _, _ = select.select([stream], [], [], WAIT)
    line = stream.readline() if ready else ""
    if not line:
        raise RuntimeError(f"{what} said nothing within {WAIT:.0f} s")
    return json.loads(line)


def _stop(process: subprocess.Popen[str]) -> None:
    """Stop a process this benchmark started, by its pid, within bounds."""
    if process.poll() is None:
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(5)


def run_once(server: str, traced: bool, args: argparse.Namespace, directory: str) -> dict[str, Any]:
    trace_file = os.path.join(directory, f"{server}-{time.monotonic_ns()}.jsonl")
    me = os.path.abspath(__file__)
    command = [sys.executable, me, "--serve", server, "--scenario", args.scenario, "--trace-file", trace_file]
    server_process = subprocess.Popen(command + (["--traced"] if traced else []),
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    client_process: subprocess.Popen[str] | None = None
    try:
        port = _read_json_line(server_process.stdout, f"the {server} server")["port"]
        client_process = subprocess.Popen(
            [sys.executable, me, "--client", str(port), "--requests", str(args.requests),
             "--threads", str(args.threads), "--scenario", args.scenario],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        _read_json_line(client_process.stdout, "the client")
        server_before, client_before = _cpu_seconds(server_process.pid), _cpu_seconds(client_process.pid)
        assert client_process.stdin is not None
        client_process.stdin.write("go\n")
        client_process.stdin.flush()
        result = _read_json_line(client_process.stdout, "the client")
        server_cpu = _cpu_seconds(server_process.pid) - server_before
        client_cpu = _cpu_seconds(client_process.pid) - client_before
    finally:
        if client_process is not None:
            if client_process.stdin:
                client_process.stdin.close()
            _stop(client_process)
        if server_process.stdin:
            server_process.stdin.close()  # asks the server to stop
        _stop(server_process)
    if traced:
        with open(trace_file, "rb") as file:
            ends = sum(1 for line in file if b'"kind":"wsgi.end"' in line or b'"kind":"asgi.end"' in line)
        result["traces"] = ends
        os.unlink(trace_file)
    if result["failed"]:
        raise SystemExit(f"{server} {'traced' if traced else 'bare'}: {result['failed']} client errors, "
                         f"e.g. {result['errors']}")
    result["rate"] = result["requests"] / result["seconds"]
    result["server_us"] = server_cpu / result["requests"] * 1e6
    result["server_busy"] = server_cpu / result["seconds"]
    result["client_busy"] = client_cpu / result["seconds"]
    return result


def _spread(values: list[float], form: str) -> str:
    """Median and range, e.g. `0.97 (0.91-1.02)`."""
    return f"{statistics.median(values):{form}} ({min(values):{form}}-{max(values):{form}})"


def measure(server: str, args: argparse.Namespace, directory: str) -> None:
    """Alternate bare and traced runs, print a row per round and a summary."""
    rows: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for round_ in range(1, args.rounds + 1):
        order = [False, True] if round_ % 2 else [True, False]
        results = {traced: run_once(server, traced, args, directory) for traced in order}
        bare, traced = results[False], results[True]
        rows.append((bare, traced))
        expected = args.requests + WARMUP * args.threads
        traces = f"{traced['traces']:,}" + ("" if traced["traces"] == expected else f" of {expected:,}!")
        print(f"| {server} | {round_} | {bare['rate']:,.0f} | {traced['rate']:,.0f} | "
              f"{traced['rate'] / bare['rate']:.2f} | {bare['server_us']:,.0f} | {traced['server_us']:,.0f} | "
              f"{traced['server_us'] / bare['server_us']:.2f} | {bare['server_busy']:.0%} / {traced['server_busy']:.0%} | "
              f"{bare['client_busy']:.0%} / {traced['client_busy']:.0%} | {traces} |", flush=True)
    summary[server] = rows


summary: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}


def report(threads: int) -> None:
    print()
    for server, rows in summary.items():
        bare = [b["rate"] for b, _ in rows]
        traced = [t["rate"] for _, t in rows]
        print(f"{server}: req/s bare {_spread(bare, ',.0f')}, traced {_spread(traced, ',.0f')}; "
              f"traced/bare {_spread([t['rate'] / b['rate'] for b, t in rows], '.2f')}")
        print(f"{server}: server CPU µs/request bare {_spread([b['server_us'] for b, _ in rows], ',.0f')}, "
              f"traced {_spread([t['server_us'] for _, t in rows], ',.0f')}; "
              f"traced/bare {_spread([t['server_us'] / b['server_us'] for b, t in rows], '.2f')}")
        latency = [threads / r["rate"] * 1e3 for pair in rows for r in pair]
        print(f"{server}: mean time per request on one connection {_spread(latency, '.2f')} ms; "
              f"{statistics.median(r['connections'] / r['requests'] for pair in rows for r in pair):.2f} "
              "connections opened per request")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="timed requests per run")
    parser.add_argument("--threads", type=int, default=32, help="client threads, one connection each")
    parser.add_argument("--rounds", type=int, default=10, help="bare/traced pairs per server")
    parser.add_argument("--scenario", choices=("hello", "realistic"), default="hello")
    parser.add_argument("--servers", default="werkzeug,uvicorn")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--traced", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--trace-file", help=argparse.SUPPRESS)
    parser.add_argument("--client", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.traced, args.scenario, args.trace_file)
        return
    if args.client:
        _client(args.client, args.requests, args.threads, args.scenario)
        return
    if args.requests < 1 or args.threads < 1 or args.rounds < 1:
        parser.error("--requests, --threads and --rounds must be at least 1")
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.scenario}, {args.requests:,} requests per run, "
          f"{args.threads} client threads in another process\n")
    print("| server | round | bare req/s | traced req/s | traced / bare | server CPU µs/req bare | traced | "
          "traced / bare | server busy bare / traced | client busy | traces written (warm-up included) |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as directory:
        for server in args.servers.split(","):
            measure(server, args, directory)
    report(args.threads)


if __name__ == "__main__":
    main()
