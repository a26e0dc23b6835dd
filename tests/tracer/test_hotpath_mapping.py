"""ASGI scopes, messages and header lists encode the same on the fast paths as by the per-item rules."""

from __future__ import annotations

from tracer.redact import Redactor


class Key(str):
    """A str subclass: equal to a plain key, so only its type tells it apart."""


class Secretive(bytes):
    """A bytes subclass as a secret header's value: redacted all the same."""


def test_bytes_headers_with_a_secret_and_odd_items() -> None:
    redactor = Redactor()
    headers = [(b"host", b"h"), (b"Authorization", b"Bearer x"), (b"x-raw", b"\xff")]
    assert redactor.encode_headers(headers) == [
        [{"$bytes": "host"}, {"$bytes": "h"}],
        [{"$bytes": "Authorization"}, {"$bytes": "[redacted]"}],
        [{"$bytes": "x-raw"}, {"$base64": "/w=="}],
    ]


def test_a_secret_value_of_another_type_is_still_redacted() -> None:
    redactor = Redactor()
    assert redactor.encode_headers([(b"cookie", Secretive(b"s=1"))]) == [[{"$bytes": "cookie"}, {"$bytes": "[redacted]"}]]
    assert redactor.encode_headers([(b"cookie", "s=1")]) == [[{"$bytes": "cookie"}, "[redacted]"]]
    assert redactor.encode_headers([(b"a", b"1"), ("b", "2")]) == [[{"$bytes": "a"}, {"$bytes": "1"}], ["b", "2"]]


def test_messages_with_ints_bytes_and_nested_values() -> None:
    redactor = Redactor()
    budgeted: list[bytes] = []

    def body(data: bytes) -> dict[str, str]:
        budgeted.append(data)
        return {"$bytes": data.decode()}

    message = {"type": "http.response.start", "status": 200, "big": 2**70, "raw": b"r", "body": b"b", "t": (1, "a")}
    for _ in range(2):  # learns the keys, then the fast path
        out = redactor.encode_mapping(dict(message), ("body",), body)
        assert out == {
            "type": "http.response.start",
            "status": 200,
            "big": {"$int": str(2**70)},
            "raw": {"$bytes": "r"},
            "body": {"$bytes": "b"},
            "t": [1, "a"],
        }
        assert list(out) == list(message)
    assert budgeted == [b"b", b"b"]


def test_odd_keys_in_a_mapping_after_the_plain_ones_are_known() -> None:
    redactor = Redactor()
    redactor.encode_mapping({"type": "http", "headers": []})
    assert redactor.encode_mapping({Key("type"): "http"}) == {"$dict": [["type", "http"]]}
    assert redactor.encode_mapping({"$type": "x"}) == {"$dict": [["$type", "x"]]}
