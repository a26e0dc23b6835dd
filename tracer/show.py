"""A recorded request as text: a heading, then every step as the replay shows it.

    from tracer import read_traces
    from tracer.show import show_trace

    trace = read_traces("traces.jsonl")[0]
    print(show_trace(trace))                        # plain text
    print(show_trace(trace, format="markdown"))     # for an issue or a pull request

Each step has the replay's arrow and label (`tracer.labels`), its one-sentence
meaning (`tracer.explain`), what it carries (`tracer.payload`), the protocol
state after it (`tracer.states`), and the findings of `tracer check` at that
step with their rule ids; with ``spec=True`` also the spec sections behind it
(`tracer.spec`), with links. The heading is read off the trace's summary.
`tracer show` and the MCP server print this text.
"""

from __future__ import annotations

import http
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

from . import spec as _spec
from .checks import Finding, check_trace
from .explain import explain
from .edited_step import EDITED_MARK, held_note
from .labels import arrows
from .model import ERROR_KINDS, Event, Trace
from .payload import MAX_BODY, Row, payload
from .states import StepState, states_of
from .summary import TraceSummary
from .text import duration, gist, line, offset, size, timestamp

Format = Literal["text", "markdown"]
FORMATS: tuple[str, ...] = ("text", "markdown")

SEPARATOR = "─" * 72
"""Printed between two requests in text."""
_KEY_WIDTH = 12
_INDENT = " " * 4
# SGR codes for a terminal: bold, dim, cyan; severities as `tracer check` colours them.
_BOLD, _DIM, _CYAN = "1", "2", "36"
_SEVERITY_COLOURS = {"error": "1;31", "warning": "33", "info": "36"}
_ORDER = {"error": 0, "warning": 1, "info": 2}


@dataclass(slots=True)
class Step:
    """One event, ready to print."""

    seq: int
    t_ns: int
    kind: str
    source: str
    target: str
    label: str
    meaning: str
    rows: list[Row]
    state: str = ""
    framing: str = ""
    findings: list[Finding] = field(default_factory=list)
    notes: list[_spec.SpecNote] = field(default_factory=list)


def show_trace(
    trace: Trace,
    *,
    format: Format = "text",
    spec: bool = False,
    colour: bool = False,
    max_body: int = MAX_BODY,
    findings: list[Finding] | None = None,
) -> str:
    """The whole request as text, ending in a newline.

    Args:
        trace: The trace.
        format: ``"text"`` (aligned rows, for a terminal or a log) or ``"markdown"``
            (a table of the steps, then each step with its payload fenced).
        spec: Add the spec notes behind each step and finding, with links.
        colour: Colour the text with ANSI codes (a terminal; never in markdown).
        max_body: Bytes of each text body to show.
        findings: The trace's findings, when already known (else the checks run).
    """
    if findings is None:
        findings = safe_findings(trace)
    steps = build_steps(trace, findings, spec=spec, max_body=max_body)
    if format == "markdown":
        return _markdown(trace, steps, findings, spec)
    return _text(trace, steps, findings, spec, colour)


def safe_findings(trace: Trace) -> list[Finding]:
    """`check_trace`, or no findings when a malformed trace makes the checks fail."""
    try:
        return check_trace(trace)
    except Exception:  # noqa: BLE001 - a trace the checks cannot read is still shown
        return []


def build_steps(trace: Trace, findings: Sequence[Finding], *, spec: bool = False, max_body: int = MAX_BODY) -> list[Step]:
    """Every event of `trace` as a `Step`: label, meaning, payload, state, framing, findings."""
    summary = trace.summary
    try:
        states: list[StepState | None] = list(states_of(trace))
    except Exception:  # noqa: BLE001 - odd data: the steps are still shown, without states
        states = []
    states += [None] * (len(trace.events) - len(states))
    by_seq: dict[int, list[Finding]] = {}
    for finding in findings:
        by_seq.setdefault(finding.seq, []).append(finding)
    steps = []
    framing = None
    raised = False
    for event, item, state in zip(trace.events, arrows(trace.events), states):
        step = Step(
            event.seq, event.t_ns, line(event.kind), item.source, item.target, item.label,
            explain(event, raised=raised),
            held_rows(event) + payload(event, request_type=summary.request_content_type or "",
                                       response_type=summary.content_type or "", max_body=max_body),
            findings=by_seq.pop(event.seq, []),
        )
        raised = raised or event.kind in ERROR_KINDS
        if state is not None:
            step.state = state.state.label
            if state.transition is not None and state.transition.says:
                step.state += f": {state.transition.says}"
            if state.framing is not None and state.framing != framing:
                step.framing = " ".join(state.framing.says)
            framing = state.framing
        if spec:
            step.notes = _spec.notes_for(event)
        steps.append(step)
    if by_seq and steps:
        # A finding at a seq no event has (a gap in the file) goes with the last step.
        steps[-1].findings += [f for seq in sorted(by_seq) for f in by_seq[seq]]
    return steps


def held_rows(event: Event) -> list[Row]:
    """The rows of a step held at a breakpoint: how long, and for an edit what the app sent and what went on."""
    note = held_note(event)
    if note is None:
        return []
    if not note.edited:
        return [("held", note.sentence)]
    changes = [f"{change.field}: {change.given} → {change.exchanged}" for change in note.changes]
    if note.edited and not note.made_up and not changes:
        changes = ["(no field differs)"]
    return [(f"{EDITED_MARK} edited", "\n".join([note.sentence, *changes]))]


# The heading


def heading(summary: TraceSummary) -> str:
    """The request's title and outcome: ``GET /hello → 200 OK``."""
    return f"{line(summary.title)} → {outcome(summary)}"


def outcome(summary: TraceSummary) -> str:
    """How the request ended, in a few words: ``200 OK``, ``101, closed 1000``, ``no response: ValueError``."""
    parts = []
    if summary.scope_type == "lifespan":
        if summary.failure:
            parts.append(gist(summary.failure))
        elif summary.lifespan_unsupported:
            parts.append("not supported by the app")
        else:
            parts.append("complete" if summary.complete else "running")
    elif summary.status is not None:
        reason = summary.reason or _phrase(summary.status)
        parts.append(f"{summary.status} {reason}".rstrip())
        if summary.close_code is not None:
            parts.append(f"closed {summary.close_code}")
    elif summary.close_code is not None:
        parts.append(f"closed {summary.close_code}")
    else:
        parts.append("no response" if summary.complete else "no response yet")
    if summary.error_type and not summary.lifespan_unsupported:
        message = f"{summary.error_type}: {summary.error_message}" if summary.error_message else summary.error_type
        parts.append(f"raised {message}")
    if summary.stopped:
        parts.append(f"stopped: {summary.stopped}")
    if not summary.complete and summary.scope_type != "lifespan":
        parts.append("still running or cut off")
    return line(", ".join(parts))


def _phrase(status: int) -> str:
    if status == 101:
        return "Switching Protocols"
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def facts(summary: TraceSummary, findings: Sequence[Finding]) -> list[Row]:
    """The rows under the heading: trace, time, request, response, timings, findings."""
    rows: list[Row] = [
        ("trace", f"{line(summary.id)} · {summary.protocol.upper()} {summary.scope_type} · {timestamp(summary.start)}"),
        ("took", f"{duration(summary.duration_ns)} · {summary.events} step{'s' if summary.events != 1 else ''}"
                 f"{'' if summary.complete else ' · no end event (still running, or cut off)'}"),
    ]
    if summary.scope_type == "websocket":
        rows.append(("received", f"{_count(summary.reads, 'message')}, {size(summary.request_bytes)}"))
        rows.append(("sent", f"{_count(summary.chunks, 'message')}, {size(summary.response_bytes)}"))
    elif summary.scope_type == "http":
        rows.append(("request", _request(summary)))
        rows.append(("response", _response(summary)))
    timings = _timings(summary)
    if timings:
        rows.append(("timings", timings))
    rows.append(("findings", count_findings(findings) or "none"))
    return rows


def _request(summary: TraceSummary) -> str:
    kind = f" {line(summary.request_content_type)}" if summary.request_content_type else ""
    declared = summary.request_length
    if not summary.request_bytes and not declared:
        return "no body" + (f" ({kind.strip()})" if kind else "")
    text = f"{size(summary.request_bytes)}{kind} read in {_count(summary.reads, 'read')}"
    if declared is not None and declared != summary.request_bytes:
        text += f" (Content-Length {declared:,})"
    return text


def _response(summary: TraceSummary) -> str:
    if summary.status is None and not summary.response_bytes:
        return "none"
    kind = f" {line(summary.content_type)}" if summary.content_type else ""
    return f"{size(summary.response_bytes)}{kind} in {_count(summary.chunks, 'chunk')}"


def _timings(summary: TraceSummary) -> str:
    marks = [
        ("status", summary.response_start_ns),
        ("first byte", summary.first_byte_ns),
        ("response done", summary.response_end_ns),
        ("app raised" if summary.error_type else "app returned", summary.app_return_ns),
    ]
    span = max((ns for _, ns in marks if ns is not None), default=None)
    return " · ".join(f"{name} {offset(ns, span)}" for name, ns in marks if ns is not None)


def count_findings(findings: Iterable[Finding]) -> str:
    """``2 errors, 1 info``: how many findings of each severity, worst first; ``""`` for none."""
    counts: dict[str, int] = {}
    for finding in findings:
        counts[finding.severity] = counts.get(finding.severity, 0) + 1
    words = {"error": "error", "warning": "warning", "info": "info"}
    return ", ".join(
        f"{n} {words.get(severity, severity)}{'s' if n != 1 and severity != 'info' else ''}"
        for severity, n in sorted(counts.items(), key=lambda item: _ORDER.get(item[0], 3))
    )


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def request_line(summary: TraceSummary, findings: Sequence[Finding] | None, *, id_width: int = 0) -> str:
    """One line for a list of requests: id, status, duration, findings, title (and what went wrong).

    Args:
        summary: The request.
        findings: Its findings; None when they were not looked for.
        id_width: Pad the id to this width (the longest id of the list), so the columns line up.
    """
    status = "-" if summary.status is None else str(summary.status)
    found = "" if findings is None else (count_findings(findings) or "no findings")
    notes = []
    if summary.close_code is not None:
        notes.append(f"closed {summary.close_code}")
    if summary.failure:
        notes.append(gist(summary.failure))
    elif summary.error_type and not summary.lifespan_unsupported:
        notes.append(f"raised {summary.error_type}")
    if not summary.complete:
        notes.append("no end event")
    extra = f"  ({line(', '.join(notes))})" if notes else ""
    columns = f"{line(summary.id):<{id_width}}  {status:>3}  {duration(summary.duration_ns):>8}"
    if findings is not None:
        columns += f"  {found:<18}"
    return f"{columns}  {line(summary.title)}{extra}"


def _span(trace: Trace) -> int | None:
    """The trace's last offset: every step's offset is written in the unit it calls for (`tracer.text.offset`)."""
    return trace.events[-1].t_ns if trace.events else None


# Text


def _text(trace: Trace, steps: list[Step], findings: Sequence[Finding], spec: bool, colour: bool) -> str:
    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if colour and text else text

    summary = trace.summary
    span = _span(trace)
    out = [paint(heading(summary), _BOLD)]
    out += _rows(facts(summary, findings), "  ", paint)
    for step in steps:
        out.append("")
        where = f"{step.source} → {step.target}"
        out.append(f"{paint(f'#{step.seq}', _BOLD)}  {paint(offset(step.t_ns, span), _DIM)}  {paint(where, _CYAN)}  "
                   f"{paint(step.label, _BOLD)}")
        if step.meaning:
            out.append(_INDENT + paint(step.meaning, _DIM))
        rows = list(step.rows)
        if step.state:
            rows.append(("state", step.state))
        if step.framing:
            rows.append(("framing", step.framing))
        for finding in step.findings:
            severity = paint(f"{finding.severity}", _SEVERITY_COLOURS.get(finding.severity, _BOLD))
            out.append(f"{_INDENT}{severity}{' ' * (_KEY_WIDTH - len(finding.severity))}"
                       f"{finding.rule}: {line(finding.message)}")
            if spec:
                out += _rows(_finding_spec(finding), _INDENT, paint)
        out += _rows(rows, _INDENT, paint)
        if spec:
            out += _rows([("spec", _note_text(note)) for note in step.notes], _INDENT, paint)
    return "\n".join(out) + "\n"


def _rows(rows: Iterable[Row], indent: str, paint: Callable[[str, str], str]) -> list[str]:
    lines = []
    pad = indent + " " * _KEY_WIDTH
    for key, value in rows:
        first, *rest = value.split("\n")
        shown_key = key if len(key) < _KEY_WIDTH else key + " "
        lines.append(f"{indent}{paint(shown_key, _DIM)}{' ' * (_KEY_WIDTH - len(shown_key))}{first}".rstrip())
        lines += [f"{pad}{more}".rstrip() for more in rest]
    return lines


def _note_text(note: _spec.SpecNote) -> str:
    return "\n".join([note.text, *(f"{section.label} <{section.url}>" for section in note.sections)])


def _finding_spec(finding: Finding) -> list[Row]:
    note = _spec.RULES.get(finding.rule)
    return [("spec", _note_text(note))] if note is not None else []


# Markdown


def _markdown(trace: Trace, steps: list[Step], findings: Sequence[Finding], spec: bool) -> str:
    summary = trace.summary
    span = _span(trace)
    out = [f"### {_md_text(heading(summary))}", ""]
    out += [f"- **{key}**: {_md_text(value)}" for key, value in facts(summary, findings)]
    out += ["", "| # | time | from → to | step | state after | findings |", "|--:|--:|---|---|---|---|"]
    for step in steps:
        state = step.state.split(":", 1)[0] if step.state else ""
        rules = ", ".join(_code(f.rule) for f in step.findings)
        out.append(f"| {step.seq} | {offset(step.t_ns, span)} | {step.source} → {step.target} | {_cell(_code(step.label))} "
                   f"| {_cell(state)} | {rules} |")
    for step in steps:
        out += ["", f"#### #{step.seq} {_code(step.kind)} · {offset(step.t_ns, span)}", ""]
        out.append(f"{step.source} → {step.target}: {_code(step.label)}")
        # The meaning, states, framing and spec notes are the project's own words, written to read as markdown.
        if step.meaning:
            out += ["", step.meaning]
        if step.state or step.framing:
            out.append("")
            if step.state:
                out.append(f"- state after: {step.state}")
            if step.framing:
                out.append(f"- framing: {step.framing}")
        if step.rows:
            out += ["", *_fence("\n".join(_rows(step.rows, "", lambda text, code: text)))]
        if step.findings:
            out.append("")
            for finding in step.findings:
                out.append(f"- **{finding.severity}** {_code(finding.rule)}: {_md_text(line(finding.message))}")
                note = _spec.RULES.get(finding.rule) if spec else None
                if note is not None:
                    out.append(f"  - {_md_note(note)}")
        if spec and step.notes:
            out.append("")
            out += [f"> {_md_note(note)}" for note in step.notes]
    return "\n".join(out) + "\n"


def _md_note(note: _spec.SpecNote) -> str:
    links = ", ".join(f"[{section.label}]({section.url})" for section in note.sections)
    return f"{note.text} ({links})" if links else note.text


def _fence(text: str) -> list[str]:
    """`text` in a fenced code block whose fence no line of it can close."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", text, fence]


def _code(text: str) -> str:
    """`text` as inline code, with enough backticks around it that none inside ends it."""
    longest = run = 0
    for char in text:
        run = run + 1 if char == "`" else 0
        longest = max(longest, run)
    ticks = "`" * (longest + 1)
    padded = f" {text} " if text.startswith("`") or text.endswith("`") else text
    return f"{ticks}{padded}{ticks}"


def _cell(text: str) -> str:
    """Text inside a table cell: a pipe would end the cell."""
    return text.replace("|", "\\|")


# Underscores stay as they are: inside a word (start_response) they cannot start emphasis.
_MD_SPECIAL = str.maketrans({char: "\\" + char for char in "\\`*[]<|"})


def _md_text(text: str) -> str:
    """Text from a trace (a path, a header, a message) made literal in markdown: no code span, link, HTML or cell end."""
    return text.translate(_MD_SPECIAL)
