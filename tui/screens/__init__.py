"""The UI's screens: the request list, the replay of one trace, two traces compared, help and dialogs."""

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

__all__ = ["AskScreen", "CompareScreen", "ExportScreen", "HelpScreen", "ProblemsScreen", "ReplayScreen", "RequestsScreen"]
__all__ += ["BreakpointScreen", "BreakpointsScreen", "EditHeldScreen", "HeldScreen"]
