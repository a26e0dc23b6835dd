"""Redaction of secret header values before they reach a trace."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .codec import encode

DEFAULT_REDACT_HEADERS: frozenset[str] = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "x-csrf-token",
        "x-xsrf-token",
        "x-auth-token",
    }
)
"""Header names (lower case) redacted by default; pass ``redact_headers`` to change."""

REDACTED = "[redacted]"
REDACTED_BYTES = b"[redacted]"


class Redactor:
    """Encodes header lists and environs with the values of secret headers replaced."""

    __slots__ = ("_names", "_bnames", "environ_keys")

    def __init__(self, names: Iterable[str] | None = None) -> None:
        chosen = DEFAULT_REDACT_HEADERS if names is None else frozenset(n.lower() for n in names)
        self._names = frozenset(chosen)
        self._bnames = frozenset(n.encode("latin-1") for n in chosen)
        self.environ_keys = frozenset("HTTP_" + n.upper().replace("-", "_") for n in chosen)

    def is_secret(self, name: Any) -> bool:
        """Whether a header `name` (str or bytes, any case) is redacted."""
        if type(name) is bytes:
            return name.lower() in self._bnames
        if isinstance(name, str):
            return name.lower() in self._names
        return False

    def encode_headers(self, headers: Any) -> Any:
        """Encode a header list as ``[[name, value], ...]`` with secret values replaced."""
        try:
            items = list(headers)
        except TypeError:
            return encode(headers)
        out = []
        for item in items:
            if (type(item) is tuple or type(item) is list) and len(item) == 2:
                name, value = item
                if self.is_secret(name):
                    value = REDACTED_BYTES if isinstance(value, bytes) else REDACTED
                out.append([encode(name), encode(value)])
            else:
                out.append(encode(item))
        return out

    def encode_environ(self, environ: dict[str, Any]) -> Any:
        """Encode a WSGI environ with secret ``HTTP_*`` values replaced."""
        encoded = encode(environ)
        if "$dict" in encoded:
            return encoded
        for key in self.environ_keys.intersection(encoded):
            encoded[key] = REDACTED
        return encoded

    def encode_mapping(self, mapping: Any, body_keys: tuple[str, ...] = (), body: Any = None) -> Any:
        """Encode an ASGI scope or message in one pass.

        Its ``headers`` are redacted; bytes under `body_keys` go through `body`
        (which applies ``max_body_bytes``).
        """
        if type(mapping) is not dict:
            return encode(mapping)
        out: dict[str, Any] = {}
        for key, value in mapping.items():
            if type(key) is not str or key[:1] == "$":
                return self._encode_odd_mapping(mapping)
            if key == "headers":
                out[key] = self.encode_headers(value)
            elif body is not None and key in body_keys and type(value) is bytes:
                out[key] = body(value)
            else:
                out[key] = encode(value)
        return out

    def _encode_odd_mapping(self, mapping: dict[Any, Any]) -> Any:
        pairs = []
        for key, value in mapping.items():
            encoded = self.encode_headers(value) if key == "headers" else encode(value)
            pairs.append([encode(key), encoded])
        return {"$dict": pairs}
