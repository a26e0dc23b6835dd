"""Run the ASGI corpus under asgion and tracer side by side (by hand, not in CI).

asgion needs Python 3.12 or newer, so it is not a test dependency:

    python3.12 -m venv /some/venv && /some/venv/bin/pip install asgion asgiref orjson werkzeug
    /some/venv/bin/python -m tests.tracer.checks.compare_asgion

Prints, for every ASGI broken example of the rule catalog and for one extra app per
asgion rule the corpus does not already break, asgion's violations next to
tracer's findings, and marks any app where asgion reports an error or
warning and tracer reports nothing.
"""

from __future__ import annotations

import asyncio
from typing import Any

from asgion import Inspector

from tracer import ASGITracer, Recorder
from tracer.checks import check_trace

from . import broken_asgi as b
from .catalog import cases as catalog_cases
from .drivers import http_scope, lifespan_scope, ws_scope

_CT = (b"content-type", b"a/b")
_DENIAL = {"extensions": {"websocket.http.response": {}}}
EXTRA: list[tuple[str, Any, dict[str, Any], list[dict[str, Any]]]] = [
    ("duplicate content-type", b.sends(b.headers(_CT, _CT), b.BODY), http_scope(), []),
    ("no content-type", b.sends(b.headers(), b.BODY), http_scope(), []),
    ("cors", b.sends(b.headers(_CT, (b"access-control-allow-origin", b"*"), (b"access-control-allow-credentials", b"true")), b.BODY), http_scope(), []),
    ("charset", b.sends(b.headers((b"content-type", b"text/html")), b.BODY), http_scope(), []),
    ("trailers type", b.sends({**b.START, "trailers": "yes"}, b.BODY), http_scope(), []),
    ("no asgi key", b.sends(b.START, b.BODY), {k: v for k, v in http_scope().items() if k != "asgi"}, []),
    ("asgi version", b.sends(b.START, b.BODY), http_scope(asgi={"version": "4.0"}), []),
    ("lowercase method", b.sends(b.START, b.BODY), http_scope("get"), []),
    ("scope extensions type", b.sends(b.START, b.BODY), http_scope(extensions=5), []),
    ("scope state type", b.sends(b.START, b.BODY), http_scope(state=5), []),
    ("head body", b.sends(b.START, b.BODY), http_scope("HEAD"), []),
    ("204 body", b.sends({**b.START, "status": 204}, b.BODY), http_scope(), []),
    ("early hint without extension", b.sends({"type": "http.response.early_hint", "links": []}, b.START, b.BODY), http_scope(), []),
    ("debug after start", b.sends(b.START, {"type": "http.response.debug", "info": {}}, b.BODY), http_scope(extensions={"http.response.debug": {}}), []),
    ("debug info type", b.sends({"type": "http.response.debug", "info": 5}, b.START, b.BODY), http_scope(extensions={"http.response.debug": {}}), []),
    ("push without extension", b.sends(b.START, {"type": "http.response.push", "path": "/a", "headers": []}, b.BODY), http_scope(), []),
    ("pathsend path type", b.sends(b.START, {"type": "http.response.pathsend", "path": 5}), http_scope(extensions={"http.response.pathsend": {}}), []),
    ("request after body complete", b.sends(b.START, b.BODY, receive_first=2), http_scope(), [{"type": "http.request", "body": b""}] * 2),
    ("infinity", b.sends({**b.START, "x": float("inf")}, b.BODY), http_scope(), []),
    ("object in message", b.sends({**b.START, "x": object()}, b.BODY), http_scope(), []),
    ("message not a dict", b.sends("not a dict"), http_scope(), []),
    ("type not a str", b.sends({"type": 5}), http_scope(), []),
    ("set-cookie without Secure (redacted)", b.sends(b.headers(_CT, (b"set-cookie", b"a=1")), b.BODY), http_scope(), []),
    ("ws close code type", b.ws(b.ACCEPT, {"type": "websocket.close", "code": "x"}), ws_scope(), [b.CONNECT]),
    ("ws subprotocol type", b.ws({**b.ACCEPT, "subprotocol": 5}), ws_scope(), [b.CONNECT]),
    ("ws accept headers format", b.ws({**b.ACCEPT, "headers": [b"x"]}), ws_scope(), [b.CONNECT]),
    ("ws bytes type", b.ws(b.ACCEPT, {"type": "websocket.send", "bytes": "str"}), ws_scope(), [b.CONNECT]),
    ("ws connect twice", b.ws(b.ACCEPT, {"type": "websocket.close"}, receive_after=1), ws_scope(), [b.CONNECT, b.CONNECT]),
    ("ws disconnect code type", b.ws(b.ACCEPT, receive_after=1), ws_scope(), [b.CONNECT, {"type": "websocket.disconnect", "code": "x"}]),
    ("ws denial after accept", b.ws(b.ACCEPT, {"type": "websocket.http.response.start", "status": 403, "headers": []}), ws_scope(**_DENIAL), [b.CONNECT]),
    ("ws denial status type", b.ws({"type": "websocket.http.response.start", "status": "403", "headers": []}, {"type": "websocket.http.response.body", "body": b""}), ws_scope(**_DENIAL), [b.CONNECT]),
    ("ws denial then send", b.ws({"type": "websocket.http.response.start", "status": 403, "headers": []}, {"type": "websocket.send", "text": "x"}), ws_scope(**_DENIAL), [b.CONNECT]),
    ("lifespan failed message type", b.sends({"type": "lifespan.startup.failed", "message": 5}, receive_first=1), lifespan_scope(), [{"type": "lifespan.startup"}]),
    ("lifespan startup received twice", b.sends({"type": "lifespan.startup.complete"}, receive_first=2), lifespan_scope(), [{"type": "lifespan.startup"}] * 2),
    ("lifespan shutdown before startup", b.sends({"type": "lifespan.shutdown.complete"}, receive_first=1), lifespan_scope(), [{"type": "lifespan.shutdown"}]),
]


async def run(app: Any, scope: dict[str, Any], inputs: list[dict[str, Any]]) -> tuple[list[Any], list[Any]]:
    """asgion's violations and tracer's findings for one app (asgion outside, tracer inside)."""
    rec = Recorder()
    violations: list[Any] = []
    inspected = Inspector(ASGITracer(app, sink=rec), on_violation=violations.append)
    queue = list(inputs) or [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if queue:
            return queue.pop(0)
        await asyncio.sleep(30)
        raise AssertionError("receive() called once too often")

    async def send(message: Any) -> None:
        pass

    try:
        await asyncio.wait_for(inspected(scope, receive, send), 3)
    except Exception:  # noqa: BLE001 - some corpus apps raise on purpose
        pass
    [trace] = rec.traces()
    return violations, check_trace(trace)


async def main() -> None:
    cases = [(case.rule, case.app, case.scope, case.inputs) for case in catalog_cases("asgi")] + EXTRA
    missed = 0
    for label, app, scope, inputs in cases:
        violations, findings = await run(app, scope, inputs)
        theirs = sorted({(v.rule_id, str(getattr(v.severity, "value", v.severity))) for v in violations})
        ours = sorted({(f.rule, f.severity) for f in findings})
        serious = [item for item in theirs if item[1] in ("error", "warning")]
        flag = "   <-- asgion only" if serious and not ours else ""
        missed += bool(flag)
        print(f"{label:38} asgion={theirs}\n{'':38} tracer={ours}{flag}")
    print(f"\n{len(cases)} apps; {missed} where only asgion reports an error or warning")


if __name__ == "__main__":
    asyncio.run(main())
