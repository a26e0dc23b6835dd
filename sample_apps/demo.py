"""`make demo`: a guided tour of WSGI and ASGI, recorded by `tracer run` and replayed in the UI.

    python -m sample_apps.demo [--out FILE] [--no-view] [--hold]

1. Starts four sample apps with `tracer run` on free 127.0.0.1 ports, all
   writing one trace file: the WSGI showcase, the ASGI showcase and the
   notes app written twice (WSGI and ASGI).
2. Drives a scripted tour at them with httpx and a websocket client: forms,
   uploads, streams, server-sent events, a websocket chat, errors, and bursts
   of concurrent requests to slow endpoints, so the waterfall shows requests
   overlapping (a thread per request, or one event loop) and queuing (a
   blocking call inside async code).
3. Says what to look at, waits for Enter (at a terminal), then opens the UI
   on the live trace file, on a guided tour of what the trace shows (`.` goes
   on, `,` goes back, Esc leaves the tour). The servers keep running while it is open;
   quitting the UI, Ctrl+C at any point, SIGTERM or closing the terminal
   stops every one of them, and they stop by themselves if the demo is killed.

With ``--hold``, the demo is the debugger's concurrency lesson instead: the
notes app, WSGI and ASGI, started with a breakpoint that holds a request at
the start of its response (`HOLD_BREAKPOINT`); one such request to each is
held while the demo keeps sending other requests to both (`Traffic`), and the
UI opens on a tour of what that shows: ASGI's event loop serves the others
while the held task awaits, Werkzeug's other threads serve them while the
held one waits.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 30.0
STOP_TIMEOUT = 8.0


@dataclass
class App:
    """One sample app served by its own `tracer run` process."""

    title: str
    reference: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None
    log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


APPS = {
    "wsgi": App("WSGI showcase (Werkzeug)", "sample_apps.wsgi_showcase:app"),
    "asgi": App("ASGI showcase (raw ASGI)", "sample_apps.asgi_showcase:app"),
    "notes_wsgi": App("notes app, WSGI", "sample_apps.twin_wsgi:app"),
    "notes_asgi": App("notes app, ASGI", "sample_apps.twin_asgi:app"),
}


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the exit status."""
    parser = argparse.ArgumentParser(prog="python -m sample_apps.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", metavar="FILE", help="trace file (default: a new one in a temporary directory)")
    parser.add_argument("--no-view", action="store_true", help="run the tour, print a summary and stop (no UI)")
    parser.add_argument(
        "--hold", action="store_true",
        help="the debugger's lesson instead: a request held on the WSGI and the ASGI notes app while both serve others",
    )
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="tracer-demo-"))
    trace_file = Path(args.out).resolve() if args.out else workdir / "demo.jsonl"
    _new_trace_file(trace_file)
    if args.hold:
        from . import demo_hold

        return demo_hold.run(trace_file, workdir, view=not args.no_view)
    apps = list(APPS.values())
    from tracer.serve import stop_signals_as_ctrl_c

    # SIGTERM and a closed terminal stop the demo as Ctrl+C does, servers included.
    with stop_signals_as_ctrl_c():
        try:
            say(f"Starting {len(apps)} sample apps with `tracer run`, tracing to {trace_file}")
            for app in apps:
                start(app, trace_file, workdir)
            for app in apps:
                wait_until_ready(app)
                say(f"  {app.title:<26} {app.url}   (tracer run {app.reference})")
            tour()
            time.sleep(0.3)  # Let the servers' trace writers flush the last events.
            summarize(trace_file)
            if args.no_view:
                return 0
            say(WHAT_TO_LOOK_AT)
            _wait_for_enter()
            return _open_tour(trace_file)
        except KeyboardInterrupt:
            say("Interrupted.")
            return 130
        except DemoError as exc:
            say(f"demo: {exc}")
            return 1
        finally:
            stopped = stop_all(apps)
            say(f"Stopped {stopped} servers. The trace is kept: tracer view {trace_file}")


WHAT_TO_LOOK_AT = """
The UI opens on a guided tour of these requests: . goes on, , goes back, Esc leaves it.
What to look at in the UI (Enter replays the selected request; → and ← step through it, space plays it):
  - a notes request on WSGI, then the same one on ASGI: environ, start_response, body chunks and close,
    against scope, then receive and send messages; side by side: / ~u /notes, m on the WSGI POST,
    M on the ASGI one (the same phases line up, and WSGI sends nothing until the first chunk)
  - WSGI POST /upload: every read the app made of wsgi.input; ASGI POST /echo-json: the body in several messages
  - WS /ws: a websocket is one long trace of messages both ways; the lifespan traces last as long as the servers
  - the waterfall at the bottom: the /slow bursts overlap, the /blocking burst queues
  - / filters the list: try ~wsgi, ~ws, ~err or ~d >500ms; C copies the request as a curl command
  - outside the UI: tracer show, tracer diff and tracer check read the same file (tracer --help)"""


def _open_tour(trace_file: Path) -> int:
    """Open the UI on the live trace file, on the guided tour (a UI without one opens on the list)."""
    from tracer.commands.view import _takes_keyword, load_viewer

    viewer = load_viewer()
    if _takes_keyword(viewer, "tour"):
        return int(viewer(str(trace_file), follow=True, tour=True) or 0)
    return int(viewer(str(trace_file), follow=True) or 0)


def _wait_for_enter() -> None:
    """Give the reader time to read the tour before the UI covers it (only at a terminal)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return
    try:
        input("\nPress Enter to open the UI (q quits it and stops the servers) ")
    except EOFError:
        pass


class DemoError(Exception):
    """A server did not start; the message says which and shows its output."""


def say(text: str) -> None:
    print(text, flush=True)


# --- servers -------------------------------------------------------------------------------


def _new_trace_file(path: Path) -> None:
    """Create the trace file (header included) before the servers append to it concurrently."""
    from tracer import JsonlSink

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()
    JsonlSink(path).close()


_BANNER = re.compile(r"^tracer: serving .* on http://127\.0\.0\.1:(\d+)$", re.MULTILINE)


HOLD_TIMEOUT = 300
"""Seconds a demo's held request waits before it goes on by itself: time to read the tour (the default is 60)."""

def start(app: App, trace_file: Path, workdir: Path, breakpoints: tuple[str, ...] = ()) -> None:
    """Start `tracer run` on port 0: it binds a free port itself and prints it."""
    app.log_path = workdir / f"{app.reference.split(':')[0].rsplit('.', 1)[-1]}.log"
    app.log = open(app.log_path, "wb")
    command = [sys.executable, "-m", "tracer.cli", "run", app.reference, "--port", "0", "--out", str(trace_file)]
    for breakpoint in breakpoints:
        command += ["--break", breakpoint]
    if breakpoints:
        command += ["--hold-timeout", str(HOLD_TIMEOUT)]
    app.process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=app.log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        preexec_fn=_server_process_setup(os.getpid()) if os.name == "posix" else None,
    )


_PR_SET_PDEATHSIG = 1


def _server_process_setup(parent: int) -> Callable[[], None]:
    """What a server process does before it starts: leave the terminal's signals to the demo, die with it.

    In its own process group, Ctrl+C at the terminal reaches only the demo,
    which stops each server once: a second SIGINT would make uvicorn skip its
    graceful shutdown. On Linux the kernel sends SIGTERM to the server when the
    demo dies, however it dies, so that no server outlives it.
    """
    libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None

    def setup() -> None:
        os.setpgid(0, 0)
        if libc is not None:
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
            if os.getppid() != parent:  # the demo died before prctl took effect
                os._exit(1)

    return setup


def wait_until_ready(app: App) -> None:
    """Wait for the server's banner (its socket is listening by then) and read its port."""
    deadline = time.monotonic() + START_TIMEOUT
    assert app.process is not None
    while time.monotonic() < deadline:
        match = _BANNER.search(_log_text(app))
        if match:
            app.port = int(match.group(1))
            return
        if app.process.poll() is not None:
            raise DemoError(f"{app.title} exited with {app.process.returncode}:\n{_log_text(app)}")
        time.sleep(0.05)
    raise DemoError(f"{app.title} did not start within {START_TIMEOUT:g} s:\n{_log_text(app)}")


def _log_text(app: App) -> str:
    return app.log_path.read_text(errors="replace") if app.log_path and app.log_path.exists() else ""


def stop_all(apps: list[App]) -> int:
    """Stop every server as SIGTERM does (cleanly: their traces end), then kill any that linger.

    Another Ctrl+C while waiting kills the rest at once.
    """
    running = [app.process for app in apps if app.process is not None and app.process.poll() is None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    try:
        for process in running:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        pass
    finally:
        for process in running:
            if process.poll() is None:
                process.kill()
                process.wait(5)
        for app in apps:
            if app.log is not None:
                app.log.close()
    return len(running)


# --- the tour ------------------------------------------------------------------------------


def step(label: str, call: Callable[[], str], expected: str | None = None) -> None:
    """Run one request of the tour and print what came back.

    Args:
        label: What the request is.
        call: Makes the request; returns what to print.
        expected: For a step that fails on purpose, what its failure shows.
    """
    try:
        outcome = call()
    except Exception as exc:  # noqa: BLE001 - some steps fail on purpose; say what it shows
        name = type(exc).__name__
        outcome = f"{expected} ({name}), as expected" if expected else f"failed: {name}: {exc}"
    say(f"    {label:<46} {outcome}")


DROPPED = "the server cut the response short"


def tour() -> None:
    import httpx

    wsgi, asgi = APPS["wsgi"].url, APPS["asgi"].url
    with httpx.Client(timeout=10) as client:

        def show(response: httpx.Response, extra: str = "") -> str:
            return f"{response.status_code} {response.reason_phrase}{extra}"

        say("\nWSGI showcase: every part of PEP 3333")
        step("GET  /", lambda: show(client.get(f"{wsgi}/")))
        step("POST /form (urlencoded form)", lambda: show(client.post(f"{wsgi}/form", data={"name": "Ada", "lang": "python"})))
        upload = {"file": ("notes.txt", b"a line of notes\n" * 1500, "text/plain")}
        step("POST /upload (24 KB multipart, 4 KiB reads)", lambda: show(client.post(f"{wsgi}/upload", data={"note": "hi"}, files=upload)))
        step("POST /lines (readline)", lambda: show(client.post(f"{wsgi}/lines", content=b"one\ntwo\nthree\n")))
        step("GET  /stream (generator, 5 chunks)", lambda: show(client.get(f"{wsgi}/stream")))
        step("GET  /legacy (write() callable)", lambda: show(client.get(f"{wsgi}/legacy")))
        step("GET  /download (wsgi.file_wrapper)", lambda: show(client.get(f"{wsgi}/download")))
        step("GET  /boom (raises)", lambda: show(client.get(f"{wsgi}/boom")))
        step("GET  /boom-late (raises mid-body)", lambda: show(client.get(f"{wsgi}/boom-late")), DROPPED)
        step("GET  /exc-info (start_response again)", lambda: show(client.get(f"{wsgi}/exc-info")))

        say("\nASGI showcase: every kind of ASGI message")
        step("GET  /state (set by lifespan startup)", lambda: show(client.get(f"{asgi}/state")))
        def echo_json() -> str:
            response = client.post(f"{asgi}/echo-json", content=_json_in_pieces())
            return show(response, f", read from {response.json()['messages']} http.request messages")

        step("POST /echo-json (chunked body)", echo_json)
        step("GET  /stream (more_body, 5 chunks)", lambda: show(client.get(f"{asgi}/stream")))
        step("GET  /events (server-sent events)", lambda: show(client.get(f"{asgi}/events")))
        step("WS   /ws (a short chat)", lambda: _chat(asgi))
        step("GET  /boom-late (raises after starting)", lambda: show(client.get(f"{asgi}/boom-late")), DROPPED)
        step(
            "GET  /slow, client leaves (http.disconnect)",
            lambda: show(client.get(f"{asgi}/slow?seconds=5", timeout=0.4)),
            "the client gave up after 0.4 s",
        )

        say("\nThe notes app, once as WSGI and once as ASGI: compare them request for request")
        for key in ("notes_wsgi", "notes_asgi"):
            base, title = APPS[key].url, APPS[key].title
            step(f"{title}: GET  /", lambda: show(client.get(f"{base}/")))
            step(f"{title}: POST /notes", lambda: show(client.post(f"{base}/notes", json={"text": "hello"})))
            step(f"{title}: GET  /notes/1", lambda: show(client.get(f"{base}/notes/1")))
            step(f"{title}: GET  /notes/9", lambda: show(client.get(f"{base}/notes/9")))
            step(f"{title}: GET  /stream", lambda: show(client.get(f"{base}/stream")))

    say("\nConcurrency: four requests at once to slow endpoints (see the waterfall)")
    step("WSGI notes /slow x4: a thread per request", lambda: _burst(f"{APPS['notes_wsgi'].url}/slow?seconds=1", 4, 1.0))
    step("ASGI notes /slow x4: one event loop", lambda: _burst(f"{APPS['notes_asgi'].url}/slow?seconds=1", 4, 1.0))
    step("ASGI /blocking x4: time.sleep in async", lambda: _burst(f"{asgi}/blocking?seconds=0.5", 4, 0.5))


def _json_in_pieces() -> Iterator[bytes]:
    """A JSON body sent in three pieces (chunked), so the app receives several http.request messages."""
    for piece in (b'{"name": "Ada", ', b'"likes": ["wsgi", ', b'"asgi"]}'):
        yield piece
        time.sleep(0.05)


def _chat(base: str) -> str:
    from websockets.sync.client import connect

    replies = []
    with connect(base.replace("http://", "ws://") + "/ws", open_timeout=5, close_timeout=5) as ws:
        for text in ("hello", "how are you?"):
            ws.send(text)
            replies.append(ws.recv(timeout=5))
        ws.send(b"\x00\x01 raw bytes")
        replies.append(repr(ws.recv(timeout=5)))
        ws.send("bye")
        replies.append(ws.recv(timeout=5))
    return " | ".join(str(reply) for reply in replies)


def _burst(url: str, count: int, seconds: float) -> str:
    """`count` requests at once to an endpoint that takes `seconds`; says whether they overlapped."""
    import httpx

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(lambda _: httpx.get(url, timeout=15).status_code, range(count)))
    elapsed = time.monotonic() - started
    how = "they overlapped" if elapsed < seconds * 1.8 else "they queued, one after another"
    return f"{statuses} in {elapsed:.1f} s: {how}"


def summarize(trace_file: Path) -> None:
    import warnings

    from tracer import TracerWarning, read_traces

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TracerWarning)
        traces = read_traces(trace_file)
    kinds = sorted({event.kind for trace in traces for event in trace.events})
    by_type: dict[str, int] = {}
    for trace in traces:
        key = f"{trace.protocol}/{trace.scope_type}"
        by_type[key] = by_type.get(key, 0) + 1
    counts = ", ".join(f"{n} {key}" for key, n in sorted(by_type.items()))
    say(f"\nRecorded {len(traces)} traces ({counts}) with {len(kinds)} event kinds in {trace_file}")


if __name__ == "__main__":
    sys.exit(main())
