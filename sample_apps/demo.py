"""`make demo`: a guided tour of WSGI and ASGI, recorded by `tracer run` and replayed in the UI.

    python -m sample_apps.demo [--out FILE] [--no-view]

1. Starts four sample apps with `tracer run` on free 127.0.0.1 ports, all
   writing one trace file: the WSGI showcase, the ASGI showcase and the
   notes app written twice (WSGI and ASGI).
2. Drives a scripted tour at them with httpx and a websocket client: forms,
   uploads, streams, server-sent events, a websocket chat, errors, and bursts
   of concurrent requests to slow endpoints, so the waterfall shows requests
   overlapping (a thread per request, or one event loop) and queuing (a
   blocking call inside async code).
3. Opens the UI on the live trace file. The servers keep running while it is
   open; quitting the UI (or Ctrl+C at any point) stops every one of them.
"""

from __future__ import annotations

import argparse
import concurrent.futures
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
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="tracer-demo-"))
    trace_file = Path(args.out).resolve() if args.out else workdir / "demo.jsonl"
    _new_trace_file(trace_file)
    apps = list(APPS.values())
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
        say("Opening the UI on the live trace; the apps keep running, so try them from another terminal. q quits.")
        from tracer.commands.view import open_viewer

        return open_viewer(str(trace_file), follow=True)
    except KeyboardInterrupt:
        say("Interrupted.")
        return 130
    except DemoError as exc:
        say(f"demo: {exc}")
        return 1
    finally:
        stopped = stop_all(apps)
        say(f"Stopped {stopped} servers. The trace is kept: tracer view {trace_file}")


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


def start(app: App, trace_file: Path, workdir: Path) -> None:
    """Start `tracer run` on port 0: it binds a free port itself and prints it."""
    app.log_path = workdir / f"{app.reference.split(':')[0].rsplit('.', 1)[-1]}.log"
    app.log = open(app.log_path, "wb")
    command = [sys.executable, "-m", "tracer.cli", "run", app.reference, "--port", "0", "--out", str(trace_file)]
    app.process = subprocess.Popen(command, cwd=ROOT, stdout=app.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)


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
    """Ctrl+C every server (a clean shutdown flushes its traces), then kill any that linger."""
    running = [app for app in apps if app.process is not None and app.process.poll() is None]
    for app in running:
        app.process.send_signal(signal.SIGINT)  # type: ignore[union-attr]
    deadline = time.monotonic() + STOP_TIMEOUT
    for app in running:
        try:
            app.process.wait(max(0.1, deadline - time.monotonic()))  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            app.process.kill()  # type: ignore[union-attr]
            app.process.wait(5)  # type: ignore[union-attr]
    for app in apps:
        if app.log is not None:
            app.log.close()
    return len(running)


# --- the tour ------------------------------------------------------------------------------


def step(label: str, call: Callable[[], str]) -> None:
    """Run one request of the tour and print what came back."""
    try:
        outcome = call()
    except Exception as exc:  # noqa: BLE001 - some steps fail on purpose; show how
        outcome = f"{type(exc).__name__}, as expected"
    say(f"    {label:<46} {outcome}")


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
        step("GET  /boom-late (raises mid-body)", lambda: show(client.get(f"{wsgi}/boom-late")))
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
        step("GET  /boom-late (raises after starting)", lambda: show(client.get(f"{asgi}/boom-late")))
        step("GET  /slow, client leaves (http.disconnect)", lambda: show(client.get(f"{asgi}/slow?seconds=5", timeout=0.4)))

        say("\nThe notes app, once as WSGI and once as ASGI: compare them request for request")
        for key in ("notes_wsgi", "notes_asgi"):
            base, title = APPS[key].url, APPS[key].title
            step(f"{title}: GET  /", lambda: show(client.get(f"{base}/")))
            step(f"{title}: POST /notes", lambda: show(client.post(f"{base}/notes", json={"text": "hello"})))
            step(f"{title}: GET  /notes/1", lambda: show(client.get(f"{base}/notes/1")))
            step(f"{title}: GET  /notes/9", lambda: show(client.get(f"{base}/notes/9")))
            step(f"{title}: GET  /stream", lambda: show(client.get(f"{base}/stream")))

    say("\nConcurrency: four requests at once to slow endpoints (see the waterfall)")
    step("WSGI notes /slow x4: a thread per request", lambda: _burst(f"{APPS['notes_wsgi'].url}/slow?seconds=1", 4))
    step("ASGI notes /slow x4: one event loop", lambda: _burst(f"{APPS['notes_asgi'].url}/slow?seconds=1", 4))
    step("ASGI /blocking x4: time.sleep in async", lambda: _burst(f"{asgi}/blocking?seconds=0.5", 4))


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


def _burst(url: str, count: int) -> str:
    import httpx

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        statuses = list(pool.map(lambda _: httpx.get(url, timeout=15).status_code, range(count)))
    elapsed = time.monotonic() - started
    return f"{statuses} in {elapsed:.1f} s"


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
