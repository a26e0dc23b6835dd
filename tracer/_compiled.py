"""`mypyc_attr` for the modules setup.py compiles with mypyc; a no-op when mypy_extensions is absent.

Only the compiled build needs mypy_extensions: mypyc reads the decorator at
build time, and pure Python has nothing to do with it.
"""

from __future__ import annotations

from typing import Any

try:
    from mypy_extensions import mypyc_attr
except ImportError:

    def mypyc_attr(*attrs: str, **kwattrs: object) -> Any:  # type: ignore[no-redef, misc]
        return lambda cls: cls


__all__ = ["mypyc_attr"]
