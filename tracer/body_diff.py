"""Two request or response bodies compared the way a person reads them.

JSON is compared after parsing (key order and spacing do not count) and
shown as a unified diff of the pretty-printed values; forms (urlencoded and
multipart) are compared field by field, so a new multipart boundary is not a
difference; other text gets a unified diff of its lines; binary bodies give
the offset of the first byte that differs. A body a trace kept only part of
(``max_body_bytes``) is compared as far as both traces kept it, and by its
real length.
"""

from __future__ import annotations

import difflib
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from .forms import FormField, parse_form

MAX_DIFF_LINES = 200
"""Lines of a unified diff kept in a `BodyDiff` (the rest are counted)."""


@dataclass(frozen=True, slots=True)
class Body:
    """One side's body as a trace holds it.

    Attributes:
        data: The bytes the trace kept.
        size: The body's real length (more than ``len(data)`` when cut).
        content_type: The Content-Type that came with it, or None.
        cut: The trace kept only the first ``len(data)`` bytes.
    """

    data: bytes
    size: int
    content_type: str | None = None
    cut: bool = False


@dataclass(frozen=True, slots=True)
class BodyDiff:
    """How two bodies differ (or why they count as the same).

    Attributes:
        same: Whether they count as the same.
        kind: ``"json"``, ``"form"``, ``"text"`` or ``"binary"``: how they were compared.
        message: One line saying what differs, or an aside when `same` (e.g.
            "the same JSON, written differently"); ``""`` when byte for byte equal.
        diff: A unified diff (json, form, text), ``""`` otherwise.
        offset: The first differing byte (binary, or a cut body), else None.
    """

    same: bool
    kind: str
    message: str = ""
    diff: str = ""
    offset: int | None = None


def compare_bodies(a: Body, b: Body, labels: tuple[str, str] = ("A", "B"), *, form: bool = False) -> BodyDiff:
    """Compare two bodies.

    Args:
        a: The first side's body.
        b: The second side's body.
        labels: Names of the sides, for the diff's header lines.
        form: Compare urlencoded and multipart bodies as form fields (request bodies).
    """
    if a.cut or b.cut:
        return _cut(a, b)
    if a.data == b.data:
        return BodyDiff(True, _kind_of(a, b, form))
    parsed = _json_pair(a, b)
    if parsed is not None:
        left, right = parsed
        if left == right:
            return BodyDiff(True, "json", "the same JSON, written differently")
        return _text_diff("json", _pretty(left), _pretty(right), labels, f"JSON differs ({_sizes(a, b)})")
    if form:
        fields = _form_pair(a, b)
        if fields is not None:
            left_lines, right_lines = fields
            if left_lines == right_lines:
                return BodyDiff(True, "form", "the same form fields, encoded differently")
            return _text_diff("form", left_lines, right_lines, labels, f"form fields differ ({_sizes(a, b)})")
    texts = _text_pair(a, b)
    if texts is not None:
        return _text_diff("text", *texts, labels, f"text differs ({_sizes(a, b)})")
    offset = first_difference(a.data, b.data)
    return BodyDiff(False, "binary", f"bytes differ from offset {offset} ({_sizes(a, b)})", offset=offset)


def first_difference(a: bytes, b: bytes) -> int:
    """Offset of the first byte where `a` and `b` differ (the shorter length when one is a prefix)."""
    for index, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return index
    return min(len(a), len(b))


def _cut(a: Body, b: Body) -> BodyDiff:
    kept = min(len(a.data), len(b.data))
    offset = first_difference(a.data[:kept], b.data[:kept])
    if offset < kept:
        return BodyDiff(False, "binary", f"bytes differ from offset {offset} ({_sizes(a, b)})", offset=offset)
    if a.size != b.size:
        return BodyDiff(False, "binary", f"sizes differ ({_sizes(a, b)}); the first {kept} bytes kept are the same", offset=kept)
    return BodyDiff(True, "binary", f"the same size; compared the first {kept} bytes (the trace kept no more)")


def _kind_of(a: Body, b: Body, form: bool) -> str:
    if _json_pair(a, b) is not None:
        return "json"
    if form and _form_pair(a, b) is not None:
        return "form"
    return "text" if _text_pair(a, b) is not None else "binary"


def _json_pair(a: Body, b: Body) -> tuple[Any, Any] | None:
    declared = _is_json_type(a.content_type) or _is_json_type(b.content_type)
    if not declared and not (_looks_json(a.data) and _looks_json(b.data)):
        return None
    try:
        return json.loads(a.data), json.loads(b.data)
    except (ValueError, RecursionError):
        return None


def _is_json_type(content_type: str | None) -> bool:
    if not content_type:
        return False
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or mimetype.endswith("+json")


def _looks_json(data: bytes) -> bool:
    stripped = data.lstrip()
    return stripped[:1] in (b"{", b"[")


def _pretty(value: Any) -> list[str]:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False).splitlines(keepends=True)


def _form_pair(a: Body, b: Body) -> tuple[list[str], list[str]] | None:
    left = parse_form(a.content_type, a.data) if a.data else []
    right = parse_form(b.content_type, b.data) if b.data else []
    if left is None or right is None or (not left and not right):
        return None
    return [_field_line(field) for field in left], [_field_line(field) for field in right]


def _field_line(field: FormField) -> str:
    if field.is_file:
        digest = hashlib.sha256(field.data).hexdigest()[:12]
        return f"{field.name}: file {field.filename!r} ({field.content_type or '?'}, {len(field.data)} bytes, sha256 {digest})\n"
    return f"{field.name}={field.value}\n"


def _text_pair(a: Body, b: Body) -> tuple[list[str], list[str]] | None:
    try:
        left, right = a.data.decode("utf-8"), b.data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if "\x00" in left or "\x00" in right:
        return None
    return left.splitlines(keepends=True), right.splitlines(keepends=True)


def _text_diff(kind: str, left: list[str], right: list[str], labels: tuple[str, str], message: str) -> BodyDiff:
    lines = [line if line.endswith("\n") else line + "\n" for line in difflib.unified_diff(left, right, labels[0], labels[1])]
    if len(lines) > MAX_DIFF_LINES:
        lines = lines[:MAX_DIFF_LINES] + [f"… {len(lines) - MAX_DIFF_LINES} more lines\n"]
    return BodyDiff(False, kind, message, "".join(lines))


def _sizes(a: Body, b: Body) -> str:
    return f"{a.size} bytes against {b.size}" if a.size != b.size else f"{a.size} bytes each"
