"""A WSGI app (Werkzeug ``Request``/``Response``) that uses every part of PEP 3333.

    tracer run sample_apps.wsgi_showcase:app

Routes, each showing one thing a trace can hold:

    GET  /                 an index of the routes (one body chunk)
    GET  /form             an HTML form; POST /form reads it (wsgi.input)
    POST /upload           multipart upload, read from wsgi.input in 4 KiB pieces;
                           logs its size to wsgi.errors
    POST /lines            reads the body with readline()
    GET  /stream           a generator response: 5 chunks, 0.2 s apart
    GET  /legacy           the legacy write() callable, then an empty iterable
    GET  /download         this source file in 1 KiB blocks, through the server's wsgi.file_wrapper
                           (werkzeug's FileWrapper where there is none: Werkzeug's own server has none)
    GET  /boom             raises before start_response (the server answers 500)
    GET  /boom-late        raises while the body is being iterated
    GET  /exc-info         catches an error and calls start_response again with exc_info
    GET  /slow?seconds=1   sleeps in its thread (concurrent requests overlap on threads)
"""

from __future__ import annotations

import html
import io
import os
import sys
import time
from collections.abc import Iterator

from werkzeug.formparser import parse_form_data
from werkzeug.wrappers import Request, Response

UPLOAD_PIECE = 4096

_INDEX = """<!doctype html><title>WSGI showcase</title>
<h1>WSGI showcase</h1><ul>
<li><a href="/form">/form</a> form POST</li>
<li>POST /upload: multipart upload read in pieces</li>
<li><a href="/stream">/stream</a> generator response</li>
<li><a href="/legacy">/legacy</a> write() callable</li>
<li><a href="/download">/download</a> wsgi.file_wrapper</li>
<li><a href="/boom">/boom</a>, <a href="/boom-late">/boom-late</a>, <a href="/exc-info">/exc-info</a> errors</li>
<li><a href="/slow">/slow</a> one second</li>
</ul>"""

_FORM = """<!doctype html><title>Form</title>
<form method="post" action="/form"><input name="name" value="Ada"><input name="lang" value="python">
<button>send</button></form>"""


def index(request: Request) -> Response:
    return Response(_INDEX, mimetype="text/html")


def form(request: Request) -> Response:
    if request.method != "POST":
        return Response(_FORM, mimetype="text/html")
    fields = ", ".join(f"{key}={value}" for key, value in request.form.items(multi=True))
    return Response(f"form: {html.escape(fields)}\n", mimetype="text/plain")


def upload(environ, start_response):
    """Read the body in fixed pieces straight from wsgi.input, then parse the multipart form."""
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    pieces = []
    while remaining > 0:
        piece = stream.read(min(UPLOAD_PIECE, remaining))
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    stream.read(0)
    body = b"".join(pieces)
    environ["wsgi.errors"].write(f"upload: {len(body)} bytes in {len(pieces)} pieces\n")
    parse_environ = dict(environ, **{"wsgi.input": io.BytesIO(body), "CONTENT_LENGTH": str(len(body))})
    _, form_fields, files = parse_form_data(parse_environ)
    lines = [f"{len(body)} bytes in {len(pieces)} pieces"]
    lines += [f"field {key}={value}" for key, value in form_fields.items(multi=True)]
    lines += [f"file {key}: {f.filename} ({len(f.read())} bytes)" for key, f in files.items(multi=True)]
    start_response("200 OK", [("Content-Type", "text/plain; charset=utf-8")])
    return ["\n".join(lines).encode() + b"\n"]


def lines(environ, start_response):
    """Read the request body line by line, never past CONTENT_LENGTH (the stream may be the raw socket)."""
    remaining = int(environ.get("CONTENT_LENGTH") or 0)
    stream = environ["wsgi.input"]
    read = []
    while remaining > 0:
        line = stream.readline(remaining)
        if not line:
            break
        read.append(line)
        remaining -= len(line)
    first = read[0] if read else b""
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [f"first line {first!r}, then {len(read) - 1 if read else 0} more\n".encode()]


def stream(request: Request) -> Response:
    count = int(request.args.get("count", 5))
    delay = float(request.args.get("delay", 0.2))

    def chunks() -> Iterator[bytes]:
        for number in range(count):
            if number:
                time.sleep(delay)
            yield f"chunk {number} at {time.time():.3f}\n".encode()

    return Response(chunks(), mimetype="text/plain")


def legacy(environ, start_response):
    """The write() callable that start_response returns, from before iterables (PEP 3333 'Buffering')."""
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"written with write(), ")
    write(b"twice\n")
    return []


def download(environ, start_response):
    """Hand a file to the server's wsgi.file_wrapper; Werkzeug's dev server has none, so werkzeug's FileWrapper stands in."""
    handle = open(__file__, "rb")  # this very source file
    size = os.fstat(handle.fileno()).st_size
    start_response("200 OK", [("Content-Type", "text/x-python; charset=utf-8"), ("Content-Length", str(size))])
    wrapper = environ.get("wsgi.file_wrapper")
    if wrapper is None:
        from werkzeug.wsgi import FileWrapper as wrapper
    return wrapper(handle, 1024)


def boom(request: Request) -> Response:
    raise ZeroDivisionError("division by zero in /boom")


def boom_late(environ, start_response):
    def chunks() -> Iterator[bytes]:
        yield b"first chunk, then "
        raise RuntimeError("failed while streaming /boom-late")

    start_response("200 OK", [("Content-Type", "text/plain")])
    return chunks()


def exc_info(environ, start_response):
    """Start a response, hit an error before any body, and replace the response (PEP 3333 'Error Handling')."""
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise LookupError("the thing was not there")
    except LookupError:
        start_response("500 Internal Server Error", [("Content-Type", "text/plain")], sys.exc_info())
    return [b"replaced the response after an error\n"]


def slow(request: Request) -> Response:
    seconds = min(float(request.args.get("seconds", 1)), 10.0)
    started = time.time()
    time.sleep(seconds)
    return Response(f"slept {seconds:g} s from {started:.3f}\n", mimetype="text/plain")


_REQUEST_ROUTES = {"/": index, "/form": form, "/stream": stream, "/boom": boom, "/slow": slow}
_WSGI_ROUTES = {
    "/upload": upload,
    "/lines": lines,
    "/legacy": legacy,
    "/download": download,
    "/boom-late": boom_late,
    "/exc-info": exc_info,
}


def app(environ, start_response):
    """Dispatch on PATH_INFO: Werkzeug views for most routes, raw WSGI where the protocol itself is the point."""
    path = environ.get("PATH_INFO") or "/"
    raw = _WSGI_ROUTES.get(path)
    if raw is not None:
        return raw(environ, start_response)
    view = _REQUEST_ROUTES.get(path)
    if view is None:
        return Response("not found\n", status=404, mimetype="text/plain")(environ, start_response)
    return view(Request(environ))(environ, start_response)


application = app
