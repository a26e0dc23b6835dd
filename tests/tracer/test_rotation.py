"""A server left running for days: trace files rotated by size, deleted or replaced, read back as one."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from werkzeug.test import Client

from tracer import JsonlSink, TraceIndex, TracerWarning, WSGITracer, read_traces
from tracer.cli import main
from tracer.errors import UsageError
from tracer.jsonl import _LOOK_SECONDS


def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"x" * 200]


def _serve(sink: JsonlSink, count: int, prefix: str = "/r") -> None:
    client = Client(WSGITracer(app, sink=sink))
    for i in range(count):
        client.get(f"{prefix}/{i}")
        sink.flush()


def test_the_sink_rotates_by_size_and_keeps_a_set_number(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(path, max_bytes=4000, backups=2)
    _serve(sink, 40)
    sink.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["traces.jsonl", "traces.jsonl.1", "traces.jsonl.2"]
    for name in names:
        assert (tmp_path / name).stat().st_mode & 0o777 == 0o600
        assert (tmp_path / name).read_bytes().startswith(b'{"format":"tracer"')
        assert (tmp_path / name).stat().st_size < 4000 + 3000  # one flush past the limit at most
    # The oldest files were deleted: what is left reads as one file, in order, each trace whole.
    traces = read_traces(path)
    paths = [t.path for t in traces]
    numbers = [int(p.rsplit("/", 1)[1]) for p in paths]
    assert numbers == sorted(numbers) and numbers[-1] == 39 and len(numbers) < 40
    assert all(t.complete for t in traces)


def test_the_index_and_the_commands_open_a_rotated_set_as_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(path, max_bytes=3000, backups=10)
    _serve(sink, 20)
    sink.close()
    assert (tmp_path / "traces.jsonl.2").exists()
    index = TraceIndex(str(path))
    index.scan()
    assert [s.path for s in index.summaries] == [f"/r/{i}" for i in range(20)]
    assert not index.problems
    assert [t.path for t in index.traces()] == [f"/r/{i}" for i in range(20)]
    assert index.load(index.summaries[0].id).complete
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("20 traces checked")


def test_a_live_index_follows_the_writer_across_a_rotation(tmp_path: Path) -> None:
    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(path, max_bytes=3000, backups=10)
    _serve(sink, 3)
    index = TraceIndex(str(path), live=True)
    index.scan()
    assert len(index.summaries) == 3
    _serve(sink, 20, "/s")
    assert (tmp_path / "traces.jsonl.1").exists()
    index.scan()
    index.scan()
    assert [s.path for s in index.summaries][3:] == [f"/s/{i}" for i in range(20)]
    last = index.load(index.summaries[-1].id)
    assert last.path == "/s/19" and last.complete
    sink.close()


def test_a_deleted_file_is_noticed_reopened_and_warned_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tracer.jsonl as jsonl

    monkeypatch.setattr(jsonl, "_LOOK_SECONDS", 0.0)
    path = tmp_path / "traces.jsonl"
    sink = JsonlSink(path)
    _serve(sink, 1)
    os.remove(path)
    with pytest.warns(TracerWarning, match="was deleted or replaced while tracer was writing to it"):
        _serve(sink, 1, "/after")
    os.remove(path)
    _serve(sink, 1, "/again")  # no second warning: filterwarnings=error would raise
    sink.close()
    assert [t.path for t in read_traces(path)] == ["/again/0"]
    assert _LOOK_SECONDS == 1.0


@pytest.mark.parametrize(("options", "message"), [({"max_bytes": 0}, "max_bytes must be a positive int"),
                                                  ({"max_bytes": 10, "backups": 0}, "backups must be a positive int")])
def test_bad_rotation_options_are_one_line_errors(tmp_path: Path, options: dict[str, int], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        JsonlSink(tmp_path / "t.jsonl", **options)
