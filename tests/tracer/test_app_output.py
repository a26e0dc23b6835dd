"""The app's own voice: log records and output lines written during a request are events of that request."""

from __future__ import annotations

import concurrent.futures
import logging
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from werkzeug.test import Client

from tests.frameworks.running import TracerRun, completed, logger_state, restore_loggers
from tracer import Recorder, WSGITracer
from tracer.app_output import TeeStream, capture_output, release_output, text_redactor
from tracer.checks import check_trace
from tracer.explain import explain
from tracer.labels import arrow
from tracer.model import Trace
from tracer.redact import Redactor
from tracer.serve import _quiet_logger, server_log_path, server_output_to

APPS = "tests.tracer.app_output_apps"


@pytest.fixture(autouse=True)
def _loggers() -> Iterator[None]:
    saved = logger_state()
    yield
    restore_loggers(saved)


def logs(trace: Trace) -> list[dict[str, Any]]:
    return [event.data for event in trace.events if event.kind == "app.log"]


def kinds(trace: Trace) -> list[str]:
    return [event.kind for event in trace.events]


def only(traces: list[Trace], path: str) -> Trace:
    [trace] = [t for t in traces if t.path == path]
    return trace


def test_django_prints_and_its_internal_server_error_log_are_in_their_traces(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    run = TracerRun(f"{APPS}:django_wsgi", out)
    try:
        assert httpx.get(f"{run.url}/print/?n=7", timeout=10).status_code == 200
        assert httpx.get(f"{run.url}/raise/", timeout=10).status_code == 500
        traces = completed(out, 2)
    finally:
        assert run.stop() == 0
    printed = only(traces, "/print/")
    assert logs(printed) == [{"source": "stdout", "message": "django view for 7", "thread": logs(printed)[0]["thread"]}]
    # Printed inside the view: after the call, before the status.
    assert kinds(printed)[:3] == ["wsgi.environ", "app.log", "wsgi.start_response"]
    assert printed.summary.logs == 1 and not printed.summary.logged_exception

    raised = only(traces, "/raise/")
    [record] = logs(raised)
    assert record["source"] == "logging" and record["level"] == "ERROR" and record["logger"] == "django.request"
    assert record["message"] == "Internal Server Error: /raise/"
    assert "ZeroDivisionError: no pizza" in record["exception"]
    assert kinds(raised).index("app.log") < kinds(raised).index("wsgi.start_response")
    summary = raised.summary
    assert summary.status == 500 and not summary.error
    assert summary.logged_exception and summary.logged_error == "Internal Server Error: /raise/"
    assert not [f for f in check_trace(raised) if f.seq == kinds(raised).index("app.log")]
    # Printed at import, outside any request: no trace holds it.
    assert not any(d.get("message") == "app module imported" for t in traces for d in logs(t))


def test_flask_logger_and_stderr_lines_and_a_handled_exception(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    run = TracerRun(f"{APPS}:flask_app", out)
    try:
        assert httpx.get(f"{run.url}/hello", timeout=10).status_code == 200
        assert httpx.get(f"{run.url}/crash", timeout=10).status_code == 500
        traces = completed(out, 2)
        # Without --view the console keeps the app's output.
        run.wait_for_line(lambda line: "to stderr, in two writes" in line)
    finally:
        assert run.stop() == 0
    hello = only(traces, "/hello")
    info, line = logs(hello)
    assert (info["source"], info["level"], info["logger"], info["message"]) == ("logging", "INFO", APPS, "hello for flask")
    assert (line["source"], line["message"]) == ("stderr", "to stderr, in two writes")
    # Flask's own handler also writes the record to wsgi.errors, recorded as that.
    assert [k for k in kinds(hello) if k != "wsgi.errors"][:4] == ["wsgi.environ", "app.log", "app.log", "wsgi.start_response"]

    crash = only(traces, "/crash")
    logged = [d for d in logs(crash) if d["source"] == "logging"]
    assert logged[0]["message"] == "Exception on /crash [GET]" and "KeyError: 'missing'" in logged[0]["exception"]
    assert crash.summary.logged_exception and crash.summary.status == 500 and not crash.summary.error


def test_starlette_logs_from_tasks_and_threads_stay_with_their_concurrent_requests(tmp_path: Path) -> None:
    out = tmp_path / "t.jsonl"
    run = TracerRun(f"{APPS}:starlette_app", out)
    try:
        with concurrent.futures.ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(lambda n: httpx.get(f"{run.url}/work?n={n}", timeout=10), range(12)))
        assert all(answer.status_code == 200 for answer in answers)
        traces = completed(out, 12, scope_type="http")
    finally:
        assert run.stop() == 0
    assert len(traces) == 12
    for trace in traces:
        n = trace.summary.query.removeprefix("n=")
        assert [d["message"] for d in logs(trace)] == [f"before {n}", f"in a task for {n}", f"from a thread for {n}", f"after {n}"]
        assert [d["source"] for d in logs(trace)] == ["logging", "logging", "stdout", "logging"]
        ks = kinds(trace)
        first_log, last_log = ks.index("app.log"), len(ks) - 1 - ks[::-1].index("app.log")
        start = next(i for i, e in enumerate(trace.events) if e.kind == "asgi.send")
        assert ks[0] == "asgi.scope" and first_log > 0 and last_log < start
        assert not check_trace(trace)


def _threaded_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    name = environ["PATH_INFO"].strip("/")
    for i in range(5):
        print(f"{name} line {i}")
        logging.getLogger("threads").warning("%s record %d", name, i)
        time.sleep(0.002)
    start_response("200 OK", [("Content-Type", "text/plain")])

    def body() -> Iterator[bytes]:
        print(f"{name} while iterating")
        yield b"ok"

    return body()  # type: ignore[return-value]


def test_concurrent_wsgi_threads_do_not_mix_and_output_outside_requests_is_no_event(capsys: pytest.CaptureFixture[str]) -> None:
    recorder = Recorder()
    tracer = capture_output(WSGITracer(_threaded_app, sink=recorder))
    try:
        assert isinstance(sys.stdout, TeeStream)
        print("before any request")
        logging.getLogger("threads").warning("outside too")

        def call(n: int) -> None:
            response = Client(tracer).get(f"/r{n}")
            response.close()

        threads = [threading.Thread(target=call, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
        print("after every request")
    finally:
        release_output(tracer)
    assert not isinstance(sys.stdout, TeeStream)
    traces = recorder.traces()
    assert len(traces) == 8
    for trace in traces:
        name = trace.summary.path.strip("/")
        messages = [d["message"] for d in logs(trace)]
        assert len(messages) == 11 and all(m.startswith(name + " ") for m in messages), messages
        # A streamed body is iterated in the same thread, after the app returned: still this request's.
        assert kinds(trace)[-5:] == ["wsgi.start_response", "app.log", "wsgi.body", "wsgi.close", "wsgi.end"]
    printed = capsys.readouterr().out
    assert "before any request" in printed and "r3 line 4" in printed and "after every request" in printed


def test_nothing_is_captured_unless_asked() -> None:
    recorder = Recorder()
    Client(WSGITracer(_threaded_app, sink=recorder)).get("/plain").close()
    assert not isinstance(sys.stdout, TeeStream)
    assert not logs(recorder.traces()[0])


def test_messages_are_redacted_like_headers() -> None:
    redact = text_redactor(Redactor())
    assert redact("Authorization: Bearer abc") == "Authorization: [redacted]"
    assert redact("{'cookie': 'a=1; b=2', 'accept': '*/*'}") == "{'cookie': '[redacted]', 'accept': '*/*'}"
    assert redact("[(b'cookie', b'a=1'), (b'host', b'x')]") == "[(b'cookie', b'[redacted]'), (b'host', b'x')]"
    assert redact("HTTP_AUTHORIZATION=Basic eA==") == "HTTP_AUTHORIZATION=[redacted]"
    assert redact("a cookie jar, no value") == "a cookie jar, no value"

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        logging.getLogger("secrets").warning("got Authorization: %s", environ.get("HTTP_AUTHORIZATION"))
        start_response("204 No Content", [])
        return []

    recorder = Recorder()
    tracer = capture_output(WSGITracer(app, sink=recorder))
    try:
        Client(tracer).get("/", headers={"Authorization": "Bearer s3cret"}).close()
    finally:
        release_output(tracer)
    assert logs(recorder.traces()[0])[0]["message"] == "got Authorization: [redacted]"


def test_the_step_reads_as_a_note_on_the_apps_lifeline() -> None:
    from tracer.model import Event

    event = Event(3, 10, "app.log", {"source": "logging", "level": "ERROR", "logger": "django.request",
                                     "message": "Internal Server Error: /x", "exception": "Traceback ..."})
    item = arrow(event)
    assert (item.source, item.target) == ("app", "app")
    assert item.label == "app logged: ERROR django.request: Internal Server Error: /x (+ traceback)"
    assert "caught and logged" in explain(event)
    assert arrow(Event(4, 11, "app.log", {"source": "stdout", "message": "hi"})).label == "app logged: stdout: hi"


def test_server_output_goes_to_the_log_file_beside_the_trace(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert server_log_path(str(tmp_path / "traces.jsonl")) == str(tmp_path / "traces.jsonl.log")
    log_path = tmp_path / "traces.jsonl.log"
    console = logging.getLogger("some.library")
    console_handler = logging.StreamHandler(sys.stderr)
    console.addHandler(console_handler)
    recorder = Recorder()
    tracer = capture_output(WSGITracer(_threaded_app, sink=recorder))
    try:
        with server_output_to(str(log_path)) as log:
            _quiet_logger("werkzeug", True, log)
            print("printed by the server")
            sys.stderr.write("a warning of the server\n")
            logging.getLogger("werkzeug").error("werkzeug failed")
            console.warning("a library on the console")
            Client(tracer).get("/in-request").close()
        print("back on the console")
    finally:
        release_output(tracer)
        console.removeHandler(console_handler)
    written = log_path.read_text()
    assert (log_path.stat().st_mode & 0o777) == 0o600
    for text in ("printed by the server", "a warning of the server", "werkzeug failed", "a library on the console",
                 "in-request line 0"):
        assert text in written
    captured = capsys.readouterr()
    assert "printed by the server" not in captured.out and "back on the console" in captured.out
    assert "a library on the console" not in captured.err
    # The request's lines went to the file and into its trace.
    assert len(logs(recorder.traces()[0])) == 11


def test_the_middleware_option_captures_a_requests_log_records() -> None:
    import logging

    from werkzeug.test import Client

    from tracer import Recorder, WSGITracer
    from tracer.app_output import release_output

    def app(environ, start_response):  # type: ignore[no-untyped-def]
        logging.getLogger("myapp").warning("stock is low")
        start_response("200 OK", [])
        return [b"ok"]

    recorder = Recorder()
    traced = WSGITracer(app, sink=recorder, capture_output=True)
    try:
        Client(traced).get("/").close()
    finally:
        release_output(traced)
    (trace,) = recorder.traces()
    logs = [e.data for e in trace.events if e.kind == "app.log"]
    assert [(d["source"], d["level"], d["message"]) for d in logs] == [("logging", "WARNING", "stock is low")]
    assert [e.kind for e in trace.events].index("app.log") < [e.kind for e in trace.events].index("wsgi.start_response")
