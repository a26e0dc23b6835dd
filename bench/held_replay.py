"""From `n` in the UI's held replay to the client receiving the chunk it released.

The UI (headless, as in the tests) is attached to a streaming app on a real
server (bench/breakpoints.py's, Werkzeug threaded or uvicorn) that holds
each body chunk. The held replay is open; each step calls what the ``n``
key runs (`HeldReplay.action_next`) and times until the next chunk reaches
a client socket, then waits for the replay to show the next hold. With the
server in this process the UI reaches the debugger directly; with
``control socket`` the server is a second process. The client reads in a
thread of this process, which the UI's own work can delay: the tail
includes it. (Pilot's ``press`` waits for the app to be idle before it
sends the key, so it is not used for timing.)

    python bench/held_replay.py            # 100 steps each
    python bench/held_replay.py --quick    # 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from breakpoints import Client, Server  # noqa: E402 - bench/breakpoints.py, beside this file

from tracer.checks import Finding  # noqa: E402
from tracer.model import Trace  # noqa: E402
from tui.app import TracerApp  # noqa: E402
from tui.screens.held import HeldScreen  # noqa: E402


def no_checks(trace: Trace) -> list[Finding]:
    return []


async def _until(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("the benchmark stalled")
        await asyncio.sleep(0.0002)


async def latency(protocol: str, remote: bool, steps: int) -> list[float]:
    """Milliseconds from each `n` in the held replay to the client receiving the chunk it released."""
    found: list[float] = []
    with tempfile.TemporaryDirectory() as directory:
        trace_file = os.path.join(directory, "bench.jsonl")
        server = Server(protocol, trace_file, remote)
        kind = "wsgi.body" if protocol == "wsgi" else "http.response.body"
        app = TracerApp(trace_file, live=True, checker=no_checks, breakpoints=[f"~u /stream @ {kind}"])
        try:
            async with app.run_test(size=(120, 36)) as pilot:
                await _until(lambda: app.debugger.all_breakpoints())
                client = Client(server.port, steps)
                held = await _until(lambda: app.debugger.held_for_any())
                app.push_screen(HeldScreen(app.debugger, app.requests, held.trace, held.title))
                await _until(lambda: isinstance(app.screen, HeldScreen) and app.screen.held is not None)
                screen = app.screen
                assert isinstance(screen, HeldScreen)
                await pilot.pause()
                for _ in range(steps):
                    held = await _until(lambda: screen.held)
                    seen = len(client.arrivals)
                    began = time.perf_counter()
                    screen.action_next()
                    await _until(lambda: len(client.arrivals) > seen)
                    found.append((client.arrivals[seen][0] - began) * 1000)
                    await _until(lambda: screen.held is not None and screen.held.hold != held.hold)
                app.debugger.continue_all()
                client.thread.join(10)
        finally:
            server.close()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="20 steps instead of 100")
    args = parser.parse_args()
    steps = 20 if args.quick else 100
    print(f"python {sys.version.split()[0]}; from n in the held replay to the client ({steps} steps each)\n")
    print("| server | debugger reached | median ms | p95 ms | max ms |")
    print("|---|---|---:|---:|---:|")
    for protocol, name in (("wsgi", "Werkzeug threaded"), ("asgi", "uvicorn")):
        for remote in (False, True):
            found = sorted(asyncio.run(latency(protocol, remote, steps)))
            p95 = found[min(len(found) - 1, int(len(found) * 0.95))]
            where = "control socket (2nd process)" if remote else "in-process"
            print(f"| {name} | {where} | {statistics.median(found):.2f} | {p95:.2f} | {found[-1]:.2f} |", flush=True)


if __name__ == "__main__":
    main()
