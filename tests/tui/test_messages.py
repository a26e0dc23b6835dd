"""The UI's messages: plain classes that keep what their dataclasses gave (fresh defaults, equality, repr, handlers)."""

from __future__ import annotations

from tui import messages


def test_messages_keep_their_handlers_defaults_equality_and_repr() -> None:
    first, second = messages.TracesScanned(), messages.TracesScanned()
    assert first.summaries == [] and first.summaries is not second.summaries and first.problems is not second.problems
    assert first == second and messages.ColumnClicked("path") != messages.ColumnClicked("status")
    assert repr(messages.ColumnClicked("path")) == "ColumnClicked(column='path')"
    assert messages.DebuggersAttached().connections == [] and not messages.DebuggersAttached().first
    handlers = {
        "TracesScanned": "on_traces_scanned", "ScanFailed": "on_scan_failed", "TraceSelected": "on_trace_selected",
        "StepSelected": "on_step_selected", "FilterMatched": "on_filter_matched", "ColumnClicked": "on_column_clicked",
        "RowsChecked": "on_rows_checked", "PhaseChosen": "on_phase_chosen", "DifferenceChosen": "on_difference_chosen",
        "DebuggersAttached": "on_debuggers_attached", "DebugEventArrived": "on_debug_event_arrived",
    }
    assert {name: getattr(messages, name).handler_name for name in handlers} == handlers
    assert messages.StepSelected(3).can_replace(messages.StepSelected(4))
