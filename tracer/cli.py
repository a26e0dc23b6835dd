"""The ``tracer`` command line: ``view``, ``run``, ``show``, ``check``, ``export``, ``diff``, ``replay``, ``resend``, ``mcp``, ``learn``.

Each subcommand lives in ``tracer/commands/<name>.py`` with two functions,
``add_parser(subparsers)`` and ``run(args) -> int``. Errors that tracer raises
on purpose (`TracerError`) are printed as one line on stderr, never as a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Callable, Sequence

from .__about__ import __version__
from .errors import TracerError, TracerWarning

COMMANDS = ("view", "run", "show", "check", "export", "diff", "replay", "resend", "mcp", "learn")


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser for every subcommand, or for the one `argv` starts with.

    Each subcommand's module is imported to add its parser: ``tracer view FILE``
    needs only its own (importing the other nine took about 60 ms before the UI
    could start). Anything else (``tracer --help``, no command, an unknown one)
    gets every subcommand, so that help and errors list them all.
    """
    parser = argparse.ArgumentParser(
        prog="tracer",
        description="Record every step of WSGI and ASGI requests and replay them in a terminal UI.",
        epilog="Run 'tracer COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"tracer {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = argv[0] if argv else None
    for name in (named,) if named in COMMANDS else COMMANDS:
        module = importlib.import_module(f"tracer.commands.{name}")
        sub = module.add_parser(subparsers)
        sub.set_defaults(handler=module.run, command_parser=sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 findings or failure, 2 bad input)."""
    if argv is None:
        argv = sys.argv[1:]
    parser = build_parser(argv)
    args, unknown = parser.parse_known_args(argv)
    if getattr(args, "handler", None) is None:
        if unknown:
            parser.error(f"unrecognized arguments: {' '.join(unknown)}")
        parser.print_help()
        return 2
    if unknown:
        # The command's own usage and name, as for its other errors, not the top level's.
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    with warnings.catch_warnings():
        warnings.simplefilter("default", TracerWarning)
        warnings.showwarning = _warning_printer(warnings.showwarning)
        try:
            return int(args.handler(args) or 0)
        except TracerError as exc:
            print(f"tracer: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            return 130
        except BrokenPipeError:
            return 0


def _warning_printer(show_other: Callable[..., None]) -> Callable[..., None]:
    """A ``warnings.showwarning`` that prints tracer's own warnings as one line, the others as `show_other` does.

    Warnings from the app, its framework or its server keep their category
    and file:line, so that nobody takes them for tracer's.
    """

    def show_warning(message, category, filename, lineno, file=None, line=None):  # type: ignore[no-untyped-def]
        if isinstance(category, type) and issubclass(category, TracerWarning):
            text = str(message)
            text = text.removeprefix("tracer: ")
            print(f"tracer: warning: {text}", file=file or sys.stderr)
        else:
            show_other(message, category, filename, lineno, file, line)

    return show_warning


if __name__ == "__main__":
    sys.exit(main())
