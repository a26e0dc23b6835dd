"""`FilterLine`: the request list's filter input, which applies keys in the order typed."""

from __future__ import annotations

import asyncio
from typing import Any

from textual import events
from textual.widgets import Input

SETTLE_TIMEOUT = 1.0
"""Longest wait, in seconds, for keys already sent to the line to be applied."""
HINT = "filter (/): ~m ~u ~c ~d ~size ~t ~tq ~wsgi ~asgi ~http ~ws ~lifespan ~w ~err ~log ~exc ~live ~h ~hq ~hs ~b ~bq ~bs ~v  ! & | ( )"
"""The line's placeholder: `tracer.filters.HINT`, written out, so that the list paints before the filter
language is imported (tests/tui/test_filters.py keeps the two the same)."""


class FilterLine(Input):
    """An `Input` whose editing keys keep their place among the characters typed.

    Textual's `Input` inserts a character when its key reaches the widget, but
    its editing keys (backspace, ctrl+u, the arrows...) are bindings, run only
    after the key has bubbled up to the app. Typed in one burst, ``a``
    backspace ``b`` became ``b`` then the backspace: an empty line. Here the
    line's own bindings run as soon as their key arrives, in order with the
    characters around them (the approach of Textual's issue #6605).
    """

    def __init__(self, *args: Any, compact: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if compact:
            # Input's own `compact=True` adds its class with a style update: the whole stylesheet applied to a
            # line not yet mounted (and again once it is), before the list's first paint. With the class there
            # first, setting `compact` finds nothing to update.
            self.add_class("-textual-compact", update=False)
            self.compact = True

    async def _on_key(self, event: events.Key) -> None:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()  # Input's own handler must not see it again.
                return

    async def settled(self) -> None:
        """Wait until every key already sent to the line has been applied.

        A key the app has handed on waits in the line's queue; a callback
        queued behind it runs once it has been applied.
        """
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

        def settle() -> None:
            if not done.done():
                done.set_result(None)

        if not self.call_later(settle):
            return
        try:
            await asyncio.wait_for(done, SETTLE_TIMEOUT)
        except asyncio.TimeoutError:
            pass


__all__ = ["HINT", "FilterLine"]
