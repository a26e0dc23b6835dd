"""`GarbagePolicy`: Python's full garbage collections, while the UI runs, at idle moments rather than under a key.

A full collection stops the UI thread while it walks every object not
frozen, and Textual keeps many: each drawn line a widget caches carries the
strips derived from it (crops, styles, filters), each with caches of its
own. With a 50,000-event replay open that is 100,000 objects or more, and a
collection took 50-110 ms (`bench/replay_scale.py`): a keypress that met one
answered late. So while the UI runs:

- what exists once the file is first read (Textual, the list, a large file's
  summaries) is frozen out of full collections (`gc.freeze`) for as long as
  the app lives;
- the UI asks for a full collection itself once no key or mouse event has come
  for `IDLE_AFTER` seconds and younger collections have piled up, so that the
  collections fall between a user's keys;
- the automatic full collection stays as a safety net, for a user who never
  pauses, but waits `FULL_COLLECTIONS_AFTER` younger ones (Python: 10).

And while the app starts, until its first rows are painted, no collection
runs at all (`hold`): what it makes then (Textual's widgets, styles and
caches, the first rows) lives as long as the app, and the younger collections
(about fifteen before the first paint) only walked it again and again. It is
frozen out of collections when they come back (`release`).

Everything is put back as it was when the app stops.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

FULL_COLLECTIONS_AFTER = 1000
"""While the UI runs, an automatic full collection waits for this many younger ones (Python's default: 10)."""

IDLE_AFTER = 0.5
"""Seconds with no key or mouse event after which the UI may take a full collection."""

IDLE_CHECK = 0.25
"""Seconds between looks at whether the UI is idle and a collection is due."""

DUE_AFTER = 10
"""Younger (generation 1) collections since the last full one that make an idle full collection due."""


class GarbagePolicy:
    """Freezes what the app starts with and times full collections to idle moments (see the module).

    Args:
        clock: Seconds, monotonic (a test's own clock).
        count: `gc.get_count` (a test's own counts).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 count: Callable[[], tuple[int, int, int]] = gc.get_count) -> None:
        self._clock = clock
        self._count = count
        self._thresholds: tuple[int, int, int] | None = None
        self._frozen = False
        self._held = False
        self._start_frozen = False
        self._last_input = clock()
        self.collections = 0
        """Full collections this policy asked for."""

    def hold(self) -> None:
        """No collections at all until `release` (or `stop`): while the app starts."""
        if not self._held and gc.isenabled():
            self._held = True
            gc.disable()

    def release(self) -> None:
        """Collections again after `hold`, with what exists now frozen out of them (until `stop`)."""
        if self._held:
            self._held = False
            self._start_frozen = True
            gc.freeze()
            gc.enable()

    def start(self) -> None:
        """Make automatic full collections rare (until `stop`)."""
        if self._thresholds is None:
            self._thresholds = gc.get_threshold()
            young, middle, old = self._thresholds
            gc.set_threshold(young, middle, max(old, FULL_COLLECTIONS_AFTER))

    def freeze(self) -> None:
        """Keep every object that exists now out of full collections, until `stop` (once: later calls do nothing)."""
        if not self._frozen:
            self._frozen = True
            gc.freeze()

    def input_seen(self) -> None:
        """A key or mouse event came: the user is at work, no collection now."""
        self._last_input = self._clock()

    def when_idle(self) -> bool:
        """Take a full collection if one is due and the user has been idle; return whether it was taken."""
        if self._thresholds is None or self._count()[2] < DUE_AFTER:
            return False
        if self._clock() - self._last_input < IDLE_AFTER:
            return False
        gc.collect()
        self.collections += 1
        return True

    def stop(self) -> None:
        """Put Python's thresholds back, collect again and unfreeze: what the app leaves behind is garbage like any other."""
        if self._held:
            self._held = False
            gc.enable()
        if self._thresholds is not None:
            gc.set_threshold(*self._thresholds)
            self._thresholds = None
        if self._frozen or self._start_frozen:
            self._frozen = self._start_frozen = False
            gc.unfreeze()
