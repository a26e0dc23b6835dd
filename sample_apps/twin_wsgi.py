"""A small notes app written for WSGI; `twin_asgi` is the same app for ASGI.

    tracer run sample_apps.twin_wsgi:app

Both answer the same requests with the same status, headers and bytes, so
the two protocols can be compared request for request in the trace:

    GET  /                 a one-line greeting
    GET  /notes            every note, as JSON
    POST /notes            add a note from a JSON body {"text": ...}; 201
    GET  /notes/<n>        one note, or 404
    GET  /stream           three chunks, 0.2 s apart
    GET  /slow?seconds=1   answers after a wait
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

from sample_apps import twin_notes as notes

_lock = threading.Lock()
_notes: list[dict] = []


def app(environ, start_response):
    """Route on method and PATH_INFO."""
    method = environ["REQUEST_METHOD"]
    path = environ.get("PATH_INFO") or "/"
    query = {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    if path == "/" and method == "GET":
        return _send(start_response, *notes.greeting())
    if path == "/notes" and method == "GET":
        with _lock:
            return _send(start_response, *notes.listing(_notes))
    if path == "/notes" and method == "POST":
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        with _lock:
            return _send(start_response, *notes.add(_notes, body))
    if path.startswith("/notes/") and method == "GET":
        with _lock:
            return _send(start_response, *notes.one(_notes, path.removeprefix("/notes/")))
    if path == "/stream" and method == "GET":
        start_response("200 OK", [("Content-Type", notes.TEXT)])
        return _chunks()
    if path == "/slow" and method == "GET":
        seconds = notes.seconds(query.get("seconds"))
        time.sleep(seconds)
        return _send(start_response, *notes.slept(seconds))
    return _send(start_response, *notes.not_found())


def _chunks() -> Iterator[bytes]:
    for number, chunk in enumerate(notes.STREAM_CHUNKS):
        if number:
            time.sleep(notes.STREAM_DELAY)
        yield chunk


def _send(start_response, status: int, content_type: str, body: bytes):
    headers = [("Content-Type", content_type), ("Content-Length", str(len(body)))]
    start_response(f"{status} {notes.REASONS[status]}", headers)
    return [body]


application = app
