"""The trace file's value encoding round-trips losslessly."""

from __future__ import annotations

import math

import orjson
import pytest

from tracer.codec import decode, encode, encode_bytes
from tracer.model import ReprValue, TruncatedBytes


def roundtrip(value: object) -> object:
    return decode(orjson.loads(orjson.dumps(encode(value))))


@pytest.mark.parametrize(
    "value",
    [
        "text",
        "ünïcode ✓",
        0,
        -5,
        2**63 - 1,
        1.5,
        True,
        None,
        b"utf-8 bytes",
        b"\x00\xff\xfe binary",
        b"",
        {"nested": {"list": [1, b"x", "y"]}},
        {"$dollar": 1, "plain": 2},
        {1: "int key", (1, 2): "tuple key"},
        {b"bytes-key": b"v"},
        [[b"name", b"value"]],
    ],
)
def test_values_round_trip(value: object) -> None:
    result = roundtrip(value)
    assert result == value
    assert type(result) is type(value)


def test_tuples_become_lists() -> None:
    assert roundtrip(("127.0.0.1", 8000)) == ["127.0.0.1", 8000]


def test_bytes_and_str_stay_distinct() -> None:
    assert encode(b"abc") == {"$bytes": "abc"}
    assert encode("abc") == "abc"
    assert encode(b"\xff") == {"$base64": "/w=="}


def test_truncated_bytes_keep_their_original_length() -> None:
    encoded = encode_bytes(b"abcd", 100)
    assert encoded == {"$bytes": "abcd", "$truncated": 100}
    value = decode(encoded)
    assert isinstance(value, TruncatedBytes)
    assert value == b"abcd" and value.original_length == 100
    assert roundtrip(value) == value and roundtrip(value).original_length == 100


def test_a_cut_inside_a_utf8_sequence_falls_back_to_base64() -> None:
    data = "é".encode()[:1]
    encoded = encode_bytes(data, 2)
    assert "$base64" in encoded
    assert decode(encoded) == data


def test_other_objects_keep_repr_and_type() -> None:
    class Thing:
        def __repr__(self) -> str:
            return "<Thing 42>"

    value = roundtrip({"obj": Thing(), "huge": 2**70, "nan": math.nan})
    assert isinstance(value, dict)
    assert value["obj"] == ReprValue("<Thing 42>", f"{__name__}.test_other_objects_keep_repr_and_type.<locals>.Thing")
    assert value["nan"].repr == "nan"


@pytest.mark.parametrize("number", [2**64, 2**70, -(2**63) - 1, -(10**40), 2**64 - 1, -(2**63)])
def test_ints_beyond_64_bits_read_back_as_ints(number: int) -> None:
    value = roundtrip({"n": number, "nested": [number]})
    assert value == {"n": number, "nested": [number]}
    assert type(value["n"]) is int


def test_a_broken_repr_does_not_raise() -> None:
    class Broken:
        def __repr__(self) -> str:
            raise RuntimeError("no")

    assert encode(Broken())["$repr"].endswith("Broken object>")


def test_snapshot_is_independent_of_later_mutation() -> None:
    original = {"headers": [(b"a", b"1")], "inner": {"k": "v"}}
    encoded = encode(original)
    original["inner"]["k"] = "changed"
    original["headers"].append((b"b", b"2"))
    assert decode(encoded) == {"headers": [[b"a", b"1"]], "inner": {"k": "v"}}
