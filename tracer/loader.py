"""Importing the app that `tracer run` serves, from a ``MODULE:ATTR`` reference.

Like uvicorn, the current directory goes first on ``sys.path`` so that
``tracer run myproject.wsgi:application`` works from the project root.
Every failure is a `UsageError` with one line that names what went wrong,
never a traceback: the developer is at a prompt, not in a debugger.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

from .errors import UsageError

DEFAULT_ATTRS = ("app", "application")
"""Attributes tried, in order, when the reference names only a module."""


def load_app(reference: str) -> Any:
    """Import ``MODULE:ATTR`` (ATTR may be dotted) and return the object.

    With no ``:ATTR``, the module's ``app`` or else ``application`` is used.

    Args:
        reference: ``"package.module:attr"``.

    Returns:
        The object the reference names (not yet checked to be an app).

    Raises:
        UsageError: A malformed reference, an import that fails, or a missing attribute.
    """
    module_name, _, attr = reference.partition(":")
    if not module_name or (_ and not attr) or not all(part.isidentifier() for part in module_name.split(".")):
        raise UsageError(f"{reference!r} is not MODULE:ATTR (for example 'myapp:app' or 'mysite.wsgi:application')")
    _put_cwd_on_path()
    module = _import(module_name)
    if not attr:
        for candidate in DEFAULT_ATTRS:
            if hasattr(module, candidate):
                return getattr(module, candidate)
        raise UsageError(f"module {module_name!r} has no 'app' or 'application'; name one as {module_name}:ATTR")
    value: Any = module
    for part in attr.split("."):
        try:
            value = getattr(value, part)
        except AttributeError:
            raise UsageError(f"module {module_name!r} has no attribute {attr!r}{_suggest(module)}") from None
    return value


def _put_cwd_on_path() -> None:
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.insert(0, cwd)


def _import(module_name: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and (module_name == exc.name or module_name.startswith(exc.name + ".")):
            raise UsageError(f"cannot import {module_name!r}: no module named {exc.name!r} (run tracer from the directory that holds it)") from None
        raise UsageError(f"error while importing {module_name!r}: {_describe(exc)}") from None
    except SyntaxError as exc:
        where = f"{exc.filename}, line {exc.lineno}" if exc.filename else "unknown place"
        raise UsageError(f"error while importing {module_name!r}: {type(exc).__name__}: {exc.msg} ({where})") from None
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the app's import-time error, reported in one line
        raise UsageError(f"error while importing {module_name!r}: {_describe(exc)}") from None


def _describe(exc: BaseException) -> str:
    """``Type: message (file, line n)``, naming the innermost frame of the failed import."""
    frames = traceback.extract_tb(exc.__traceback__)
    outside = [f for f in frames if "importlib" not in f.filename and not f.filename.startswith("<frozen")]
    where = f" ({outside[-1].filename}, line {outside[-1].lineno})" if outside else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _suggest(module: Any) -> str:
    found = [name for name in DEFAULT_ATTRS if hasattr(module, name)]
    return f"; did you mean {module.__name__}:{found[0]}?" if found else ""
