"""What `twin_wsgi` and `twin_asgi` share: the responses, as (status, content type, body)."""

from __future__ import annotations

import json

TEXT = "text/plain; charset=utf-8"
JSON = "application/json"
REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 404: "Not Found"}
STREAM_CHUNKS = (b"one\n", b"two\n", b"three\n")
STREAM_DELAY = 0.2


def greeting() -> tuple[int, str, bytes]:
    return 200, TEXT, b"notes: the same app, once as WSGI and once as ASGI\n"


def listing(notes: list[dict]) -> tuple[int, str, bytes]:
    return 200, JSON, _json(notes)


def add(notes: list[dict], body: bytes) -> tuple[int, str, bytes]:
    try:
        text = json.loads(body)["text"]
    except (ValueError, KeyError, TypeError):
        return 400, JSON, _json({"error": 'expected a JSON body {"text": ...}'})
    note = {"id": len(notes) + 1, "text": str(text)}
    notes.append(note)
    return 201, JSON, _json(note)


def one(notes: list[dict], number: str) -> tuple[int, str, bytes]:
    if number.isdigit() and 0 < int(number) <= len(notes):
        return 200, JSON, _json(notes[int(number) - 1])
    return 404, JSON, _json({"error": f"no note {number}"})


def seconds(value: str | None) -> float:
    try:
        return min(max(float(value or 1), 0.0), 10.0)
    except ValueError:
        return 1.0


def slept(seconds: float) -> tuple[int, str, bytes]:
    return 200, TEXT, f"slept {seconds:g} s\n".encode()


def not_found() -> tuple[int, str, bytes]:
    return 404, TEXT, b"not found\n"


def _json(value: object) -> bytes:
    return json.dumps(value).encode() + b"\n"
