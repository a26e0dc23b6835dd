"""`BodyBudget` keeps bytes up to its limit exactly, cuts the chunk that crosses it, and keeps all without one."""

from __future__ import annotations

from tracer._session import BodyBudget


def test_a_chunk_that_fills_the_budget_exactly_is_kept_whole() -> None:
    budget = BodyBudget(4)
    assert budget.encode(b"ab") == {"$bytes": "ab"}
    assert budget.encode(b"cd") == {"$bytes": "cd"}
    assert budget.encode(b"") == {"$bytes": ""}
    assert budget.encode(b"e") == {"$bytes": "", "$truncated": 1}


def test_the_chunk_crossing_the_limit_is_cut_and_marked() -> None:
    budget = BodyBudget(3)
    assert budget.encode(b"abcdef") == {"$bytes": "abc", "$truncated": 6}
    assert budget.encode(b"gh") == {"$bytes": "", "$truncated": 2}


def test_no_limit_keeps_everything_and_non_utf8_is_base64() -> None:
    budget = BodyBudget(None)
    assert budget.encode(b"x" * 100_000) == {"$bytes": "x" * 100_000}
    assert budget.encode(b"\xff\x00") == {"$base64": "/wA="}
    assert BodyBudget(0).encode(b"\xff") == {"$bytes": "", "$truncated": 1}
