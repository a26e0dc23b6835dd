"""The filter language, against the summaries of the mixed fixture."""

from __future__ import annotations

import pytest

from tests.tui.conftest import fixed_checker, fixture
from tui.filters import Deep, FilterError, parse
from tracer.index import TraceIndex


@pytest.fixture(scope="module")
def index() -> TraceIndex:
    index = TraceIndex(fixture("mixed.jsonl"))
    index.scan()
    yield index
    index.close()


def matching(index: TraceIndex, expression: str) -> list[str]:
    compiled = parse(expression)
    assert compiled is not None

    def load(summary):  # type: ignore[no-untyped-def]
        trace = index.read_trace(summary)
        return Deep(trace, fixed_checker(trace))

    return [s.id for s in index.summaries if compiled.matches(s, lambda s=s: load(s))]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("~m POST", ["wsgi-post-json", "asgi-stream"]),
        ("~m post", ["wsgi-post-json", "asgi-stream"]),
        ("~u /api", ["wsgi-post-json"]),
        ("~c 404", ["wsgi-not-found"]),
        ("~c 4xx", ["wsgi-not-found"]),
        ("~c 101", ["asgi-ws"]),
        ("~c none", ["asgi-lifespan", "wsgi-error"]),
        ("~wsgi & ~c 201", ["wsgi-post-json"]),
        ("~asgi ~http", ["asgi-hello", "asgi-stream"]),
        ("~ws", ["asgi-ws"]),
        ("~lifespan", ["asgi-lifespan"]),
        ("~err", ["wsgi-error"]),
        ("~b widget", ["wsgi-post-json"]),
        ("~b ECHO", ["asgi-ws"]),
        ("~violation", ["wsgi-stream"]),
        ("!~wsgi", ["asgi-lifespan", "asgi-hello", "asgi-stream", "asgi-ws"]),
        ("~ws | ~lifespan", ["asgi-lifespan", "asgi-ws"]),
        ("~asgi & !(~ws | ~lifespan) & ~m GET", ["asgi-hello"]),
        ("hello", ["wsgi-hello", "asgi-hello"]),
        ('"/logo.png"', ["wsgi-binary"]),
        ("~live", []),
    ],
)
def test_each_operator_selects_the_right_traces(index: TraceIndex, expression: str, expected: list[str]) -> None:
    assert matching(index, expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("~c", "~c needs a value"),
        ("~c teapot", "~c wants a status"),
        ("~nope", "unknown filter '~nope'"),
        ("(~m GET", "missing ')'"),
        ("~m GET |", "expression ends too early"),
        ('"open', "unclosed quote"),
        (")", "unexpected ')'"),
    ],
)
def test_bad_expression_says_why_in_one_line(expression: str, message: str) -> None:
    with pytest.raises(FilterError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        parse(expression)
    assert "\n" not in str(info.value)


def test_empty_expression_is_no_filter() -> None:
    assert parse("   ") is None


def test_only_event_filters_need_events() -> None:
    assert not parse("~m GET ~err !~ws").needs_events  # type: ignore[union-attr]
    assert parse("~m GET & ~b x").needs_events  # type: ignore[union-attr]
    assert parse("!~violation").needs_events  # type: ignore[union-attr]


@pytest.mark.parametrize("needle", ["widget", "WIDGET", '"name"', "echo: bye", "PNG"])
def test_body_search_with_raw_lines_agrees_with_decoding(index: TraceIndex, needle: str) -> None:
    compiled = parse(f"~b '{needle}'")
    assert compiled is not None
    for summary in index.summaries:
        lines = list(index.read_lines(summary))
        fast = Deep(lambda s=summary, lines=lines: index.decode_lines(s, lines), [], lines)
        slow = Deep(index.read_trace(summary), [])
        assert compiled.matches(summary, lambda: fast) == compiled.matches(summary, lambda: slow), summary.id
