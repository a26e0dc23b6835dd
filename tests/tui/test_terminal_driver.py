"""A terminal that goes away without a SIGHUP ends the UI instead of leaving it blocked (or spinning) for ever."""

from __future__ import annotations

import os
import select
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.tui.conftest import fixture
from tui.app import TracerApp
from tui.terminal_driver import HangupAwareDriver, TerminalOutput, driver_for

termios = pytest.importorskip("termios")
fcntl = pytest.importorskip("fcntl")

WAIT = 20.0


class _DeadTerminal:
    def __init__(self) -> None:
        self.writes = 0

    def write(self, text: str) -> int:
        self.writes += 1
        raise OSError(5, "Input/output error")

    def flush(self) -> None:
        raise OSError(5, "Input/output error")

    def fileno(self) -> int:
        return 2


def test_a_failed_write_reports_the_terminal_gone_once_and_later_writes_are_dropped() -> None:
    gone: list[bool] = []
    terminal = _DeadTerminal()
    output = TerminalOutput(terminal, lambda: gone.append(True))  # type: ignore[arg-type]
    assert output.write("\x1b[?1049h") == len("\x1b[?1049h")  # no exception: the output thread lives on
    assert output.closed_terminal
    output.write("more")
    output.flush()
    assert gone == [True]
    assert terminal.writes == 1


def test_the_app_runs_with_the_hangup_aware_driver_in_place_of_textuals() -> None:
    from textual.drivers.headless_driver import HeadlessDriver
    from textual.drivers.linux_driver import LinuxDriver

    assert driver_for(LinuxDriver) is HangupAwareDriver
    assert driver_for(HeadlessDriver) is HeadlessDriver
    if sys.platform != "win32" and not os.environ.get("TEXTUAL_DRIVER"):
        assert TracerApp(fixture("mixed.jsonl")).driver_class is HangupAwareDriver


def _grow(path: Path, stop: threading.Event) -> None:
    """Append a trace a few times a second, so that the UI keeps drawing."""
    lines = Path(fixture("mixed.jsonl")).read_bytes().splitlines(keepends=True)
    count = 0
    while not stop.is_set() and count < 2000:
        count += 1
        line = lines[1 + count % (len(lines) - 1)].replace(b'"trace":"', b'"trace":"grown%d-' % count, 1)
        with path.open("ab") as file:
            file.write(line)
        stop.wait(0.02)


@pytest.mark.parametrize("follow", [True, False], ids=["drawing", "idle"])
def test_the_ui_ends_when_its_terminal_goes_away_without_a_hangup_signal(tmp_path: Path, follow: bool) -> None:
    """A pty with no controlling terminal: closing its other end sends no SIGHUP, as under make in tmux."""
    path = tmp_path / "live.jsonl"
    path.write_bytes(Path(fixture("mixed.jsonl")).read_bytes())
    primary, secondary = os.openpty()
    fcntl.ioctl(secondary, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    command = [sys.executable, "-m", "tracer.cli", "view", *(["--follow"] if follow else []), str(path)]
    process = subprocess.Popen(
        command, stdin=secondary, stdout=secondary, stderr=secondary, start_new_session=True,
        env={**os.environ, "TERM": "xterm-256color"}, cwd=Path(__file__).resolve().parents[2],
    )
    os.close(secondary)
    stop = threading.Event()
    grower = threading.Thread(target=_grow, args=(path, stop), daemon=True)
    try:
        shown = b""
        deadline = time.monotonic() + WAIT
        while b"filter" not in shown and time.monotonic() < deadline and process.poll() is None:
            ready, _, _ = select.select([primary], [], [], 0.5)
            if ready:
                shown += os.read(primary, 65536)
        assert b"filter" in shown, shown[-500:]
        if follow:
            grower.start()
            time.sleep(0.5)
        os.close(primary)
        primary = -1
        assert process.wait(WAIT) == 0  # ended as `q` does, not blocked on a dead terminal
    finally:
        stop.set()
        if primary >= 0:
            os.close(primary)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)
        if grower.is_alive():
            grower.join(5)
