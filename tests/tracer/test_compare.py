"""Comparing two traces: pairs recorded from real Flask, Django and Starlette apps, and the WSGI/ASGI twins.

Each framework serves ``GET /item`` in five variants: the base answer, and
one that changes only its status, a header, its JSON body, or the pieces the
same body is sent in. Two recordings of the base are the same; every other
variant differs from the base in exactly the expected way.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from django.urls import path

from sample_apps import twin_asgi, twin_notes, twin_wsgi
from tests.django_project import configure_django
from tests.tracer.lifespan_sessions import lifespan_session, refuses_to_start
from tracer import ASGITracer, Recorder, WSGITracer
from tracer.body_diff import Body, compare_bodies, first_difference
from tracer.compare import DEFAULT_IGNORED_HEADERS, compare, pair_lifespans, pair_summaries
from tracer.model import Trace, TruncatedBytes
from tracer.phases import HTTP_PHASES, align

BODY = json.dumps({"name": "widget", "tags": ["a", "b"], "price": 12.5}).encode()
OTHER_BODY = json.dumps({"name": "gadget", "tags": ["a", "b"], "price": 12.5}).encode()


def answer(variant: str) -> tuple[int, dict[str, str], list[bytes]]:
    """Status, extra headers and body pieces of each variant."""
    status, headers, pieces = 200, {"X-Version": "1"}, [BODY]
    if variant == "status":
        status = 201
    elif variant == "header":
        headers = {"X-Version": "2"}
    elif variant == "body":
        pieces = [OTHER_BODY]
    elif variant == "chunking":
        step = len(BODY) // 4 + 1
        pieces = [BODY[i:i + step] for i in range(0, len(BODY), step)]
    return status, headers, pieces


# The apps, one per framework and variant


def flask_app(variant: str) -> Any:
    from flask import Flask, Response

    app = Flask(f"compare_{variant}")

    @app.get("/item")
    def item() -> Response:
        status, headers, pieces = answer(variant)
        body = iter(pieces) if len(pieces) > 1 else pieces[0]
        return Response(body, status=status, headers=headers, mimetype="application/json")

    return app


def starlette_app(variant: str) -> Any:
    from starlette.applications import Starlette
    from starlette.responses import Response, StreamingResponse
    from starlette.routing import Route

    async def item(request: Any) -> Any:
        status, headers, pieces = answer(variant)
        if len(pieces) == 1:
            return Response(pieces[0], status, headers, media_type="application/json")

        async def chunks() -> Any:
            for piece in pieces:
                yield piece

        return StreamingResponse(chunks(), status, headers, media_type="application/json")

    return Starlette(routes=[Route("/item", item)])


_django_variant = {"name": "base"}


def django_item(request: Any) -> Any:
    from django.core.handlers.asgi import ASGIRequest
    from django.http import HttpResponse, StreamingHttpResponse

    status, headers, pieces = answer(_django_variant["name"])
    if len(pieces) == 1:
        response: Any = HttpResponse(pieces[0], status=status, content_type="application/json")
    else:

        async def chunks() -> Any:
            for piece in pieces:
                yield piece

        # Each handler streams its own kind of iterator, without Django's conversion warning.
        body = chunks() if isinstance(request, ASGIRequest) else iter(pieces)
        response = StreamingHttpResponse(body, status=status, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    return response


urlpatterns = [path("item", django_item)]


@pytest.fixture
def django_urls() -> Any:
    from django.test.utils import override_settings

    configure_django()
    with override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[], ALLOWED_HOSTS=["*"]):
        yield


def record(app: Any, protocol: str, requests: list[tuple[str, str, dict[str, Any]]] | None = None) -> list[Trace]:
    """Send `requests` (default: GET /item) to `app` through the tracer with httpx; the traces, in order."""
    requests = requests or [("GET", "/item", {})]
    rec = Recorder()
    if protocol == "wsgi":
        with httpx.Client(transport=httpx.WSGITransport(app=WSGITracer(app, sink=rec)), base_url="http://testserver") as client:
            for method, url, options in requests:
                client.request(method, url, **options)
    else:

        async def run() -> None:
            transport = httpx.ASGITransport(app=ASGITracer(app, sink=rec))
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                for method, url, options in requests:
                    await client.request(method, url, **options)

        asyncio.run(run())
    return rec.traces()


def recorded(framework: str, variant: str) -> Trace:
    if framework == "flask":
        return record(flask_app(variant).wsgi_app, "wsgi")[0]
    if framework == "starlette":
        return record(starlette_app(variant), "asgi")[0]
    from django.core.asgi import get_asgi_application
    from django.core.wsgi import get_wsgi_application

    _django_variant["name"] = variant
    if framework == "django-wsgi":
        return record(get_wsgi_application(), "wsgi")[0]
    return record(get_asgi_application(), "asgi")[0]


FRAMEWORKS = ["flask", "django-wsgi", "django-asgi", "starlette"]


@pytest.mark.parametrize("framework", FRAMEWORKS)
def test_two_recordings_of_the_same_answer_are_the_same(framework: str, django_urls: None) -> None:
    result = compare(recorded(framework, "base"), recorded(framework, "base"))
    assert result.differences == []
    assert result.same
    assert [row.phase for row in result.phases] == list(HTTP_PHASES)
    assert all(row.events[0] == row.events[1] for row in result.phases)


@pytest.mark.parametrize("framework", FRAMEWORKS)
@pytest.mark.parametrize(
    ("variant", "aspect", "message"),
    [
        ("status", "status", "status: 200 → 201"),
        ("header", "response header", "response header changed: x-version: '1' → '2'"),
        ("body", "response body", "response body: JSON differs (53 bytes each)"),
        ("chunking", "response pieces", "response body sent in 1 piece (53 bytes) → 4 pieces (14, 14, 14, 11 bytes)"),
    ],
)
def test_a_changed_answer_differs_in_exactly_that(framework: str, variant: str, aspect: str, message: str, django_urls: None) -> None:
    result = compare(recorded(framework, "base"), recorded(framework, variant))
    assert not result.same
    assert [d.message for d in result.differences if d.aspect == aspect] == [message]
    others = {d.aspect for d in result.differences} - {aspect}
    if framework == "starlette" and variant == "chunking":
        # StreamingResponse listens for a disconnect, so it reads the request; Response does not.
        assert [d.message for d in result.differences if d.aspect == "events"] == [
            "body read: 0 events in A, 2 events (http.request ×2) in B"
        ]
        others -= {"events"}
    assert others == set()


def test_a_json_body_difference_is_a_diff_of_the_pretty_printed_values(django_urls: None) -> None:
    result = compare(recorded("flask", "base"), recorded("flask", "body"))
    [difference] = result.differences
    assert difference.phase == "body sent"
    assert '-  "name": "widget",' in difference.detail.splitlines()
    assert '+  "name": "gadget",' in difference.detail.splitlines()
    assert difference.detail.startswith("--- A\n+++ B\n")


def test_the_wsgi_and_asgi_twins_answer_every_request_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twin_notes, "STREAM_DELAY", 0.0)
    requests = [
        ("GET", "/", {}),
        ("POST", "/notes", {"json": {"text": "hello"}}),
        ("GET", "/notes/1", {}),
        ("GET", "/notes/9", {}),
        ("POST", "/notes", {"content": b"not json"}),
        ("GET", "/stream", {}),
    ]
    monkeypatch.setattr(twin_wsgi, "_notes", [])
    monkeypatch.setattr(twin_asgi, "_notes", [])
    wsgi, asgi = record(twin_wsgi.app, "wsgi", requests), record(twin_asgi.app, "asgi", requests)
    pairs, only_wsgi, only_asgi = pair_summaries([t.summary for t in wsgi], [t.summary for t in asgi])
    assert (len(pairs), only_wsgi, only_asgi) == (6, [], [])
    for a, b in zip(wsgi, asgi):
        result = compare(a, b)
        assert result.differences == [], a.summary.title
        assert result.notes[0].startswith("A is WSGI, B is ASGI: environ ↔ scope")
    stream = compare(wsgi[-1], asgi[-1])
    assert any("called start_response" in note and "first body chunk" in note for note in stream.notes)
    body_sent = next(row for row in stream.phases if row.phase == "body sent")
    assert body_sent.events == (3, 4)  # three chunks; three body messages and the empty last one


def test_django_wsgi_and_asgi_handlers_answer_the_same(django_urls: None) -> None:
    result = compare(recorded("django-wsgi", "chunking"), recorded("django-asgi", "chunking"))
    assert result.differences == []


def test_the_phases_line_up_across_protocols(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twin_wsgi, "_notes", [])
    monkeypatch.setattr(twin_asgi, "_notes", [])
    post = [("POST", "/notes", {"json": {"text": "hi"}})]
    [wsgi], [asgi] = record(twin_wsgi.app, "wsgi", post), record(twin_asgi.app, "asgi", post)
    rows = {phase: ([e.kind for e in left], [e.data.get("message", {}).get("type") for e in right]) for phase, left, right in align(wsgi, asgi)}
    assert rows["request"] == (["wsgi.environ"], [None])
    assert rows["body read"][0] == ["wsgi.input"] and set(rows["body read"][1]) == {"http.request"}
    assert rows["response started"] == (["wsgi.start_response"], ["http.response.start"])
    assert rows["body sent"] == (["wsgi.body"], ["http.response.body"])
    assert rows["end"] == (["wsgi.close", "wsgi.end"], [None])


def test_reads_in_other_pieces_are_a_difference() -> None:
    def reader(size: int) -> Any:
        def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            stream, left = environ["wsgi.input"], int(environ["CONTENT_LENGTH"])
            while left > 0:
                left -= len(stream.read(min(size, left)))
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok"]

        return app

    body = [("POST", "/upload", {"content": b"x" * 4096})]
    result = compare(record(reader(4096), "wsgi", body)[0], record(reader(1024), "wsgi", body)[0])
    assert [d.message for d in result.differences] == ["request body read in 1 piece (4096 bytes) → 4 pieces (1024, 1024, 1024, 1024 bytes)"]


def test_what_the_app_logged_is_not_a_difference() -> None:
    """`tracer run` records the app's log records as app.log events; a replay or the middleware alone does not."""
    import logging

    from tracer.app_output import capture_output, release_output

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        logging.getLogger("shop").warning("item %s looked up", environ["PATH_INFO"])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    plain = record(app, "wsgi")[0]
    rec = Recorder()
    traced = WSGITracer(app, sink=rec)
    capture_output(traced, streams=False)
    try:
        with httpx.Client(transport=httpx.WSGITransport(app=traced), base_url="http://testserver") as client:
            client.get("/item")
    finally:
        release_output(traced)
    logged = rec.traces()[0]
    assert [e.kind for e in logged.events].count("app.log") == 1
    result = compare(logged, plain)
    assert result.differences == [] and result.same


def test_volatile_headers_are_ignored_and_more_can_be_named() -> None:
    def app(value: str) -> Any:
        def wsgi(environ: dict[str, Any], start_response: Any) -> list[bytes]:
            start_response("200 OK", [("Date", value), ("X-Request-Id", value), ("X-Build", value), ("Content-Length", "2")])
            return [b"ok"]

        return wsgi

    a, b = record(app("one"), "wsgi")[0], record(app("two"), "wsgi")[0]
    assert [d.message for d in compare(a, b).differences] == ["response header changed: x-build: 'one' → 'two'"]
    assert compare(a, b, ignore_headers=DEFAULT_IGNORED_HEADERS | {"X-Build"}).same
    assert len(compare(a, b, ignore_headers=()).differences) == 3


def test_websocket_messages_are_compared_in_order() -> None:
    from asgiref.testing import ApplicationCommunicator

    def chat(prefix: str) -> Any:
        async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
            while (message := await receive())["type"] != "websocket.disconnect":
                if message["type"] == "websocket.connect":
                    await send({"type": "websocket.accept"})
                elif message.get("text") == "bye":
                    await send({"type": "websocket.close", "code": 1000})
                    return
                else:
                    await send({"type": "websocket.send", "text": f"{prefix}{message['text']}"})

        return app

    def session(prefix: str, said: list[str]) -> Trace:
        rec = Recorder()

        async def run() -> None:
            scope = {"type": "websocket", "path": "/ws", "headers": [], "query_string": b"", "subprotocols": []}
            communicator = ApplicationCommunicator(ASGITracer(chat(prefix), sink=rec), scope)
            await communicator.send_input({"type": "websocket.connect"})
            for text in [*said, "bye"]:
                await communicator.send_input({"type": "websocket.receive", "text": text})
            await communicator.wait(2)

        asyncio.run(run())
        [trace] = rec.traces()
        return trace

    base = session("echo: ", ["hi", "there"])
    assert compare(base, session("echo: ", ["hi", "there"])).same
    result = compare(base, session("ECHO: ", ["hi", "there", "again"]))
    assert [d.message for d in result.differences] == [
        "message 2: app text 'echo: hi' → app text 'ECHO: hi'",
        "message 4: app text 'echo: there' → app text 'ECHO: there'",
        "message 5 only in B: client text 'again'",
        "message 6 only in B: app text 'ECHO: again'",
    ]
    assert {d.phase for d in result.differences} == {"messages"}
    assert compare(base, base).phases[2].phase == "messages"


def test_bodies_compare_as_json_forms_text_or_bytes() -> None:
    same_json = compare_bodies(Body(b'{"a": 1, "b": 2}', 16, "application/json"), Body(b'{"b":2,"a":1}', 13, "application/json"))
    assert (same_json.same, same_json.kind, same_json.message) == (True, "json", "the same JSON, written differently")
    boundary = "multipart/form-data; boundary={}"
    form = 'text\r\n--{0}\r\nContent-Disposition: form-data; name="note"\r\n\r\nhi\r\n--{0}--\r\n'

    def multipart(mark: str) -> Body:
        data = form.format(mark).encode()[6:]
        return Body(data, len(data), boundary.format(mark))

    fields = compare_bodies(multipart("AAA"), multipart("BBBB"), form=True)
    assert (fields.same, fields.kind) == (True, "form")
    text = compare_bodies(Body(b"one\ntwo\n", 8), Body(b"one\n2\n", 6))
    assert (text.same, text.kind) == (False, "text") and "-two\n+2\n" in text.diff
    binary = compare_bodies(Body(b"\x00\x01\x02\x03", 4), Body(b"\x00\x01\xff\x03", 4))
    assert (binary.same, binary.offset, binary.message) == (False, 2, "bytes differ from offset 2 (4 bytes each)")
    cut = compare_bodies(Body(TruncatedBytes(b"abc", 10), 10, cut=True), Body(b"abcdefghij", 10))
    assert (cut.same, cut.message) == (True, "the same size; compared the first 3 bytes (the trace kept no more)")
    assert first_difference(b"abc", b"abcd") == 3


def test_an_exception_is_named_once_not_as_event_counts() -> None:
    def failing(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise ValueError("no such item")

    def working(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    def recorded_from(app: Any) -> Trace:
        from werkzeug.test import create_environ, run_wsgi_app

        rec = Recorder()
        try:
            app_iter, _, _ = run_wsgi_app(WSGITracer(app, sink=rec), create_environ("/item"))
            app_iter.close()
        except ValueError:
            pass
        return rec.traces()[0]

    result = compare(recorded_from(failing), recorded_from(working))
    assert [(d.phase, d.aspect) for d in result.differences] == [
        ("response started", "status"),
        ("response started", "response header"),
        ("body sent", "response body"),
        ("end", "error"),
    ]
    assert result.differences[-1].message == "error: ValueError: no such item → none"


def test_lifespan_traces_pair_in_order_and_a_failed_startup_differs() -> None:
    rec_a, rec_b = Recorder(), Recorder()
    for _ in range(2):
        lifespan_session(twin_asgi.app, rec_a)
    lifespan_session(refuses_to_start, rec_b)
    requests = record(twin_asgi.app, "asgi")
    a, b = [*rec_a.traces(), *requests], [*rec_b.traces(), *requests]
    pairs, left_out_a, left_out_b = pair_lifespans([t.summary for t in a], [t.summary for t in b])
    assert [(x.id, y.id) for x, y in pairs] == [(a[0].id, b[0].id)]
    assert ([s.id for s in left_out_a], left_out_b) == ([a[1].id], [])
    assert pair_summaries([t.summary for t in a], [t.summary for t in b])[1:] == ([], [])
    assert compare(a[0], a[1]).same
    result = compare(a[0], b[0])
    # The messages phase comes before the end, as in the phase rows.
    assert [(d.phase, d.aspect) for d in result.differences] == [("messages", "events"), ("end", "error")]
    assert "lifespan.startup.failed ×1" in result.differences[0].message
    assert [row.phase for row in result.phases] == ["request", "messages", "end"]
