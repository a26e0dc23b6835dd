"""HAR 1.2 export: one entry per http or websocket trace.

    from tracer import iter_traces
    from tracer.exporters.har import write_har

    with open("traces.har", "wb") as out:
        write_har(iter_traces("traces.jsonl"), out)

Timings come from the events: ``send`` is the time until the app's last
read of the request body, ``wait`` from there to the first response body
byte (WSGI servers send the status and headers with it), ``receive`` from
the first to the last body chunk; ``blocked``, ``dns``, ``connect`` and
``ssl`` are -1 (not applicable: the trace starts inside the server).
``time`` is their sum, as HAR requires. The raw events are kept in the
entry's ``_events``; websocket messages go in ``_webSocketMessages`` the
way Chrome writes them. Values redacted at record time stay redacted.
Entries are written in the order traces complete, which is close to, but
not always exactly, start order.
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Iterable
from typing import IO, Any
from urllib.parse import parse_qsl

import orjson

from .. import __about__
from ..codec import encode
from ..content_coding import decode
from ..forms import FormField, parse_form
from ..model import Trace
from ._http import Exchange, exchange

_NS_PER_MS = 1_000_000


def write_har(traces: Iterable[Trace], out: IO[bytes], *, raw_events: bool = True) -> int:
    """Write a HAR 1.2 document for `traces` to the binary stream `out`, entry by entry.

    Args:
        traces: Traces in any order; lifespan traces are skipped.
        out: A binary stream.
        raw_events: Keep each trace's events in the entry's ``_events`` field.

    Returns:
        The number of entries written.
    """
    creator = {"name": "tracer", "version": __about__.__version__}
    out.write(b'{"log":{"version":"1.2","creator":' + orjson.dumps(creator) + b',"pages":[],"entries":[')
    count = 0
    for trace in traces:
        entry = har_entry(trace, raw_events=raw_events)
        if entry is None:
            continue
        out.write((b"\n" if count == 0 else b",\n") + orjson.dumps(entry))
        count += 1
    out.write(b"\n]}}\n")
    return count


def har_entry(trace: Trace, *, raw_events: bool = True) -> dict[str, Any] | None:
    """The HAR entry of one http or websocket trace, or None for a lifespan trace."""
    ex = exchange(trace)
    if ex is None:
        return None
    timings = _timings(ex, trace)
    entry: dict[str, Any] = {
        "startedDateTime": _iso(trace.started_at),
        "time": round(sum(value for value in timings.values() if value > 0), 3),
        "request": _request(ex),
        "response": _response(ex),
        "cache": {},
        "timings": timings,
        "_trace": trace.id,
        "_protocol": trace.protocol,
        "_scopeType": trace.scope_type,
        "_complete": trace.complete,
    }
    if ex.error:
        # Where Chrome keeps a failed request's error, so devtools shows it.
        entry["response"]["_error"] = ex.error
    if trace.scope_type == "websocket":
        entry["_resourceType"] = "websocket"
        entry["_webSocketMessages"] = websocket_messages(trace)
    if raw_events:
        entry["_events"] = [
            {"seq": e.seq, "t_ns": e.t_ns, "kind": e.kind, "data": encode(e.data)} for e in trace.events
        ]
    return entry


def _iso(epoch: float) -> str:
    moment = datetime.datetime.fromtimestamp(epoch, tz=datetime.timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _timings(ex: Exchange, trace: Trace) -> dict[str, float]:
    sent = ex.last_request_read_ns or 0
    first = ex.first_chunk_ns if ex.first_chunk_ns is not None else ex.response_start_ns
    if first is None:
        first = trace.duration_ns
    last = ex.last_chunk_ns if ex.last_chunk_ns is not None else first
    if trace.scope_type == "websocket":
        last = trace.duration_ns
    # An app may go on reading the request after it began the response (a streaming echo):
    # receiving then starts when sending ended, so the phases never overlap and add up to `last`.
    receiving = max(first, sent)
    return {
        "blocked": -1,
        "dns": -1,
        "connect": -1,
        "ssl": -1,
        "send": _ms(sent),
        "wait": _ms(max(first - sent, 0)),
        "receive": _ms(max(last - receiving, 0)),
    }


def _ms(ns: int) -> float:
    return round(ns / _NS_PER_MS, 3)


def _nv(pairs: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"name": name, "value": value} for name, value in pairs]


def _content_type(headers: list[tuple[str, str]]) -> str | None:
    return next((value for name, value in headers if name.lower() == "content-type"), None)


def _request(ex: Exchange) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": ex.method,
        "url": ex.url,
        "httpVersion": ex.http_version,
        "cookies": [],
        "headers": _nv(ex.request_headers),
        "queryString": _nv(parse_qsl(ex.query_string, keep_blank_values=True)),
        "headersSize": -1,
        "bodySize": ex.request_body_size,
    }
    if ex.request_body_size:
        post: dict[str, Any] = {"mimeType": _content_type(ex.request_headers) or "application/octet-stream"}
        post.update(_body_text(bytes(ex.request_body), custom_encoding=True))
        fields = parse_form(post["mimeType"], bytes(ex.request_body))
        if fields is not None:
            post["params"] = [_param(field) for field in fields]
        if ex.request_truncated:
            post["_truncated"] = True
        request["postData"] = post
    return request


def _param(field: FormField) -> dict[str, str]:
    """A form field as HAR's ``postData.params`` holds it (a file by name and type; its bytes are in ``text``)."""
    if not field.is_file:
        return {"name": field.name, "value": field.value}
    param = {"name": field.name, "fileName": field.filename or ""}
    if field.content_type:
        param["contentType"] = field.content_type
    return param


def _response(ex: Exchange) -> dict[str, Any]:
    content: dict[str, Any] = {
        "size": ex.response_body_size,
        "mimeType": _content_type(ex.response_headers) or "x-unknown",
    }
    body_size = ex.response_body_size if ex.response_body_known else -1
    if ex.method == "HEAD" and ex.response_body_size:
        # The client of a HEAD request gets no body: servers drop what the app generated.
        content.update(size=0, comment=f"the app generated {ex.response_body_size} body bytes, dropped for HEAD")
        body_size = 0
    elif ex.response_body_known:
        body = bytes(ex.response_body)
        coding = next((v.strip().lower() for n, v in ex.response_headers if n.lower() == "content-encoding"), "")
        decoded = None if ex.response_truncated or not body else _decompressed(body, coding)
        if decoded is not None:
            # HAR's content is the decoded body (readers re-encode it by Content-Encoding);
            # bodySize stays the bytes sent and compression the bytes saved.
            content.update(size=len(decoded), compression=len(decoded) - len(body))
            body = decoded
        elif coding not in ("", "identity") and body:
            content["comment"] = f"the body is as sent, still {coding}-encoded"
        if body:
            content.update(_body_text(body))
        if ex.response_truncated:
            content["_truncated"] = True
    else:
        content["comment"] = "sent by the server from a file (file wrapper or pathsend); not recorded"
    location = next((value for name, value in ex.response_headers if name.lower() == "location"), "")
    return {
        "status": ex.status,
        "statusText": ex.status_text,
        "httpVersion": ex.http_version,
        "cookies": [],
        "headers": _nv(ex.response_headers),
        "content": content,
        "redirectURL": location,
        "headersSize": -1,
        "bodySize": body_size,
    }


_MAX_DECODED = 64 * 1024 * 1024


def _decompressed(data: bytes, coding: str) -> bytes | None:
    """`data` with its Content-Encoding undone (`tracer.content_coding`), or None: no coding, one tracer cannot
    decode, invalid data, a stream that ends early, or more than `_MAX_DECODED` bytes (too large to inline)."""
    decoded = decode(data, coding, limit=_MAX_DECODED)
    if decoded is None or decoded.data is None or decoded.cut or decoded.partial:
        return None
    return decoded.data


def _body_text(data: bytes, *, custom_encoding: bool = False) -> dict[str, str]:
    """HAR text for a body: UTF-8 text as is, anything else base64 (``encoding`` in content)."""
    try:
        return {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        key = "_encoding" if custom_encoding else "encoding"
        return {"text": base64.b64encode(data).decode("ascii"), key: "base64"}


def websocket_messages(trace: Trace) -> list[dict[str, Any]]:
    """The data frames of a websocket trace as Chrome's ``_webSocketMessages``.

    ``send`` is what the client sent (the app received), ``receive`` what
    the client got (the app sent); ``time`` is epoch seconds; ``opcode`` is
    1 for text and 2 for binary (base64 in ``data``).
    """
    messages = []
    for event in trace.events:
        message = event.data.get("message")
        if not isinstance(message, dict):
            continue
        kind = message.get("type")
        if kind == "websocket.receive" and event.kind == "asgi.receive":
            direction = "send"
        elif kind == "websocket.send" and event.kind == "asgi.send":
            direction = "receive"
        else:
            continue
        when = trace.started_at + event.t_ns / 1e9
        text_value, data = message.get("text"), message.get("bytes")
        if isinstance(text_value, str):
            messages.append({"type": direction, "time": when, "opcode": 1, "data": text_value})
        elif isinstance(data, bytes):
            messages.append(
                {"type": direction, "time": when, "opcode": 2, "data": base64.b64encode(data).decode("ascii")}
            )
    return messages
