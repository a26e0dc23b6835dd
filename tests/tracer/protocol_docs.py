"""The state machines and spec notes of docs/protocols.md, written from `tracer.states` and `tracer.spec`.

    python -m tests.tracer.protocol_docs

rewrites the part of docs/protocols.md between the markers below; the test
suite fails while that part and the data disagree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from tracer import spec
from tracer.checks.rules import RULES
from tracer.states import MACHINES, Machine

DOCS = Path(__file__).parents[2] / "docs" / "protocols.md"
BEGIN = "<!-- protocols: written from tracer/states/ and tracer/spec.py by `python -m tests.tracer.protocol_docs` -->"
END = "<!-- end of protocols -->"


def render() -> str:
    """The generated part of docs/protocols.md, markers included."""
    lines = [BEGIN, "", "## The state machines"]
    for machine in MACHINES.values():
        lines += _machine(machine)
    lines += ["", "## The spec beside each step"]
    lines += _notes("Event kinds", spec.KINDS)
    lines += _notes("ASGI messages", spec.MESSAGES)
    lines += _notes("Check rules", spec.RULES, rules=True)
    lines += ["", END]
    return "\n".join(lines) + "\n"


def _machine(machine: Machine) -> list[str]:
    lines = ["", f"### {machine.title}", ""]
    for number, state in enumerate(machine.states, 1):
        lines.append(f"{number}. **{state.label}**: {machine.about[state]}")
        lines.append(f"   The app may: {'; '.join(machine.may[state])}.")
        for by, heading in (("app", "A mistake here"), ("server", "The server's mistake here")):
            mistakes = machine.mistakes_in(state, by)
            if mistakes:
                lines.append(f"   {heading}: " + " ".join(f"{m.says} (`{m.rule}`)" for m in mistakes))
    lines += ["", "| from | on | to | what happens |", "|---|---|---|---|"]
    for t in machine.transitions:
        source = ", ".join(s.label for s in t.source) or "(start)"
        target = t.target.label if t.target is not None else "(stays)"
        lines.append(f"| {source} | `{t.on}` | {target} | {_cell(t.says)} |")
    lines += ["", "<details><summary>Triggers</summary>", ""]
    lines += [f"- `{on}`: {what}" for on, what in machine.triggers.items()]
    lines += ["", "</details>"]
    return lines


def _notes(title: str, notes: Mapping[str, spec.SpecNote], rules: bool = False) -> list[str]:
    lines = ["", f"### {title}"]
    for key, note in notes.items():
        heading = f"`{key}` ({RULES[key].severity})" if rules else f"`{key}`"
        lines += ["", f"#### {heading}", "", note.text, "", "From: " + _links(note.sections)]
    return lines


def _links(sections: Iterable[spec.Section]) -> str:
    return ", ".join(f"[{section.label}]({section.url})" for section in sections) + "."


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def current() -> str:
    """The generated part as it stands in docs/protocols.md."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        return ""
    return text[start : end + len(END)] + "\n"


def write() -> None:
    """Replace the generated part of docs/protocols.md (or append it, when the markers are missing)."""
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        text = text.rstrip("\n") + "\n\n" + render()
    else:
        text = text[:start] + render() + text[end + len(END) + 1 :]
    DOCS.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write()
