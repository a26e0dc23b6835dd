"""Shared fixtures: in-test Django configuration."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.django_project import configure_django


@pytest.fixture
def django_configured() -> Iterator[None]:
    """Django set up, with this suite's urls in force for the test.

    Settings can be configured only once per process and other test modules
    may have configured them first, so the urls and middleware are overridden
    per test rather than assumed.
    """
    from django.test.utils import override_settings

    configure_django()
    with override_settings(ROOT_URLCONF="tests.django_project", MIDDLEWARE=[], ALLOWED_HOSTS=["*"]):
        yield
