"""A server's socket in the environ (werkzeug.socket) is recorded without asking the kernel for its addresses."""

from __future__ import annotations

import socket

from tracer.redact import Redactor


def test_a_socket_is_kept_as_its_repr_without_addresses() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        encoded = Redactor().encode_environ({"REQUEST_METHOD": "GET", "werkzeug.socket": sock})
        value = encoded["werkzeug.socket"]
        assert value["$type"] == "socket.socket"
        assert value["$repr"].startswith(f"<socket.socket fd={sock.fileno()}, family=")
        assert "laddr" not in value["$repr"] and encoded["REQUEST_METHOD"] == "GET"


def test_a_socket_met_elsewhere_first_does_not_bring_the_addresses_back() -> None:
    from tracer.codec import encode

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        assert "laddr" in encode(sock)["$repr"]  # anywhere else a socket is kept as its whole repr
        encoded = Redactor().encode_environ({"REQUEST_METHOD": "GET", "werkzeug.socket": sock})
        assert "laddr" not in encoded["werkzeug.socket"]["$repr"]
