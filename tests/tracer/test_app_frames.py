"""A recorded traceback's frames: the app's own innermost one named, tracer's left out."""

from __future__ import annotations

from tracer.app_frames import APP, LIBRARY, STDLIB, TRACER, origin, read_traceback
from tracer.model import Event
from tracer.payload import exception_line, payload, traceback_rows

TRACEBACK = """Traceback (most recent call last):
  File "/srv/venv/lib/python3.12/site-packages/tracer/asgi.py", line 165, in __call__
    await self.app(scope, traced_receive, traced_send)
  File "/srv/venv/lib/python3.12/site-packages/starlette/routing.py", line 62, in app
    response = await f(request)
               ^^^^^^^^^^^^^^^^
  File "/srv/shop/views.py", line 30, in checkout
    return total(cart)
  File "/srv/shop/prices.py", line 12, in total
    return sum(item.price for item in cart) / len(cart)
           ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~^~~~~~~~~~
  File "/usr/lib/python3.12/json/__init__.py", line 346, in loads
    return _default_decoder.decode(s)
ZeroDivisionError: division by zero
"""


def test_frames_are_told_apart_by_path() -> None:
    assert origin("/srv/venv/lib/python3.12/site-packages/tracer/asgi.py") == TRACER
    assert origin("/srv/venv/lib/python3.12/site-packages/django/core/handlers/base.py") == LIBRARY
    assert origin("/usr/lib/python3.12/asyncio/runners.py") == STDLIB
    assert origin("<frozen runpy>") == STDLIB
    assert origin("/srv/shop/views.py") == APP
    assert origin("/srv/shop/tracer/notes.py") == APP  # a folder of the app that happens to be called tracer


def test_the_innermost_app_frame_is_your_code_and_tracer_frames_are_left_out() -> None:
    read = read_traceback(TRACEBACK)
    assert read.yours is not None and read.yours.where == "/srv/shop/prices.py:12 in total"
    assert read.yours.code == "return sum(item.price for item in cart) / len(cart)"
    assert read.left_out == 1
    texts = [line.text for line in read.lines]
    assert "  … 1 tracer frame left out" in texts and not any("tracer/asgi.py" in text for text in texts)
    marked = [line.text.strip() for line in read.lines if line.yours]
    assert marked[0] == 'File "/srv/shop/prices.py", line 12, in total' and len(marked) == 3  # the frame, code, carets
    assert read.lines[-1].role == "exception" and read.lines[-1].text == "ZeroDivisionError: division by zero"


def test_in_a_chained_traceback_your_code_is_in_the_last_exception() -> None:
    chained = (
        'Traceback (most recent call last):\n  File "/srv/a.py", line 1, in first\n    x()\nKeyError: 1\n\n'
        "During handling of the above exception, another exception occurred:\n\n"
        'Traceback (most recent call last):\n  File "/srv/b.py", line 2, in second\n    y()\nValueError: 2\n'
    )
    read = read_traceback(chained)
    assert read.yours is not None and read.yours.path == "/srv/b.py"
    assert [line.role for line in read.lines if line.role == "heading"] == ["heading"] * 3


def test_a_traceback_of_library_frames_only_names_no_frame() -> None:
    only_library = 'Traceback (most recent call last):\n  File "/x/site-packages/lib.py", line 1, in f\n    g()\nOSError: no\n'
    assert read_traceback(only_library).yours is None


def test_tracer_show_puts_your_code_first() -> None:
    rows = traceback_rows(TRACEBACK)
    assert rows[0] == ("your code", "/srv/shop/prices.py:12 in total\nreturn sum(item.price for item in cart) / len(cart)")
    assert rows[1][0] == "traceback" and "tracer frame left out" in rows[1][1]
    assert rows[1][1].endswith("ZeroDivisionError: division by zero")


def test_shortened_library_paths_start_at_the_package() -> None:
    read = read_traceback(TRACEBACK, shorten=True)
    frames = [line.text.strip() for line in read.lines if line.role == "frame"]
    assert frames[0] == 'File "…/starlette/routing.py", line 62, in app'
    assert frames[1] == 'File "/srv/shop/views.py", line 30, in checkout'  # the app's paths stay whole
    assert frames[-1] == 'File "…/json/__init__.py", line 346, in loads'


def test_the_exception_line_is_the_last_exceptions_first_line() -> None:
    chained = (
        'Traceback (most recent call last):\n  File "/srv/a.py", line 1, in first\n    x()\nKeyError: 1\n\n'
        "During handling of the above exception, another exception occurred:\n\n"
        'Traceback (most recent call last):\n  File "/srv/b.py", line 2, in second\n    y()\nValueError: two\nlines\n'
    )
    assert exception_line(chained) == "ValueError: two"
    assert exception_line(TRACEBACK) == "ZeroDivisionError: division by zero"
    assert exception_line("") == "" and exception_line(None) == ""


def test_a_logged_exception_shows_what_was_raised_first_as_an_error_step_does() -> None:
    data = {"source": "logging", "level": "ERROR", "logger": "app", "message": "Exception on /boom [GET]",
            "thread": "MainThread", "exception": TRACEBACK}
    rows = payload(Event(1, 5, "app.log", data))
    assert rows[0] == ("exception", "ZeroDivisionError: division by zero")
    error = payload(Event(1, 5, "asgi.error", {"type": "ZeroDivisionError", "message": "division by zero",
                                               "traceback": TRACEBACK}))
    assert error[0] == rows[0]
    assert [key for key, _ in rows].index("traceback") > 0
