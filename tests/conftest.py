"""Shared fixtures: in-test Django configuration."""

from __future__ import annotations

import os
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


def pytest_configure(config: pytest.Config) -> None:
    """Under ``make test-compiled``, refuse to run the pure-Python modules by mistake.

    Run from the checkout, ``tracer/`` there could shadow the installed compiled
    wheel: pytest puts the repository's root on ``sys.path`` to import the
    ``tests`` package. The wheel is imported first only because its ``pytest11``
    plugin (``tracer.pytest_plugin``) loads before the tests are collected; this
    check is what makes that dependence safe.
    """
    if os.environ.get("TRACER_EXPECT_COMPILED") == "1":
        import tracer.codec

        if tracer.codec.__file__ is None or tracer.codec.__file__.endswith(".py"):
            raise pytest.UsageError(f"TRACER_EXPECT_COMPILED=1 but tracer.codec is {tracer.codec.__file__}")
