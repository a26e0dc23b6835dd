"""Errors and warnings raised by tracer.

    TracerError                  base of every error tracer raises on purpose
     ├── TraceFileError          a trace file that cannot be read (names file and line)
     │    └── UnsupportedFormatError  a header with another format or a newer version
     └── UsageError              a bad option or argument given to the CLI or an API

    TracerWarning                recording failed; the request still completed
"""

from __future__ import annotations


class TracerError(Exception):
    """Base of the errors tracer raises on purpose; the CLI prints them as one line."""


class TraceFileError(TracerError):
    """A trace file is missing, unreadable or malformed at a named line."""


class UnsupportedFormatError(TraceFileError):
    """A trace file's header names another format or a newer version."""


class UsageError(TracerError):
    """A bad option, argument or app reference."""


class TracerWarning(UserWarning):
    """Recording failed (a sink could not write); the app's requests were not affected."""
