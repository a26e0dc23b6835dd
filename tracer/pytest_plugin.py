"""pytest plugin: record the requests a test makes, keep the traces of failed tests, check them.

Installed with tracer (entry point ``pytest11``, name ``tracer``; ``-p no:tracer``
turns it off). It does nothing until a test asks for the `traced` fixture::

    from starlette.testclient import TestClient

    def test_home(traced):
        client = TestClient(traced(app))
        assert client.get("/").status_code == 200
        [trace] = traced.traces()
        assert [event.kind for event in trace.events][0] == "asgi.scope"

Options:

- ``--tracer-keep failed|all|none``: whose traces are written, one trace file
  per test (default: failed tests only);
- ``--tracer-output DIR``: where (default: ``.tracer`` in the rootdir);
- ``--tracer-check[=error|warning]``: fail a test whose traces break the WSGI
  or ASGI protocol (errors; with ``warning``, warnings too).
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ._pytest_files import TraceFiles
    from .model import Trace

__all__ = ["TraceKeeper", "Traced"]

KEEP_CHOICES = ("failed", "all", "none")
CHECK_CHOICES = ("error", "warning")
_LISTED = 10  # requests named in a failure report; the file holds them all


class Traced:
    """The `traced` fixture: wraps apps so that the requests they serve are recorded for this test.

    Example:
        client = werkzeug.test.Client(traced(app))
        client.get("/")
        [trace] = traced.traces()
    """

    def __init__(self) -> None:
        from .recorder import Recorder

        self._recorder = Recorder()
        self._records: list[dict[str, Any]] = []
        self._undo: list[Callable[[], None]] = []

    def __call__(self, app: Any, **options: Any) -> Any:
        """Wrap `app` so that its requests are recorded into this test's memory.

        Args:
            app: A WSGI or ASGI app (told apart as `tracer.trace_app` does). A
                Flask app gets its ``wsgi_app`` wrapped in place, so
                ``app.test_client()`` records; a Django test ``Client`` gets its
                handler replaced, so its requests are recorded over WSGI. Both
                are restored when the test ends.
            **options: ``protocol``, ``max_body_bytes``, ``redact_headers`` or
                ``exclude_paths``, as for `tracer.trace_app`.

        Returns:
            The app to use: a tracer around `app`, or `app` itself for a Flask
            app or a Django test client.
        """
        from ._pytest_clients import instrument
        from .detect import trace_app

        forced = options.pop("protocol", None)

        def wrap(target: Any, protocol: Any) -> Any:
            return trace_app(target, _TestSink(self), protocol=protocol or forced, **options)

        return instrument(app, wrap, self._undo)

    def traces(self) -> list[Trace]:
        """Every trace recorded so far in this test, in start order, including ones still in progress."""
        return self._recorder.traces()

    def __repr__(self) -> str:
        count = len(self._recorder)
        return f"<traced: {count} request{'s' if count != 1 else ''} recorded>"

    def _records_so_far(self) -> list[dict[str, Any]]:
        return list(self._records)

    def _restore(self) -> None:
        while self._undo:
            self._undo.pop()()


class _TestSink:
    """Hands each record to the test's `Recorder` and keeps it for the test's trace file."""

    __slots__ = ("_traced",)

    def __init__(self, traced: Traced) -> None:
        self._traced = traced

    def write(self, record: dict[str, Any]) -> None:
        traced = self._traced
        traced._recorder.write(record)
        traced._records.append(record)

    def close(self) -> None:
        """Nothing to release: the records stay with the test."""


@dataclass
class _TestState:
    traced: Traced
    failed: bool = False
    written: int = -1  # records in the file written for this test; -1 when none was
    reported: set[tuple[str, int, str]] = field(default_factory=set)


_STATE = pytest.StashKey[_TestState]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("tracer", "request traces of tests that use the `traced` fixture")
    group.addoption(
        "--tracer-keep",
        choices=KEEP_CHOICES,
        default="failed",
        help="write the traces of failed tests (default), of every test that recorded any, or none",
    )
    group.addoption(
        "--tracer-output",
        metavar="DIR",
        default=None,
        help="folder for the trace files, one per test (default: .tracer in the rootdir)",
    )
    group.addoption(
        "--tracer-check",
        nargs="?",
        const="error",
        default=None,
        choices=CHECK_CHOICES,
        help="fail a test whose traces break the WSGI/ASGI protocol: on errors, or also on warnings "
        "with --tracer-check=warning",
    )


def pytest_configure(config: pytest.Config) -> None:
    from ._pytest_files import TraceFiles

    here = config.invocation_params.dir
    output = config.getoption("tracer_output", None)
    folder = here / Path(output).expanduser() if output else config.rootpath / ".tracer"
    keeper = TraceKeeper(
        config.getoption("tracer_keep", "failed"), config.getoption("tracer_check", None), TraceFiles(folder, here)
    )
    config.pluginmanager.register(keeper, "tracer-keeper")


@pytest.fixture
def traced(request: pytest.FixtureRequest) -> Iterator[Traced]:
    """Wraps apps to record their requests into this test's memory: ``traced(app)``, ``traced.traces()``."""
    recorder = Traced()
    request.node.stash[_STATE] = _TestState(recorder)
    try:
        yield recorder
    finally:
        recorder._restore()


class TraceKeeper:
    """Checks the traces of each test that used `traced`, and writes the ones to keep.

    Args:
        keep: ``"failed"``, ``"all"`` or ``"none"``.
        check: The least severity that fails a test (``"error"``, ``"warning"``), or None not to check.
        files: Names and writes the trace files.
    """

    def __init__(self, keep: str, check: str | None, files: TraceFiles) -> None:
        self.keep = keep
        self.check = check
        self.files = files
        self.kept: dict[str, str] = {}  # node id -> its trace file as shown

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
        outcome = yield
        state = item.stash.get(_STATE, None)
        if state is None:
            return
        report: pytest.TestReport = outcome.get_result()
        if self.check and call.when in ("call", "teardown") and not report.skipped:
            from ._pytest_check import check_report

            check_report(state.traced.traces(), state.reported, report, self.check)
        if report.failed:
            state.failed = True
            if self.keep != "none":
                report.sections.append(("tracer", self._section(item, state)))
        if call.when == "teardown":
            self._finish(item, state, report)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        # Read off the report, so that the reports of xdist's workers count too.
        kept = getattr(report, "tracer_file", None)
        if kept:
            self.kept[report.nodeid] = kept

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.kept:
            return
        count = len(self.kept)
        last = next(reversed(self.kept.values()))
        terminalreporter.write_line(
            f"tracer: traces of {count} test{'s' if count != 1 else ''} in "
            f"{self.files.shown(self.files.folder)}; open one with: tracer view {shlex.quote(last)}"
        )

    def _section(self, item: pytest.Item, state: _TestState) -> str:
        """Write the test's trace file now; the text of its report section."""
        from .commands.check import describe

        traces = state.traced.traces()
        if not traces:
            return "no requests were recorded by the apps this test passed to traced()"
        path = self._write(item, state)
        lines = [f"{len(traces)} request{'s' if len(traces) != 1 else ''} recorded, in {self.files.shown(path)}:"]
        lines.extend(f"  {describe(trace)}" for trace in traces[:_LISTED])
        if len(traces) > _LISTED:
            lines.append(f"  … and {len(traces) - _LISTED} more")
        lines.append(f"open it with: {self.files.view_command(path)}")
        return "\n".join(lines)

    def _write(self, item: pytest.Item, state: _TestState) -> Path:
        records = state.traced._records_so_far()
        path = self.files.path_for(item.nodeid)
        if state.written != len(records):
            self.files.write(path, records)
            state.written = len(records)
        return path

    def _finish(self, item: pytest.Item, state: _TestState, report: pytest.TestReport) -> None:
        """At the end of a test: write its trace file (or bring it up to date), or remove a stale one."""
        if self.keep == "none":
            return
        if state.traced._records and (state.failed or self.keep == "all"):
            path = self._write(item, state)
            report.tracer_file = self.files.shown(path)  # type: ignore[attr-defined]
        elif self.keep == "failed" and not state.failed:
            self.files.remove_stale(self.files.path_for(item.nodeid))
