"""Arrow labels: the short names of each step in the sequence diagram."""

from __future__ import annotations

import pytest

from tracer.model import Event, TruncatedBytes
from tui.labels import Arrow, arrow


@pytest.mark.parametrize(
    ("kind", "data", "expected"),
    [
        ("wsgi.environ", {"environ": {"REQUEST_METHOD": "GET", "PATH_INFO": "/a"}},
         Arrow("server", "app", "app(environ, start_response)  GET /a")),
        ("wsgi.start_response", {"status": "200 OK", "headers": [["a", "1"], ["b", "2"], ["c", "3"]], "exc_info": None},
         Arrow("app", "start_response", "start_response('200 OK', 3 headers)")),
        ("wsgi.input", {"method": "read", "size": 1024, "data": b"x" * 1024},
         Arrow("app", "server", "wsgi.input.read(1024) → 1.0 KiB")),
        ("wsgi.body", {"data": b"x" * 1024}, Arrow("iterable", "server", "yield 1.0 KiB")),
        ("wsgi.body", {"data": TruncatedBytes(b"xy", 4096)}, Arrow("iterable", "server", "yield 4.0 KiB (cut)")),
        ("wsgi.write", {"data": b"abc"}, Arrow("app", "start_response", "write(3 B)")),
        ("wsgi.close", {}, Arrow("server", "iterable", "close()")),
        ("wsgi.error", {"type": "builtins.ValueError", "message": "bad", "traceback": ""},
         Arrow("app", "server", "raise ValueError: bad")),
        ("asgi.receive", {"message": {"type": "http.request", "body": b"x" * 4096, "more_body": False}},
         Arrow("server", "app", "receive() → http.request 4.0 KiB, more_body=False")),
        ("asgi.send", {"message": {"type": "http.response.start", "status": 200, "headers": []}},
         Arrow("app", "server", "send(http.response.start 200, 0 headers)")),
        ("asgi.send", {"message": {"type": "websocket.send", "text": "twelve bytes"}},
         Arrow("app", "server", 'send(websocket.send "twelve bytes" (12 B))')),
        ("asgi.receive", {"message": {"type": "websocket.receive", "text": "hello world,\n  a long message"}},
         Arrow("server", "app", 'receive() → websocket.receive "hello world, a long…" (29 B)')),
        ("asgi.send", {"message": {"type": "websocket.send", "bytes": b"ab"}},
         Arrow("app", "server", "send(websocket.send bytes 2 B)")),
        ("asgi.receive", {"message": {"type": "websocket.disconnect", "code": 1001}},
         Arrow("server", "app", "receive() → websocket.disconnect 1001")),
        ("asgi.end", {}, Arrow("app", "server", "return")),
    ],
)
def test_each_event_kind_has_a_short_label(kind: str, data: dict, expected: Arrow) -> None:  # type: ignore[type-arg]
    assert arrow(Event(0, 0, kind, data)) == expected


def test_control_characters_in_labels_are_shown_as_symbols() -> None:
    # An ESC from a request path must not reach the terminal as an escape sequence.
    item = arrow(Event(0, 0, "wsgi.environ", {"environ": {"REQUEST_METHOD": "GET", "PATH_INFO": "/\x1b[2Jx\n"}}))
    assert item.label == "app(environ, start_response)  GET /␛[2Jx␊"
    sent = arrow(Event(1, 0, "asgi.send", {"message": {"type": "websocket.close", "code": 1000, "reason": "\x07"}}))
    assert "\x07" not in sent.label


def test_an_exception_while_iterating_comes_from_the_iterable() -> None:
    from tui.labels import arrows

    environ = Event(0, 0, "wsgi.environ", {"environ": {"REQUEST_METHOD": "GET", "PATH_INFO": "/"}})
    error = {"type": "RuntimeError", "message": "late", "traceback": "Traceback (most recent call last):\n"}
    in_call = arrows([environ, Event(1, 1, "wsgi.error", error)])
    assert (in_call[1].source, in_call[1].target) == ("app", "server")
    late = arrows([environ, Event(1, 1, "wsgi.body", {"data": b"x"}), Event(2, 2, "wsgi.error", error)])
    assert (late[2].source, late[2].target) == ("iterable", "server")
    first_next = dict(error, traceback='Traceback (most recent call last):\n  File "gen.py", line 3, in __next__\n')
    assert arrows([environ, Event(1, 1, "wsgi.error", first_next)])[1].source == "iterable"


def test_the_end_says_when_the_iterable_was_not_exhausted() -> None:
    item = arrow(Event(5, 0, "wsgi.end", {"status": "200 OK", "bytes_sent": 18, "exhausted": False}))
    assert item.label == "end: 200 OK, 18 B sent, iterable not exhausted"
    assert "exhausted" not in arrow(Event(5, 0, "wsgi.end", {"status": "200 OK", "bytes_sent": 18, "exhausted": True})).label


def test_every_step_of_the_fixture_is_explained_in_plain_words() -> None:
    from tests.tui.conftest import fixture
    from tracer import read_traces
    from tui.explain import explain

    for trace in read_traces(fixture("mixed.jsonl")):
        for event in trace.events:
            assert explain(event), (trace.id, event.kind, event.data.get("message"))
    start = Event(1, 0, "asgi.send", {"message": {"type": "http.response.start", "status": 200}})
    assert explain(start).startswith("The app awaited send(): the status and headers. Nothing is sent until")
    assert explain(Event(1, 0, "asgi.send", {"message": "odd"})) == ""


def test_no_step_of_the_fixture_falls_back_to_the_raw_view() -> None:
    import io

    from rich.console import Console

    from tests.tui.conftest import fixture
    from tracer import read_traces
    from tui.widgets.step_detail import describe

    for trace in read_traces(fixture("mixed.jsonl")):
        for event in trace.events:
            console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
            for part in describe(event, [], "", ""):
                console.print(part)
            text = console.export_text()
            assert "{'" not in text.splitlines()[2], (trace.id, event.kind, text)  # not repr(event.data)
            if event.kind == "wsgi.start_response":
                assert "headers (" in text and " Content-Type " in text


def test_asgi_headers_read_as_text_with_their_bytes_said_once() -> None:
    import io

    from rich.console import Console

    from tui.widgets.step_detail import describe

    event = Event(1, 0, "asgi.send", {"message": {"type": "http.response.start", "status": 200,
                                                   "headers": [[b"content-type", b"text/plain"]]}})
    console = Console(width=100, file=io.StringIO(), record=True, color_system=None)
    for part in describe(event, [], "", ""):
        console.print(part)
    text = console.export_text()
    assert "headers (1, bytes)" in text and "content-type  text/plain" in text and "b'" not in text


@pytest.mark.parametrize(
    ("message", "says"),
    [
        ({"type": "http.request", "body": b"x", "more_body": True}, "more_body is True: more pieces follow."),
        ({"type": "http.request", "body": b"x", "more_body": False}, "this is the last piece, the whole body has arrived"),
        ({"type": "http.request", "body": b"x"}, "this is the last piece"),
        ({"type": "http.response.body", "body": b"x", "more_body": True}, "more_body is True: more pieces follow."),
        ({"type": "http.response.body", "body": b"x"}, "more_body is False: this ends the response."),
    ],
)
def test_the_more_body_sentence_says_what_this_message_holds(message: dict, says: str) -> None:
    from tui.explain import explain

    kind = "asgi.receive" if message["type"] == "http.request" else "asgi.send"
    sentence = explain(Event(1, 0, kind, {"message": message}))
    assert says in sentence
    assert ("True" in sentence) == bool(message.get("more_body"))
