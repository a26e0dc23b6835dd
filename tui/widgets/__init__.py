"""The UI's widgets, one per module."""

from .filter_line import FilterLine
from .request_table import RequestTable
from .sequence_diagram import SequenceDiagram
from .step_detail import StepDetail

__all__ = ["FilterLine", "RequestTable", "SequenceDiagram", "StepDetail"]
