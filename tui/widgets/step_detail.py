"""`StepDetail`: the payload of the current step, readable.

Environ and scope as key/value tables (CGI and WSGI keys, or ASGI keys,
first), headers as a table, bodies as text, pretty JSON or a hex dump with
their sizes and any cut marker, exceptions with their traceback. On demand,
the spec behind the step and behind each of its findings (`tracer.spec`),
with the sections it comes from as links.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from tracer.checks import Finding
from tracer.edited_step import EDITED_MARK, HeldNote, held_note
from tracer.model import APP_LOG, END_KINDS, ERROR_KINDS, Event, ReprValue, TruncatedBytes
from tracer.payload import exception_line, plain
from tracer.readable_body import Readable, body_piece, body_upto, readable
from tracer.spec import KINDS, RULES, SpecNote, note_for_message

from .. import format as fmt
from ..explain import explain
from ..labels import message_label
from .body_view import HexRows, MoreHex, MoreText, TextRows, body_view, readable_view
from .body_actions import ShownBody, open_in_pager, save_body, shown_body
from .in_place import update_in_place
from .traceback_view import traceback_view

MAX_JOIN_STEPS = 2000
"""A body is joined from its first piece (to decode it, or read its form) only within this many steps of the start."""

CGI_KEYS = (
    "REQUEST_METHOD", "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "CONTENT_TYPE", "CONTENT_LENGTH",
    "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT",
    "REQUEST_URI", "RAW_URI", "GATEWAY_INTERFACE", "SERVER_SOFTWARE", "AUTH_TYPE", "REMOTE_USER",
)
WSGI_KEYS = (
    "wsgi.version", "wsgi.url_scheme", "wsgi.input", "wsgi.errors", "wsgi.multithread",
    "wsgi.multiprocess", "wsgi.run_once", "wsgi.file_wrapper", "wsgi.input_terminated",
)
ASGI_KEYS = (
    "type", "asgi", "http_version", "method", "scheme", "path", "raw_path", "query_string",
    "root_path", "client", "server", "subprotocols", "state", "extensions",
)


class StepDetail(VerticalScroll, can_focus=True):
    """Shows one event: what it carries, and any protocol findings on it.

    A body sent gzip-, deflate- or br-encoded is shown decoded, and a form as
    its fields (`tracer.readable_body`); ``m`` shows it as sent. ``v`` opens
    the body in ``$PAGER``, ``w`` saves it to a file.
    """

    BINDINGS = [
        Binding("v", "pager", "Pager", id="detail.pager",
                tooltip="Open the step's body in $PAGER (decoded, unless shown as sent)"),
        Binding("w", "save_body", "Save body", id="detail.save",
                tooltip="Save the step's body to a file, readable by you only (decoded, unless shown as sent)"),
        Binding("m", "toggle_raw", "Decoded/as sent", id="detail.raw",
                tooltip="Show a body decoded (gzip, deflate, br) and a form as its fields, or as sent"),
    ]

    DEFAULT_CSS = """
    StepDetail {
        padding: 0 1;
        & > Static { width: 1fr; }
        /* Alone, the step fills the pane: a step as short as the pane lays nothing out again. */
        &.-alone > #step-body { min-height: 100%; }
    }
    """

    content: RenderableType = ""
    """What is shown, as a Rich renderable."""
    event: Event | None = None
    """The event shown."""
    spec: bool = False
    """Whether the spec behind the step and its findings is shown."""
    raw: bool = False
    """Whether bodies are shown as sent rather than decoded (and forms as their bytes)."""
    readable: Readable | None = None
    """What the shown step's body reads as (decoded, a form), if it reads differently from its bytes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._shown: tuple[Event, list[Finding], dict[str, Any]] | None = None
        self._hex = HexRows(b"", id="step-hex")
        self._text = TextRows(id="step-text")

    def compose(self) -> ComposeResult:
        yield Static(id="step-body")
        # A long body goes on in a widget that draws only the rows in view, then what follows it.
        yield self._hex
        yield self._text
        tail = Static(id="step-tail")
        tail.display = False
        yield tail

    def show(
        self,
        event: Event,
        findings: list[Finding],
        *,
        request_type: str = "",
        response_type: str = "",
        totals: list[tuple[str, str]] | None = None,
        earlier: Callable[[], Iterable[Event]] | None = None,
    ) -> None:
        """Show `event`; the content types decide how bodies are shown; `totals` sum the trace up.

        `earlier` gives the trace's events from its first up to `event`, to join a body from its
        first piece; without it they are read from the screen's `steps`, when it has them (the replay).
        """
        if event is not self.event:
            self.readable = self._readable(event, earlier)
        self.event = event
        self._shown = (event, findings, {"request_type": request_type, "response_type": response_type,
                                         "totals": totals, "earlier": earlier})
        raised = self._raised(event, earlier) if event.kind in END_KINDS else None
        parts = describe(event, findings, request_type, response_type, None if self.raw else self.readable,
                         raised=raised, span_ns=self._span_ns())
        if self.raw and self.readable is not None:
            parts.append(Text.assemble(("  shown as sent · m: ", "dim"), (fmt.line(self.readable.note), "dim cyan")))
        if self.spec:
            # Under the step's sentence and findings, above the payload: it is what was asked for.
            at = next((i for i, part in enumerate(parts) if isinstance(part, Text) and not part.plain), len(parts))
            parts[at:at] = [Text(""), *spec_notes(event, findings)]
        if totals:
            parts += [Text(""), _table(totals, "the whole exchange")]
        self.content = Group(*parts)
        split = next((i for i, part in enumerate(parts) if isinstance(part, (MoreHex, MoreText))), None)
        more = parts[split] if split is not None else None
        head, tail = (parts, []) if split is None else (parts[:split], parts[split + 1 :])
        self.set_class(more is None and not tail, "-alone")
        update_in_place(self.query_one("#step-body", Static), Group(*head))
        if isinstance(more, MoreHex):
            self._hex.show(more.data, more.start)
        elif self._hex.display:
            self._hex.show(b"")
        if isinstance(more, MoreText):
            self._text.show(more.lines, more.json)
        elif self._text.display:
            self._text.show([])
        tail_view = self.query_one("#step-tail", Static)
        if tail or tail_view.display:
            update_in_place(tail_view, Group(*tail))
            tail_view.display = bool(tail)
        self.scroll_home(animate=False)

    def show_spec(self, on: bool) -> None:
        """Show the spec behind the step and its findings, or hide it; the step stays."""
        self.spec = on
        if self._shown is not None:
            event, findings, options = self._shown
            self.show(event, findings, **options)

    def action_toggle_raw(self) -> None:
        """Show bodies as sent, or decoded and as forms."""
        self.raw = not self.raw
        if self._shown is not None:
            event, findings, options = self._shown
            self.show(event, findings, **options)
        if self.readable is None and self.event is not None:
            self.notify("This step's body reads as sent: no Content-Encoding, not a form.", timeout=3)

    def action_pager(self) -> None:
        """Open the shown body in $PAGER, the UI suspended meanwhile."""
        shown = self.shown_body()
        if shown is None:
            self.notify("This step carries no body.", severity="warning", timeout=3)
            return
        problem = open_in_pager(self.app, shown)
        if problem:
            self.notify(problem, severity="error", timeout=6)

    def action_save_body(self) -> None:
        """Ask where to save the shown body, and save it (owner-only)."""
        shown = self.shown_body()
        if shown is None:
            self.notify("This step carries no body.", severity="warning", timeout=3)
            return
        trace_id = getattr(getattr(self.screen, "summary", None), "id", "")
        stem = "body-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in str(trace_id))[:40] if trace_id else "body"
        save_body(self.app, shown, _trace_path(self), stem)

    def shown_body(self) -> ShownBody | None:
        """The body the step shows (decoded unless shown as sent), or None when it carries none."""
        if self.event is None:
            return None
        request_type = response_type = ""
        if self._shown is not None:
            request_type = self._shown[2].get("request_type", "")
            response_type = self._shown[2].get("response_type", "")
        return shown_body(self.event, None if self.raw else self.readable, request_type, response_type)

    def _span_ns(self) -> int | None:
        """The last step's offset in the screen's `steps` (the replay's), for offsets written as the diagram's."""
        steps = getattr(self.screen, "steps", None)
        try:
            return steps.row(steps.count - 1).t_ns if steps is not None and steps.count else None
        except (AttributeError, IndexError, TypeError, ValueError):
            return None

    def _raised(self, event: Event, earlier: Callable[[], Iterable[Event]] | None) -> str | None:
        """What the app raised before the end `event` (``KeyError: 'missing'``), ``""`` when it raised but
        the summary does not say what; None when it did not raise."""
        summary = getattr(self.screen, "summary", None)
        if summary is not None and hasattr(summary, "error_type") and getattr(summary, "id", None) is not None:
            if summary.error_type is None:
                return None
            message = summary.error_message
            return f"{summary.error_type}: {message}" if message else str(summary.error_type)
        if earlier is not None:
            error = next((e for e in earlier() if e.kind in ERROR_KINDS), None)
            if error is not None:
                data = error.data if isinstance(error.data, dict) else {}
                return f"{data.get('type') or 'Exception'}: {data.get('message', '')}".rstrip(": ")
        return None

    def _readable(self, event: Event, earlier: Callable[[], Iterable[Event]] | None) -> Readable | None:
        piece = body_piece(event)
        if piece is None:
            return None
        index = None if earlier is not None else self._step_index(event)
        if earlier is None and index is None:
            return None
        if index is not None and index >= MAX_JOIN_STEPS:
            # Too far in to join: say so when the body would read differently.
            head = self.screen.steps.decoded(0, MAX_JOIN_STEPS)  # type: ignore[attr-defined]
            body = body_upto(chain(head, [event]), direction=piece[0], max_bytes=0)
            if body is None or not body.wanted:
                return None
            what = body.coding + "-encoded" if body.coding else "a form"
            note = f"{what}: read only within the first {MAX_JOIN_STEPS:,} steps; shown as sent"
            return Readable(b"", note, pieces=body.pieces)
        events = earlier() if earlier is not None else self.screen.steps.decoded(0, index + 1)  # type: ignore[attr-defined,operator]
        body = body_upto(events, direction=piece[0])
        return readable(body) if body is not None else None

    def _step_index(self, event: Event) -> int | None:
        """The index of `event` among the screen's steps, if the screen has steps (the replay)."""
        steps = getattr(self.screen, "steps", None)
        count = getattr(steps, "count", 0)
        if steps is None or not callable(getattr(steps, "decoded", None)) or not isinstance(count, int):
            return None
        # A step's seq is its index unless the file lost lines before it: look back from there.
        index = min(event.seq, count - 1)
        while index >= 0 and steps.event(index).seq > event.seq:
            index -= 1
        if index < 0 or steps.event(index).seq != event.seq:
            return None
        return index

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value >= self.max_scroll_y - 2 * self.size.height:
            for rows in (self._hex, self._text):
                if rows.display and rows.more:
                    rows.extend()


def describe(
    event: Event, findings: list[Finding], request_type: str, response_type: str, readable: Readable | None = None,
    *, raised: str | None = None, span_ns: int | None = None,
) -> list[RenderableType]:
    """The renderables that show one event; data not shaped as expected is shown raw.

    `readable` is what the event's body piece reads as (decoded, a form), shown instead of its bytes.
    `raised` (an end event's) is what the app raised before it, when it raised (``""``: not known what).
    """
    try:
        return _describe(event, findings, request_type, response_type, readable, raised, span_ns)
    except (AttributeError, TypeError, ValueError, KeyError):
        return [Text(fmt.line(f"#{event.seq} {event.kind}"), style="bold"), Text(""), Text(fmt.line(repr(event.data)))]


def _describe(
    event: Event, findings: list[Finding], request_type: str, response_type: str, readable: Readable | None,
    raised: str | None = None, span_ns: int | None = None,
) -> list[RenderableType]:
    parts: list[RenderableType] = [
        Text.assemble((fmt.line(f"#{event.seq} {event.kind}"), "bold"), "  ", (fmt.offset(event.t_ns, span_ns), "dim"))
    ]
    meaning = explain(event, raised=raised is not None)
    if meaning:
        parts.append(Text(meaning, style="dim italic"))
    held = held_note(event)
    if held is not None:
        parts += held_view(held)
    for finding in findings:
        style = {"error": "bold red", "warning": "bold yellow"}.get(finding.severity, "bold cyan")
        parts.append(Text.assemble((f"{finding.severity}: ", style), fmt.block(str(finding.message)),
                                   (f"  [{finding.rule}]", "dim")))
    parts.append(Text(""))
    data = event.data
    kind = event.kind
    if kind == "wsgi.environ":
        parts += _environ(data.get("environ") or {})
    elif kind == "asgi.scope":
        parts += _scope(data.get("scope") or {})
    elif kind == "wsgi.start_response":
        parts.append(_pairs([("status", data.get("status")), ("exc_info", data.get("exc_info"))]))
        parts += _headers(data.get("headers"))
    elif kind == "wsgi.input":
        parts.append(_pairs([("method", data.get("method")), ("size", data.get("size"))]))
        parts += _body(data.get("data"), request_type, "read", readable)
    elif kind in ("wsgi.body", "wsgi.write"):
        parts += _body(data.get("data"), response_type, "chunk", readable)
    elif kind == "wsgi.errors":
        parts.append(Text(fmt.block(str(data.get("data", ""))), style="yellow"))
    elif kind in ("wsgi.error", "asgi.error"):
        parts.append(Text.assemble((fmt.line(str(data.get("type", ""))), "bold red"), ": ",
                                   fmt.block(str(data.get("message", "")))))
        if data.get("traceback"):
            parts += [Text(""), *traceback_view(str(data.get("traceback")))]
    elif kind in ("asgi.receive", "asgi.send"):
        content_type = request_type if kind == "asgi.receive" else response_type
        parts += _message(data.get("message") or {}, content_type, readable)
    elif kind == APP_LOG:
        logged = exception_line(data.get("exception"))
        if logged:
            # What was raised first, as for an error event; where it was raised below.
            type_, colon, message = logged.partition(": ")
            parts += [Text.assemble((type_, "bold red"), colon, message), Text("")]
        parts.append(_pairs([(key, value) for key, value in data.items() if key not in ("message", "exception")]))
        parts += [Text(""), Text(fmt.block(str(data.get("message", ""))))]
        if data.get("exception"):
            parts += [Text(""), *traceback_view(str(data.get("exception")))]
    elif kind == "wsgi.end":
        if raised is not None:
            parts.append(_raised_text(raised))
        parts.append(_pairs(list(data.items())))
    elif kind == "asgi.end":
        parts.append(_raised_text(raised) if raised is not None else Text("The app returned.", style="dim"))
    elif data:
        parts.append(_pairs(list(data.items())))
    if "$error" in data:
        parts.append(Text(fmt.block(str(data["$error"])), style="red"))
    return parts


def _raised_text(raised: str) -> Text:
    if not raised:
        return Text("The app raised.", style="bold red")
    return Text.assemble(("The app raised ", "bold red"), fmt.line(raised), (" (see the error step).", "dim"))


def held_view(note: HeldNote) -> list[RenderableType]:
    """A step held at a breakpoint: how long; for an edit, what was sent beside what went on."""
    if not note.edited:
        return [Text(note.sentence, style="dim")]
    parts: list[RenderableType] = [
        Text.assemble((f"{EDITED_MARK} {'made up' if note.made_up else 'edited'} at a breakpoint", "bold yellow"),
                      (f"  ({note.how})" if note.how else "", "dim"))
    ]
    if note.made_up:
        parts.append(Text("  The debugger gave this message: nobody sent it.", style="dim"))
    if note.changes:
        table = Table(box=None, padding=(0, 1), expand=False, header_style="dim")
        table.add_column("field", style="cyan", no_wrap=True, max_width=32)
        table.add_column(f"the {note.giver} sent", overflow="fold")
        table.add_column(f"went on (the {note.taker} got)", overflow="fold", style="bold")
        for change in note.changes:
            table.add_row(change.field, change.given, change.exchanged)
        parts.append(table)
    elif not note.made_up:
        parts.append(Text("  no field differs from what was sent", style="dim"))
    return parts


def spec_notes(event: Event, findings: list[Finding]) -> list[RenderableType]:
    """The spec notes of `event` (its kind's, then its message type's) and of each finding's rule."""
    notes = [(f"spec · {event.kind}", note) for note in [KINDS.get(event.kind)] if note is not None]
    message = event.data.get("message") if isinstance(event.data, dict) else None
    if isinstance(message, dict) and event.kind in ("asgi.send", "asgi.receive"):
        note = note_for_message(message)
        if note is not None:
            notes.append((f"spec · {fmt.line(str(message.get('type')))}", note))
    for rule in dict.fromkeys(finding.rule for finding in findings):
        note = RULES.get(rule)
        if note is not None:
            notes.append((f"rule · {fmt.line(rule)}", note))
    if not notes:
        return [Text("No spec note for this step.", style="dim")]
    parts: list[RenderableType] = []
    for title, note in notes:
        parts += [Text(title, style="bold magenta"), *_note(note)]
    return parts


def _note(note: SpecNote) -> list[RenderableType]:
    lines = [Text(note.text)]
    for section in note.sections:
        link = Style(link=section.url)
        lines.append(Text.assemble(("↗ ", "dim"), (section.label, link + Style(underline=True))))
        lines.append(Text(section.url, style=link + Style(dim=True)))
    return [Padding(Group(*lines), (0, 0, 0, 2))]


def _environ(environ: dict[str, Any]) -> list[RenderableType]:
    headers = [(key[5:].replace("_", "-").title(), value) for key, value in environ.items() if key.startswith("HTTP_")]
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if key in environ:
            headers.append((key.replace("_", "-").title(), environ[key]))
    known = [(key, environ[key]) for key in CGI_KEYS + WSGI_KEYS if key in environ]
    rest = [
        (key, value)
        for key, value in sorted(environ.items(), key=lambda item: str(item[0]))
        if key not in CGI_KEYS and key not in WSGI_KEYS and not str(key).startswith("HTTP_")
    ]
    parts: list[RenderableType] = [_pairs(known + rest, title="environ")]
    if headers:
        parts += [Text(""), _table(headers, "headers (HTTP_*)")]
    return parts


def _scope(scope: dict[str, Any]) -> list[RenderableType]:
    known = [(key, scope[key]) for key in ASGI_KEYS if key in scope]
    rest = [(key, value) for key, value in scope.items() if key not in ASGI_KEYS and key != "headers"]
    parts: list[RenderableType] = [_pairs(known + rest, title="scope")]
    parts += _headers(scope.get("headers"))
    return parts


def _body(value: Any, content_type: str, what: str, readable: Readable | None) -> list[RenderableType]:
    if readable is not None:
        return readable_view(value, readable, content_type, what)
    return body_view(value, content_type, what)


def _trace_path(widget: StepDetail) -> str | None:
    """The trace file the app shows, if any (a body is saved beside it)."""
    index = getattr(widget.app, "index", None)
    path = getattr(index, "path", None)
    return os.fspath(path) if isinstance(path, (str, os.PathLike)) else None


def _message(message: dict[str, Any], content_type: str, readable: Readable | None = None) -> list[RenderableType]:
    parts: list[RenderableType] = [Text(message_label(message), style="bold")]
    fields = [(k, v) for k, v in message.items() if k not in ("headers", "body", "bytes", "text")]
    parts.append(_pairs(fields, title="message"))
    if "headers" in message:
        parts += _headers(message.get("headers"))
    if "body" in message:
        parts += _body(message.get("body"), content_type, "body", readable)
    if message.get("bytes") is not None:
        parts += body_view(message.get("bytes"), "application/octet-stream", "bytes")
    if message.get("text") is not None:
        parts += body_view(message.get("text"), "text/plain", "text")
    return parts


def _headers(headers: Any) -> list[RenderableType]:
    if not isinstance(headers, list):
        return []
    rows = []
    as_bytes = False
    for item in headers:
        if isinstance(item, (list, tuple)) and len(item) == 2:
            name, value = item
            if type(name) is bytes and type(value) is bytes:
                # ASGI headers are bytes: said once in the title, not b'' on every line.
                as_bytes = True
                rows.append((fmt.line(name.decode("latin-1")), Text(fmt.line(value.decode("latin-1")))))
            else:
                rows.append((_show(name), _show(value)))
    return [Text(""), _table(rows, f"headers ({len(rows)}{', bytes' if as_bytes else ''})")]


def _pairs(pairs: list[tuple[Any, Any]], title: str = "") -> Table:
    return _table([(fmt.line(str(key)), _show(value)) for key, value in pairs], title)


def _table(rows: list[tuple[str, Any]], title: str) -> Table:
    table = Table(show_header=False, box=None, padding=(0, 1), title=title or None, title_justify="left",
                  title_style="bold", expand=False)
    table.add_column("key", style="cyan", no_wrap=True, max_width=32)
    table.add_column("value", overflow="fold")
    for key, value in rows:
        table.add_row(key if isinstance(key, Text) else fmt.line(str(key)),
                      value if isinstance(value, Text) else Text(fmt.line(str(value))))
    return table


def _show(value: Any) -> Text:
    if isinstance(value, TruncatedBytes):
        return Text.assemble(_bytes_text(value), (f"  ✂ cut, {value.original_length} bytes in all", "yellow"))
    if isinstance(value, (bytes, bytearray)):
        return _bytes_text(bytes(value))
    if isinstance(value, ReprValue):
        return Text(fmt.line(value.repr), style="italic")
    if value is None:
        return Text("None", style="dim")
    if isinstance(value, (list, tuple, dict)):
        return Text(fmt.line(repr(plain(value))))
    return Text(repr(value) if isinstance(value, str) and value == "" else fmt.line(str(value)))


def _bytes_text(value: bytes) -> Text:
    return Text(repr(bytes(value)))
