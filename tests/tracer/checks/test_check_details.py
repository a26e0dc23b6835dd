"""Details of the checker: no cascades, incomplete traces, ordering, and the rule catalog."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tracer.checks import Finding, check_trace
from tracer.checks.rules import RULES
from tracer.model import Event, Trace

from . import broken_asgi, rule_docs
from .catalog import cases
from .drivers import lifespan_scope, run_asgi, run_wsgi


async def test_one_mistake_gives_one_finding() -> None:
    trace = await run_asgi(broken_asgi.sends(broken_asgi.BODY, broken_asgi.START, broken_asgi.BODY))
    assert [f.rule for f in check_trace(trace)] == ["asgi-body-before-start"]


async def test_trailers_sent_early_are_not_also_missing() -> None:
    case = next(c for c in cases("asgi") if c.rule == "asgi-trailers-before-body-end")
    trace = await run_asgi(case.app, case.scope, case.inputs)
    assert [f.rule for f in check_trace(trace)] == ["asgi-trailers-before-body-end"]


def test_an_incomplete_trace_gets_no_end_of_trace_findings() -> None:
    # Only the missing end itself, and nothing at all while the trace may still be recorded.
    environ = {
        "REQUEST_METHOD": "GET", "SERVER_NAME": "x", "SERVER_PORT": "80", "QUERY_STRING": "", "PATH_INFO": "/",
        "wsgi.version": [1, 0], "wsgi.input": None, "wsgi.errors": None, "wsgi.multithread": False,
        "wsgi.multiprocess": False, "wsgi.run_once": False, "wsgi.url_scheme": "http",
    }
    trace = Trace("t", "wsgi", "http", 0.0, [Event(0, 0, "wsgi.environ", {"environ": environ})])
    assert check_trace(trace, live=True) == []
    assert [(f.rule, f.seq, f.severity) for f in check_trace(trace)] == [("trace-incomplete", 0, "warning")]
    trace.events.append(Event(1, 5, "wsgi.end", {"status": None, "bytes_sent": 0}))
    assert [f.rule for f in check_trace(trace)] == ["wsgi-no-start-response"]


def test_findings_are_in_event_order() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Connection", "close"), ("Content-Type", "text/plain; charset=utf-8")])
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
        return ["text"]

    findings = check_trace(run_wsgi(app))
    assert [f.seq for f in findings] == sorted(f.seq for f in findings)
    assert {f.rule for f in findings} == {"wsgi-hop-by-hop-header", "wsgi-start-response-twice", "wsgi-body-type"}
    assert all(isinstance(f, Finding) for f in findings)


async def test_raising_during_startup_is_a_warning_returning_is_an_error() -> None:
    async def raises(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        raise RuntimeError("database down")

    inputs = [{"type": "lifespan.startup"}]
    [finding] = check_trace(await run_asgi(raises, lifespan_scope(), inputs))
    assert (finding.rule, finding.severity) == ("lifespan-startup-no-reply", "warning")
    assert "raised" in finding.message
    [finding] = check_trace(await run_asgi(broken_asgi.sends(receive_first=1), lifespan_scope(), inputs))
    assert (finding.rule, finding.severity) == ("lifespan-startup-no-reply", "error")


async def test_a_client_that_disconnects_mid_stream_is_not_the_apps_fault() -> None:
    async def stream(scope: Any, receive: Any, send: Any) -> None:
        await receive()
        await send({**broken_asgi.START, "headers": broken_asgi.START["headers"] + [(b"content-length", b"100")]})
        await send(broken_asgi.MORE)
        message = await receive()
        assert message["type"] == "http.disconnect"

    inputs = [{"type": "http.request", "body": b""}, {"type": "http.disconnect"}]
    assert check_trace(await run_asgi(stream, inputs=inputs)) == []


def test_rule_catalog_is_well_formed() -> None:
    for rule_id, rule in RULES.items():
        assert rule.id == rule_id and rule_id == rule_id.lower()
        assert rule_id.split("-")[0] in {"wsgi", "asgi", "ws", "lifespan", "http", "trace"}
        assert rule.severity in ("error", "warning", "info")
        assert rule.summary and rule.hint and rule.source
        assert not rule.hint.endswith(".") and not rule.summary.endswith(".")


def test_every_message_is_one_sentence_of_what_and_hint() -> None:
    # "what happened; what to do." -- one semicolon, outside any quoted example.
    for rule in RULES.values():
        for part in (rule.summary, rule.hint):
            unquoted = re.sub(r"'[^']*'|e\.g\. ", "", part)
            assert ";" not in unquoted and ". " not in unquoted, (rule.id, part)


def test_the_rule_tables_in_the_docs_match_the_catalog() -> None:
    docs = (Path(__file__).parents[3] / "docs" / "checks.md").read_text(encoding="utf-8")
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `([a-z0-9-]+)` \| (?:error|warning|info) \|.*$", docs, re.MULTILINE)}
    assert sorted(rows) == sorted(RULES)
    for rule in RULES.values():
        assert rows[rule.id] == f"| `{rule.id}` | {rule.severity} | {rule.summary} | {rule.hint} | {rule.source} |"


def test_the_rules_part_of_the_docs_is_written_from_the_catalog() -> None:
    assert rule_docs.current() == rule_docs.render(), (
        "docs/checks.md and tracer/checks/rules.py disagree: run python -m tests.tracer.checks.rule_docs"
    )


def test_a_trace_that_ended_is_not_incomplete_for_events_after_its_end() -> None:
    trace = Trace("t", "asgi", "http", 0.0, [Event(0, 0, "asgi.end", {}), Event(1, 5, "asgi.send", {"message": {}})])
    assert "trace-incomplete" not in [f.rule for f in check_trace(trace)]


def test_byte_counts_in_messages_agree_in_number() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("204 No Content", [])
        return [b"x"]

    [finding] = check_trace(run_wsgi(app))
    assert "(1 byte)" in finding.message


def test_events_the_tracer_could_not_record_are_not_judged() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", "4")])
        return [b"ok", b"ok"]

    trace = run_wsgi(app)
    body = next(e for e in trace.events if e.kind == "wsgi.body")
    body.data = {"$error": "could not record: MemoryError"}
    start = next(e for e in trace.events if e.kind == "wsgi.start_response")
    assert check_trace(trace) == []
    start.data = {"$error": "could not record: TypeError"}
    assert check_trace(trace) == []


async def test_asgi_messages_the_tracer_could_not_record_leave_the_order_unjudged() -> None:
    trace = await run_asgi(broken_asgi.sends(broken_asgi.START, broken_asgi.BODY))
    start = next(e for e in trace.events if e.kind == "asgi.send")
    start.data = {"$error": "could not record: TypeError"}
    assert check_trace(trace) == []


def test_types_in_messages_read_as_english() -> None:
    def app(environ: dict[str, Any], start_response: Any) -> Any:
        start_response(b"200 OK", {"Content-Type": "text/plain"})
        return [b"ok"]

    messages = {f.rule: f.message for f in check_trace(run_wsgi(app))}
    assert messages["wsgi-status-type"].startswith("The status is bytes, not str;")
    assert messages["wsgi-headers-type"].startswith("The headers are a dict object, not a list;")
