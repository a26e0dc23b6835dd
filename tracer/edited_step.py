"""An event held at a breakpoint, as a person reads it: how long it waited, and what an edit changed.

The trace keeps what was exchanged in an event's usual fields and, when it
was edited, what the app or the server gave in ``original``
(docs/trace-format.md, `tracer.debug.exchanged`). The replay's step pane,
its arrow label and `tracer show` read both through here, so an edited step
says the same everywhere: that it was edited, and the fields that changed.

    note = held_note(event)
    if note is not None and note.edited:
        note.sentence                       # "Edited at a breakpoint: the app sent one thing, another went on."
        for change in note.changes:          # status: 200 → 418
            change.field, change.given, change.exchanged
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .debug.exchanged import original_data
from .model import Event, ReprValue, TruncatedBytes
from .text import duration, line, size

EDITED_MARK = "✎"
"""The mark of a step that went on edited (labels, the step pane, `tracer show`)."""
ABSENT = "—"
"""What a field that one side did not have reads as."""
VALUE_WIDTH = 60
"""Characters of one value a change shows."""

_FROM_SERVER = frozenset({"asgi.receive", "wsgi.input"})
"""Kinds whose value the server gives and the app gets; the others the app gives."""


@dataclass(frozen=True, slots=True)
class Change:
    """One field an edit changed: as given, and as it went on (``ABSENT`` for a field one side lacks)."""

    field: str
    given: str
    exchanged: str

    @property
    def text(self) -> str:
        """``status: 200 → 418``."""
        return f"{self.field}: {self.given} → {self.exchanged}"


@dataclass(frozen=True, slots=True)
class HeldNote:
    """What the debugger did to one event.

    Attributes:
        held_ns: How long it was held (0 when not held, or not said).
        released: What let it go (``next``, ``continue``…; ``""`` when not said).
        edited: It went on edited (or made up).
        made_up: The debugger made the message up (nobody gave it).
        giver: Who gave the value: ``app`` or ``server``.
        taker: Who got what went on: ``client`` (a response), ``server`` or ``app``.
        changes: The fields the edit changed, as given and as they went on.
    """

    held_ns: int = 0
    released: str = ""
    edited: bool = False
    made_up: bool = False
    giver: str = "app"
    taker: str = "client"
    changes: list[Change] = field(default_factory=list)

    @property
    def how(self) -> str:
        """``held 31.50s, let go by next`` (``""`` when the trace does not say)."""
        how = f"held {duration(self.held_ns)}" if self.held_ns else ""
        if self.released:
            how += (", " if how else "") + f"let go by {line(self.released)}"
        return how

    @property
    def sentence(self) -> str:
        """One sentence: held how long, and for an edit who sent what and what went on."""
        paren = f" ({self.how})" if self.how else ""
        if self.made_up:
            return f"Made up at a breakpoint{paren}: the debugger gave this message, nobody sent it."
        if self.edited:
            return (f"Edited at a breakpoint{paren}: the {self.giver} sent what is on the left, "
                    f"the {self.taker} got what is on the right.")
        return f"Held at a breakpoint{paren}; it went on as the {self.giver} sent it."

    @property
    def summary(self) -> str:
        """The changes on one line: ``status 200 → 418; header x-a — → 1``."""
        return "; ".join(f"{change.field} {change.given} → {change.exchanged}" for change in self.changes)


def is_edited(event: Event) -> bool:
    """Whether `event` went on edited, or made up, at a breakpoint."""
    return isinstance(event.data, dict) and "original" in event.data


def held_note(event: Event) -> HeldNote | None:
    """What the debugger did to `event`; None when it was neither held nor edited."""
    data = event.data
    if not isinstance(data, dict) or not ("original" in data or "held_ns" in data):
        return None
    held = data.get("held_ns")
    held_ns = held if isinstance(held, int) and not isinstance(held, bool) and held > 0 else 0
    released = data.get("released") if isinstance(data.get("released"), str) else ""
    giver, taker = _sides(event)
    if "original" not in data:
        return HeldNote(held_ns, released, giver=giver, taker=taker)
    given = original_data(event)
    if given is None:
        return HeldNote(held_ns, released, True, True, giver, taker)
    return HeldNote(held_ns, released, True, False, giver, taker, changes(given, data))


def changes(given: dict[str, Any], exchanged: dict[str, Any]) -> list[Change]:
    """The fields that differ between an event's data as given and as exchanged (an ASGI message's fields by name)."""
    found: list[Change] = []
    for key in _keys(given, exchanged):
        if key in ("held_ns", "released", "original"):
            continue
        before, after = given.get(key, _MISSING), exchanged.get(key, _MISSING)
        if key == "message" and isinstance(before, dict) and isinstance(after, dict):
            found += changes(before, after)
        elif key == "headers" and _is_headers(before) and _is_headers(after):
            found += _header_changes(before, after)
        elif not _same(before, after):
            found.append(Change(line(str(key)), _value(before), _value(after)))
    return found


_MISSING = object()


def _keys(*dicts: dict[str, Any]) -> list[Any]:
    return list(dict.fromkeys(key for d in dicts for key in d))


def _sides(event: Event) -> tuple[str, str]:
    if event.kind in _FROM_SERVER:
        return "server", "app"
    message = event.data.get("message") if isinstance(event.data, dict) else None
    kind = message.get("type") if isinstance(message, dict) else ""
    if isinstance(kind, str) and kind.startswith("lifespan."):
        return "app", "server"
    return "app", "client"


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b or (
        isinstance(a, (bytes, bytearray)) and isinstance(b, (bytes, bytearray)) and bytes(a) == bytes(b))


def _is_headers(value: Any) -> bool:
    return isinstance(value, (list, tuple)) and all(isinstance(item, (list, tuple)) and len(item) == 2 for item in value)


def _text(value: Any) -> str:
    return bytes(value).decode("latin-1") if isinstance(value, (bytes, bytearray)) else str(value)


def _header_changes(before: Any, after: Any) -> list[Change]:
    """Headers compared by name (any case): each name whose values differ, as one change."""
    def by_name(headers: Any) -> dict[str, list[str]]:
        named: dict[str, list[str]] = {}
        for name, value in headers:
            named.setdefault(_text(name).lower(), []).append(_text(value))
        return named

    old, new = by_name(before), by_name(after)
    found = []
    for name in _keys(old, new):
        if old.get(name) != new.get(name):
            shown = [", ".join(values) if values is not None else ABSENT for values in (old.get(name), new.get(name))]
            found.append(Change(line(f"header {name}"), *(_clip(line(text)) for text in shown)))
    if not found and list(map(tuple, before)) != list(map(tuple, after)):
        found.append(Change("headers", "in another order", "reordered"))
    return found


def _value(value: Any) -> str:
    if value is _MISSING:
        return ABSENT
    if isinstance(value, ReprValue):
        return _clip(line(value.repr))
    if isinstance(value, (bytes, bytearray)):
        length = value.original_length if isinstance(value, TruncatedBytes) else len(value)
        return f"{_clip(line(repr(bytes(value))), VALUE_WIDTH - 12)} ({size(length)})"
    if isinstance(value, str):
        return _clip(line(repr(value)))
    return _clip(line(repr(value)))


def _clip(text: str, width: int = VALUE_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
