"""Pieces of the step pane without an app: app.log tracebacks, form tables, pager text, owner-only saving."""

from __future__ import annotations

import io
import os
import stat
from pathlib import Path

from rich.console import Console, RenderableType

from tracer.forms import FormField
from tracer.model import Event
from tui.screens.save_body import problem_text, write_private
from tui.widgets.body_view import form_table, pager_text
from tui.widgets.step_detail import describe

TRACEBACK = """Traceback (most recent call last):
  File "/srv/venv/lib/python3.12/site-packages/django/core/handlers/exception.py", line 55, in inner
    response = get_response(request)
  File "/srv/site/shop/views.py", line 9, in checkout
    raise ValueError("empty cart")
ValueError: empty cart
"""


def text_of(parts: list[RenderableType] | RenderableType, width: int = 120) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    for part in parts if isinstance(parts, list) else [parts]:
        console.print(part)
    return console.export_text()


def test_an_app_log_record_shows_its_message_and_its_traceback_with_your_code_first() -> None:
    data = {"source": "logging", "level": "ERROR", "logger": "django.request", "thread": "MainThread",
            "message": "Internal Server Error: /checkout", "exception": TRACEBACK}
    text = text_of(describe(Event(4, 1000, "app.log", data), [], "", ""))
    assert "logger  django.request" in text and "Internal Server Error: /checkout" in text
    lines = text.splitlines()
    yours = next(i for i, line in enumerate(lines) if "your code" in line)
    assert "/srv/site/shop/views.py:9 in checkout" in lines[yours]
    assert yours < next(i for i, line in enumerate(lines) if "Traceback (most recent call last)" in line)
    assert 'File "…/django/core/handlers/exception.py"' in text
    assert lines[-1].strip() == "ValueError: empty cart" or lines[-2].strip() == "ValueError: empty cart"


def test_a_form_table_gives_fields_and_files() -> None:
    fields = [FormField("name", "Ada"), FormField("photo", filename="me.png", content_type="image/png", data=b"\x89PNG\x00\x01"),
              FormField("notes", filename="n.txt", content_type="text/plain", data=b"first line\nsecond")]
    text = text_of(form_table(fields))
    assert "form (3 fields)" in text
    assert [line.split()[:2] for line in text.splitlines()[2:5]] == [["name", "Ada"], ["photo", "me.png"], ["notes", "n.txt"]]
    assert "binary" in text and "first line␊second" in text and "image/png" in text and "6 B" in text


def test_pager_text_is_pretty_json_text_or_a_hex_dump() -> None:
    assert pager_text(b'{"a":[1,2]}', "application/json") == '{\n  "a": [\n    1,\n    2\n  ]\n}\n'
    assert pager_text(b"plain", "text/plain") == "plain\n"
    assert pager_text(b"\x00\x01\x02", "application/octet-stream").startswith("00000000  00 01 02")
    assert "\x1b" not in pager_text(b"color \x1b[31mred", "text/plain")  # no escape reaches the terminal


def test_a_saved_body_is_owner_only_even_over_an_existing_file(tmp_path: Path) -> None:
    target = tmp_path / "body.bin"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    written = write_private(str(target), b"new bytes")
    assert written == str(target) and target.read_bytes() == b"new bytes"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_a_body_that_cannot_be_saved_is_said_in_one_line(tmp_path: Path) -> None:
    for path in (str(tmp_path / "missing" / "x"), str(tmp_path)):
        try:
            write_private(path, b"x")
        except OSError as exc:
            message = problem_text(exc, path)
        else:  # pragma: no cover - the test fails below
            message = ""
        assert message.startswith(f"cannot write {path}") and "\n" not in message


def test_an_edited_step_says_so_and_shows_what_the_app_sent_beside_what_went_on() -> None:
    sent = {"type": "http.response.start", "status": 200, "headers": [[b"content-type", b"text/plain"]]}
    went = {"type": "http.response.start", "status": 418, "headers": [[b"content-type", b"text/plain"]]}
    event = Event(2, 1000, "asgi.send", {"message": went, "held_ns": 31_500_000_000, "released": "continue",
                                         "original": {"message": sent}})
    text = text_of(describe(event, [], "", ""))
    assert "✎ edited at a breakpoint  (held 31.50s, let go by continue)" in text
    header = next(line for line in text.splitlines() if "the app sent" in line)
    assert "went on (the client got)" in header
    assert [line.split() for line in text.splitlines() if line.strip().startswith("status")][0] == ["status", "200", "418"]
    plain = text_of(describe(Event(2, 1000, "asgi.send", {"message": went}), [], "", ""))
    assert "edited" not in plain and "✎" not in plain


def test_the_end_after_an_exception_says_the_app_raised_not_returned() -> None:
    raised = text_of(describe(Event(4, 1000, "asgi.end", {}), [], "", "", raised="KeyError: 'missing'"))
    assert "The app raised KeyError: 'missing'" in raised and "returned" not in raised
    returned = text_of(describe(Event(4, 1000, "asgi.end", {}), [], "", ""))
    assert "The app returned." in returned and "raised" not in returned
    wsgi = text_of(describe(Event(3, 1000, "wsgi.end", {"status": None, "bytes_sent": 0}), [], "", "", raised=""))
    assert "after the app raised" in wsgi and "The app raised." in wsgi


def test_a_logged_exception_starts_with_the_exception_line() -> None:
    data = {"source": "logging", "level": "ERROR", "logger": "app", "thread": "MainThread",
            "message": "Exception on /boom [GET]", "exception": TRACEBACK}
    lines = [line.strip() for line in text_of(describe(Event(4, 1000, "app.log", data), [], "", "")).splitlines()]
    body = lines[lines.index("") + 1:]
    assert body[0] == "ValueError: empty cart"
