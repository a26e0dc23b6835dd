"""`TourGuide`: puts the UI where each stop of the guided tour (`tui.tour`) is about.

    guide = TourGuide(app)
    await guide.start()     # the first stop: the notes request side by side
    await guide.next()      # `.` in the app; `,` is `back`, Esc is `leave`

The tour is the one the file calls for (`tui.tour.tour_for`): a file with
requests held live gets the debugger's tour, whose ``held`` stops open the
live replay of the request of their kind held now.

Each stop starts from the request list: the screens the previous stop (or
the reader) opened are closed, the list's filter and zoom are set for a
burst and cleared otherwise, then the stop's screen is opened and a
`TourPanel` put under it (and under the list, for a reader who goes back
to it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Footer

from tracer.debug.client import Held

from .screens.compare import CompareScreen
from .screens.held import HeldScreen
from .screens.replay import ReplayScreen
from .screens.requests import RequestsScreen
from .tour import Match, Tour, tour_for
from .widgets.tour_panel import TourPanel

if TYPE_CHECKING:
    from textual.screen import Screen

    from .app import TracerApp


class TourGuide:
    """Drives `app` through `tour`, one stop at a time.

    Args:
        app: The app.
        tour: The tour; the standard one by default.
    """

    def __init__(self, app: TracerApp, tour: Tour | None = None) -> None:
        self.app = app
        self._chosen = tour is not None
        self.tour = tour or Tour()
        self.active = False
        """The tour is on: its keys work and its panel shows."""
        self.started = False
        """The tour has been started (it starts once, when the file has been read)."""

    async def start(self) -> None:
        """Show the first stop."""
        self.started = True
        self.active = True
        if not self._chosen:
            self.tour = tour_for(list(self.app.requests.store))
        self.tour.index = 0
        await self.show()

    async def next(self) -> None:
        """The next stop; after the last one the tour ends."""
        if self.tour.next():
            await self.show()
        else:
            self.leave()

    async def back(self) -> None:
        """The previous stop (the first one stays)."""
        self.tour.back()
        await self.show()

    def leave(self) -> None:
        """End the tour where the reader is: the panels go, the screen stays."""
        self.active = False
        for screen in self.app.screen_stack:
            for panel in screen.query(TourPanel):
                panel.remove()
        self.app.refresh_bindings()
        self.app.notify("the tour is over: ? lists every key", title="tour", markup=False)

    async def show(self) -> None:
        """Put the UI where the current stop is about."""
        app, stop = self.app, self.tour.current
        while len(app.screen_stack) > 1:
            await app.pop_screen()
        base = app.screen_stack[0]
        assert isinstance(base, RequestsScreen)
        summaries = list(app.requests.store)
        found = stop.find(summaries)
        missing = stop.missing(summaries)
        note = f"This file has no {', '.join(missing)}: nothing to show here." if missing else ""
        held = self._held(stop.requests[0]) if stop.view == "held" else None
        if stop.view == "held" and held is None:
            note = f"No {stop.requests[0].label} is held right now: , and . again in a few seconds."
        table = base.table
        if stop.view == "burst" and not missing:
            app.requests.set_filter(stop.requests[0].expression)
            rows = found[0]
            table.zoom_to(rows)
            first = next((i for i, row in enumerate(table.rows) if row is rows[0]), 0)
            table.cursor = first
        else:
            if app.requests.expression:
                app.requests.set_filter("")
            table.action_unzoom()
        if not missing and stop.view == "compare":
            await app.push_screen(CompareScreen(found[0][0], found[1][0], lambda s: app.requests.load(s).trace))
        elif held is not None:
            await app.push_screen(HeldScreen(app.debugger, app.requests, held.trace, held.title))
        elif not missing and stop.view == "replay":
            await app.push_screen(ReplayScreen(found[0][0]))
            screen = app.screen
            if isinstance(screen, ReplayScreen) and not screen.states_panel.display:
                screen.action_toggle_states()
        self._panel(base, note)
        if app.screen is not base:
            self._panel(app.screen, note)
        app.refresh_bindings()

    def shown_on(self, screen: Screen[object]) -> bool:
        """Whether `screen` shows the tour's panel (a screen the tour opened, or the list under it)."""
        return bool(screen.query(TourPanel))

    def _held(self, match: Match) -> Held | None:
        """The request of `match`'s kind that the debugger holds now, if any."""
        for held in self.app.debugger.held.values():
            if (held.protocol, (held.method or "").upper(), held.path) == (match.protocol, match.method, match.path):
                return held
        return None

    def _panel(self, screen: Screen[object], note: str) -> None:
        """Show the current stop under `screen`'s content, above its footer."""
        panels = list(screen.query(TourPanel))
        if panels:
            panels[0].tour = self.tour
            panels[0].show(note)
            return
        footers = list(screen.query(Footer))
        panel = TourPanel(self.tour, note, id="tour")
        if footers:
            screen.mount(panel, before=footers[0])
        else:
            screen.mount(panel)


__all__ = ["TourGuide"]
