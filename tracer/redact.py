"""Redaction of secret header values before they reach a trace."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable
from typing import Any, Final

from .codec import _INT_MAX, _INT_MIN, _repr_types, encode, encode_bytes, encode_repr, encode_socket

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

# CGI variables a server sets itself (PEP 3333); anything else in an environ
# that is also a variable of the server's process environment was copied from
# it (wsgiref does that) and may hold secrets such as tokens or database URLs.
CGI_KEYS: frozenset[str] = frozenset(
    {
        "AUTH_TYPE",
        "CONTENT_LENGTH",
        "CONTENT_TYPE",
        "GATEWAY_INTERFACE",
        "HTTPS",
        "PATH_INFO",
        "PATH_TRANSLATED",
        "QUERY_STRING",
        "RAW_URI",
        "REMOTE_ADDR",
        "REMOTE_HOST",
        "REMOTE_IDENT",
        "REMOTE_PORT",
        "REMOTE_USER",
        "REQUEST_METHOD",
        "REQUEST_URI",
        "SCRIPT_NAME",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
    }
)

_Socket: Final = socket.socket

_plain_keys: Final[set[str]] = set()
"""Environ keys seen to be plain (a str not starting with ``$``): most environs then need no check of their keys."""
_MAX_PLAIN_KEYS: Final = 10_000


def _learn_plain_keys(environ: dict[Any, Any]) -> bool:
    """Whether every key of `environ` is plain; remembers them (up to a bound) when they are."""
    for key in environ:
        if type(key) is not str or key[:1] == "$":
            return False
    _remember_plain_keys(environ)
    return True


def _remember_plain_keys(keys: Any) -> None:
    """Add `keys`, each a str not starting with "$", to `_plain_keys` (until it holds `_MAX_PLAIN_KEYS`)."""
    if len(_plain_keys) < _MAX_PLAIN_KEYS:
        _plain_keys.update(keys)


REDACTED: Final = "[redacted]"
REDACTED_BYTES: Final = b"[redacted]"


def _redacted_bytes(value: Any) -> str:
    """The text of a redacted bytes value; any other type is left to the per-item rules."""
    if type(value) is not bytes:
        raise TypeError("not bytes")
    return REDACTED


class Redactor:
    """Encodes header lists and environs with the values of secret headers replaced."""

    __slots__ = ("_names", "_bnames", "_any_names", "environ_keys", "_process_env", "_secret_environ")

    def __init__(self, names: Iterable[str] | None = None) -> None:
        chosen = DEFAULT_REDACT_HEADERS if names is None else frozenset(n.lower() for n in names)
        self._names = frozenset(chosen)
        self._bnames = frozenset(n.encode("latin-1") for n in chosen)
        self._any_names = self._names | self._bnames
        self.environ_keys = frozenset("HTTP_" + n.upper().replace("-", "_") for n in chosen)
        self._process_env = frozenset(k for k in os.environ if k not in CGI_KEYS and not k.startswith("HTTP_"))
        # One set, so that an environ is redacted with one intersection.
        self._secret_environ = self.environ_keys | self._process_env

    def is_secret(self, name: Any) -> bool:
        """Whether a header `name` (str or bytes, any case) is redacted."""
        if type(name) is bytes:
            return name.lower() in self._bnames
        if isinstance(name, str):
            return name.lower() in self._names
        return False

    def encode_headers(self, headers: Any) -> Any:
        """Encode a header list as ``[[name, value], ...]`` with secret values replaced."""
        if not isinstance(headers, (list, tuple)):
            # Any other iterable would be used up by reading it, and the server would get no headers.
            return encode_repr(headers)
        secret = self._any_names
        if headers and type(headers[0]) is tuple and type(headers[0][0]) is bytes:
            # ASGI's shape, (bytes, bytes), in one comprehension; anything else it meets (a str, a
            # secret value that is not bytes, text that is not UTF-8) sends the list the long way.
            try:
                return [
                    [{"$bytes": n.decode()}, {"$bytes": v.decode() if n.lower() not in secret else _redacted_bytes(v)}]
                    for n, v in headers
                ]
            except Exception:  # noqa: BLE001
                pass
        out: list[Any] = []
        append = out.append
        for item in headers:
            # Fast path for the two shapes servers and apps use: (bytes, bytes) and (str, str).
            try:
                name, value = item
                if name.lower() in secret:
                    value = REDACTED_BYTES if type(value) is bytes else REDACTED
                if type(name) is str and type(value) is str:
                    append([name, value])
                else:
                    append([{"$bytes": name.decode()}, {"$bytes": value.decode()}])
            except Exception:  # noqa: BLE001 - odd headers are the app's business; record them as they are
                append(self._encode_odd_header(item))
        return out

    def _encode_odd_header(self, item: Any) -> Any:
        if (type(item) is tuple or type(item) is list) and len(item) == 2:
            name, value = item
            if self.is_secret(name):
                value = REDACTED_BYTES if isinstance(value, bytes) else REDACTED
            return [encode(name), encode(value)]
        return encode(item)

    def encode_environ(self, environ: Any) -> Any:
        """Encode a WSGI environ with secret ``HTTP_*`` values replaced.

        Variables the server copied from its process environment are replaced too.
        """
        if type(environ) is not dict:
            return encode(environ)
        if not _plain_keys.issuperset(environ) and not _learn_plain_keys(environ):
            return self._encode_odd_environ(environ)
        # A copy (in C), then only the values that are not plain JSON are replaced: most are str.
        out = environ.copy()
        for key, value in environ.items():
            if type(key) is not str:
                # Equal to a plain key, but a subclass of str.
                return self._encode_odd_environ(environ)
            kind = type(value)
            if kind is str or kind is bool or value is None:
                continue
            if kind is _Socket:
                # A server's socket (werkzeug.socket): its repr() asks the kernel for both addresses.
                # Before the types kept as their repr, which a socket met elsewhere (encode()) joins.
                out[key] = encode_socket(value)
            elif kind in _repr_types:
                out[key] = encode_repr(value)
            else:
                out[key] = encode(value)
        for key in self._secret_environ.intersection(out):
            out[key] = REDACTED
        return out

    def _encode_odd_environ(self, environ: dict[Any, Any]) -> Any:
        # An odd key (not a str, or starting with "$"): redact before encoding instead.
        secret = self._secret_environ
        return encode({k: REDACTED if k in secret else v for k, v in environ.items()})

    def encode_mapping(self, mapping: Any, body_keys: tuple[str, ...] = (), body: Any = None) -> Any:
        """Encode an ASGI scope or message in one pass.

        Its ``headers`` are redacted; bytes under `body_keys` go through `body`
        (which applies ``max_body_bytes``).
        """
        if type(mapping) is dict and _plain_keys.issuperset(mapping):
            # A copy (in C), then only the values that are not plain JSON are replaced.
            copy = mapping.copy()
            for key, value in mapping.items():
                if type(key) is not str:
                    # Equal to a plain key, but a subclass of str.
                    return self._encode_odd_mapping(mapping)
                kind = type(value)
                if kind is str or kind is bool or value is None:
                    continue
                if key == "headers":
                    copy[key] = self.encode_headers(value)
                elif kind is bytes:
                    copy[key] = body(value) if body is not None and key in body_keys else encode_bytes(value)
                elif kind is not int or not _INT_MIN <= value <= _INT_MAX:
                    copy[key] = encode(value)
            return copy
        if not isinstance(mapping, dict):
            return encode(mapping)
        out: dict[str, Any] = {}
        for key, value in mapping.items():
            if type(key) is not str or key[:1] == "$":
                return self._encode_odd_mapping(mapping)
            kind = type(value)
            if kind is str or kind is bool or value is None:
                out[key] = value
            elif key == "headers":
                out[key] = self.encode_headers(value)
            elif kind is bytes and body is not None and key in body_keys:
                out[key] = body(value)
            else:
                out[key] = encode(value)
        if type(mapping) is dict:
            _remember_plain_keys(out)
        return out

    def _encode_odd_mapping(self, mapping: dict[Any, Any]) -> Any:
        pairs = []
        for key, value in mapping.items():
            encoded = self.encode_headers(value) if key == "headers" else encode(value)
            pairs.append([encode(key), encoded])
        return {"$dict": pairs}

