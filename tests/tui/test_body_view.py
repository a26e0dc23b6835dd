"""How bodies are shown in the step detail: text, JSON, or a hex dump."""

from __future__ import annotations

import io

from rich.console import Console

from tracer.model import TruncatedBytes
from tui.widgets.body_view import body_view


def shown(value: object, content_type: str = "text/plain", width: int = 80) -> str:
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    for part in body_view(value, content_type):
        console.print(part)
    return console.export_text()


def test_utf8_bytes_with_control_characters_are_binary() -> None:
    # A websocket frame b"\x00\x01 raw bytes" decodes as UTF-8, but as text its first bytes would vanish.
    text = shown(b"\x00\x01 raw bytes", "application/octet-stream")
    assert "binary, hex" in text
    assert "00000000  00 01 20 72 61 77" in text


def test_text_with_tabs_and_line_breaks_stays_text() -> None:
    text = shown(b"a\tb\r\nc\n")
    assert "hex" not in text and "c" in text


def test_a_text_frame_shows_its_control_characters_as_symbols() -> None:
    text = shown("clear \x1b[2J screen")
    assert "\x1b" not in text and "clear ␛[2J screen" in text


def test_a_body_cut_inside_a_character_is_still_text() -> None:
    # max_body_bytes kept 7 bytes: "héllo" and the first byte of "é".
    value = TruncatedBytes("héllo".encode() + b"\xc3", 40)
    text = shown(value)
    assert "héllo" in text and "hex" not in text
    assert "$truncated: kept 7 of 40 bytes" in text


def test_a_long_body_cut_for_display_inside_a_character_is_still_text() -> None:
    from tui.widgets.body_view import MAX_SHOWN

    text = shown(b"x" + "é".encode() * MAX_SHOWN)  # the cut at MAX_SHOWN falls inside an "é"
    assert "hex" not in text and "more bytes not shown" in text


def test_hex_dump_fits_a_narrow_pane() -> None:
    text = shown(bytes(range(0x80, 0xA0)), width=40)
    lines = [line for line in text.splitlines()[2:] if line.strip()]
    assert lines[0].startswith("00000000  80 81 82 83")
    assert all(line[:8].isalnum() and len(line) <= 40 for line in lines)  # no row wrapped onto a second line
    wide = [line for line in shown(bytes(range(0x80, 0xA0)), width=100).splitlines()[2:] if line.strip()]
    assert len(wide) == 2  # 16 bytes a row where they fit


def test_a_body_that_is_not_bytes_is_named_not_converted() -> None:
    # bytes(10**12) would try to allocate a terabyte.
    assert "not bytes: 1000000000000" in shown(10**12)
    assert "not bytes: {'a': 1}" in shown({"a": 1})


def test_ansi_coloured_output_is_text_with_its_escapes_shown() -> None:
    text = shown(b"\x1b[32mPASSED\x1b[0m\n")
    assert "hex" not in text and "␛[32mPASSED␛[0m" in text
