"""Shared fixtures: in-test Django configuration, trace file helpers."""

from __future__ import annotations

import pytest

from tests.django_project import configure_django


@pytest.fixture(scope="session")
def django_configured() -> None:
    """Configure Django once per test session (settings can be configured only once)."""
    configure_django()
