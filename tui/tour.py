"""The guided tour of WSGI and ASGI: its stops, and the requests each stop is about.

    tour = Tour()
    stop = tour.current            # a title, an explanation, where the UI goes
    found = stop.find(summaries)   # that stop's requests in the file, by method, path and protocol
    tour.next(); tour.back()

This module holds the tour as data and knows nothing of Textual:
`tui.tour_guide` puts the UI where each stop is about. The stops find their
requests by what they are (``POST /notes`` on WSGI), never by trace id, so
the tour works on any file recorded by the demo (``make demo``), and on the
sample file shipped with the package (``tracer learn``).

A file the debugger's demo records into (``python -m sample_apps.demo
--hold``: requests held live by a breakpoint) gets the debugger's tour
instead, `HOLD_STOPS` (`tour_for`): its ``held`` stops open the live
replay of a request held right now.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from tracer.samples import tour_trace
from tracer.summary import TraceSummary

View = Literal["compare", "replay", "burst", "list", "held"]
"""Where a stop puts the UI: two requests side by side, one replayed, a burst in the waterfall, the plain list,
the live replay of a request held now."""


@dataclass(frozen=True, slots=True)
class Match:
    """Which requests of the file a stop is about.

    Attributes:
        protocol: ``"wsgi"`` or ``"asgi"``.
        method: The request method.
        path: The request path, exactly.
        query: Text the query string must contain (``"seconds=1"``), if any.
        count: How many: the last `count` matching requests (a burst is the last four).
    """

    protocol: str
    method: str
    path: str
    query: str = ""
    count: int = 1

    def matches(self, summary: TraceSummary) -> bool:
        """Whether `summary` is one of the requests this match is about."""
        return (
            summary.protocol == self.protocol
            and summary.scope_type == "http"
            and (summary.method or "").upper() == self.method
            and summary.path == self.path
            and self.query in summary.query
        )

    def find(self, summaries: Iterable[TraceSummary]) -> list[TraceSummary]:
        """The last `count` matching requests, in start order; fewer if the file has fewer."""
        found = sorted((s for s in summaries if self.matches(s)), key=lambda s: (s.start, s.number))
        return found[-self.count :]

    @property
    def expression(self) -> str:
        """A filter expression (`tracer.filters`) that shows these requests in the list."""
        url = f"{self.path}?{self.query}" if self.query else self.path
        return f"~{self.protocol} ~m {self.method} ~u {url}"

    @property
    def label(self) -> str:
        """How the stop names them: ``WSGI GET /slow?seconds=1 x4``."""
        url = f"{self.path}?{self.query}" if self.query else self.path
        return f"{self.protocol.upper()} {self.method} {url}" + (f" x{self.count}" if self.count > 1 else "")


@dataclass(frozen=True, slots=True)
class Stop:
    """One stop of the tour.

    Attributes:
        title: A few words.
        text: What to look at and what it shows, in plain words.
        view: Where the UI goes for it.
        requests: The requests it is about (two for ``compare``, one for ``replay`` and ``held``, one burst for ``burst``).
    """

    title: str
    text: str
    view: View
    requests: tuple[Match, ...] = ()

    def find(self, summaries: Sequence[TraceSummary]) -> list[list[TraceSummary]]:
        """Each match's requests in `summaries`."""
        return [match.find(summaries) for match in self.requests]

    def missing(self, summaries: Sequence[TraceSummary]) -> list[str]:
        """The matches the file lacks requests for (by label); empty when the stop can be shown."""
        return [match.label for match, found in zip(self.requests, self.find(summaries)) if len(found) < match.count]


NOTES_WSGI = Match("wsgi", "POST", "/notes")
NOTES_ASGI = Match("asgi", "POST", "/notes")

STOPS: tuple[Stop, ...] = (
    Stop(
        "The same request, WSGI and ASGI",
        "The notes app is written twice, once for each protocol, and got the same POST /notes. "
        "Left, WSGI: the server calls the app once with an environ dict; the app reads wsgi.input, "
        "calls start_response and returns the body. Right, ASGI: the app gets a scope, then awaits "
        "receive() for the body and calls send() for the start of the response and for the body. "
        "→ steps both sides together, phase by phase: the phases line up. Note that start_response "
        "sends nothing: WSGI headers go out with the first body chunk.",
        "compare",
        (NOTES_WSGI, NOTES_ASGI),
    ),
    Stop(
        "WSGI: one call, one request",
        "The WSGI request replayed, with the protocol's state on the right. "
        "→ steps: environ (called), start_response (status and headers set, still nothing sent), "
        "the first chunk (headers sent with it), the end of iteration, and close(): the server must "
        "call close() on what the app returned, even if it stops early.",
        "replay",
        (NOTES_WSGI,),
    ),
    Stop(
        "ASGI: messages both ways",
        "The same request on ASGI. The scope says what the connection is; then the app awaits "
        "http.request messages (the body may come in several, more_body says if more follow) and sends "
        "http.response.start and http.response.body. The state panel follows: awaiting the body, "
        "body read, response started, complete.",
        "replay",
        (NOTES_ASGI,),
    ),
    Stop(
        "WSGI: a thread per request",
        "Four GET /slow at once to the WSGI notes app, each taking a second. The server runs each call "
        "in its own thread, so the bars in the waterfall overlap: WSGI handles one request per call and "
        "gets concurrency from threads (or processes).",
        "burst",
        (Match("wsgi", "GET", "/slow", "seconds=1", 4),),
    ),
    Stop(
        "ASGI: one event loop interleaves them",
        "The same four requests to the ASGI notes app. One thread, one event loop: while a request "
        "awaits asyncio.sleep the loop runs the others, so they overlap too, without a thread each.",
        "burst",
        (Match("asgi", "GET", "/slow", "seconds=1", 4),),
    ),
    Stop(
        "ASGI: time.sleep blocks the loop",
        "Four GET /blocking to the ASGI showcase, whose handler calls time.sleep inside async code. "
        "Nothing else runs while it sleeps, so the requests queue: the bars run one after another. "
        "In async code, await the slow thing (asyncio.sleep, an async client) or run it in a thread.",
        "burst",
        (Match("asgi", "GET", "/blocking", "", 4),),
    ),
    Stop(
        "What to try next",
        "The whole file is listed again. Enter replays a request (space plays it); m marks one and M "
        "on another compares them; / filters (~wsgi, ~ws, ~err, ~d >500ms); z zooms the waterfall. "
        "Try POST /upload (every read of wsgi.input), WS /ws (a websocket, messages both ways) and "
        "the lifespan traces. ? lists every key.",
        "list",
    ),
)
"""The stops, in order."""

HELD_ASGI = Match("asgi", "GET", "/slow", "hold=1")
HELD_WSGI = Match("wsgi", "GET", "/slow", "hold=1")

HOLD_STOPS: tuple[Stop, ...] = (
    Stop(
        "One request held, the others served",
        "A breakpoint (B lists it) holds each GET /slow?hold=1 as its response starts, on the notes app "
        "twice: WSGI under Werkzeug's threaded server, ASGI under uvicorn. Their rows are marked ⏸ and their "
        "clients wait. Meanwhile GET / keeps coming to both apps and is answered at once. ASGI: the held "
        "request's task awaits send() and the one event loop runs the others. WSGI: the held request's thread "
        "waits inside start_response and the server's other threads serve the rest (a server with one thread "
        "would stop serving altogether).",
        "list",
    ),
    Stop(
        "ASGI: the held request, live",
        "Its replay: the scope, then the held send(http.response.start), highlighted, "
        "its status and headers beside it. n lets it go on and holds it at its next event, the body; e changes "
        "the status or a header first (the trace keeps both); c lets it finish. Only this task waits.",
        "held",
        (HELD_ASGI,),
    ),
    Stop(
        "WSGI: the held thread",
        "The WSGI request, held in start_response: its thread is parked inside the call, with the status and "
        "headers the app gave. n lets start_response return and holds the request at the first body chunk, "
        "which is when WSGI sends the headers; c lets it finish. The other threads never noticed.",
        "held",
        (HELD_WSGI,),
    ),
    Stop(
        "What to try next",
        "In a held request's replay C lets every held request go (here on the list, ^p: Continue every held "
        "request); the demo holds another one a few seconds later. b adds a breakpoint of "
        "your own: ~u /stream @ http.response.body,wsgi.body holds each chunk of GET /stream (curl -N it in "
        "another terminal, at the address the demo printed before the UI opened; press n and watch each chunk "
        "arrive). A held request goes on by itself after --hold-timeout seconds (60 by default, 5 minutes in "
        "this demo), and quitting lets every held request go. ? lists every key.",
        "list",
    ),
)
"""The debugger's tour, for a file with requests held live (``python -m sample_apps.demo --hold``)."""


class Tour:
    """Where the reader is in the tour.

    Args:
        stops: The stops, in order.
    """

    def __init__(self, stops: Sequence[Stop] = STOPS) -> None:
        self.stops = tuple(stops)
        self.index = 0
        """The current stop's place."""

    @property
    def current(self) -> Stop:
        """The stop the reader is at."""
        return self.stops[self.index]

    @property
    def at_end(self) -> bool:
        """The reader is at the last stop."""
        return self.index == len(self.stops) - 1

    @property
    def position(self) -> str:
        """``3 of 7``."""
        return f"{self.index + 1} of {len(self.stops)}"

    def next(self) -> bool:
        """Go on to the next stop; False at the last one."""
        if self.at_end:
            return False
        self.index += 1
        return True

    def back(self) -> bool:
        """Go back to the previous stop; False at the first one."""
        if self.index == 0:
            return False
        self.index -= 1
        return True


def tour_for(summaries: Sequence[TraceSummary]) -> Tour:
    """The debugger's tour for a file with the held demo's requests in it, the WSGI and ASGI tour otherwise."""
    held = HELD_ASGI.find(summaries) or HELD_WSGI.find(summaries)
    return Tour(HOLD_STOPS if held else STOPS)


def sample_trace() -> bytes:
    """The shipped sample trace file's bytes (`tracer.samples`)."""
    return tour_trace()


__all__ = ["HOLD_STOPS", "STOPS", "Match", "Stop", "Tour", "sample_trace", "tour_for"]
