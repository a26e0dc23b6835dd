"""How long a request in progress has run, counted to now (its held time too), as the replay's title says it."""

from __future__ import annotations

from tui import format as fmt


def test_a_request_held_for_seconds_says_how_long_so_far() -> None:
    assert fmt.so_far(1000.0, now=1024.5) == "24.5 s so far"
    assert fmt.so_far(1000.0, now=1000.25) == "250.0ms so far"
    assert fmt.so_far(1000.0, now=1125.0) == "2 min 05 s so far"


def test_a_clock_behind_the_start_or_no_start_says_nothing_ran() -> None:
    assert fmt.so_far(1000.0, now=990.0) == "0µs so far"
    assert fmt.so_far(0.0, now=1000.0) == "0µs so far"


def test_hours_and_days_read_as_such() -> None:
    assert fmt.so_far(1000.0, now=1000.0 + 3 * 3600 + 5 * 60) == "3 h 05 min so far"
    assert fmt.so_far(1000.0, now=1000.0 + 2 * 86400 + 7 * 3600) == "2 d 7 h so far"
