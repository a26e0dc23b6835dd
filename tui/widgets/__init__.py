"""The UI's widgets, one per module, each imported on first use (as `tui.screens` does)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracer._lazy import lazy_attributes

_MODULES = {
    "DifferenceList": "difference_list",
    "FilterLine": "filter_line",
    "HeldRequestTable": "held_table",
    "MarkedRequestTable": "marked_table",
    "PhaseTable": "phase_table",
    "RequestTable": "request_table",
    "SequenceDiagram": "sequence_diagram",
    "StatePanel": "state_panel",
    "StepDetail": "step_detail",
}

__all__ = sorted(_MODULES)

if TYPE_CHECKING:
    from .difference_list import DifferenceList
    from .filter_line import FilterLine
    from .held_table import HeldRequestTable
    from .marked_table import MarkedRequestTable
    from .phase_table import PhaseTable
    from .request_table import RequestTable
    from .sequence_diagram import SequenceDiagram
    from .state_panel import StatePanel
    from .step_detail import StepDetail


__getattr__ = lazy_attributes(__name__, _MODULES)
