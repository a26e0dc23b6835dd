"""The environ encoder's fast path (keys remembered as plain) gives the same values as the per-key rules."""

from __future__ import annotations

import io

from tracer.redact import Redactor


class Key(str):
    """A str subclass: equal to a plain key, so only its type tells it apart."""


def test_plain_environ_values_and_redaction() -> None:
    redactor = Redactor()
    environ = {"PATH_INFO": "/", "wsgi.version": (1, 0), "HTTP_COOKIE": "a=b", "wsgi.run_once": False, "x": None}
    for _ in range(2):  # the first time learns the keys, the second takes the fast path
        out = redactor.encode_environ(dict(environ))
        assert out == {"PATH_INFO": "/", "wsgi.version": [1, 0], "HTTP_COOKIE": "[redacted]", "wsgi.run_once": False, "x": None}
        assert list(out) == list(environ)


def test_repr_values_and_big_ints_after_the_keys_are_known() -> None:
    redactor = Redactor()
    stream = io.BytesIO()
    for _ in range(2):
        out = redactor.encode_environ({"wsgi.input": stream, "n": 2**70, "d": {"k": b"v"}})
        assert out["wsgi.input"]["$type"] == "_io.BytesIO"
        assert out["n"] == {"$int": str(2**70)}
        assert out["d"] == {"k": {"$bytes": "v"}}


def test_a_str_subclass_key_equal_to_a_known_key_is_still_odd() -> None:
    redactor = Redactor()
    redactor.encode_environ({"PATH_INFO": "/"})
    out = redactor.encode_environ({Key("PATH_INFO"): "/", "HTTP_COOKIE": "secret"})
    assert out == {"$dict": [["PATH_INFO", "/"], ["HTTP_COOKIE", "[redacted]"]]}


def test_dollar_and_non_str_keys_are_odd_every_time() -> None:
    redactor = Redactor()
    for _ in range(2):
        assert redactor.encode_environ({"$x": 1, "HTTP_COOKIE": "s"}) == {"$dict": [["$x", 1], ["HTTP_COOKIE", "[redacted]"]]}
        assert redactor.encode_environ({1: "a"}) == {"$dict": [[1, "a"]]}
