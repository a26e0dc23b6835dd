"""The UI's screens: the request list, the replay of one trace, help and dialogs."""

from .help import HelpScreen
from .problems import ProblemsScreen
from .replay import ReplayScreen
from .requests import RequestsScreen

__all__ = ["HelpScreen", "ProblemsScreen", "ReplayScreen", "RequestsScreen"]
