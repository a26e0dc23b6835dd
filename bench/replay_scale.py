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
  file, how far the replay's steps lag behind the events written (sampled
  every 50 ms, the last sample after the writer stops), Python's full
  garbage collections meanwhile (any thread's stops the UI thread too) and
  the replay screen's full layouts (each lays out and repaints the screen);
- body: stepping onto an event with a 1 MiB binary body, until its first
  screen of hex is painted; the same for a JSON body of about 60 KiB
  (pretty-printed and coloured).

The app is `tui.app.TracerApp` as it is: it opens the replay as
``ReplayScreen(summary)`` (the screen reads and checks the events itself) and
leaves a growing replay to poll for its new steps.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
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
from tui.app import TracerApp  # noqa: E402
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


def write_upload(path: str, size: int, *, json_items: int = 0) -> int:
    """A trace file holding one ASGI POST whose request body is `size` random (binary) bytes.

    With `json_items`, the body is instead a JSON array of that many small objects.

    Returns:
        The body's size.
    """
    if json_items:
        body = json.dumps([{"id": i, "name": f"item {i}", "tags": ["a", "b"]} for i in range(json_items)]).encode()
        content_type = b"application/json"
    else:
        body = random.Random(1).randbytes(size)
        content_type = b"application/octet-stream"
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
             "path": "/upload", "raw_path": b"/upload", "query_string": b"", "root_path": "",
             "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]}
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
    return len(body)


# Measuring
#
# Keys are sent from a thread of their own, as a terminal's are: a UI thread
# that is busy does not delay the sending, only the answer.


class Paints:
    """Calls back at the first paint after which a condition holds (hooked into `App._display`)."""

    def __init__(self, app: TracerApp) -> None:
        self.waiting: list[tuple[Callable[[], bool], Callable[[float], None]]] = []
        real = app._display

        def display(screen: Any, renderable: Any) -> None:
            real(screen, renderable)
            if renderable is None or not self.waiting:
                return
            now = time.perf_counter()
            still = []
            for condition, callback in self.waiting:
                if condition():
                    callback(now)
                else:
                    still.append((condition, callback))
            self.waiting = still

        app._display = display  # type: ignore[method-assign]

    def when(self, condition: Callable[[], bool], callback: Callable[[float], None]) -> None:
        """Call `callback(time)` at the first paint at which `condition()` holds (on the UI thread)."""
        self.waiting.append((condition, callback))


def send(app: TracerApp, key: str) -> float:
    """Hand one key event to the app as the terminal driver does (from any thread); returns when."""
    event = events.Key(key, None)
    event.set_sender(app)
    started = time.perf_counter()
    app._driver.send_message(event)  # type: ignore[union-attr]
    return started


def showing(screen: ReplayScreen, target: int, *, or_later: bool = False) -> Callable[[], bool]:
    """Whether the cursor is on step `target` (or later, for End on a growing trace) and the detail pane shows it."""

    def condition() -> bool:
        detail = screen.query_one(StepDetail)
        step = screen.step
        on = step == target or (or_later and step > target)
        return on and detail.event is not None and detail.event is screen.steps.event(step)

    return condition


def target_of(screen: ReplayScreen, key: str) -> int:
    last = screen.steps.count - 1
    page = screen.diagram.page_steps
    return {"right": min(screen.step + 1, last), "left": max(screen.step - 1, 0), "end": last, "home": 0,
            "pagedown": min(screen.step + page, last)}[key]


def timed(app: TracerApp, paints: Paints, condition: Callable[[], Callable[[], bool]], key: str,
          timeout: float = 60.0) -> tuple[float, float]:
    """Send `key` (from this thread) and wait for the paint at which `condition()`'s test holds.

    Returns:
        When the key was sent, and milliseconds from then to that paint (inf after `timeout`).
    """
    done = threading.Event()
    painted: list[float] = []

    def arm() -> None:
        paints.when(condition(), lambda t: (painted.append(t), done.set()))

    app.call_from_thread(arm)
    started = send(app, key)
    if not done.wait(timeout):
        return started, float("inf")
    return started, (painted[0] - started) * 1000


def press(app: TracerApp, paints: Paints, key: str) -> float:
    """Milliseconds from sending `key` to the paint that shows the step it moves to."""

    def condition() -> Callable[[], bool]:
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        target = target_of(screen, key)
        assert target != screen.step, f"{key} would not move the cursor from {target}"
        return showing(screen, target, or_later=key == "end")

    return timed(app, paints, condition, key)[1]


BACKGROUND = ("scan", "debug")
"""Worker groups that run as long as the app: following the file, watching for live processes to attach to."""


def settled(app: TracerApp) -> None:
    """Wait until the app's workers are done (the list's marks), bar those that run as long as the app."""
    time.sleep(0.05)
    while app.call_from_thread(lambda: any(w.group not in BACKGROUND and not w.is_finished for w in app.workers)):
        time.sleep(0.02)
    time.sleep(0.1)


def open_replay(app: TracerApp, paints: Paints) -> tuple[float, float]:
    """When Enter was pressed on the list, and milliseconds from then to the first paint of the replay."""
    while app.requests.scanning or not app.index.summaries:
        time.sleep(0.01)
    settled(app)

    def condition() -> Callable[[], bool]:
        def shown() -> bool:
            screen = app.screen
            return isinstance(screen, ReplayScreen) and showing(screen, 0)()

        return shown

    return timed(app, paints, condition, "enter")


def keys(app: TracerApp, paints: Paints, rounds: int) -> dict[str, list[float]]:
    """`SEQUENCE` pressed `rounds` times, one key at a time, 30 ms apart."""
    out: dict[str, list[float]] = {key: [] for key in KEYS}
    for _ in range(rounds):
        for key in SEQUENCE:
            out[key].append(press(app, paints, key))
            time.sleep(0.03)
    return out


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):6.1f}  max {max(values):6.1f}"


def overall(timed_keys: dict[str, list[float]]) -> str:
    """Every key together: how many, the median, the 90th percentile and the slowest."""
    values = sorted(v for key in KEYS for v in timed_keys[key])
    p90 = values[min(len(values) - 1, int(len(values) * 0.9))]
    return f"{len(values)} keys: median {statistics.median(values):.1f}  p90 {p90:.1f}  max {values[-1]:.1f} ms"


async def in_thread(app_class: type[TracerApp], path: str, live: bool,
                    flow: Callable[[TracerApp, Paints], dict[str, Any]]) -> dict[str, Any]:
    """Run the app headless and `flow(app, paints)` in a thread beside it."""
    app = app_class(path, live=live)
    async with app.run_test(size=SIZE):
        paints = Paints(app)
        return await asyncio.to_thread(flow, app, paints)


def static_flow(rounds: int) -> Callable[[TracerApp, Paints], dict[str, Any]]:
    def flow(app: TracerApp, paints: Paints) -> dict[str, Any]:
        entered, opened = open_replay(app, paints)
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        while not screen.checked:
            time.sleep(0.01)
        checked = time.perf_counter()
        settled(app)
        return {"open_ms": opened, "keys_ms": keys(app, paints, rounds), "checked_ms": (checked - entered) * 1000}

    return flow


class Writer(threading.Thread):
    """Appends the websocket trace's next events to `path` at about `rate` events a second."""

    def __init__(self, path: str, first: int, rate: int, seconds: float) -> None:
        super().__init__(daemon=True)
        self.path, self.next, self.rate, self.seconds = path, first, rate, seconds
        self.written = first

    def run(self) -> None:
        started = time.perf_counter()
        first = self.next
        with open(self.path, "ab") as out:
            while time.perf_counter() - started < self.seconds:
                due = first + int((time.perf_counter() - started) * self.rate)
                if due > self.next:
                    out.write(b"".join(dumps_record(r) for r in websocket_records("ws", self.next, due, complete=False)))
                    out.flush()
                    self.next = self.written = due
                time.sleep(0.005)


class Collections:
    """Times Python's full garbage collections (on any thread: each stops the UI thread too) while on."""

    def __init__(self) -> None:
        self.pauses: list[float] = []
        self._started: dict[int, float] = {}
        self.on = False

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        me = threading.get_ident()
        if phase == "start":
            self._started[me] = time.perf_counter()
        elif self.on and info["generation"] == 2 and me in self._started:
            self.pauses.append((time.perf_counter() - self._started.pop(me)) * 1000)


class Layouts:
    """Times a screen's full layouts (`Screen._refresh_layout`) while on."""

    def __init__(self, screen: Any) -> None:
        self.times: list[float] = []
        self.on = False
        real = screen._refresh_layout

        def refresh_layout(*args: Any, **kwargs: Any) -> None:
            started = time.perf_counter()
            try:
                real(*args, **kwargs)
            finally:
                if self.on:
                    self.times.append((time.perf_counter() - started) * 1000)

        screen._refresh_layout = refresh_layout


def growing_flow(path: str, first: int, rate: int, seconds: float) -> Callable[[TracerApp, Paints], dict[str, Any]]:
    def flow(app: TracerApp, paints: Paints) -> dict[str, Any]:
        _, opened = open_replay(app, paints)
        screen = app.screen
        assert isinstance(screen, ReplayScreen)
        writer = Writer(path, first, rate, seconds)
        lags: list[int] = []
        timed_keys: dict[str, list[float]] = {key: [] for key in KEYS}
        collections = Collections()
        gc.callbacks.append(collections)
        collections.on = True
        layouts = Layouts(screen)
        layouts.on = True
        writer.start()
        i = 0
        while writer.is_alive():
            key = SEQUENCE[i % len(SEQUENCE)]
            i += 1
            timed_keys[key].append(press(app, paints, key))
            for _ in range(3):
                time.sleep(0.05)
                lags.append(writer.written - screen.steps.count)
        written = writer.written
        collections.on = layouts.on = False
        gc.callbacks.remove(collections)
        time.sleep(1.0)  # the last scan and poll
        return {"open_ms": opened, "keys_ms": timed_keys, "lag": lags, "final_lag": written - screen.steps.count,
                "written": written - first, "same_screen": app.screen is screen, "collections": collections.pauses,
                "layouts": layouts.times}

    return flow


def body_flow(app: TracerApp, paints: Paints) -> dict[str, Any]:
    open_replay(app, paints)
    settled(app)
    times = []
    for _ in range(5):
        times.append(press(app, paints, "right"))  # onto the 1 MiB body
        time.sleep(0.05)
        press(app, paints, "left")
        time.sleep(0.05)
    return {"body_ms": times}


PARTS = ("static", "growing", "body")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=1000, help="events a second the writer appends while growing")
    parser.add_argument("--seconds", type=float, default=15.0, help="how long the writer runs")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--keep", metavar="DIR", help="write the trace files here and keep them")
    parser.add_argument("--part", choices=PARTS, action="append",
                        help="only this part (repeatable): the finished trace, the growing one, the large bodies")
    args = parser.parse_args()
    args.part = args.part or PARTS
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or tmp
        os.makedirs(where, exist_ok=True)
        big, live, upload, upload_json = (os.path.join(where, name)
                                          for name in ("ws.jsonl", "live.jsonl", "upload.jsonl", "json.jsonl"))
        write_websocket(big, args.events)
        write_upload(upload, 1024 * 1024)
        json_size = write_upload(upload_json, 0, json_items=1150)
        print(f"{args.events:,} events, {os.path.getsize(big) / 1e6:.1f} MB; growing: {args.rate}/s for {args.seconds:g} s")
        if "static" in args.part:
            static = asyncio.run(in_thread(TracerApp, big, False, static_flow(args.rounds)))
            print(f"open replay          {static['open_ms']:7.1f} ms; findings marked "
                  f"{static['checked_ms']:.0f} ms after Enter")
            for key in KEYS:
                print(f"key {key:<16} {summary(static['keys_ms'][key])} ms")
            print(f"all                  {overall(static['keys_ms'])}")
        if "growing" in args.part:
            write_websocket(live, args.events, complete=False)
            grow = asyncio.run(in_thread(TracerApp, live, True, growing_flow(live, args.events, args.rate, args.seconds)))
            print(f"growing: open        {grow['open_ms']:7.1f} ms; {grow['written']:,} events written, same screen: "
                  f"{grow['same_screen']}")
            print(f"growing: lag         median {statistics.median(grow['lag']):6.0f}  max {max(grow['lag']):6.0f} events;"
                  f" {grow['final_lag']} a second after the writer stopped")
            for key in KEYS:
                if grow["keys_ms"][key]:
                    print(f"growing: key {key:<7} {summary(grow['keys_ms'][key])} ms  ({len(grow['keys_ms'][key])} presses)")
            print(f"growing: all         {overall(grow['keys_ms'])}")
            pauses = grow["collections"] or [0.0]
            print(f"growing: full garbage collections {len(grow['collections'])}, {sum(pauses):.0f} ms in all, "
                  f"longest {max(pauses):.1f} ms")
            layouts = sorted(grow["layouts"]) or [0.0]
            print(f"growing: layouts     {len(grow['layouts'])}, median {statistics.median(layouts):.1f}  "
                  f"p90 {layouts[int(len(layouts) * 0.9)]:.1f}  max {layouts[-1]:.1f} ms")
        if "body" in args.part:
            body = asyncio.run(in_thread(TracerApp, upload, False, body_flow))
            print(f"1 MiB binary body    {summary(body['body_ms'])} ms")
            body = asyncio.run(in_thread(TracerApp, upload_json, False, body_flow))
            print(f"{json_size // 1024} KiB JSON body     {summary(body['body_ms'])} ms")

if __name__ == "__main__":
    main()
