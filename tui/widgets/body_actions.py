"""What the step pane does with a body: open it in ``$PAGER``, save it to a file.

The body is the one the pane shows: decoded (gzip, deflate, br) when it is
shown decoded, as sent otherwise; a body in several pieces is the pieces so
far when it is shown decoded or as a form, else the step's own piece.
"""

from __future__ import annotations

import mimetypes
import os
import shlex
import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

from textual.app import App, SuspendNotSupported

from tracer.model import Event
from tracer.readable_body import REQUEST, Readable, body_piece

from .. import format as fmt
from .body_view import pager_text

DEFAULT_PAGER = "less -R"
"""The pager when ``$PAGER`` is not set (``more`` where less is missing)."""


@dataclass(frozen=True, slots=True)
class ShownBody:
    """A body as the pane shows it.

    Attributes:
        data: Its bytes (decoded when shown decoded).
        content_type: The content type that applies (JSON is pretty-printed in the pager).
        is_str: The value was text (a websocket text message): it is text whatever it holds.
        what: One line saying what it is: ``gzip-decoded body, 2.6 KiB (step 2)``.
        seq: The step it was taken from.
    """

    data: bytes
    content_type: str
    is_str: bool
    what: str
    seq: int


def shown_body(event: Event, readable: Readable | None, request_type: str, response_type: str) -> ShownBody | None:
    """The body `event` shows (`readable` when shown decoded), or None when it carries none."""
    piece = body_piece(event)
    if piece is not None:
        direction, value = piece
        content_type = request_type if direction == REQUEST else response_type
        if readable is not None and (readable.form is not None or (readable.decoded and readable.decoded.data is not None)):
            so_far = "so far" if readable.more else "whole"
            what = f"{direction} body ({so_far}, {readable.note})" if readable.pieces > 1 else f"{direction} body ({readable.note})"
            return ShownBody(readable.data, content_type, False, what, event.seq)
        data, is_str = _bytes(value)
        if data is None:
            return None
        return ShownBody(data, content_type, is_str, f"{direction} body piece as sent, {fmt.size(len(data))}", event.seq)
    message = event.data.get("message") if isinstance(event.data, dict) else None
    if isinstance(message, dict) and event.kind in ("asgi.send", "asgi.receive"):
        for key, content_type in (("text", "text/plain"), ("bytes", "application/octet-stream")):
            if message.get(key) is not None:
                data, is_str = _bytes(message.get(key))
                if data is not None:
                    what = f"{fmt.line(str(message.get('type')))} {key}, {fmt.size(len(data))}"
                    return ShownBody(data, content_type, is_str, what, event.seq)
    return None


def pager_command() -> str:
    """The pager to run: ``$PAGER``, else ``less -R``, else ``more``."""
    command = os.environ.get("PAGER", "").strip()
    if command:
        return command
    return DEFAULT_PAGER if shutil.which("less") else "more"


def open_in_pager(app: App[Any], shown: ShownBody) -> str | None:
    """Show the body in the pager, the UI suspended until it quits; returns a one-line problem, or None."""
    command = pager_command()
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        return f"$PAGER is not a command line ({command!r}): {exc}"
    if not argv:
        return "$PAGER is empty"
    text = pager_text(shown.data, shown.content_type, shown.is_str).encode("utf-8", "replace")
    try:
        with app.suspend():
            run_pager(argv, text)
    except SuspendNotSupported:
        return "The pager needs the UI in a terminal (it cannot suspend here); save the body with w instead"
    except OSError as exc:
        return f"cannot run the pager {command!r}: {exc.strerror or exc}"
    return None


def run_pager(argv: list[str], text: bytes) -> None:
    """Run the pager with `text` on its standard input, and wait for it."""
    subprocess.run(argv, input=text, check=False)


def save_body(app: App[Any], shown: ShownBody, trace_path: str | None, stem: str = "body") -> None:
    """Ask where to save the body (beside the trace file by default) and save it there, owner-only."""
    from ..screens.save_body import SaveBodyScreen  # here: the screens import this module's widgets

    folder = os.path.dirname(os.path.abspath(trace_path)) if trace_path else os.getcwd()
    path = os.path.join(folder, f"{stem}-{shown.seq}{_extension(shown)}")

    def saved(written: str | None) -> None:
        if written:
            app.notify(f"Saved {fmt.size(len(shown.data))} to {written}", title="Body saved", timeout=6)

    app.push_screen(SaveBodyScreen(shown.data, path, f"{shown.what} (step {shown.seq})"), saved)


def _extension(shown: ShownBody) -> str:
    mimetype = shown.content_type.split(";", 1)[0].strip().lower()
    if "json" in mimetype:
        return ".json"
    guessed = mimetypes.guess_extension(mimetype) if mimetype else None
    return guessed or (".txt" if shown.is_str else ".bin")


def _bytes(value: Any) -> tuple[bytes | None, bool]:
    if isinstance(value, list):
        parts = [_bytes(item)[0] for item in value]
        return b"".join(part for part in parts if part is not None), False
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass"), True
    if isinstance(value, (bytes, bytearray)):
        return bytes(value), False
    return None, False
