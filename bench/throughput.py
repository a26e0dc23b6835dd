"""Requests per second through real servers, traced (JsonlSink to a file) against bare.

The server runs in one process (Werkzeug's threaded server or uvicorn, on
127.0.0.1, an ephemeral port), the clients in another: 32 threads, each with
its own keep-alive `http.client` connection, sharing the requests of a run.
Each server is measured bare and traced in alternation, `--rounds` times,
with a warm-up before every timed run; the report gives requests/s per run
and traced/bare per round.

    python bench/throughput.py                      # 6,000 requests per run, 3 rounds
    python bench/throughput.py --requests 2000 --rounds 1 --scenario realistic

Every process it starts is stopped by its pid, and every wait is bounded.
"""

from __future__ import annotations

import argparse
import http.client
import json
import logging
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
WAIT = 120.0  # seconds any one step may take before the benchmark gives up on it


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


def _client(port: int, requests: int, threads: int, scenario: str) -> None:
    sys.path.insert(0, HERE)
    from scenarios import BODY, EXTRA_HEADERS

    realistic = scenario == "realistic"
    headers = dict(EXTRA_HEADERS) if realistic else {}
    headers["Content-Length" if realistic else "Accept"] = str(len(BODY)) if realistic else "*/*"
    method, path, body = ("POST", "/api/items?page=2", BODY) if realistic else ("GET", "/", None)
    warmup = 10
    start_line = threading.Barrier(threads + 1)
    shares = [requests // threads + (1 if i < requests % threads else 0) for i in range(threads)]
    errors: list[str] = []

    def one(connection: http.client.HTTPConnection) -> None:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"status {response.status}")

    def worker(count: int) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            for _ in range(warmup):
                one(connection)
        except Exception as exc:  # noqa: BLE001 - reported, the run does not count
            errors.append(repr(exc))
        start_line.wait(WAIT)
        try:
            for _ in range(count):
                one(connection)
        except Exception as exc:  # noqa: BLE001
            errors.append(repr(exc))
        connection.close()

    workers = [threading.Thread(target=worker, args=(share,), daemon=True) for share in shares]
    for thread in workers:
        thread.start()
    start_line.wait(WAIT)
    started = time.perf_counter()
    for thread in workers:
        thread.join(WAIT)
    elapsed = time.perf_counter() - started
    print(json.dumps({"requests": requests, "seconds": elapsed, "errors": errors[:3], "failed": len(errors)}))


# The parent


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
    command = [sys.executable, os.path.abspath(__file__), "--serve", server, "--scenario", args.scenario,
               "--trace-file", trace_file] + (["--traced"] if traced else [])
    server_process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    client_process: subprocess.Popen[str] | None = None
    try:
        ready = server_process.stdout.readline() if server_process.stdout else ""
        if not ready:
            raise RuntimeError(f"the {server} server did not start")
        port = json.loads(ready)["port"]
        client_process = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), "--client", str(port), "--requests", str(args.requests),
             "--threads", str(args.threads), "--scenario", args.scenario],
            stdout=subprocess.PIPE, text=True,
        )
        out, _ = client_process.communicate(timeout=WAIT)
        result = json.loads(out)
    finally:
        if client_process is not None:
            _stop(client_process)
        if server_process.stdin:
            server_process.stdin.close()  # asks the server to stop
        _stop(server_process)
    if traced:
        with open(trace_file, "rb") as file:
            ends = sum(1 for line in file if b'"kind":"wsgi.end"' in line or b'"kind":"asgi.end"' in line)
        result["traces"] = ends
        os.unlink(trace_file)
    result["rate"] = result["requests"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000, help="timed requests per run")
    parser.add_argument("--threads", type=int, default=32, help="client threads, one connection each")
    parser.add_argument("--rounds", type=int, default=3, help="bare/traced pairs per server")
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
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.scenario}, {args.requests} requests per run, "
          f"{args.threads} client threads (keep-alive) in another process\n")
    print("| server | round | bare req/s | traced req/s | traced / bare | traces written (warm-up included) |")
    print("|---|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as directory:
        for server in args.servers.split(","):
            ratios = []
            for round_ in range(1, args.rounds + 1):
                order = [False, True] if round_ % 2 else [True, False]
                results = {traced: run_once(server, traced, args, directory) for traced in order}
                bare, traced = results[False], results[True]
                for result in (bare, traced):
                    if result["failed"]:
                        print(f"  {result['failed']} client errors, e.g. {result['errors']}", file=sys.stderr)
                ratio = traced["rate"] / bare["rate"]
                ratios.append(ratio)
                print(f"| {server} | {round_} | {bare['rate']:,.0f} | {traced['rate']:,.0f} | {ratio:.2f} | "
                      f"{traced['traces']:,} |", flush=True)
            print(f"| {server} | median | | | {statistics.median(ratios):.2f} | |", flush=True)


if __name__ == "__main__":
    main()
