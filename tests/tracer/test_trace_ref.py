"""`FILE#TRACE_ID`: the whole id, a unique prefix of it, or its number when one process wrote the file."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from tracer import JsonlSink, WSGITracer, _session
from tracer.commands._trace_ref import find_summary, open_index
from tracer.errors import UsageError


def _hello(environ: Any, start_response: Any) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]


def _record(path: Path, paths: list[str]) -> None:
    with JsonlSink(path) as sink:
        app = WSGITracer(_hello, sink=sink)
        for request_path in paths:
            result = app({"REQUEST_METHOD": "GET", "PATH_INFO": request_path}, lambda status, headers, exc_info=None: None)
            list(result)
            result.close()


@pytest.fixture
def one_process(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(_session, "_PROCESS_TAG", "34510077")
    monkeypatch.setattr(_session, "_counter", itertools.count(1))
    path = tmp_path / "one.jsonl"
    _record(path, [f"/{number}" for number in range(1, 13)])
    return path


@pytest.mark.parametrize(("name", "path"), [("34510077-000003", "/3"), ("3", "/3"), ("000003", "/3"), ("12", "/12")])
def test_a_trace_is_named_by_its_id_or_its_number(one_process: Path, name: str, path: str) -> None:
    assert find_summary(open_index(str(one_process)), name).path == path


def test_a_prefix_several_ids_start_with_asks_for_more(one_process: Path) -> None:
    # "3" and "12" above start every id too (the tag is 34510077): a number that names one trace wins.
    with pytest.raises(UsageError, match=r"'3451' starts 12 trace ids .*; give more of it"):
        find_summary(open_index(str(one_process)), "3451")


def test_a_number_two_processes_wrote_asks_for_the_whole_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "two.jsonl"
    for tag in ("aaaa1111", "bbbb2222"):
        monkeypatch.setattr(_session, "_PROCESS_TAG", tag)
        monkeypatch.setattr(_session, "_counter", itertools.count(1))
        _record(path, ["/first"])
    index = open_index(str(path))
    with pytest.raises(UsageError, match=r"2 processes wrote a trace number 1 \(aaaa1111-000001, bbbb2222-000001\); give the whole id"):
        find_summary(index, "1")
    with pytest.raises(UsageError, match="no trace '7'"):
        find_summary(index, "7")
