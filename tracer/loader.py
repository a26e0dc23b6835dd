"""Importing the app that `tracer run` serves, from a ``MODULE:ATTR`` reference.

Like uvicorn, the current directory goes first on ``sys.path`` so that
``tracer run myproject.wsgi:application`` works from the project root.
Every failure is a `UsageError` with one line that names what went wrong,
never a traceback: the developer is at a prompt, not in a debugger.

With ``factory=True`` (``tracer run --factory``) the object is called with
no arguments and what it returns is the app, as uvicorn's ``--factory`` and
Flask's ``create_app`` pattern do.
"""

from __future__ import annotations

import importlib
import inspect
import os
import sys
import traceback
from typing import Any

from .errors import UsageError

DEFAULT_ATTRS = ("app", "application")
"""Attributes tried, in order, when the reference names only a module."""


def load_app(reference: str, *, factory: bool = False) -> Any:
    """Import ``MODULE:ATTR`` (ATTR may be dotted) and return the object.

    With no ``:ATTR``, the module's ``app`` or else ``application`` is used.

    Args:
        reference: ``"package.module:attr"``.
        factory: Call the object with no arguments and return what it returns.

    Returns:
        The object the reference names, or its factory's result (not yet checked to be an app).

    Raises:
        UsageError: A malformed reference, an import that fails, a missing
            attribute, or a factory that fails.
    """
    value = _load(reference)
    return _call_factory(value, reference) if factory else value


def _load(reference: str) -> Any:
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


def _call_factory(factory: Any, reference: str) -> Any:
    if not callable(factory):
        raise UsageError(f"{reference} is a {type(factory).__name__}, not callable, so --factory cannot call it")
    try:
        app = factory()
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - the factory's error, reported in one line
        raise UsageError(f"calling {reference}() for --factory failed: {_describe(exc, skip=__file__)}") from None
    if inspect.iscoroutine(app):
        app.close()
        raise UsageError(f"{reference}() returned a coroutine: --factory needs a plain function that returns the app")
    return app


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


def _describe(exc: BaseException, skip: str = "") -> str:
    """``Type: message (file, line n)``, naming the innermost frame of the app's code that failed."""
    frames = traceback.extract_tb(exc.__traceback__)
    outside = [
        f for f in frames
        if "importlib" not in f.filename and not f.filename.startswith("<frozen") and f.filename != skip
    ]
    where = f" ({outside[-1].filename}, line {outside[-1].lineno})" if outside else ""
    return f"{type(exc).__name__}: {exc}{where}"


def _suggest(module: Any) -> str:
    found = [name for name in DEFAULT_ATTRS if hasattr(module, name)]
    return f"; did you mean {module.__name__}:{found[0]}?" if found else ""
