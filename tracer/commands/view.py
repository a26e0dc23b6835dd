"""`tracer view FILE`: open a trace file in the terminal UI (``--web``: in a browser tab).

The UI lives in the ``tui`` package, which imports tracer and never the
other way round; it is found through the ``tracer.ui`` entry point group
(the ``tui`` installed beside tracer, which tracer's own entry points name,
without listing every distribution's: `_ui_entry`).
"""

from __future__ import annotations

import argparse
import gc
import inspect
import os
from collections.abc import Sequence
from typing import Any

from ..debug.options import add_break_options, break_epilog
from ..errors import TraceFileError, TracerError, UsageError
from ..reader import check_header, open_problem

# What only some runs need (breakpoints, the default file's name and the sinks beside it) is imported where used:
# the UI starts sooner.


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `view` subcommand."""
    parser = subparsers.add_parser(
        "view",
        help="browse a trace file and replay requests step by step",
        description=(
            "Open a trace file in the terminal UI: the request list, filters, and a step-by-step replay. "
            "It attaches to every live process recording into the file with breakpoints on "
            "(tracer run, or the middleware with breakpoints=True / TRACER_BREAKPOINTS=1), "
            "so that their held requests can be stepped, edited and released. "
            "With --web the same UI is served to a browser tab on 127.0.0.1."
        ),
        epilog=break_epilog(hold_timeout=False),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="trace file (JSON Lines) written by tracer (default: $TRACER_FILE, else ./traces.jsonl, as tracer run writes)",
    )
    parser.add_argument(
        "-f", "--follow", action="store_true", help="keep reading as the file grows (a live trace)"
    )
    add_break_options(parser, hold_timeout=False)
    parser.add_argument(
        "--web",
        action="store_true",
        help="serve the UI to a browser tab on 127.0.0.1 instead of this terminal (extra: pip install 'tracer[web]')",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=None,
        metavar="N",
        help="the port --web listens on; 0 (the default) picks a free one and prints it",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Check the file and the breakpoints, then hand them to the UI."""
    if args.file is None:
        args.file = default_trace_file()
    breakpoints: list[str] = []
    if getattr(args, "breaks", None):
        from ..debug import parse_breakpoints

        breakpoints = [bp.text for bp in parse_breakpoints(args.breaks)]
    web = getattr(args, "web", False)
    port = getattr(args, "port", None)
    if port is not None and not web:
        raise UsageError("--port is the browser UI's port: add --web")
    # Followed, a file not there yet is waited for (the viewer started before the app writes it), as tail -F does.
    check_trace_file(args.file, allow_empty=args.follow, allow_missing=args.follow)
    if web:
        return open_web_viewer(args.file, follow=args.follow, breakpoints=breakpoints, port=port or 0)
    if breakpoints:
        return open_viewer(args.file, follow=args.follow, breakpoints=breakpoints)
    return open_viewer(args.file, follow=args.follow)


def default_trace_file() -> str:
    """The file `tracer run` and the middleware write when none is named: ``$TRACER_FILE`` or ``traces.jsonl``."""
    from ..defaults import DEFAULT_TRACE_FILE

    return os.environ.get("TRACER_FILE") or DEFAULT_TRACE_FILE


def check_trace_file(path: str, *, allow_empty: bool = False, allow_missing: bool = False) -> None:
    """Fail with one clear line before the UI starts if `path` is not a readable trace file.

    Args:
        allow_empty: An empty file passes (one being followed, not written yet).
        allow_missing: A file that does not exist passes (one being followed, not created yet).

    Raises:
        TraceFileError: Missing, a directory, unreadable, or a bad header.
    """
    try:
        with open(path, "rb") as handle:
            first = handle.readline()
    except FileNotFoundError as exc:
        if allow_missing:
            return
        raise TraceFileError(open_problem(path, exc)) from None
    except OSError as exc:
        raise TraceFileError(open_problem(path, exc)) from None
    if not first and allow_empty:
        return
    check_header(first, path)


def open_viewer(
    path: str, *, follow: bool = False, breakpoints: Sequence[str] = (), app_url: str | None = None,
) -> int:
    """Run the terminal UI on `path` until the user quits; returns the exit status.

    Args:
        path: The trace file.
        follow: Keep reading as it grows.
        breakpoints: Breakpoints (already checked) for the UI to set on every
            process it attaches to; passed as the ``breakpoints`` keyword, only when given.
        app_url: Where the traced app listens (``http://127.0.0.1:PORT``, from
            ``tracer run --view``), for the UI to re-send requests to; passed as
            the ``app_url`` keyword only when given and only to a UI that takes it.

    Raises:
        TracerError: No UI is installed, or it does not take breakpoints.
    """
    viewer, froze = _load_uncollected(load_viewer)
    try:
        return _run_viewer(viewer, path, follow=follow, breakpoints=breakpoints, app_url=app_url)
    finally:
        if froze:
            gc.unfreeze()


def _load_uncollected(load: Any) -> tuple[Any, bool]:
    """`load()` with Python's collector off, and what it imported then frozen out of collections; whether it froze.

    Importing the UI (Textual, its widgets and styles) makes a hundred thousand
    objects that live as long as the process: the young collections during the
    import, and the first one after it, walked them for nothing before the first
    screen. They are frozen unless something else froze objects already (it
    unfreezes them: they stay as they are).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        loaded = load()
        froze = not gc.get_freeze_count()
        if froze:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()
    return loaded, froze


def _run_viewer(viewer: Any, path: str, *, follow: bool, breakpoints: Sequence[str], app_url: str | None) -> int:
    extra: dict[str, Any] = {}
    if app_url is not None and _takes_keyword(viewer, "app_url"):
        extra["app_url"] = app_url
    if not breakpoints:
        return int(viewer(path, follow=follow, **extra) or 0)
    if not _takes_keyword(viewer, "breakpoints"):
        raise TracerError("the installed terminal UI does not take --break yet; set breakpoints in tracer run or the middleware")
    return int(viewer(path, follow=follow, breakpoints=tuple(breakpoints), **extra) or 0)


def open_web_viewer(path: str, *, follow: bool = False, breakpoints: Sequence[str] = (), port: int = 0) -> int:
    """Serve the UI on `path` to browser tabs on 127.0.0.1 until Ctrl+C; returns the exit status.

    Prints ``tracer: open http://127.0.0.1:PORT in a browser`` once it listens.
    Every tab runs its own ``tracer view`` with the same file, `follow` and `breakpoints`.

    Args:
        path: The trace file.
        follow: Keep reading as it grows (``tracer run --view --web`` passes True).
        breakpoints: Breakpoints (already checked) for each session to set.
        port: The port; 0 picks a free one.

    Raises:
        TracerError: textual-serve is not installed (``pip install 'tracer[web]'``).
        UsageError: The port is in use or not allowed.
    """
    return load_web_viewer().serve_viewer(path, follow=follow, breakpoints=breakpoints, port=port)


def _takes_keyword(function: Any, name: str) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return True
    return name in parameters or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())


def load_viewer() -> Any:
    """The UI's entry function, ``view(path, *, follow, breakpoints=()) -> int``.

    Raises:
        TracerError: No UI is installed.
    """
    return _ui_entry("textual", "the terminal UI")


def load_web_viewer() -> Any:
    """The browser UI's module: ``load_server_class()`` (fails early without the extra) and ``serve_viewer(...)``.

    The browser UI belongs to the UI package, as the terminal one does: tracer finds both
    through the ``tracer.ui`` entry points (`_ui_entry`) and imports neither at its own import.

    Raises:
        TracerError: No UI is installed.
    """
    return _ui_entry("web", "the browser UI")


OWN_UI = {"textual": ("tui.app", "run_view"), "web": ("tui.web", None)}
"""What tracer's own ``tracer.ui`` entry points name (pyproject.toml): module and attribute (None: the module)."""


def _ui_entry(name: str, what: str) -> Any:
    """The ``tracer.ui`` entry point `name`: the UI beside tracer if it is there, else any installed one.

    Listing the entry points reads the metadata of every installed distribution
    (12-15 ms before the UI's first screen): the ``tui`` package installed with
    tracer, which its own entry points name, is imported directly.
    """
    own = _own_ui(name)
    if own is not None:
        return own
    from importlib.metadata import entry_points

    for entry in entry_points(group="tracer.ui", name=name):
        return entry.load()
    raise TracerError(f"{what} is not installed (reinstall tracer: pip install -e .)")


def _own_ui(name: str) -> Any:
    """`name` from the ``tui`` package that sits beside tracer (a wheel's, a checkout's); None if it is not there."""
    import importlib
    import importlib.util

    import tracer

    module_name, attribute = OWN_UI[name]
    try:
        spec = importlib.util.find_spec("tui")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    beside = {os.path.dirname(os.path.realpath(path)) for path in tracer.__path__}
    if not any(os.path.dirname(os.path.realpath(path)) in beside for path in spec.submodule_search_locations):
        return None  # another project's ``tui``: leave it to the entry points
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None  # the entry points load it again, and fail as they always have
    return module if attribute is None else getattr(module, attribute)
