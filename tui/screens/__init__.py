"""The UI's screens: the request list, the replay of one trace, two traces compared, help and dialogs."""

from .ask import AskScreen
from .compare import CompareScreen
from .export import ExportScreen
from .help import HelpScreen
from .problems import ProblemsScreen
from .replay import ReplayScreen
from .requests import RequestsScreen

__all__ = ["AskScreen", "CompareScreen", "ExportScreen", "HelpScreen", "ProblemsScreen", "ReplayScreen", "RequestsScreen"]
