"""Full garbage collections while the UI runs: at idle moments, and everything put back when it stops."""

from __future__ import annotations

import gc

import pytest

from tui.collections_policy import DUE_AFTER, FULL_COLLECTIONS_AFTER, IDLE_AFTER, GarbagePolicy


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def restored():
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()


def test_a_due_collection_waits_for_the_user_to_pause(restored: None) -> None:
    clock, counts = Clock(), [(0, 0, DUE_AFTER)]
    policy = GarbagePolicy(clock, lambda: counts[0])
    policy.start()
    policy.input_seen()
    clock.now += IDLE_AFTER / 2
    assert not policy.when_idle()  # a key came just now
    clock.now += IDLE_AFTER
    assert policy.when_idle() and policy.collections == 1
    counts[0] = (0, 0, DUE_AFTER - 1)
    clock.now += 10
    assert not policy.when_idle()  # idle, but too few younger collections to be worth a pause
    assert policy.collections == 1


def test_nothing_is_collected_before_start_or_after_stop(restored: None) -> None:
    clock = Clock()
    policy = GarbagePolicy(clock, lambda: (0, 0, DUE_AFTER * 10))
    clock.now += 60
    assert not policy.when_idle()
    policy.start()
    policy.stop()
    assert not policy.when_idle()


def test_start_raises_the_automatic_threshold_and_stop_puts_it_and_the_freeze_back(restored: None) -> None:
    gc.set_threshold(700, 10, 10)
    policy = GarbagePolicy()
    policy.start()
    assert gc.get_threshold() == (700, 10, FULL_COLLECTIONS_AFTER)
    policy.freeze()
    assert gc.get_freeze_count() > 0
    frozen = gc.get_freeze_count()
    made_since = [[] for _ in range(1000)]
    policy.freeze()  # once only: a second scan does not freeze what the replay made since
    assert gc.get_freeze_count() < frozen + len(made_since)
    policy.stop()
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_hold_stops_collections_until_release_which_freezes_what_start_up_made(restored: None) -> None:
    assert gc.isenabled()
    policy = GarbagePolicy()
    policy.hold()
    assert not gc.isenabled()
    made = [[] for _ in range(1000)]
    policy.release()
    assert gc.isenabled()
    assert gc.get_freeze_count() >= len(made)
    policy.release()  # once only
    policy.stop()
    assert gc.get_freeze_count() == 0


def test_stop_collects_again_when_the_first_paint_never_came(restored: None) -> None:
    policy = GarbagePolicy()
    policy.hold()
    policy.stop()
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
