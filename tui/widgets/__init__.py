"""The UI's widgets, one per module."""

from .request_table import RequestTable
from .sequence_diagram import SequenceDiagram
from .step_detail import StepDetail

__all__ = ["RequestTable", "SequenceDiagram", "StepDetail"]
