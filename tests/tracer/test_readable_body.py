"""A step's body read as a person reads it: joined from its first piece, decoded, a form as its fields."""

from __future__ import annotations

import gzip
from collections.abc import Iterator

from tracer.model import Event, TruncatedBytes
from tracer.readable_body import body_upto, readable

BOUNDARY = "XyZ"
MULTIPART = (
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nreport\r\n"
    f"--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"upload\"; filename=\"a.txt\"\r\n"
    f"Content-Type: text/plain\r\n\r\nline one\nline two\r\n--{BOUNDARY}--\r\n"
).encode()


def asgi_response(*pieces: bytes, coding: str = "gzip") -> list[Event]:
    headers = [[b"content-type", b"application/json"], [b"content-encoding", coding.encode()]]
    events = [
        Event(0, 0, "asgi.scope", {"scope": {"type": "http", "headers": []}}),
        Event(1, 1, "asgi.send", {"message": {"type": "http.response.start", "status": 200, "headers": headers}}),
    ]
    for i, piece in enumerate(pieces):
        more = i < len(pieces) - 1
        events.append(Event(2 + i, 2 + i, "asgi.send",
                            {"message": {"type": "http.response.body", "body": piece, "more_body": more}}))
    return events


def test_a_gzip_response_in_one_piece_reads_decoded() -> None:
    body = gzip.compress(b'{"ok": true}')
    shown = readable(body_upto(asgi_response(body)))  # type: ignore[arg-type]
    assert shown is not None and shown.data == b'{"ok": true}'
    assert shown.note == f"gzip-decoded, {len(body)} → 12 bytes"


def test_a_gzip_stream_reads_decoded_up_to_each_piece() -> None:
    whole = gzip.compress(b"0123456789" * 500)
    pieces = [whole[:40], whole[40:]]
    events = asgi_response(*pieces)
    first = readable(body_upto(events[:3]))  # type: ignore[arg-type]
    last = readable(body_upto(events))  # type: ignore[arg-type]
    assert first is not None and last is not None
    assert first.more and "2 pieces" not in first.note and (b"0123456789" * 500).startswith(first.data)
    assert "ends early" not in first.note  # the rest is still to come
    assert last.data == b"0123456789" * 500 and "2 pieces in all" in last.note


def test_a_plain_body_reads_as_sent() -> None:
    events = asgi_response(b'{"a": 1}', coding="identity")
    body = body_upto(events)
    assert body is not None and not body.wanted and body.data == b""  # not even joined
    assert readable(body) is None


def test_steps_without_a_body_piece_have_no_body() -> None:
    events = asgi_response(b"x")
    assert body_upto(events[:2]) is None  # the headers step
    assert body_upto(events[:1]) is None


def test_a_urlencoded_wsgi_form_read_in_two_reads_gives_its_fields() -> None:
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/x-www-form-urlencoded"}
    events = [
        Event(0, 0, "wsgi.environ", {"environ": environ}),
        Event(1, 1, "wsgi.input", {"method": "read", "size": 10, "data": b"name=Ada+L"}),
        Event(2, 2, "wsgi.input", {"method": "read", "size": None, "data": b"ovelace&x=%3D"}),
    ]
    shown = readable(body_upto(events))  # type: ignore[arg-type]
    assert shown is not None and shown.form is not None
    assert [(f.name, f.value) for f in shown.form] == [("name", "Ada Lovelace"), ("x", "=")]
    assert "2 form fields" in shown.note


def test_a_multipart_asgi_form_gives_its_parts() -> None:
    scope = {"type": "http", "headers": [[b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()]]}
    events = [
        Event(0, 0, "asgi.scope", {"scope": scope}),
        Event(1, 1, "asgi.receive", {"message": {"type": "http.request", "body": MULTIPART, "more_body": False}}),
    ]
    shown = readable(body_upto(events))  # type: ignore[arg-type]
    assert shown is not None and shown.form is not None
    title, upload = shown.form
    assert (title.name, title.value, title.is_file) == ("title", "report", False)
    assert (upload.filename, upload.content_type, upload.data) == ("a.txt", "text/plain", b"line one\nline two")


def test_a_body_cut_by_max_body_bytes_says_bytes_are_missing() -> None:
    whole = gzip.compress(bytes(range(256)) * 40)
    cut = TruncatedBytes(whole[:100], len(whole))
    shown = readable(body_upto(asgi_response(cut)))  # type: ignore[arg-type]
    assert shown is not None and "bytes missing (max_body_bytes)" in shown.note
    assert (bytes(range(256)) * 40).startswith(shown.data)


def test_joining_stops_at_the_cap() -> None:
    events = asgi_response(b"a" * 600, b"b" * 600, coding="gzip")
    body = body_upto(events, max_bytes=1000)
    assert body is not None and body.cut and len(body.data) == 1000


def test_knowing_the_direction_stops_reading_at_headers_that_say_it_reads_as_sent() -> None:
    read: list[int] = []

    def events() -> Iterator[Event]:
        for event in asgi_response(b"a", b"b", b"c", coding="identity"):
            read.append(event.seq)
            yield event

    body = body_upto(events(), direction="response")
    assert body is not None and not body.wanted and readable(body) is None
    assert read == [0, 1]  # the scope and the response start, not the pieces after them


def wsgi_form(*reads: tuple[str, int | None, bytes], length: str = "") -> list[Event]:
    environ = {"REQUEST_METHOD": "POST", "CONTENT_TYPE": "application/x-www-form-urlencoded"}
    if length:
        environ["CONTENT_LENGTH"] = length
    events = [Event(0, 0, "wsgi.environ", {"environ": environ})]
    for i, (method, size, data) in enumerate(reads):
        events.append(Event(1 + i, 1 + i, "wsgi.input", {"method": method, "size": size, "data": data}))
    return events


def test_a_form_read_whole_in_one_read_is_not_so_far() -> None:
    form = b"name=Ann&email=a%40b.org&msg=hi"
    shown = readable(body_upto(wsgi_form(("read", None, form))))  # type: ignore[arg-type]
    assert shown is not None and shown.note == "3 form fields" and not shown.more
    sized = readable(body_upto(wsgi_form(("read", len(form), form), length=str(len(form)))))  # type: ignore[arg-type]
    assert sized is not None and sized.note == "3 form fields"


def test_a_form_read_in_part_is_so_far_until_its_length_arrives() -> None:
    form = b"name=Ann&email=a%40b.org&msg=hi"
    events = wsgi_form(("read", 9, form[:9]), ("read", 100, form[9:]), length=str(len(form)))
    first = readable(body_upto(events[:2]))  # type: ignore[arg-type]
    assert first is not None and first.note == "1 form field so far" and first.more
    whole = readable(body_upto(events))  # type: ignore[arg-type]
    assert whole is not None and whole.note == "2 pieces in all; 3 form fields"
    unsized = readable(body_upto(wsgi_form(("read", 9, form[:9]))))  # type: ignore[arg-type]
    assert unsized is not None and unsized.note.endswith("so far")
