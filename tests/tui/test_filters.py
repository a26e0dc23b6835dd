"""The filter language, against the summaries of the mixed fixture."""

from __future__ import annotations

import pytest

from tests.tui.conftest import fixed_checker, fixture
from tracer.index import TraceIndex
from tui.filters import CODES, HINT, OPERATORS, PRESETS, Deep, FilterError, help_rows, parse, unknown_message


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
        # Headers, read from the loaded trace: "name: value" lines, any case.
        ("~h x-unknown", []),
        ("~h user-agent", ["asgi-hello", "asgi-stream", "asgi-ws"]),
        ('~h "content-type: application/json"', ["wsgi-post-json", "asgi-hello"]),
        ('~hq "content-type: application/json"', ["wsgi-post-json"]),
        ("~hs content-length", ["wsgi-post-json"]),
        ("~hq 'content-length: 18'", ["wsgi-post-json"]),
        ("~hq content-length: 18", []),  # unquoted: ~hq content-length: and the free text 18
        ("~hs image/png", ["wsgi-binary"]),
        ("~hq 127.0.0.1:8000 & ~m POST", ["asgi-stream"]),
        # Content types: the response's, the request's.
        ("~t json", ["wsgi-post-json", "asgi-hello"]),
        ("~t IMAGE/", ["wsgi-binary"]),
        ("~tq json", ["wsgi-post-json"]),
        ("!~t text & ~http", ["wsgi-post-json", "wsgi-error", "wsgi-binary", "asgi-hello"]),
        # One side of the exchange's bodies.
        ("~bq widget", ["wsgi-post-json"]),
        ("~bs widget", ["wsgi-post-json"]),
        ("~bq part", ["asgi-stream"]),
        ("~bs part", []),
        ("~bs echo", ["asgi-ws"]),
        ("~bq echo", []),
        ("~bs line", ["wsgi-stream"]),
        # Duration (480µs, 1.25ms, 450µs, 5.4ms, 600µs, 600µs, 1ms, 440µs, 9.6ms, 16ms and 2ms for lifespan).
        ("~d >5ms", ["wsgi-stream", "asgi-stream", "asgi-ws"]),
        ("~d >=9.6ms", ["asgi-stream", "asgi-ws"]),
        ("~d <450us", ["asgi-hello"]),
        ("~d <=450µs", ["wsgi-not-found", "asgi-hello"]),
        ("~d <=450000ns", ["wsgi-not-found", "asgi-hello"]),
        ("~d > 0.01s", ["asgi-ws"]),
        ("~d >1s", []),
        # Size: request plus response body bytes (k = 1024).
        ("~size >70", ["wsgi-post-json", "wsgi-cut"]),
        ("~size >=73", ["wsgi-post-json", "wsgi-cut"]),
        ("~size <=9 & ~http", ["wsgi-not-found", "wsgi-error"]),
        ("~size <1k & ~size >1b & ~ws", ["asgi-ws"]),
        ("~size >0.07K", ["wsgi-post-json", "wsgi-cut"]),
        ("~size >1m", []),
    ],
)
def test_each_operator_selects_the_right_traces(index: TraceIndex, expression: str, expected: list[str]) -> None:
    assert matching(index, expression) == expected


def test_log_and_a_handled_exception_the_app_logged() -> None:
    from tracer.summary import TraceSummary

    quiet = TraceSummary("quiet", status=200, complete=True)
    chatty = TraceSummary("chatty", status=200, complete=True, logs=2)
    handled = TraceSummary("handled", status=200, complete=True, logs=1, logged_exception=True)
    for expression, expected in (("~log", ["chatty", "handled"]), ("~err", ["handled"]), ("!~log", ["quiet"])):
        compiled = parse(expression)
        assert compiled is not None
        assert [s.id for s in (quiet, chatty, handled) if compiled.matches(s, lambda: None)] == expected


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
        ("~d 100ms", "~d wants a comparison and a time"),
        ("~d >100", "~d wants a comparison and a time"),
        ("~d >100 parsecs", "~d wants a comparison and a time"),
        ("~d >", "~d wants a comparison and a time"),
        ("~size big", "~size wants a comparison and a size"),
        ("~size >10q", "~size wants a comparison and a size"),
        ("~h", "~h needs a value"),
        ("~size", "~size needs a value, e.g. ~size >10k"),
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
    assert not parse("~t json ~tq form ~d >1ms ~size >1k").needs_events  # type: ignore[union-attr]
    for code in ("~h", "~hq", "~hs", "~bq", "~bs"):
        assert parse(f"{code} x").needs_events, code  # type: ignore[union-attr]


@pytest.mark.parametrize("operator", OPERATORS, ids=lambda op: op.code)
def test_each_operator_says_truly_whether_it_reads_events(operator) -> None:  # type: ignore[no-untyped-def]
    compiled = parse(operator.syntax.split("  ")[0])
    assert compiled is not None and compiled.needs_events == operator.needs_events

    def no_events() -> Deep:
        raise AssertionError(f"{operator.code} read events")

    if not operator.needs_events:
        index = TraceIndex(fixture("mixed.jsonl"))
        index.scan()
        for summary in index.summaries:
            compiled.matches(summary, no_events)
        index.close()


def test_cheap_tests_run_first_so_events_are_read_only_when_needed(index: TraceIndex) -> None:
    read: list[str] = []
    for expression in ("~violation & ~b widget & ~h host & ~m POST", "~m POST ~h host ~b widget ~violation"):
        compiled = parse(expression)
        assert compiled is not None
        read.clear()

        def load(summary):  # type: ignore[no-untyped-def]
            read.append(summary.id)
            trace = index.read_trace(summary)
            return Deep(trace, fixed_checker(trace))

        assert [s.id for s in index.summaries if compiled.matches(s, lambda s=s: load(s))] == []
        assert set(read) == {"wsgi-post-json", "asgi-stream"}  # only the two POSTs were read


def test_help_hint_presets_and_unknown_filter_message_come_from_the_table() -> None:
    rows = dict(help_rows())
    message = unknown_message("~nope")
    listed = message.rstrip(")").split("(one of ")[1].split()
    assert len(set(CODES)) == len(OPERATORS) >= 21
    for operator in OPERATORS:
        assert any(syntax.startswith(operator.code) and text == operator.help for syntax, text in rows.items())
        assert operator.code in listed
        assert any(spelling in HINT.split() for spelling in (operator.code, *operator.aliases)), operator.code
        for example in operator.examples:
            assert parse(f"{operator.code} {example}") is not None
    assert message == unknown_message("~nope")
    with pytest.raises(FilterError) as info:
        parse("~nope")
    assert str(info.value) == message
    for code in ("~http", "~live", "~violation", "~h", "~d", "~size"):
        assert code in listed
    assert ("errors and 5xx", "~err") in PRESETS
    for _, expression in PRESETS:
        assert parse(expression) is not None


@pytest.mark.parametrize("needle", ["widget", "WIDGET", '"name"', "echo: bye", "PNG"])
def test_body_search_with_raw_lines_agrees_with_decoding(index: TraceIndex, needle: str) -> None:
    compiled = parse(f"~b '{needle}'")
    assert compiled is not None
    for summary in index.summaries:
        lines = list(index.read_lines(summary))
        fast = Deep(lambda s=summary, lines=lines: index.decode_lines(s, lines), [], lines)
        slow = Deep(index.read_trace(summary), [])
        assert compiled.matches(summary, lambda: fast) == compiled.matches(summary, lambda: slow), summary.id


def test_the_filter_lines_placeholder_is_the_languages_hint() -> None:
    # The line holds it written out (the list paints before the language is imported): a new operator shows there too.
    from tui.widgets.filter_line import HINT as PLACEHOLDER

    assert PLACEHOLDER == HINT
