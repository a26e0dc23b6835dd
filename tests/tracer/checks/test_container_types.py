"""The container types PEP 3333 asks for (a list of header tuples, a tuple wsgi.version), kept only when they differ."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tracer import JsonlSink, WSGITracer
from tracer.checks import check_trace
from tracer.reader import read_traces
from werkzeug.test import create_environ

from .drivers import run_wsgi


class HeaderList(list):  # type: ignore[type-arg]
    pass


def _app(headers: Any) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", headers)
        return [b"hi"]

    return app


def _start(headers: Any) -> tuple[dict[str, Any], list[str]]:
    trace = run_wsgi(_app(headers))
    event = next(e for e in trace.events if e.kind == "wsgi.start_response")
    return event.data, sorted({f.rule for f in check_trace(trace)})


def test_a_list_of_tuples_adds_nothing() -> None:
    data, rules = _start([("Content-Type", "text/plain; charset=utf-8"), ("X-A", "1")])
    assert set(data) == {"status", "headers", "exc_info"}
    assert rules == []


def test_a_tuple_of_tuples() -> None:
    data, rules = _start((("Content-Type", "text/plain; charset=utf-8"), ("X-A", "1")))
    assert data["headers_type"] == "tuple"
    assert "header_item_types" not in data
    assert data["headers"] == [["Content-Type", "text/plain; charset=utf-8"], ["X-A", "1"]]
    assert rules == ["wsgi-headers-not-list"]


def test_list_items() -> None:
    data, rules = _start([("Content-Type", "text/plain; charset=utf-8"), ["X-A", "1"]])
    assert "headers_type" not in data
    assert data["header_item_types"] == [None, "list"]
    assert rules == ["wsgi-header-not-tuple"]


def test_a_tuple_of_lists() -> None:
    data, rules = _start((["Content-Type", "text/plain; charset=utf-8"],))
    assert data["headers_type"] == "tuple"
    assert data["header_item_types"] == ["list"]
    assert rules == ["wsgi-header-not-tuple", "wsgi-headers-not-list"]


def test_a_list_subclass_is_named_with_its_module() -> None:
    data, rules = _start(HeaderList([("Content-Type", "text/plain; charset=utf-8")]))
    assert data["headers_type"] == f"{__name__}.HeaderList"
    assert rules == ["wsgi-headers-not-list"]


def test_headers_that_are_not_pairs_are_left_to_wsgi_headers_type() -> None:
    data, rules = _start({"Content-Type": "text/plain; charset=utf-8"})
    assert data["headers_type"] == "dict"
    assert "wsgi-headers-type" in rules and "wsgi-headers-not-list" not in rules
    data, rules = _start([["Content-Type", "text/plain; charset=utf-8", "x"]])
    assert data["header_item_types"] == ["list"]
    assert "wsgi-headers-type" in rules and "wsgi-header-not-tuple" not in rules


def test_wsgi_version() -> None:
    def as_list(environ: dict[str, Any]) -> None:
        environ["wsgi.version"] = [1, 0]

    trace = run_wsgi(_app([("Content-Type", "text/plain; charset=utf-8")]), environ=as_list)
    assert trace.events[0].data["wsgi_version_type"] == "list"
    assert [f.rule for f in check_trace(trace)] == ["wsgi-version-not-tuple"]

    def missing(environ: dict[str, Any]) -> None:
        del environ["wsgi.version"]

    trace = run_wsgi(_app([("Content-Type", "text/plain; charset=utf-8")]), environ=missing)
    assert "wsgi_version_type" not in trace.events[0].data
    assert "wsgi-version-not-tuple" not in {f.rule for f in check_trace(trace)}
    trace = run_wsgi(_app([("Content-Type", "text/plain; charset=utf-8")]))
    assert set(trace.events[0].data) == {"environ"}


def test_the_fields_survive_the_file(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    sink = JsonlSink(str(path))
    environ = create_environ("/")
    environ["wsgi.version"] = [1, 0]
    result = WSGITracer(_app((["Content-Type", "text/plain; charset=utf-8"],)), sink=sink)(environ, lambda *a: None)
    list(result)
    result.close()
    sink.close()
    (trace,) = read_traces(str(path))
    assert trace.events[0].data["wsgi_version_type"] == "list"
    start = trace.events[1].data
    assert (start["headers_type"], start["header_item_types"]) == ("tuple", ["list"])
    assert sorted(f.rule for f in check_trace(trace)) == [
        "wsgi-header-not-tuple", "wsgi-headers-not-list", "wsgi-version-not-tuple",
    ]
