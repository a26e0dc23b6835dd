"""An edited or held step says so: its label, its sentence, the fields the app sent beside what went on."""

from __future__ import annotations

from tracer.edited_step import EDITED_MARK, held_note
from tracer.explain import explain
from tracer.labels import arrow, arrows
from tracer.model import Event, Trace
from tracer.show import show_trace

START_200 = {"type": "http.response.start", "status": 200,
             "headers": [[b"content-type", b"text/plain"], [b"content-length", b"2"]]}
START_418 = {"type": "http.response.start", "status": 418,
             "headers": [[b"content-type", b"text/plain"], [b"x-teapot", b"yes"]]}
TRACEBACK = "Traceback (most recent call last):\n  File \"/srv/app.py\", line 3, in f\n    x()\nKeyError: 'missing'\n"


def edited_send() -> Event:
    return Event(1, 5, "asgi.send", {"message": START_418, "held_ns": 24_500_000_000, "released": "next",
                                     "original": {"message": START_200}})


def asgi_trace(*middle: Event) -> Trace:
    scope = Event(0, 0, "asgi.scope", {"scope": {"type": "http", "method": "GET", "path": "/x", "headers": []}})
    return Trace("t1", "asgi", "http", 1.0, [scope, *middle, Event(len(middle) + 1, 9, "asgi.end", {})])


def test_an_edited_steps_label_is_marked_and_a_plain_one_is_not() -> None:
    assert arrow(edited_send()).label == f"{EDITED_MARK} send(http.response.start 418, 2 headers) (edited)"
    plain = Event(1, 5, "asgi.send", {"message": START_418, "held_ns": 10, "released": "continue"})
    assert arrow(plain).label == "send(http.response.start 418, 2 headers)"


def test_a_made_up_message_is_marked_as_made_up() -> None:
    event = Event(3, 5, "asgi.receive", {"message": {"type": "http.disconnect"}, "original": None})
    assert arrow(event).label == f"{EDITED_MARK} receive() → http.disconnect (made up)"
    note = held_note(event)
    assert note is not None and note.made_up and "nobody sent it" in note.sentence


def test_the_note_gives_the_fields_that_changed_as_sent_and_as_they_went_on() -> None:
    note = held_note(edited_send())
    assert note is not None and note.edited and not note.made_up
    assert [change.text for change in note.changes] == [
        "status: 200 → 418", "header content-length: 2 → —", "header x-teapot: — → yes"]
    assert note.how == "held 24.50s, let go by next"
    assert note.sentence.startswith("Edited at a breakpoint (held 24.50s, let go by next): the app sent")


def test_a_received_message_edited_was_given_by_the_server_and_got_by_the_app() -> None:
    event = Event(1, 5, "asgi.receive", {"message": {"type": "http.request", "body": b"hi", "more_body": False},
                                         "original": {"message": {"type": "http.request", "body": b"hello",
                                                                  "more_body": False}}})
    note = held_note(event)
    assert note is not None and (note.giver, note.taker) == ("server", "app")
    assert [change.text for change in note.changes] == ["body: b'hello' (5 B) → b'hi' (2 B)"]


def test_a_wsgi_status_edit_compares_the_events_own_fields() -> None:
    event = Event(1, 5, "wsgi.start_response", {"status": "418 I'm a teapot", "headers": [], "exc_info": None,
                                                "original": {"status": "200 OK", "headers": []}})
    note = held_note(event)
    assert note is not None and [change.text for change in note.changes] == ["status: '200 OK' → \"418 I'm a teapot\""]


def test_an_event_never_held_has_no_note() -> None:
    assert held_note(Event(1, 5, "asgi.send", {"message": START_200})) is None


def test_tracer_show_says_a_step_was_edited_and_what_the_app_sent() -> None:
    out = show_trace(asgi_trace(edited_send()))
    block = out[out.index("#1 "):out.index("#2 ")]
    assert f"{EDITED_MARK} send(http.response.start 418, 2 headers) (edited)" in block
    assert "Edited at a breakpoint (held 24.50s, let go by next)" in block
    assert "status: 200 → 418" in block and "header x-teapot: — → yes" in block


def test_the_end_after_an_exception_reads_as_the_app_raising() -> None:
    error = Event(1, 5, "asgi.error", {"type": "KeyError", "message": "'missing'", "traceback": TRACEBACK})
    trace = asgi_trace(error)
    labels = [item.label for item in arrows(trace.events)]
    assert labels[-1] == "end: the app raised"
    assert arrows(asgi_trace().events)[-1].label == "return"
    end = trace.events[-1]
    assert explain(end, raised=True).startswith("The app raised instead of returning")
    assert explain(end).startswith("The app's coroutine returned")
    out = show_trace(trace)
    assert "end: the app raised" in out and "The app raised instead of returning" in out
    assert "The app's coroutine returned" not in out
    assert "timings     app raised +0.000ms" in out and "app returned" not in out


def test_a_wsgi_end_after_an_exception_says_the_app_raised() -> None:
    events = [
        Event(0, 0, "wsgi.environ", {"environ": {"REQUEST_METHOD": "GET", "PATH_INFO": "/boom"}}),
        Event(1, 1, "wsgi.error", {"type": "IndexError", "message": "list index out of range", "traceback": ""}),
        Event(2, 2, "wsgi.end", {"status": None, "bytes_sent": 0, "exhausted": True}),
    ]
    assert arrows(events)[-1].label == "end: no response, 0 B sent (app raised)"
    assert "after the app raised" in explain(events[-1], raised=True)
    assert "after the app raised" in show_trace(Trace("w", "wsgi", "http", 1.0, events))
