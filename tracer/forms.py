"""Request bodies that are forms, read as their fields and files.

``application/x-www-form-urlencoded`` and ``multipart/form-data`` bodies are
what HTML forms send; a person (and HAR's ``postData.params``) wants the
fields, not the encoded bytes. Multipart is parsed with Werkzeug's sans-IO
decoder, the one Flask uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from werkzeug.sansio.multipart import Field, File

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True, slots=True)
class FormField:
    """One field of a form: a value, or a file with its name, type and bytes."""

    name: str
    value: str = ""
    filename: str | None = None
    content_type: str | None = None
    data: bytes = b""

    @property
    def is_file(self) -> bool:
        """Whether this part is a file upload."""
        return self.filename is not None


def parse_form(content_type: str | None, body: bytes) -> list[FormField] | None:
    """The fields of a form body, or None when it is not a form or does not parse.

    Args:
        content_type: The request's Content-Type header.
        body: The body as the app read it (a body cut at ``max_body_bytes``
            may lose its last fields, never raise).
    """
    if not content_type:
        return None
    # Imported here: importing werkzeug loads its server and test client too, which the UI does not need at start.
    from werkzeug.http import parse_options_header

    mimetype, options = parse_options_header(content_type)
    if mimetype == "application/x-www-form-urlencoded":
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = body.decode("latin-1")
        return [FormField(name, value) for name, value in parse_qsl(text, keep_blank_values=True)]
    if mimetype == "multipart/form-data" and options.get("boundary"):
        try:
            return _multipart(options["boundary"].encode("latin-1"), body)
        except (ValueError, UnicodeError):
            return None
    return None


def _multipart(boundary: bytes, body: bytes) -> list[FormField]:
    from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

    decoder = MultipartDecoder(boundary)
    decoder.receive_data(body)
    decoder.receive_data(None)
    fields: list[FormField] = []
    current: Field | File | None = None
    parts: list[bytes] = []
    while True:
        event = decoder.next_event()
        if isinstance(event, (NeedData, Epilogue)):
            break
        if isinstance(event, (Field, File)):
            current, parts = event, []
        elif isinstance(event, Data) and current is not None:
            parts.append(event.data)
            if not event.more_data:
                fields.append(_field(current, b"".join(parts), isinstance(current, File)))
                current = None
    return fields


def _field(part: Field | File, data: bytes, is_file: bool) -> FormField:
    if is_file:
        filename = getattr(part, "filename", "")
        return FormField(part.name, filename=filename, content_type=part.headers.get("content-type"), data=data)
    charset = "utf-8"
    try:
        value = data.decode(charset)
    except UnicodeDecodeError:
        value = data.decode("latin-1")
    return FormField(part.name, value)
