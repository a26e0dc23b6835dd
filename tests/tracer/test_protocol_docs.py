"""docs/protocols.md is written from the state machines and spec notes, and says what they say."""

from __future__ import annotations

from tracer import spec
from tracer.states import MACHINES

from . import protocol_docs


def test_the_protocols_page_is_written_from_the_data() -> None:
    assert protocol_docs.current() == protocol_docs.render(), (
        "docs/protocols.md and tracer/states/ or tracer/spec.py disagree: run python -m tests.tracer.protocol_docs"
    )


def test_the_page_names_every_state_kind_message_and_rule() -> None:
    page = protocol_docs.current()
    for machine in MACHINES.values():
        assert f"### {machine.title}" in page
        assert all(f"**{state.label}**" in page for state in machine.states)
    for key in (*spec.KINDS, *spec.MESSAGES, *spec.RULES):
        assert f"#### `{key}`" in page, key
