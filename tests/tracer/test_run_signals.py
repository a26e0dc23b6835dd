"""`tracer run` stops cleanly on Ctrl+C, SIGTERM and SIGHUP, with and without --view."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.frameworks.running import REPO, TracerRun, logger_state, restore_loggers, wait_for_traces
from tracer import read_traces
from tracer.cli import main
from tracer.serve import stop_signals_as_ctrl_c

LEAVE_ALTERNATE_SCREEN = b"\x1b[?1049l"


@pytest.fixture(autouse=True)
def _server_loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_stop_signals_call_the_current_ctrl_c_handler(signum: int) -> None:
    called: list[int] = []
    previous_int = signal.signal(signal.SIGINT, lambda s, f: called.append(s))
    previous = signal.getsignal(signum)
    try:
        with stop_signals_as_ctrl_c():
            os.kill(os.getpid(), signum)
            time.sleep(0.01)  # the handler runs between bytecodes of this thread
        assert called == [signal.SIGINT]
        assert signal.getsignal(signum) is previous
    finally:
        signal.signal(signal.SIGINT, previous_int)


@pytest.mark.parametrize("ctrl_c", [signal.default_int_handler, signal.SIG_IGN], ids=["python", "ignored"])
def test_stop_signal_raises_keyboard_interrupt_unless_ctrl_c_has_a_handler(ctrl_c: object) -> None:
    previous_int = signal.signal(signal.SIGINT, ctrl_c)
    try:
        with pytest.raises(KeyboardInterrupt), stop_signals_as_ctrl_c():
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
    finally:
        signal.signal(signal.SIGINT, previous_int)


def test_sigterm_stops_a_server_in_this_thread_after_the_request_in_progress(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    port, out = free_port(), tmp_path / "t.jsonl"
    answers: list[str] = []

    def client() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                answers.append(httpx.get(f"http://127.0.0.1:{port}/slow?seconds=0.6", timeout=5).text)
                return
            except httpx.ConnectError:
                time.sleep(0.02)

    def terminate_once_the_request_is_in() -> None:
        wait_for_traces(out, lambda traces: any(t.path == "/slow" for t in traces), timeout=10)
        os.kill(os.getpid(), signal.SIGTERM)

    threads = [threading.Thread(target=client), threading.Thread(target=terminate_once_the_request_is_in)]
    for thread in threads:
        thread.start()
    try:
        assert main(["run", "sample_apps.twin_wsgi:app", "--port", str(port), "--out", str(out)]) == 0
    finally:
        for thread in threads:
            thread.join(10)
    assert answers == ["slept 0.6 s\n"], "the request in progress finished before the server stopped"
    (trace,) = read_traces(out)
    assert trace.complete and trace.status == 200
    printed = capsys.readouterr().out.splitlines()
    assert printed[-2].startswith("GET     /slow?seconds=0.6") and printed[-1] == "tracer: stopped"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_wsgi_request_in_progress_finishes_when_tracer_run_stops(tmp_path: Path, signum: int) -> None:
    run = TracerRun("sample_apps.twin_wsgi:app", tmp_path / "t.jsonl")
    answers: list[int] = []
    client = threading.Thread(target=lambda: answers.append(httpx.get(f"{run.url}/slow?seconds=0.6", timeout=5).status_code))
    client.start()
    try:
        wait_for_traces(run.trace_file, lambda traces: any(t.path == "/slow" for t in traces))
        run.process.send_signal(signum)
        assert run.process.wait(10) == 0
    finally:
        run.stop()
        client.join(10)
    assert answers == [200]
    (trace,) = read_traces(run.trace_file)
    assert trace.complete
    assert run.output.splitlines()[-2:] == [run.output.splitlines()[-2], "tracer: stopped"]
    assert run.output.splitlines()[-2].startswith("GET     /slow")


def test_sigterm_with_view_closes_the_ui_restores_the_terminal_and_completes_the_trace(tmp_path: Path) -> None:
    port, out = free_port(), tmp_path / "live.jsonl"
    command = [sys.executable, "-m", "tracer.cli", "run", "sample_apps.hello_asgi:app", "--port", str(port), "--out", str(out), "--view"]
    main_fd, child_fd = pty.openpty()
    env = dict(os.environ, TERM="xterm-256color", COLUMNS="100", LINES="30")
    process = subprocess.Popen(command, cwd=REPO, env=env, stdin=child_fd, stdout=child_fd, stderr=child_fd, close_fds=True)
    os.close(child_fd)
    screen = bytearray()

    def read_until(predicate, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not predicate() and time.monotonic() < deadline:
            ready, _, _ = select.select([main_fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(main_fd, 65536)
                except OSError:  # the child closed the terminal
                    return
                if not chunk:
                    return
                screen.extend(chunk)

    try:
        read_until(lambda: b"following" in screen, 20)
        assert b"following" in screen, bytes(screen[-2000:])
        assert httpx.get(f"http://127.0.0.1:{port}/", timeout=5).text == "Hello, World!"
        entered = len(screen)
        process.send_signal(signal.SIGTERM)
        read_until(lambda: b"tracer: stopped the server" in screen, 15)
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
        os.close(main_fd)
    after = bytes(screen[entered:])
    assert LEAVE_ALTERNATE_SCREEN in after, "the UI gave the terminal back"
    assert after.index(LEAVE_ALTERNATE_SCREEN) < after.index(b"tracer: stopped the server")
    traces = read_traces(out)
    assert {t.scope_type for t in traces} == {"lifespan", "http"}
    assert all(t.complete for t in traces), "lifespan shutdown ran: the server stopped cleanly"
