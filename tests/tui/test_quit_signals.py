"""SIGTERM and SIGHUP quit the UI as `q` does, and the handlers there before come back."""

from __future__ import annotations

import os
import signal

import pytest

from tests.tui.conftest import fixture, scanned
from tui.app import TracerApp
from tui.quit_signals import QUIT_SIGNALS


@pytest.mark.parametrize("signum", QUIT_SIGNALS)
async def test_a_stop_signal_quits_the_app_and_its_handler_comes_back(signum: int) -> None:
    called: list[int] = []

    def before(received: int, frame: object) -> None:
        called.append(received)

    previous = signal.signal(signum, before)
    try:
        app = TracerApp(fixture("mixed.jsonl"))
        async with app.run_test(size=(120, 30)) as pilot:
            await scanned(pilot)
            os.kill(os.getpid(), signum)
            for _ in range(100):
                await pilot.pause(0.02)
                if not app.is_running:
                    break
            assert not app.is_running  # quit, as q does
        assert called == []  # the app took it, not the handler from before
        assert signal.getsignal(signum) is before
        os.kill(os.getpid(), signum)
        assert called == [signum]
    finally:
        signal.signal(signum, previous)
