"""Correct patterns that are easy to mistake for protocol mistakes: each checks clean.

Clients that go away, framework-handled HEAD and 304, empty and implicit
body messages, websocket denials, lifespan state, the ways an app may read
``wsgi.input``, and WSGI apps served through asgiref's ``WsgiToAsgi``.
"""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest

from tracer import ASGITracer, Recorder, WSGITracer
from tracer.checks import check_trace

from .conftest import assert_clean
from .drivers import http_scope, lifespan_scope, run_asgi, run_wsgi, ws_scope
from .test_correct_asgi import _starlette_app

TEXT = [("Content-Type", "text/plain; charset=utf-8")]
START = {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain; charset=utf-8")]}
REQUEST = {"type": "http.request", "body": b"", "more_body": False}
DISCONNECT = {"type": "http.disconnect"}


def _rules(trace: Any) -> list[str]:
    return [finding.rule for finding in check_trace(trace)]


# wsgi.input


def iterating_input(environ: dict[str, Any], start_response: Any) -> Any:
    lines = list(environ["wsgi.input"])
    start_response("200 OK", TEXT)
    return [b"%d lines" % len(lines)]


def readinto_input(environ: dict[str, Any], start_response: Any) -> Any:
    stream, remaining, body = environ["wsgi.input"], int(environ["CONTENT_LENGTH"]), bytearray()
    while remaining:
        buffer = bytearray(min(4, remaining))
        count = stream.readinto(buffer)
        body += buffer[:count]
        remaining -= count
    start_response("200 OK", TEXT)
    return [bytes(body)]


def read1_input(environ: dict[str, Any], start_response: Any) -> Any:
    stream, remaining, body = environ["wsgi.input"], int(environ["CONTENT_LENGTH"]), b""
    while remaining:
        chunk = stream.read1(min(4, remaining))
        body += chunk
        remaining -= len(chunk)
    start_response("200 OK", TEXT)
    return [body]


@pytest.mark.parametrize("app", [iterating_input, readinto_input, read1_input], ids=["iter", "readinto", "read1"])
def test_reading_wsgi_input_to_its_end_is_clean(app: Any) -> None:
    def buffered(environ: dict[str, Any]) -> None:
        environ["wsgi.input"] = io.BufferedReader(io.BytesIO(b"one\ntwo\nthree\n"))  # has readinto and read1

    trace = run_wsgi(app, method="POST", data=b"one\ntwo\nthree\n", environ=buffered)
    assert_clean([trace])
    assert {e.data["method"] for e in trace.events if e.kind == "wsgi.input"} <= {"iter", "readinto", "read1"}


def test_iterating_past_content_length_is_still_reported() -> None:
    def longer_stream(environ: dict[str, Any]) -> None:
        environ["CONTENT_LENGTH"] = "4"  # the stream holds more than the client announced

    trace = run_wsgi(iterating_input, method="POST", data=b"one\ntwo\n", environ=longer_stream)
    assert "wsgi-input-read-past-length" in _rules(trace)


def test_flask_reads_the_body_with_readinto_and_is_clean() -> None:
    import flask
    from werkzeug.test import Client

    app = flask.Flask(__name__)

    @app.post("/")
    def upload() -> Any:
        return {"size": len(flask.request.get_data())}

    rec = Recorder()
    app.wsgi_app = WSGITracer(app.wsgi_app, sink=rec)
    Client(app).post("/", data=b"x" * 3000, content_type="application/octet-stream").close()
    assert_clean(rec.traces(), expect=1)
    assert "readinto" in {e.data["method"] for e in rec.traces()[0].events if e.kind == "wsgi.input"}


def test_an_unclosed_test_client_response_names_the_likely_cause() -> None:
    import gc

    import flask

    app = flask.Flask(__name__)
    app.get("/")(lambda: "hello")
    rec = Recorder()
    app.wsgi_app = WSGITracer(app.wsgi_app, sink=rec)
    app.test_client().get("/")  # the response is never closed, so neither is the app's iterable
    gc.collect()
    findings = [f for f in check_trace(rec.traces()[0]) if f.severity != "info"]
    assert [f.rule for f in findings] == ["wsgi-close-not-called"]
    assert "test client" in findings[0].message


# ASGI http: empty and implicit body messages, HEAD, 304


async def implicit_end(scope: Any, receive: Any, send: Any) -> None:
    await send(START)
    await send({"type": "http.response.body", "body": b"", "more_body": True})
    await send({"type": "http.response.body", "body": b"ok", "more_body": True})
    await send({"type": "http.response.body"})  # no body, no more_body: the end


async def head_with_length(scope: Any, receive: Any, send: Any) -> None:
    await send({**START, "headers": START["headers"] + [(b"content-length", b"1234")]})
    await send({"type": "http.response.body", "body": b""})


async def not_modified(scope: Any, receive: Any, send: Any) -> None:
    headers = [(b"etag", b'"v1"'), (b"content-length", b"1234"), (b"last-modified", b"Tue, 24 Nov 2026 07:00:00 GMT")]
    await send({"type": "http.response.start", "status": 304, "headers": headers})
    await send({"type": "http.response.body"})


@pytest.mark.parametrize(
    ("app", "method"),
    [(implicit_end, "GET"), (head_with_length, "HEAD"), (not_modified, "GET")],
    ids=["implicit-end", "head-content-length", "304-content-length"],
)
async def test_asgi_response_shapes_are_clean(app: Any, method: str) -> None:
    assert_clean([await run_asgi(app, http_scope(method), [REQUEST])])


async def proxied_headers(scope: Any, receive: Any, send: Any) -> None:
    """A proxying app copies the upstream response's headers, Transfer-Encoding included."""
    headers = START["headers"] + [(b"transfer-encoding", b"chunked")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": b"from upstream"})


async def test_transfer_encoding_from_the_app_is_only_info() -> None:
    # "You may send a Transfer-Encoding header in this message, but the server must ignore it." (ASGI HTTP spec)
    trace = await run_asgi(proxied_headers, http_scope(), [REQUEST])
    assert_clean([trace])
    assert "asgi-transfer-encoding" in _rules(trace)


async def test_request_header_names_may_keep_their_case() -> None:
    # "Header names should be lowercased, but it is not required" (ASGI HTTP spec, connection scope).
    scope = http_scope(headers=[(b"Host", b"testserver"), (b"User-Agent", b"curl/8")])
    assert_clean([await run_asgi(implicit_end, scope, [REQUEST])])


# ASGI http: the client goes away


async def races_the_disconnect(scope: Any, receive: Any, send: Any) -> None:
    """One task streams while another waits for http.disconnect: a send can land just after it."""
    await receive()
    await send(START)
    await send({"type": "http.response.body", "body": b"a", "more_body": True})
    await receive()  # http.disconnect, seen by the "listener"
    await send({"type": "http.response.body", "body": b"b", "more_body": True})  # the streamer's send in flight


async def stops_on_disconnect(scope: Any, receive: Any, send: Any) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass  # the client left mid-upload: nothing to answer


async def test_a_send_racing_the_disconnect_is_only_info() -> None:
    trace = await run_asgi(races_the_disconnect, http_scope(), [REQUEST, DISCONNECT])
    assert_clean([trace])
    assert "asgi-send-after-disconnect" in _rules(trace)


async def test_returning_after_a_disconnect_mid_upload_is_clean() -> None:
    upload = {"type": "http.request", "body": b"part", "more_body": True}
    assert_clean([await run_asgi(stops_on_disconnect, http_scope("POST"), [upload, DISCONNECT])])


async def test_starlette_when_the_client_leaves_is_clean() -> None:
    rec = Recorder()
    app = _starlette_app(rec, outermost=True)
    upload = {"type": "http.request", "body": b"part", "more_body": True}
    # Starlette's ClientDisconnect becomes a 500 sent to the departed client, then is re-raised.
    traces = [await run_asgi(app, http_scope("POST", "/upload"), [upload, DISCONNECT])]
    # Before ASGI 2.4 Starlette listens for the disconnect while streaming; the whole response can go out after it.
    old_server = http_scope("GET", "/stream", raw_path=b"/stream", asgi={"version": "3.0", "spec_version": "2.3"})
    traces.append(await run_asgi(app, old_server, [REQUEST, DISCONNECT]))
    assert_clean(traces, expect=2)
    assert all("asgi-send-after-disconnect" in _rules(trace) for trace in traces)


async def test_starlette_websocket_denials_and_late_close_are_clean() -> None:
    rec = Recorder()
    app = _starlette_app(rec, outermost=True)
    connect = {"type": "websocket.connect"}
    denial = {"websocket.http.response": {}}
    traces = [
        await run_asgi(app, ws_scope(path="/deny", raw_path=b"/deny", extensions=denial), [connect]),
        await run_asgi(app, ws_scope(path="/refuse", raw_path=b"/refuse"), [connect]),
        await run_asgi(app, ws_scope(path="/chat", raw_path=b"/chat"), [connect, {"type": "websocket.disconnect", "code": 1001}]),
    ]
    assert [t.status for t in traces] == [403, 403, 101]
    assert_clean(traces, expect=3)


async def test_lifespan_with_state_is_clean() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                scope["state"]["pool"] = object()  # shared with every request scope
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return

    inputs = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    assert_clean([await run_asgi(app, lifespan_scope(), inputs)])


@pytest.mark.filterwarnings("ignore:Using `httpx` with `starlette.testclient` is deprecated")
def test_starlette_test_client_scopes_are_clean() -> None:
    # Its scopes have no 'asgi' key, which the spec says to read as version 2.0.
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    async def index(request: Any) -> Any:
        return PlainTextResponse("hello")

    rec = Recorder()
    with TestClient(ASGITracer(Starlette(routes=[Route("/", index)]), sink=rec)) as client:
        client.get("/")
    assert "asgi" not in rec.traces()[1].events[0].data["scope"]
    assert_clean(rec.traces(), expect=2)


# WSGI apps behind asgiref's WsgiToAsgi


async def test_flask_behind_wsgi_to_asgi_is_clean() -> None:
    import flask
    from asgiref.wsgi import WsgiToAsgi

    app = flask.Flask(__name__)

    @app.route("/", methods=["GET", "POST"])
    def index() -> Any:
        return f"got {len(flask.request.get_data())} bytes"

    @app.get("/stream")
    def stream() -> Any:
        return flask.Response((line for line in ["a\n", "b\n"]), mimetype="text/plain")

    @app.get("/empty")
    def empty() -> Any:
        return "", 204

    outer, inner = Recorder(), Recorder()
    asgi_app = ASGITracer(WsgiToAsgi(WSGITracer(app.wsgi_app, sink=inner)), sink=outer)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi_app), base_url="http://testserver") as client:
        await client.get("/")
        await client.post("/", content=b"x" * 2000)
        await client.head("/")
        await client.get("/stream")
        await client.get("/empty")
    assert_clean(outer.traces(), expect=5)
    # asgiref's adapter never calls close() on the WSGI iterable: a true finding about the adapter.
    for trace in inner.traces():
        assert {f.rule for f in check_trace(trace) if f.severity != "info"} == {"wsgi-close-not-called"}


async def catches_the_send_error(scope: Any, receive: Any, send: Any) -> None:
    """ASGI 2.4: "Applications may catch this exception and do cleanup work before ... returning"."""
    await send(START)
    try:
        for _ in range(3):
            await send({"type": "http.response.body", "body": b"tick", "more_body": True})
    except OSError:
        return  # the client has gone; nothing more to do


async def test_returning_after_send_raised_is_at_most_a_warning() -> None:
    from .drivers import _one

    rec = Recorder()
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        return REQUEST

    async def send(message: Any) -> None:
        sent.append(message)
        if len(sent) > 2:
            raise OSError("the client has gone")

    scope = http_scope(asgi={"version": "3.0", "spec_version": "2.4"})
    await ASGITracer(catches_the_send_error, sink=rec)(scope, receive, send)
    [finding] = check_trace(_one(rec))
    assert (finding.rule, finding.severity) == ("asgi-response-incomplete", "warning")
    assert "OSError" in finding.message
    # Before 2.4 send() never raised, so an unfinished body is the app's own doing.
    old = await run_asgi(catches_the_send_error, http_scope(asgi={"version": "3.0", "spec_version": "2.3"}), [REQUEST])
    assert [(f.rule, f.severity) for f in check_trace(old)] == [("asgi-response-incomplete", "error")]
