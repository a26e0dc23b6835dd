"""The UI's widgets, one per module."""

from .difference_list import DifferenceList
from .filter_line import FilterLine
from .marked_table import MarkedRequestTable
from .phase_table import PhaseTable
from .request_table import RequestTable
from .sequence_diagram import SequenceDiagram
from .step_detail import StepDetail

__all__ = [
    "DifferenceList",
    "FilterLine",
    "MarkedRequestTable",
    "PhaseTable",
    "RequestTable",
    "SequenceDiagram",
    "StepDetail",
]
