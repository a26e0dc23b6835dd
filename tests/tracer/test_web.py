"""`tracer view --web`: the UI served to a browser, driven in headless Chromium.

The browser test starts ``tracer view --web --port 0`` on a fixture, opens the
address it prints in headless Chromium and drives the page over the DevTools
protocol (a websocket, with the ``websockets`` package tracer already needs).
The page draws the terminal on a canvas, so what the UI shows is read from the
terminal stream the page receives (a wrapper around the page's ``WebSocket``
keeps its text) and the screenshot is checked for being drawn at all.
`make test` installs Debian's chromium when it is missing and it runs as root.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tracer.cli import main

MIXED = str(Path(__file__).parents[1] / "fixtures" / "mixed.jsonl")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,800",
)
# Keeps the text of every frame the page's terminal receives, so the test can read what the UI drew.
RECORD_TERMINAL_TEXT = """
(() => {
  window.__terminalText = "";
  const decoder = new TextDecoder();
  const Original = window.WebSocket;
  window.WebSocket = class extends Original {
    constructor(...args) {
      super(...args);
      this.addEventListener("message", (event) => {
        if (event.data instanceof ArrayBuffer) {
          window.__terminalText += decoder.decode(event.data, {stream: true});
        }
      });
    }
  };
})();
"""


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


# The command line


def test_view_web_without_textual_serve_names_the_extra(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setitem(sys.modules, "textual_serve", None)
    monkeypatch.setitem(sys.modules, "textual_serve.server", None)
    assert main(["view", "--web", MIXED]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "pip install 'tracer[web]'" in err


def test_port_without_web_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["view", "--port", "8123", MIXED]) == 2
    assert "--web" in capsys.readouterr().err


def test_a_port_in_use_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("textual_serve", reason="textual-serve (pip install 'tracer[web]')")
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["view", "--web", "--port", str(port), MIXED]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already in use" in err


def test_each_browser_session_runs_tracer_view_with_the_same_options() -> None:
    from tui.web import view_command

    command = view_command("traces.jsonl", follow=True, breakpoints=["~u /api", "@ http.response.start"])
    assert command.split(" ")[:4] == [sys.executable, "-m", "tracer.cli", "view"]
    assert os.path.abspath("traces.jsonl") in command
    assert command.endswith("--follow --break '~u /api' --break '@ http.response.start'")


# In the browser


@pytest.fixture
def chromium() -> str:
    found = find_chromium()
    if found is None:
        pytest.skip(
            "Chromium cannot be had on this machine: no chromium on PATH "
            "(make test installs Debian's chromium and chromium-driver when run as root with apt-get)"
        )
    return found


@pytest.fixture
def web_ui(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """``tracer view --web --port 0`` on the fixture, and the address it printed; stopped with Ctrl+C after."""
    out = tmp_path / "web.out"
    with open(out, "w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "tracer.cli", "view", "--web", "--port", "0", MIXED],
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=tmp_path,
        )
    try:
        deadline = time.monotonic() + 30
        address = None
        while address is None and time.monotonic() < deadline and process.poll() is None:
            found = re.search(r"tracer: open (http://127\.0\.0\.1:\d+) in a browser", out.read_text())
            address = found.group(1) if found else None
            time.sleep(0.05)
        assert address is not None, f"no address line within 30 s: {out.read_text()!r}"
        yield process, address
        sessions = descendants(process.pid)
        stopping = time.monotonic()
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=20) == 0
        print(f"tracer view --web stopped {time.monotonic() - stopping:.2f} s after Ctrl+C; sessions {sessions}")
        assert out.read_text().splitlines() == [
            f"tracer: open {address} in a browser",
            "tracer: press Ctrl+C to stop",
            f"tracer: stopped serving the UI on {address}",
        ]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(alive(pid) for pid in sessions):
            time.sleep(0.05)
        left = [pid for pid in sessions if alive(pid)]
        for pid in left:
            os.kill(pid, signal.SIGKILL)
        assert not left, "a browser session's tracer view outlived the server"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def descendants(pid: int) -> list[int]:
    """The processes under `pid` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


class DevTools:
    """A headless Chromium with one page, driven over the DevTools protocol."""

    def __init__(self, executable: str, profile: str) -> None:
        self.process = subprocess.Popen(
            [executable, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--remote-debugging-port=0", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._ids = itertools.count(1)
        self._stack = contextlib.ExitStack()
        self.socket: Any = None
        try:
            port = self._devtools_port(Path(profile) / "DevToolsActivePort")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as response:
                targets = json.load(response)
            page = next(target for target in targets if target["type"] == "page")
            from websockets.sync.client import connect

            self.socket = self._stack.enter_context(connect(page["webSocketDebuggerUrl"], max_size=None, open_timeout=10))
        except BaseException:
            self.close()
            raise

    def _devtools_port(self, path: Path) -> int:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"chromium exited with {self.process.returncode} before it listened")
            try:
                return int(path.read_text().split()[0])
            except (OSError, IndexError, ValueError):
                time.sleep(0.05)
        raise AssertionError("chromium did not open its DevTools port within 30 s")

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one command and wait (at most 30 s) for its answer; events in between are dropped."""
        ident = next(self._ids)
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + 30
        while True:
            message = json.loads(self.socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if message.get("id") == ident:
                if "error" in message:
                    raise AssertionError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str) -> Any:
        return self.call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")

    def wait_for(self, expression: str, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.1)
        return False

    def press(self, key: str, code: int, text: str) -> None:
        common = {"key": key, "code": key, "windowsVirtualKeyCode": code, "nativeVirtualKeyCode": code}
        self.call("Input.dispatchKeyEvent", type="keyDown", text=text, unmodifiedText=text, **common)
        self.call("Input.dispatchKeyEvent", type="keyUp", **common)

    def screenshot(self, path: Path) -> bytes:
        data = base64.b64decode(self.call("Page.captureScreenshot", format="png")["data"])
        path.write_bytes(data)
        return data

    def close(self) -> None:
        if self.socket is not None:
            try:
                self.call("Browser.close")
            except Exception:
                pass
            self._stack.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def browser(chromium: str) -> Iterator[DevTools]:
    with tempfile.TemporaryDirectory(prefix="tracer-chromium-") as profile:
        devtools = DevTools(chromium, profile)
        try:
            yield devtools
        finally:
            devtools.close()


def png_colours(data: bytes, *, step: int = 7) -> set[bytes]:
    """The distinct colours of every `step`-th pixel of every `step`-th row of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    offset, idat, width, height, channels = 8, b"", 0, 0, 0
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind, body = data[offset + 4 : offset + 8], data[offset + 8 : offset + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += body
        offset += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                pa, pb, pc = abs(guess - left), abs(guess - up), abs(guess - corner)
                nearest = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + nearest) & 0xFF
        if row % step == 0:
            for x in range(0, width, step):
                colours.add(bytes(line[x * channels : x * channels + 3]))
        previous = line
    return colours


@pytest.mark.timeout(180)
def test_the_browser_shows_the_request_list_and_replays_a_request(
    browser: DevTools, web_ui: tuple[subprocess.Popen[str], str], tmp_path: Path
) -> None:
    # web_ui comes second so that it stops first: Ctrl+C with the tab still open ends its session too.
    _, address = web_ui
    browser.call("Page.enable")
    browser.call("Page.addScriptToEvaluateOnNewDocument", source=RECORD_TERMINAL_TEXT)
    browser.call("Page.navigate", url=address)

    # The list: the fixture's paths, drawn in the browser's terminal.
    shown = "['/hello', '/api/items', '/missing', '/boom'].every((path) => window.__terminalText.includes(path))"
    assert browser.wait_for(shown, 60), browser.evaluate("window.__terminalText.slice(-2000)")
    assert browser.evaluate("document.body.classList.contains('-first-byte')")
    time.sleep(0.5)
    listed = browser.screenshot(tmp_path / "list.png")
    assert len(png_colours(listed)) >= 4, "the screenshot of the request list is blank"

    # The replay: Enter on the request under the cursor opens its steps.
    browser.evaluate("document.querySelector('.xterm-helper-textarea').focus()")
    before = browser.evaluate("window.__terminalText.length")
    browser.press("ArrowDown", 40, "")
    browser.press("Enter", 13, "\r")
    replayed = f"['wsgi-hello', 'wsgi.environ'].every((text) => window.__terminalText.slice({before}).includes(text))"
    assert browser.wait_for(replayed, 30), browser.evaluate(f"window.__terminalText.slice({before}).slice(-2000)")
    time.sleep(0.5)
    replay = browser.screenshot(tmp_path / "replay.png")
    assert replay != listed
    assert len(png_colours(replay)) >= 4, "the screenshot of the replay is blank"


def test_tracer_run_web_serves_the_app_and_the_ui_and_keeps_the_console_log(tmp_path: Path) -> None:
    import httpx

    from tests.frameworks.running import TracerRun

    run = TracerRun("tests.tracer.breakpoint_servers:wsgi_app", tmp_path / "t.jsonl", "--web")
    try:
        ui = run.wait_for_line(lambda line: line.startswith("tracer: open http://127.0.0.1:"), timeout=20)
        ui_url = re.search(r"http://127\.0\.0\.1:\d+", ui).group(0)  # type: ignore[union-attr]
        assert httpx.get(run.url + "/hello", timeout=10).text == "hello"
        page = httpx.get(ui_url, timeout=10)
        assert page.status_code == 200 and "<html" in page.text.lower()
        run.wait_for_line(lambda line: line.split()[:3] == ["GET", "/hello", "200"])
    finally:
        assert run.stop() == 0
    assert any(line.startswith("tracer: stopped serving the UI on") for line in run.lines)
