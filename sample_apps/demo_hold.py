"""`python -m sample_apps.demo --hold`: the debugger's WSGI-versus-ASGI concurrency lesson, live.

The notes app is served twice by `tracer run`, WSGI (Werkzeug's threaded
server) and ASGI (uvicorn), each with `HOLD_BREAKPOINT`: a request whose
query has ``hold=1`` is held as its response starts. `Traffic` sends one such
request to each app and, every couple of seconds, a quick ``GET /`` to both.
The held ones wait (their clients too) while the quick ones are answered:
uvicorn's one event loop runs other tasks while the held one awaits, and
Werkzeug runs each request in its own thread, so only the held thread waits.
The UI opens on the live file, on the debugger's tour (`tui.tour.HOLD_STOPS`).
"""

from __future__ import annotations

import threading
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from . import demo

HOLD_BREAKPOINT = "~u hold=1 @ http.response.start,wsgi.start_response"
"""Holds a request asking for it (``?hold=1``) as its response starts, under either protocol."""
HELD_PATH = "/slow?seconds=0&hold=1"
"""The request that is held: the notes app's /slow, without the wait (the breakpoint is the wait)."""
QUICK_PATH = "/"
"""The requests that are served meanwhile."""
EVERY = 2.0
"""Seconds between quick requests to each app."""
AGAIN_AFTER = 5.0
"""Seconds after a held request went on before the next one is sent to be held."""
MAX_ROUNDS = 1800
"""Quick rounds at most (an hour): the traffic never outlives a forgotten demo for long."""
HELD_CLIENT_TIMEOUT = 600.0
"""Seconds a held request's client waits (a hold goes on by itself after `demo.HOLD_TIMEOUT`)."""
SHOWN_TIMEOUT = 10.0
"""Seconds to wait for the first held requests to show in the trace file."""
APP_KEYS = ("notes_asgi", "notes_wsgi")

WHAT_TO_LOOK_AT = f"""
Each notes app holds a request as its response starts (breakpoint {HOLD_BREAKPOINT!r});
meanwhile the demo sends GET / to both every {EVERY:g} s, and they are answered:
  - ASGI: the held request's task awaits send(); the one event loop serves the others
  - WSGI: the held request's thread waits in start_response; Werkzeug's other threads serve the others
The UI opens on a short tour (. goes on, , goes back, Esc leaves it). Enter on a held row (⏸) replays it
live: n lets it go on one event, e edits the status or headers, c lets it finish, C lets every held one go.
A held request goes on by itself after {demo.HOLD_TIMEOUT // 60:g} minutes; the demo holds another one {AGAIN_AFTER:g} s after that."""


class Traffic:
    """Requests to the notes apps while the UI is open: one held on each, quick ones around them.

    Args:
        urls: The apps' base URLs.
        every: Seconds between quick rounds.
        again_after: Seconds after a held request completed before the next is sent.
        rounds: Quick rounds at most.
    """

    def __init__(self, urls: list[str], every: float = EVERY, again_after: float = AGAIN_AFTER,
                 rounds: int = MAX_ROUNDS) -> None:
        self.urls = urls
        self.every = every
        self.again_after = again_after
        self.rounds = rounds
        self.answered: dict[str, int] = dict.fromkeys(urls, 0)
        """Quick requests answered, by app."""
        self._stop = threading.Event()
        self._held_done: dict[str, float | None] = dict.fromkeys(urls, 0.0)
        """When each app's held request completed (None while one is out)."""
        self._sender = threading.Thread(target=self._run, name="demo-traffic", daemon=True)

    def start(self) -> None:
        """Send the held requests now, then the quick ones every `every` seconds, in a thread."""
        for url in self.urls:
            self._hold(url)
        self._sender.start()

    def stop(self) -> None:
        """Stop sending; held requests end when their servers release them or stop."""
        self._stop.set()
        if self._sender.is_alive():
            self._sender.join(5)

    def _hold(self, url: str) -> None:
        self._held_done[url] = None
        threading.Thread(target=self._held_request, args=(url,), name="demo-held", daemon=True).start()

    def _held_request(self, url: str) -> None:
        import httpx

        try:
            httpx.get(url + HELD_PATH, timeout=HELD_CLIENT_TIMEOUT)
        except httpx.HTTPError:
            pass  # The server stopped.
        self._held_done[url] = time.monotonic()

    def _run(self) -> None:
        import httpx

        with httpx.Client(timeout=5) as client:
            for _ in range(self.rounds):
                if self._stop.wait(self.every):
                    return
                for url in self.urls:
                    try:
                        client.get(url + QUICK_PATH)
                        self.answered[url] += 1
                    except httpx.HTTPError:
                        pass
                    done = self._held_done[url]
                    if done is not None and time.monotonic() - done >= self.again_after:
                        self._hold(url)


def held_in_file(trace_file: Path, count: int) -> bool:
    """Whether the file shows `count` held requests started (their first events), not yet complete."""
    from tracer import TracerWarning, read_traces

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TracerWarning)  # a line still being written
        traces = read_traces(trace_file)
    return sum(1 for t in traces if "hold=1" in t.summary.query and not t.complete) >= count


def wait_for(condition: Callable[[], bool], timeout: float) -> bool:
    """Poll `condition` until it holds or `timeout` seconds pass; whether it held."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def release_all(trace_file: Path) -> None:
    """Let every held request go on, so the servers stop cleanly (the UI does it too when it quits)."""
    from tracer.debug.client import attach
    from tracer.errors import TracerError

    try:
        connections = attach(trace_file)
    except (OSError, TracerError):
        return
    for connection in connections:
        try:
            connection.continue_all()
        except TracerError:
            pass
        finally:
            connection.close()


def run(trace_file: Path, workdir: Path, *, view: bool = True) -> int:
    """Serve the notes app twice with the breakpoint, hold a request on each, open the UI; the exit status."""
    apps = [demo.APPS[key] for key in APP_KEYS]
    from tracer.serve import stop_signals_as_ctrl_c

    traffic: Traffic | None = None
    with stop_signals_as_ctrl_c():
        try:
            demo.say(f"Starting the notes app twice with `tracer run --break {HOLD_BREAKPOINT!r}`, tracing to {trace_file}")
            for app in apps:
                demo.start(app, trace_file, workdir, breakpoints=(HOLD_BREAKPOINT,))
            for app in apps:
                demo.wait_until_ready(app)
                demo.say(f"  {app.title:<26} {app.url}")
            traffic = Traffic([app.url for app in apps])
            traffic.start()
            if not wait_for(lambda: held_in_file(trace_file, len(apps)), SHOWN_TIMEOUT):
                raise demo.DemoError(f"the held requests did not show in {trace_file} within {SHOWN_TIMEOUT:g} s")
            demo.say(WHAT_TO_LOOK_AT)
            if not view:
                return 0
            demo._wait_for_enter()
            return demo._open_tour(trace_file)
        except KeyboardInterrupt:
            demo.say("Interrupted.")
            return 130
        except demo.DemoError as exc:
            demo.say(f"demo: {exc}")
            return 1
        finally:
            if traffic is not None:
                traffic.stop()
            release_all(trace_file)
            stopped = demo.stop_all(apps)
            demo.say(f"Stopped {stopped} servers. The trace is kept: tracer view {trace_file}")


__all__ = ["HOLD_BREAKPOINT", "Traffic", "run"]
