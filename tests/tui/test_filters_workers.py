"""`~w TAG` (which worker process recorded a request) and `~exc` (an exception the app logged)."""

from __future__ import annotations

import pytest

from tracer.summary import TraceSummary
from tui.filters import HINT, PRESETS, FilterError, help_rows, parse

ROWS = (
    TraceSummary("6d29d4dd-000001", status=200, complete=True),
    TraceSummary("6d29d4dd-000002", status=500, complete=True, logs=1, logged_exception=True),
    TraceSummary("a3f07c11-000001", status=200, complete=True, logs=1, logged_exception=True),
    TraceSummary("6d2a0000-000001", status=200, complete=True),
    TraceSummary("wsgi-hello", status=200, complete=True),
)


def matching(expression: str) -> list[str]:
    compiled = parse(expression)
    assert compiled is not None and not compiled.needs_events

    def no_events() -> None:
        raise AssertionError(f"{expression} read events")

    return [s.id for s in ROWS if compiled.matches(s, no_events)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("~w 6d29", ["6d29d4dd-000001", "6d29d4dd-000002"]),  # the column's label
        ("~w 6D29", ["6d29d4dd-000001", "6d29d4dd-000002"]),
        ("~w 6d2", ["6d29d4dd-000001", "6d29d4dd-000002", "6d2a0000-000001"]),  # a prefix of the label
        ("~w 6d29d4dd", ["6d29d4dd-000001", "6d29d4dd-000002"]),  # the whole tag
        ("~w a3f0", ["a3f07c11-000001"]),
        ("!~w 6d29", ["a3f07c11-000001", "6d2a0000-000001", "wsgi-hello"]),
        ("~w 6d29 & ~c 5xx", ["6d29d4dd-000002"]),
        ("~w ffff", []),
        ("~exc", ["6d29d4dd-000002", "a3f07c11-000001"]),
        ("~exc & ~c 2xx", ["a3f07c11-000001"]),  # answered 200 after logging an exception
        ("!~exc", ["6d29d4dd-000001", "6d2a0000-000001", "wsgi-hello"]),
    ],
)
def test_worker_and_logged_exception_filters(expression: str, expected: list[str]) -> None:
    assert matching(expression) == expected


@pytest.mark.parametrize("arg", ["worker", "6d29d4dd-000001", "6d29d4dd0", "-1", "g"])
def test_a_worker_filter_wants_hex_digits(arg: str) -> None:
    with pytest.raises(FilterError, match="~w wants a worker's tag") as info:
        parse(f"~w {arg}")
    assert "\n" not in str(info.value) and repr(arg) in str(info.value)


def test_both_come_from_the_one_table() -> None:
    help_text = dict(help_rows())
    assert "~w 6d29" in help_text and "worker" in help_text["~w 6d29"]
    assert "~exc" in help_text
    assert {"~w", "~exc"} <= set(HINT.split())
    assert ("exceptions the app logged", "~exc") in PRESETS
    with pytest.raises(FilterError, match="~w needs a value, e.g. ~w 6d29"):
        parse("~w")
