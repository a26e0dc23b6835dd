"""Encoding of event payloads into the trace file's JSON values, and back.

`encode` runs on the request path: it makes the snapshot that a trace keeps
(new lists and dicts, so later mutation by the app does not rewrite history)
in the form the trace file stores, in one pass. `decode` turns that form
back into Python values for readers.

The rules (docs/trace-format.md):

- str, int, float, bool and None stand for themselves; tuples become lists;
- bytes become ``{"$bytes": text}`` when they decode as UTF-8, otherwise
  ``{"$base64": text}``; a value cut at ``max_body_bytes`` adds
  ``"$truncated": original_length``;
- a dict with a key that is not a str, or a str key starting with ``$``,
  becomes ``{"$dict": [[key, value], ...]}``;
- an int beyond 64 bits (which JSON readers would round) becomes ``{"$int": "digits"}``;
- anything else becomes ``{"$repr": repr, "$type": "module.qualname"}``.
"""

from __future__ import annotations

import _socket
import base64
import math
from typing import Any, Final

from .model import ReprValue, TruncatedBytes

_MAX_REPR: Final = 300
_INT_MIN: Final = -(2**63)
_INT_MAX: Final = 2**64 - 1


def encode(value: Any) -> Any:
    """Return `value` as a JSON-ready snapshot, following the trace file's rules."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        if kind is int and not _INT_MIN <= value <= _INT_MAX:
            return _encode_big_int(value)
        return value
    if kind is dict:
        return _encode_dict(value)
    if kind is list or kind is tuple:
        return [encode(item) for item in value]
    if kind is bytes:
        return encode_bytes(value)
    if kind is float:
        return value if math.isfinite(value) else encode_repr(value)
    if kind in _repr_types:
        return encode_repr(value)
    return _encode_other(value)


# Types found to need `encode_repr` (streams, state objects): skips the isinstance chain next time.
_repr_types: Final[set[type]] = set()


def _encode_other(value: Any) -> Any:
    # Subclasses of the plain types (OrderedDict, IntEnum, HTTPStatus, Markup, a
    # framework's headers list) are kept as the plain type: their content matters,
    # and a dict kept only as its repr would escape redaction.
    if isinstance(value, TruncatedBytes):
        return encode_bytes(bytes(value), value.original_length)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return encode_bytes(bytes(value))
    if isinstance(value, ReprValue):
        return {"$repr": value.repr, "$type": value.type}
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return encode(int(value))
    if isinstance(value, float):
        return encode(float(value))
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict):
        return _encode_dict(value)
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if len(_repr_types) < 1000:
        _repr_types.add(type(value))
    return encode_repr(value)


def _encode_big_int(value: int) -> Any:
    try:
        return {"$int": str(value)}
    except ValueError:  # beyond Python's int-to-str digit limit
        return encode_repr(value)


def _encode_dict(value: dict[Any, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if type(key) is not str or (key and key[0] == "$"):
            return {"$dict": [[encode(k), encode(v)] for k, v in value.items()]}
        # Environs and scopes are mostly str, bool and None values: skip the call for those.
        kind = type(item)
        out[key] = item if kind is str or kind is bool or item is None else encode(item)
    return out


def encode_bytes(data: bytes, original_length: int | None = None) -> dict[str, Any]:
    """Encode bytes as ``$bytes`` (UTF-8 text) or ``$base64``, marking a cut value."""
    try:
        out: dict[str, Any] = {"$bytes": data.decode()}
    except UnicodeDecodeError:
        out = {"$base64": base64.b64encode(data).decode("ascii")}
    if original_length is not None:
        out["$truncated"] = original_length
    return out


_type_names: Final[dict[type, str]] = {}


def encode_repr(value: Any) -> dict[str, str]:
    """Encode an object JSON cannot hold as its (shortened) repr and type name."""
    kind = type(value)
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not fail a request
        text = f"<{kind.__qualname__} object>"
    if len(text) > _MAX_REPR:
        text = text[: _MAX_REPR - 1] + "…"
    name = _type_names.get(kind)
    if name is None:
        name = _type_names[kind] = f"{kind.__module__}.{kind.__qualname__}"
    return {"$repr": text, "$type": name}


_raw_family: Final = _socket.socket.family.__get__
_raw_type: Final = _socket.socket.type.__get__


def encode_socket(sock: Any) -> dict[str, str]:
    """Encode a socket as its repr without the addresses (which cost two system calls to ask for).

    The environ of the same request holds them: ``REMOTE_ADDR``, ``SERVER_NAME``, ``SERVER_PORT``.
    """
    kind = type(sock)
    try:
        closed = " [closed]" if getattr(sock, "_closed", False) else ""
        if isinstance(sock, _socket.socket):
            # The C getters: socket.socket's family and type properties convert to an enum first (a Python call each).
            family, type_ = _raw_family(sock), _raw_type(sock)
        else:
            family, type_ = sock.family, sock.type
        text = f"<{kind.__module__}.{kind.__qualname__}{closed} fd={sock.fileno()}, family={family}, type={type_}, proto={sock.proto}>"
    except Exception:  # noqa: BLE001 - a broken socket must not fail a request
        text = f"<{kind.__qualname__} object>"
    return {"$repr": text, "$type": f"{kind.__module__}.{kind.__qualname__}"}


def decode(value: Any) -> Any:
    """Turn an encoded JSON value back into Python values (bytes as bytes)."""
    kind = type(value)
    if kind is dict:
        if len(value) <= 3:
            if "$bytes" in value:
                raw = value["$bytes"].encode("utf-8", "surrogatepass")
                return _maybe_truncated(raw, value)
            if "$base64" in value:
                return _maybe_truncated(base64.b64decode(value["$base64"], validate=True), value)
            if "$int" in value and len(value) == 1:
                return int(value["$int"])
            if "$repr" in value:
                return ReprValue(str(value["$repr"]), str(value.get("$type", "")))
            if "$dict" in value:
                return {_hashable(decode(k)): decode(v) for k, v in value["$dict"]}
        return {key: decode(item) for key, item in value.items()}
    if kind is list:
        return [decode(item) for item in value]
    return value


def _maybe_truncated(raw: bytes, value: dict[str, Any]) -> bytes:
    original = value.get("$truncated")
    return raw if original is None else TruncatedBytes(raw, int(original))


def _hashable(key: Any) -> Any:
    if isinstance(key, list):
        return tuple(_hashable(item) for item in key)
    return key

