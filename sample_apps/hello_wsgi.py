"""The classic WSGI app of PEP 3333.

    tracer run sample_apps.hello_wsgi:simple_app
"""


def simple_app(environ, start_response):
    """Say hello: one start_response, one body chunk."""
    status = "200 OK"
    response_headers = [("Content-type", "text/plain")]
    start_response(status, response_headers)
    return [b"Hello, World!"]


app = simple_app
