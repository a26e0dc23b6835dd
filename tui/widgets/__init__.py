"""The UI's widgets, one per module."""

from .difference_list import DifferenceList
from .filter_line import FilterLine
from .held_table import HeldRequestTable
from .marked_table import MarkedRequestTable
from .phase_table import PhaseTable
from .request_table import RequestTable
from .sequence_diagram import SequenceDiagram
from .state_panel import StatePanel
from .step_detail import StepDetail

__all__ = [
    "DifferenceList",
    "FilterLine",
    "HeldRequestTable",
    "MarkedRequestTable",
    "PhaseTable",
    "RequestTable",
    "SequenceDiagram",
    "StatePanel",
    "StepDetail",
]
