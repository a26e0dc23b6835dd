"""A Flask app for the framework tests: `tracer run tests.frameworks.apps.flask_app:app`."""

from __future__ import annotations

import time

from flask import Flask, Response, jsonify, request

from tests.frameworks.apps import CHUNK_DELAY, CHUNKS

app = Flask(__name__)


@app.get("/hello")
def hello():
    response = Response("Hello from Flask\n", mimetype="text/plain")
    response.set_cookie("session", "secret-value")
    return response


@app.post("/echo")
def echo():
    return jsonify(received=request.get_json(), query=request.args.get("q"))


@app.get("/stream")
def stream():
    def chunks():
        for number in range(CHUNKS):
            if number:
                time.sleep(CHUNK_DELAY)
            yield f"chunk {number}\n"

    return Response(chunks(), mimetype="text/plain")


@app.get("/missing")
def missing():
    return Response("nothing here\n", status=404, mimetype="text/plain")
