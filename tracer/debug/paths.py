"""Where control sockets live, and how a trace file's sockets are found.

Each process with breakpoints enabled opens one Unix domain socket per trace
file, named ``<key>-<pid>.sock`` where the key is the first 16 hex digits of
the SHA-256 of the trace file's resolved absolute path. They live in a
directory only their owner can enter (mode 0700): ``$XDG_RUNTIME_DIR/tracer``
when that is set, else ``<tempdir>/tracer-<uid>``. A directory that exists
with other owners or wider permissions is refused, never used.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from pathlib import Path

from ..errors import TracerError

_NAME = re.compile(r"^(?P<key>[0-9a-f]{16}|m\d+)-(?P<pid>\d+)\.sock$")


class SocketDirectoryError(TracerError):
    """The control socket directory is not private to this user."""


def control_dir() -> Path:
    """The directory of this user's control sockets (not created)."""
    return _candidate_dirs()[0]


def _candidate_dirs() -> list[Path]:
    """Where this user's sockets may be: the runtime directory first, if there is one, then the temporary one.

    A server started without ``$XDG_RUNTIME_DIR`` (by a service manager, say)
    puts its socket in the second; `sockets_for` looks in both.
    """
    found = []
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isabs(runtime) and os.path.isdir(runtime):
        found.append(Path(runtime) / "tracer")
    found.append(Path(tempfile.gettempdir()) / f"tracer-{os.getuid()}")
    return found


def private_dir() -> Path:
    """`control_dir`, made if needed, after checking that only this user can enter it.

    Raises:
        SocketDirectoryError: It belongs to someone else, or others may enter it, or it is not a directory.
        OSError: It could not be made.
    """
    directory = control_dir()
    try:
        os.mkdir(directory, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(directory)
    if not stat.S_ISDIR(info.st_mode):
        raise SocketDirectoryError(f"{directory} is not a directory; tracer keeps its control sockets there")
    if info.st_uid != os.getuid():
        raise SocketDirectoryError(f"{directory} belongs to another user; tracer will not put its control socket there")
    if info.st_mode & 0o077:
        raise SocketDirectoryError(
            f"{directory} can be entered by other users (mode {stat.S_IMODE(info.st_mode):o}); "
            "make it 0700 or remove it"
        )
    return directory


def file_key(trace_file: str | os.PathLike[str]) -> str:
    """The part of a socket's name that says which trace file it is for."""
    resolved = os.path.realpath(os.fspath(trace_file))
    return hashlib.sha256(resolved.encode("utf-8", "surrogateescape")).hexdigest()[:16]


def socket_path(trace_file: str | None, pid: int, number: int = 0) -> Path:
    """The socket of process `pid` for `trace_file` (`number` tells apart the sinks of a process that have no file)."""
    key = file_key(trace_file) if trace_file is not None else f"m{number}"
    return control_dir() / f"{key}-{pid}.sock"


def sockets_for(trace_file: str | os.PathLike[str]) -> list[tuple[int, Path]]:
    """The control sockets of `trace_file` that exist, as ``(pid, path)``, in pid order.

    Only directories that belong to this user and that others cannot enter are read.
    """
    key = file_key(trace_file)
    found: dict[int, Path] = {}
    for directory in _candidate_dirs():
        try:
            info = os.lstat(directory)
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
                continue
            names = os.listdir(directory)
        except OSError:
            continue
        for name in names:
            match = _NAME.match(name)
            if match and match.group("key") == key:
                found.setdefault(int(match.group("pid")), directory / name)
    return sorted(found.items())


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` exists (it may be another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
