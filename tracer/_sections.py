"""The sections of PEP 3333, the ASGI specification and the RFCs that `tracer.spec` cites."""

from __future__ import annotations

import re
from dataclasses import dataclass

PEP_3333 = "https://peps.python.org/pep-3333/"
ASGI_MAIN = "https://asgi.readthedocs.io/en/latest/specs/main.html"
ASGI_WWW = "https://asgi.readthedocs.io/en/latest/specs/www.html"
ASGI_LIFESPAN = "https://asgi.readthedocs.io/en/latest/specs/lifespan.html"
ASGI_EXTENSIONS = "https://asgi.readthedocs.io/en/latest/extensions.html"


@dataclass(frozen=True, slots=True)
class Section:
    """One section of a specification.

    Attributes:
        document: The document, e.g. ``"PEP 3333"`` or ``"ASGI HTTP & WebSocket spec"``.
        title: The section's heading as the document writes it.
        url: A link to the section.
    """

    document: str
    title: str
    url: str

    @property
    def label(self) -> str:
        """Document and section, e.g. ``"PEP 3333: The start_response() Callable"``."""
        return f"{self.document}: {self.title}"


@dataclass(frozen=True, slots=True)
class SpecNote:
    """The rules one step (or one check rule) is under, in the project's words, and where they come from.

    Attributes:
        text: A short explanation, one to three sentences.
        sections: The sections it comes from, the main one first.
    """

    text: str
    sections: tuple[Section, ...]


def anchor(title: str) -> str:
    """The anchor Sphinx (docutils) gives a heading: lowercase words joined by hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def pep(title: str) -> Section:
    """A section of PEP 3333."""
    return Section("PEP 3333", title, f"{PEP_3333}#{anchor(title)}")


def main(title: str) -> Section:
    """A section of the ASGI specification's main document."""
    return Section("ASGI spec", title, f"{ASGI_MAIN}#{anchor(title)}")


def www(title: str, label: str | None = None) -> Section:
    """A section of the ASGI HTTP & WebSocket spec; `label` where the document gives the heading its own."""
    return Section("ASGI HTTP & WebSocket spec", title, f"{ASGI_WWW}#{label or anchor(title)}")


def lifespan(title: str) -> Section:
    """A section of the ASGI Lifespan spec."""
    return Section("ASGI Lifespan spec", title, f"{ASGI_LIFESPAN}#{anchor(title)}")


def extension(title: str) -> Section:
    """A section of the ASGI extensions document."""
    return Section("ASGI extensions", title, f"{ASGI_EXTENSIONS}#{anchor(title)}")


def rfc(number: int, section: str, title: str) -> Section:
    """A section of an RFC, e.g. ``rfc(9110, "8.6", "Content-Length")``."""
    return Section(f"RFC {number}", f"§{section} {title}", f"https://www.rfc-editor.org/rfc/rfc{number}#section-{section}")


def python_docs(title: str, fragment: str) -> Section:
    """A section of the Python library reference's logging page."""
    return Section("Python library reference", title, f"https://docs.python.org/3/library/logging.html#{fragment}")


# PEP 3333
APPLICATION_SIDE = pep("The Application/Framework Side")
SERVER_SIDE = pep("The Server/Gateway Side")
SPEC_DETAILS = pep("Specification Details")
ENVIRON = pep("environ Variables")
STREAMS = pep("Input and Error Streams")
START_RESPONSE = pep("The start_response() Callable")
CONTENT_LENGTH = pep("Handling the Content-Length Header")
BUFFERING = pep("Buffering and Streaming")
WRITE = pep("The write() Callable")
STRING_TYPES = pep("A Note On String Types")
UNICODE = pep("Unicode Issues")
ERRORS = pep("Error Handling")
HTTP_FEATURES = pep("Other HTTP Features")
FILE_HANDLING = pep("Optional Platform-Specific File Handling")

# ASGI: the main document
CONNECTION_SCOPE = main("Connection Scope")
EVENTS = main("Events")
APPLICATIONS = main("Applications")
PROTOCOLS = main("Protocol Specifications")
ERROR_HANDLING = main("Error Handling")
EXTENSIONS = main("Extensions")

# ASGI: HTTP
HTTP_SCOPE = www("HTTP Connection Scope")
REQUEST = www("Request - receive event")
RESPONSE_START = www("Response Start - send event")
RESPONSE_BODY = www("Response Body - send event")
DISCONNECTED_CLIENT = www("Disconnected Client - send exception")
DISCONNECT = www("Disconnect - receive event")

# ASGI: WebSocket
WS_SCOPE = www("Websocket Connection Scope")
CONNECT = www("Connect - receive event")
ACCEPT = www("Accept - send event")
WS_RECEIVE = www("Receive - receive event")
WS_SEND = www("Send - send event")
WS_DISCONNECT = www("Disconnect - receive event", "disconnect-receive-event-ws")
CLOSE = www("Close - send event")

# ASGI: Lifespan
LIFESPAN_SCOPE = lifespan("Scope")
LIFESPAN_STATE = lifespan("Lifespan State")
STARTUP = lifespan("Startup - receive event")
STARTUP_COMPLETE = lifespan("Startup Complete - send event")
STARTUP_FAILED = lifespan("Startup Failed - send event")
SHUTDOWN = lifespan("Shutdown - receive event")
SHUTDOWN_COMPLETE = lifespan("Shutdown Complete - send event")
SHUTDOWN_FAILED = lifespan("Shutdown Failed - send event")

# ASGI: extensions
DENIAL = extension("Websocket Denial Response")
PUSH = extension("HTTP/2 Server Push")
ZERO_COPY = extension("Zero Copy Send")
PATH_SEND = extension("Path Send")
EARLY_HINTS = extension("Early Hints")
TRAILERS = extension("HTTP Trailers")
DEBUG = extension("Debug")

# RFCs, tools and standards the HTTP rules come from
FIELD_NAMES = rfc(9110, "5.1", "Field Names")
FIELD_VALUES = rfc(9110, "5.5", "Field Values")
CONTENT_SEMANTICS = rfc(9110, "6.4.1", "Content Semantics")
CONTENT_TYPE = rfc(9110, "8.3", "Content-Type")
CHARSET = rfc(9110, "8.3.2", "Charset")
CONTENT_LENGTH_FIELD = rfc(9110, "8.6", "Content-Length")
ETAG = rfc(9110, "8.8.3", "ETag")
HEAD = rfc(9110, "9.3.2", "HEAD")
LOCATION = rfc(9110, "10.2.2", "Location")
STATUS_CODES = rfc(9110, "15", "Status Codes")
NOT_MODIFIED = rfc(9110, "15.4.5", "304 Not Modified")
SECURE_COOKIE = rfc(6265, "4.1.2.5", "The Secure Attribute")
WS_CLIENT = rfc(6455, "4.1", "Client Requirements")
WS_CLOSE_FRAME = rfc(6455, "5.5.1", "Close")
WS_STATUS_CODES = rfc(6455, "7.4", "Status Codes")
CORS_CREDENTIALS = Section("Fetch standard", "CORS protocol and credentials",
                           "https://fetch.spec.whatwg.org/#cors-protocol-and-credentials")
WSGIREF_VALIDATE = Section("Python docs", "wsgiref.validate",
                           "https://docs.python.org/3/library/wsgiref.html#module-wsgiref.validate")
WERKZEUG_LINT = Section("Werkzeug", "Lint Validation Middleware",
                        "https://werkzeug.palletsprojects.com/en/stable/middleware/lint/")

# The Python library reference
LOGGER_OBJECTS = python_docs("Logger Objects", "logger-objects")
LOG_RECORD_OBJECTS = python_docs("LogRecord Objects", "logrecord-objects")
