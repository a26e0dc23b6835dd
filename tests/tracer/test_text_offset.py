"""`tracer.text`: offsets of one trace in one unit, with one number of decimals; the gist of a long message."""

from __future__ import annotations

import pytest

from tracer.text import gist, offset

SECOND = 1_000_000_000


@pytest.mark.parametrize("span", [0, 3_000_000, 9 * SECOND, 11_820_000_000, 123 * SECOND, 4_000 * SECOND, 10**8 * SECOND])
def test_offsets_of_one_trace_share_unit_and_decimals(span: int) -> None:
    offsets = [offset(ns, span) for ns in (0, 850_000, span // 2, span)]
    units = {text.removeprefix("+").lstrip("0123456789.") for text in offsets}
    decimals = {len(text.split(".")[1].rstrip("ms")) if "." in text else 0 for text in offsets}
    assert len(units) == 1 and len(decimals) == 1, offsets
    widths = [len(text) for text in offsets]
    assert max(widths) <= 11, offsets


def test_the_unit_follows_the_trace_duration() -> None:
    # The trial's trace: 8.9 s, then 11.8 s in one trace read "+8925.202ms" and "+11.820s".
    assert offset(8_925_202_000, 11_820_000_000) == "+8.925202s"
    assert offset(11_820_000_000, 11_820_000_000) == "+11.820000s"
    assert offset(850_000, 4 * SECOND) == "+0.850ms"
    assert offset(8_925_202_000, 9_999_999_999) == "+8925.202ms"


def test_right_aligned_offsets_line_up_at_the_decimal_point() -> None:
    span = 42 * SECOND
    column = [f"{offset(ns, span):>11}" for ns in (0, 1_500_000, 9 * SECOND, span)]
    assert len({text.index(".") for text in column}) == 1, column


def test_without_the_span_the_offset_alone_decides() -> None:
    assert offset(1_234_567) == "+1.235ms"
    assert offset(11_820_000_000).endswith("s") and not offset(11_820_000_000).endswith("ms")


def test_gist_is_one_line_saying_what_happened() -> None:
    traceback = 'startup failed: Traceback (most recent call last):\n  File "app.py", line 8, in lifespan\n    raise RuntimeError("x")\nRuntimeError: no database\n'
    assert gist(traceback) == "startup failed: RuntimeError: no database"
    assert gist("startup failed: no database") == "startup failed: no database"
    assert gist("first\n\nsecond\nthird\n") == "first … third"
    assert gist("") == ""
