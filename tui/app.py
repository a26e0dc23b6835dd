"""The Textual app behind `tracer view FILE`."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import DataTable, Footer, Header

from tracer.jsonl import read_traces


class TracerApp(App[int]):
    """Browse the requests of one trace file."""

    TITLE = "tracer"

    def __init__(self, path: str, *, live: bool = False) -> None:
        super().__init__()
        self.path = path
        self.live = live

    def compose(self) -> ComposeResult:
        yield Header()
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.path
        table = self.query_one(DataTable)
        table.add_columns("method", "path", "status", "ms", "protocol", "scope")
        for trace in read_traces(self.path):
            table.add_row(
                trace.method or "", trace.path or "", trace.status or "",
                f"{trace.duration_ns / 1e6:.1f}", trace.protocol, trace.scope_type,
            )


def make_app(path: str, live: bool = False) -> TracerApp:
    """Build the app for the CLI and for tests."""
    return TracerApp(path, live=live)


def run_view(path: str, *, follow: bool = False) -> int:
    """Run the UI on `path` until the user quits; returns the exit status."""
    app = make_app(path, live=follow)
    result = app.run()
    return int(result or 0)
