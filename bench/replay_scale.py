"""How fast the replay opens and steps through a 50,000-event websocket trace, also while it grows.

    python bench/replay_scale.py                    # 50,000 events, files in a temp dir
    python bench/replay_scale.py --events 100000 --rate 2000 --keep /tmp/replay

It writes trace files, runs the UI headless (Textual's ``run_test``) in this
process and times, from the moment a key event is handed to the app to the
first paint (``App._display``) that shows its outcome:

- open: Enter on the list row until the replay screen is painted with its
  first step in the detail pane;
- keys: next, previous, end, home and page down on the open replay, each
  until the paint that shows the step it moved to;
- growing: the same keys while a writer thread appends events to the followed
  file, and how far the replay's steps lag behind the events written (sampled
  every 50 ms, the last sample after the writer stops);
- body: stepping onto an event with a 1 MiB binary body, until its first
  screen of hex is painted.

Two apps are measured. ``as is``: `tui.app.TracerApp` unchanged. ``replay by
summary``: the same app opening the replay as ``ReplayScreen(summary)`` (the
screen reads and checks the events itself) and not reloading it when the
trace grows (the screen polls the index's spans), the two changes to
``tui/app.py`` the replay is built for.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from textual import events  # noqa: E402

from tracer.codec import encode  # noqa: E402
from tracer.jsonl import dumps_record, header_line  # noqa: E402
import tui.app  # noqa: E402
from tui.app import TracerApp  # noqa: E402
from tui.messages import TraceSelected, TracesScanned  # noqa: E402
from tui.screens.replay import ReplayScreen  # noqa: E402
from tui.widgets.step_detail import StepDetail  # noqa: E402

SIZE = (160, 45)
KEYS = ("right", "left", "end", "home", "pagedown")
SEQUENCE = ("right", "right", "pagedown", "left", "end", "left", "home", "pagedown", "end", "home")
"""Keys pressed in turn from the first step; each moves the cursor."""

# Trace files


def websocket_records(trace_id: str, start: int, stop: int, *, complete: bool = True) -> Iterator[dict[str, Any]]:
    """Records `start` to `stop` of a websocket chat: text both ways, a binary frame now and then."""
    for seq in range(start, stop):
        t_ns = seq * 100_000
        if seq == 0:
            scope = {"type": "websocket", "asgi": {"version": "3.0"}, "http_version": "1.1", "scheme": "ws",
                     "path": "/ws/feed", "raw_path": b"/ws/feed", "query_string": b"room=1", "root_path": "",
                     "headers": [(b"host", b"localhost:8000"), (b"upgrade", b"websocket")],
                     "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000), "subprotocols": []}
            yield {"trace": trace_id, "seq": 0, "t_ns": 0, "kind": "asgi.scope", "data": encode({"scope": scope}),
                   "protocol": "asgi", "scope_type": "websocket", "start": 1_700_000_000.0}
            continue
        if seq == 1:
            kind, message = "asgi.receive", {"type": "websocket.connect"}
        elif seq == 2:
            kind, message = "asgi.send", {"type": "websocket.accept", "subprotocol": None, "headers": []}
        elif complete and seq == stop - 2:
            kind, message = "asgi.receive", {"type": "websocket.disconnect", "code": 1000}
        elif complete and seq == stop - 1:
            yield {"trace": trace_id, "seq": seq, "t_ns": t_ns, "kind": "asgi.end", "data": {}}
            continue
        elif seq % 7 == 0:
            kind, message = "asgi.send", {"type": "websocket.send", "bytes": bytes(range(seq % 200, seq % 200 + 40)),
                                          "text": None}
        elif seq % 2:
            kind, message = "asgi.receive", {"type": "websocket.receive", "text": '{"op": "ping", "n": %d}' % seq,
                                             "bytes": None}
        else:
            kind, message = "asgi.send", {"type": "websocket.send", "text": '{"op": "pong", "n": %d, "items": [1, 2]}' % seq,
                                          "bytes": None}
        yield {"trace": trace_id, "seq": seq, "t_ns": t_ns, "kind": kind, "data": encode({"message": message})}


def write_websocket(path: str, events_: int, *, complete: bool = True) -> None:
    """A trace file holding one websocket trace of `events_` events."""
    with open(path, "wb") as out:
        out.write(header_line())
        out.write(b"".join(dumps_record(r) for r in websocket_records("ws", 0, events_, complete=complete)))


def write_upload(path: str, size: int) -> None:
    """A trace file holding one ASGI POST whose request body is `size` random (binary) bytes."""
    body = random.Random(1).randbytes(size)
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/upload", "raw_path": b"/upload", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", b"application/octet-stream"), (b"content-length", str(size).encode())]}
    records = [
        {"kind": "asgi.scope", "data": {"scope": scope}},
        {"kind": "asgi.receive", "data": {"message": {"type": "http.request", "body": body, "more_body": False}}},
        {"kind": "asgi.send", "data": {"message": {"type": "http.response.start", "status": 204, "headers": []}}},
        {"kind": "asgi.send", "data": {"message": {"type": "http.response.body", "body": b"", "more_body": False}}},
        {"kind": "asgi.end", "data": {}},
    ]
    with open(path, "wb") as out:
        out.write(header_line())
        for seq, record in enumerate(records):
            line = {"trace": "upload", "seq": seq, "t_ns": seq * 1000, "kind": record["kind"], "data": encode(record["data"])}
            if seq == 0:
                line.update(protocol="asgi", scope_type="http", start=1_700_000_000.0)
            out.write(dumps_record(line))


# The apps


class ReplayBySummary(TracerApp):
    """`TracerApp` opening the replay by its summary alone and leaving a growing replay to poll."""

    CSS_PATH = os.path.join(os.path.dirname(os.path.abspath(tui.app.__file__)), "app.tcss")

    def on_trace_selected(self, message: TraceSelected) -> None:
        message.prevent_default()
        if self.screen is self.screen_stack[0]:
            self.push_screen(ReplayScreen(message.summary))

    def on_traces_scanned(self, message: TracesScanned) -> None:
        # TracerApp's handler without reloading the replay.
        message.prevent_default()
        self._report(message)
        self.requests.take_scan(
            message.summaries, message.updated, problems=message.problems, progress=message.progress,
            done=message.done, cut_line=message.cut_line,
        )


APPS: dict[str, type[TracerApp]] = {"as is": TracerApp, "replay by summary": ReplayBySummary}


# Measuring


class Paints:
    """Times the first paint after which a condition holds."""

    def __init__(self, app: TracerApp) -> None:
        self.waiting: list[tuple[Callable[[], bool], asyncio.Future[float]]] = []
        real = app._display

        def display(screen: Any, renderable: Any) -> None:
            real(screen, renderable)
            if renderable is None:
                return
            now = time.perf_counter()
            for condition, future in self.waiting:
                if not future.done() and condition():
                    future.set_result(now)
            self.waiting = [item for item in self.waiting if not item[1].done()]

        app._display = display  # type: ignore[method-assign]

    async def after(self, condition: Callable[[], bool], timeout: float = 60.0) -> float:
        """The time of the first paint at which `condition()` is true."""
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting.append((condition, future))
        return await asyncio.wait_for(future, timeout)


def send(app: TracerApp, key: str) -> float:
    """Hand one key event to the app as the terminal driver would; returns when."""
    event = events.Key(key, None)
    event.set_sender(app)
    started = time.perf_counter()
    app._driver.send_message(event)  # type: ignore[union-attr]
    return started


def showing(screen: ReplayScreen, step: Callable[[], int]) -> Callable[[], bool]:
    """Whether the detail pane shows the step `step()` names."""

    def condition() -> bool:
        detail = screen.query_one(StepDetail)
        target = step()
        return screen.step == target and detail.event is not None and detail.event is screen.steps.event(target)

    return condition


async def settled(app: TracerApp) -> None:
    """Wait until the app's workers are done (the list's marks), bar the scan that follows a live file."""
    await asyncio.sleep(0.05)
    while any(w.group != "scan" and not w.is_finished for w in app.workers):
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.1)


def target_of(screen: ReplayScreen, key: str) -> int:
    last = screen.steps.count - 1
    page = screen.diagram.page_steps
    return {"right": min(screen.step + 1, last), "left": max(screen.step - 1, 0), "end": last, "home": 0,
            "pagedown": min(screen.step + page, last)}[key]


async def press(app: TracerApp, paints: Paints, key: str) -> float:
    """Milliseconds from handing `key` to the app to the paint that shows the step it moves to."""
    screen = app.screen
    assert isinstance(screen, ReplayScreen)
    target = target_of(screen, key)
    assert target != screen.step, f"{key} would not move the cursor from {target}"
    started = send(app, key)
    painted = await paints.after(showing(screen, lambda: target))
    return (painted - started) * 1000


async def open_replay(app: TracerApp, paints: Paints) -> tuple[float, float]:
    """When Enter was pressed on the list, and milliseconds from then to the first paint of the replay."""
    while app.requests.scanning or not app.index.summaries:
        await asyncio.sleep(0.01)
    await settled(app)
    started = send(app, "enter")

    def shown() -> bool:
        screen = app.screen
        return isinstance(screen, ReplayScreen) and showing(screen, lambda: 0)()

    painted = await paints.after(shown)
    return started, (painted - started) * 1000


async def keys(app: TracerApp, paints: Paints, rounds: int) -> dict[str, list[float]]:
    """Each of `KEYS` pressed `rounds` times, one at a time, between short pauses."""
    out: dict[str, list[float]] = {key: [] for key in KEYS}
    for _ in range(rounds):
        for key in SEQUENCE:
            out[key].append(await press(app, paints, key))
            await asyncio.sleep(0.03)
    return out


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):6.1f}  max {max(values):6.1f}"


async def measure_static(app_class: type[TracerApp], path: str, rounds: int) -> dict[str, Any]:
    app = app_class(path)
    async with app.run_test(size=SIZE):
        paints = Paints(app)
        entered, opened = await open_replay(app, paints)
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        checked = await paints.after(lambda: screen.checked)
        await settled(app)
        timed = await keys(app, paints, rounds)
    return {"open_ms": opened, "keys_ms": timed, "checked_ms": (checked - entered) * 1000}


class Writer(threading.Thread):
    """Appends the websocket trace's next events to `path` at about `rate` events a second."""

    def __init__(self, path: str, first: int, rate: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.path, self.next, self.rate, self.seconds = path, first, rate, seconds
        self.written = first
        self.stop_event = threading.Event()

    def run(self) -> None:
        started = time.perf_counter()
        first = self.next
        with open(self.path, "ab") as out:
            while not self.stop_event.is_set() and time.perf_counter() - started < self.seconds:
                due = first + int((time.perf_counter() - started) * self.rate)
                if due > self.next:
                    out.write(b"".join(dumps_record(r) for r in websocket_records("ws", self.next, due, complete=False)))
                    out.flush()
                    self.next = self.written = due
                time.sleep(0.005)


async def measure_growing(app_class: type[TracerApp], path: str, first: int, rate: int, seconds: float) -> dict[str, Any]:
    write_websocket(path, first, complete=False)
    app = app_class(path, live=True)
    async with app.run_test(size=SIZE):
        paints = Paints(app)
        _, opened = await open_replay(app, paints)
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        writer = Writer(path, first, rate, seconds)
        lags: list[int] = []
        timed: dict[str, list[float]] = {key: [] for key in KEYS}
        writer.start()
        deadline = time.perf_counter() + seconds
        i = 0
        while time.perf_counter() < deadline:
            key = SEQUENCE[i % len(SEQUENCE)]
            i += 1
            try:
                timed[key].append(await press(app, paints, key))
            except asyncio.TimeoutError:
                timed[key].append(float("inf"))
            for _ in range(3):
                await asyncio.sleep(0.05)
                lags.append(writer.written - screen.steps.count)
        writer.stop_event.set()
        writer.join()
        written = writer.written
        await asyncio.sleep(1.0)  # the last poll and scan
        final = written - screen.steps.count
        same = app.screen is screen
    return {"open_ms": opened, "keys_ms": timed, "lag": lags, "final_lag": final, "written": written - first,
            "same_screen": same}


async def measure_body(app_class: type[TracerApp], path: str) -> dict[str, Any]:
    app = app_class(path)
    async with app.run_test(size=SIZE):
        paints = Paints(app)
        await open_replay(app, paints)
        await asyncio.sleep(0.3)
        times = []
        for _ in range(3):
            times.append(await press(app, paints, "right"))  # onto the 1 MiB body
            await asyncio.sleep(0.05)
            await press(app, paints, "left")
            await asyncio.sleep(0.05)
    return {"body_ms": times}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=1000, help="events a second the writer appends while growing")
    parser.add_argument("--seconds", type=float, default=8.0, help="how long the writer runs")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="write the trace files here and keep them")
    parser.add_argument("--app", choices=sorted(APPS), action="append", help="only this app (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or tmp
        os.makedirs(where, exist_ok=True)
        big, live, upload = (os.path.join(where, name) for name in ("ws.jsonl", "live.jsonl", "upload.jsonl"))
        write_websocket(big, args.events)
        write_upload(upload, 1024 * 1024)
        print(f"{args.events:,} events, {os.path.getsize(big) / 1e6:.1f} MB; growing: {args.rate}/s for {args.seconds:g} s")
        for name in args.app or list(APPS):
            app_class = APPS[name]
            print(f"\n== {name}")
            static = asyncio.run(measure_static(app_class, big, args.rounds))
            print(f"open replay          {static['open_ms']:7.1f} ms; findings marked "
                  f"{static['checked_ms']:.0f} ms after Enter")
            for key in KEYS:
                print(f"key {key:<16} {summary(static['keys_ms'][key])} ms")
            grow = asyncio.run(measure_growing(app_class, live, args.events, args.rate, args.seconds))
            print(f"growing: open        {grow['open_ms']:7.1f} ms; {grow['written']:,} events written, same screen: "
                  f"{grow['same_screen']}")
            print(f"growing: lag         median {statistics.median(grow['lag']):6.0f}  max {max(grow['lag']):6.0f} events;"
                  f" {grow['final_lag']} a second after the writer stopped")
            for key in KEYS:
                if grow["keys_ms"][key]:
                    print(f"growing: key {key:<7} {summary(grow['keys_ms'][key])} ms  ({len(grow['keys_ms'][key])} presses)")
            body = asyncio.run(measure_body(app_class, upload))
            print(f"1 MiB binary body    {summary(body['body_ms'])} ms")


if __name__ == "__main__":
    main()
