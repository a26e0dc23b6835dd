"""Bodies sent gzip-, deflate- or br-encoded are decoded for reading, never past the cap."""

from __future__ import annotations

import gzip
import sys
import types
import zlib

import pytest

from tracer.content_coding import MAX_DECODED, codings, coding_of, decode


def test_gzip_is_decoded_and_the_note_gives_both_sizes() -> None:
    body = gzip.compress(b'{"a": 1}' * 100)
    decoded = decode(body, "gzip")
    assert decoded is not None and decoded.data == b'{"a": 1}' * 100
    assert decoded.note == f"gzip-decoded, {len(body):,} → 800 bytes"
    assert not decoded.cut and not decoded.partial


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib-wrapped", "raw"])
def test_deflate_either_wrapped_or_raw(wbits: int) -> None:
    compressor = zlib.compressobj(wbits=wbits)
    body = compressor.compress(b"hello " * 50) + compressor.flush()
    decoded = decode(body, "Deflate")
    assert decoded is not None and decoded.data == b"hello " * 50


def test_a_gzip_bomb_stops_at_the_cap_and_says_it_was_cut() -> None:
    bomb = gzip.compress(bytes(64 * 1024 * 1024))
    decoded = decode(bomb, "gzip")
    assert decoded is not None and decoded.cut
    assert decoded.data is not None and len(decoded.data) == MAX_DECODED
    assert "cut at 8.0 MiB" in decoded.note


def test_a_stream_cut_short_decodes_as_far_as_it_goes() -> None:
    body = gzip.compress(bytes(range(256)) * 64)
    half = decode(body[: len(body) // 2], "gzip")
    assert half is not None and half.partial and half.data is not None
    assert bytes(range(256)) * 64 != half.data and (bytes(range(256)) * 64).startswith(half.data)
    assert half.note.endswith("the stream ends early")
    # Pieces so far of a body that goes on: an unfinished stream is expected, not remarked on.
    assert "ends early" not in decode(body[:20], "gzip", partial=True).note  # type: ignore[union-attr]


def test_codings_applied_in_turn_are_undone_last_first() -> None:
    body = zlib.compress(gzip.compress(b"two layers"))
    decoded = decode(body, "gzip, deflate")
    assert decoded is not None and decoded.data == b"two layers"
    assert decoded.note.startswith("deflate+gzip-decoded")


def test_no_coding_or_identity_means_nothing_to_do() -> None:
    assert decode(b"plain", "") is None
    assert decode(b"plain", "identity") is None
    assert codings("identity, gzip") == ["gzip"]


def test_invalid_data_and_unknown_codings_are_said_in_one_line() -> None:
    bad = decode(b"not gzip at all", "gzip")
    assert bad is not None and bad.data is None and bad.note.startswith("not valid gzip data (")
    unknown = decode(b"x", "zstd")
    assert unknown is not None and unknown.data is None and "zstd-encoded" in unknown.note
    assert "\n" not in bad.note + unknown.note


def test_br_without_the_brotli_module_says_how_to_decode_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "brotli", None)  # import brotli raises ImportError
    decoded = decode(b"\x8b\x02\x80hello\x03", "br")
    assert decoded is not None and decoded.data is None
    assert decoded.note == "br-encoded (brotli): pip install brotli to see it decoded; shown as sent"


class _FakeDecompressor:
    """brotli.Decompressor's interface, for a body that 'decodes' to its bytes repeated."""

    def __init__(self) -> None:
        self.fed = 0

    def process(self, data: bytes, max_output_length: int | None = None) -> bytes:
        out = data * 1000
        return out[:max_output_length] if max_output_length is not None else out

    def is_finished(self) -> bool:
        return True


def test_br_with_the_brotli_module_is_decoded_within_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = types.SimpleNamespace(Decompressor=_FakeDecompressor, error=ValueError)
    monkeypatch.setitem(sys.modules, "brotli", fake)
    decoded = decode(b"ab", "br")
    assert decoded is not None and decoded.data == b"ab" * 1000 and decoded.note == "br-decoded, 2 → 2,000 bytes"
    big = decode(b"x" * 100, "br", limit=5000)
    assert big is not None and big.cut and big.data == b"x" * 5000


def test_the_header_is_found_in_str_or_bytes_pairs() -> None:
    assert coding_of([[b"Content-Encoding", b" GZIP "]]) == "gzip"
    assert coding_of([("content-type", "text/plain")]) == ""
    assert coding_of(None) == ""
