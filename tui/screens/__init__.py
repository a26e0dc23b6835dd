"""The UI's screens: the request list, the replay of one trace, two traces compared, help and dialogs.

Each is imported on first use (``from tui.screens import ReplayScreen`` still works), so that the list
paints without importing the screens it may never open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracer._lazy import lazy_attributes

_MODULES = {
    "AskScreen": "ask",
    "BreakpointScreen": "breakpoints",
    "BreakpointsScreen": "breakpoints",
    "CompareScreen": "compare",
    "EditHeldScreen": "edit_held",
    "ExportScreen": "export",
    "HeldScreen": "held",
    "HelpScreen": "help",
    "ProblemsScreen": "problems",
    "ReplayScreen": "replay",
    "RequestsScreen": "requests",
}

__all__ = sorted(_MODULES)

if TYPE_CHECKING:
    from .ask import AskScreen
    from .breakpoints import BreakpointScreen, BreakpointsScreen
    from .compare import CompareScreen
    from .edit_held import EditHeldScreen
    from .export import ExportScreen
    from .held import HeldScreen
    from .help import HelpScreen
    from .problems import ProblemsScreen
    from .replay import ReplayScreen
    from .requests import RequestsScreen


__getattr__ = lazy_attributes(__name__, _MODULES)
