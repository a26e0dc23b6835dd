"""Every event kind, ASGI message type and check rule has its spec note, naming real sections with links."""

from __future__ import annotations

from typing import get_args
from urllib.parse import urlsplit

import pytest

from tracer import spec
from tracer._sections import anchor
from tracer.checks._asgi_common import EXTENSION_TYPES, RECEIVE_TYPES, SEND_TYPES
from tracer.checks.rules import RULES
from tracer.model import Event, EventKind

# The headings of each document, as their sources spell them (PEP 3333 in python/peps, the ASGI specs and
# extensions in django/asgiref); a note may cite only these.
HEADINGS = {
    "PEP 3333": {
        "Specification Overview", "A Note On String Types", "The Application/Framework Side",
        "The Server/Gateway Side", "Middleware: Components that Play Both Sides", "Specification Details",
        "environ Variables", "Input and Error Streams", "The start_response() Callable",
        "Handling the Content-Length Header", "Buffering and Streaming", "Middleware Handling of Block Boundaries",
        "The write() Callable", "Unicode Issues", "Error Handling", "HTTP 1.1 Expect/Continue",
        "Other HTTP Features", "Thread Support", "Optional Platform-Specific File Handling",
    },
    "ASGI spec": {
        "Connection Scope", "Events", "Applications", "Legacy Applications", "Protocol Specifications",
        "Middleware", "Error Handling", "Extensions", "Strings and Unicode",
    },
    "ASGI HTTP & WebSocket spec": {
        "Spec Versions", "HTTP", "HTTP Connection Scope", "Request - receive event", "Response Start - send event",
        "Response Body - send event", "Disconnected Client - send exception", "Disconnect - receive event",
        "WebSocket", "Websocket Connection Scope", "Connect - receive event", "Accept - send event",
        "Receive - receive event", "Send - send event", "Close - send event",
    },
    "ASGI Lifespan spec": {
        "Scope", "Lifespan State", "Startup - receive event", "Startup Complete - send event",
        "Startup Failed - send event", "Shutdown - receive event", "Shutdown Complete - send event",
        "Shutdown Failed - send event",
    },
    "ASGI extensions": {
        "Websocket Denial Response", "HTTP/2 Server Push", "Zero Copy Send", "Path Send", "TLS", "Early Hints",
        "HTTP Trailers", "Debug",
    },
}
# Headings a document repeats carry a label of their own there.
LABELS = {"https://asgi.readthedocs.io/en/latest/specs/www.html#disconnect-receive-event-ws"}
ASGI_DOCUMENTS = {"ASGI spec", "ASGI HTTP & WebSocket spec", "ASGI Lifespan spec", "ASGI extensions"}

ALL_NOTES = [*spec.KINDS.items(), *spec.MESSAGES.items(), *spec.RULES.items()]


def test_every_event_kind_has_a_note() -> None:
    assert sorted(spec.KINDS) == sorted(get_args(EventKind))


def test_every_message_type_the_checks_know_has_a_note() -> None:
    known = set(EXTENSION_TYPES).union(*SEND_TYPES.values(), *RECEIVE_TYPES.values())
    assert sorted(spec.MESSAGES) == sorted(known)


def test_every_rule_has_a_note() -> None:
    assert sorted(spec.RULES) == sorted(RULES)


@pytest.mark.parametrize(("key", "note"), ALL_NOTES, ids=[key for key, _ in ALL_NOTES])
def test_a_note_is_prose_with_sections_and_https_links(key: str, note: spec.SpecNote) -> None:
    first = note.text.split(" ", 1)[0]
    code = any(c in first for c in "_.([")  # start_response, receive(), environ['wsgi.input'] stay as written
    assert note.text.endswith(".") and (note.text[:1].isupper() or note.text[:1].isdigit() or code), note.text
    assert note.sections
    for section in note.sections:
        assert section.title and section.document
        assert urlsplit(section.url).scheme == "https" and urlsplit(section.url).netloc, section


@pytest.mark.parametrize(("key", "note"), ALL_NOTES, ids=[key for key, _ in ALL_NOTES])
def test_sections_are_real_headings_with_their_anchors(key: str, note: spec.SpecNote) -> None:
    for section in note.sections:
        if section.document in HEADINGS:
            assert section.title in HEADINGS[section.document], section
            assert section.url in LABELS or urlsplit(section.url).fragment == anchor(section.title), section
        elif section.document.startswith("RFC "):
            assert urlsplit(section.url).fragment == "section-" + section.title.split()[0].removeprefix("§")


@pytest.mark.parametrize(("key", "note"), ALL_NOTES, ids=[key for key, _ in ALL_NOTES])
def test_each_note_names_the_spec_its_step_or_rule_belongs_to(key: str, note: spec.SpecNote) -> None:
    documents = {section.document for section in note.sections}
    if key.startswith("wsgi"):
        assert "PEP 3333" in documents
    elif key.split("-")[0].split(".")[0] in ("asgi", "ws", "lifespan", "http", "websocket"):
        if not key.startswith("http-"):
            assert documents & ASGI_DOCUMENTS, key


def test_anchors_are_as_sphinx_writes_them() -> None:
    assert anchor("The start_response() Callable") == "the-start-response-callable"
    assert anchor("environ Variables") == "environ-variables"
    assert anchor("HTTP/2 Server Push") == "http-2-server-push"
    assert anchor("Response Start - send event") == "response-start-send-event"


def test_notes_for_an_event_are_its_kind_then_its_message_type() -> None:
    start = Event(2, 0, "asgi.send", {"message": {"type": "http.response.start", "status": 200}})
    assert spec.notes_for(start) == [spec.KINDS["asgi.send"], spec.MESSAGES["http.response.start"]]
    assert spec.notes_for(Event(0, 0, "asgi.send", {"message": "odd"})) == [spec.KINDS["asgi.send"]]
    assert spec.notes_for(Event(0, 0, "wsgi.close", {})) == [spec.KINDS["wsgi.close"]]
    assert spec.notes_for(Event(0, 0, "other.kind", {})) == []
    assert spec.RULES["wsgi-start-response-twice"].sections[0].url == (
        "https://peps.python.org/pep-3333/#the-start-response-callable"
    )
