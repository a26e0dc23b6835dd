"""The rule catalog's broken examples (`tracer.checks.rules`), ready to run through the tracer."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from tracer.checks.rules import RULES, Example

from .drivers import http_scope, lifespan_scope, ws_scope

_SCOPES: dict[str, Callable[[], dict[str, Any]]] = {"http": http_scope, "websocket": ws_scope, "lifespan": lifespan_scope}
_WSGI_SERVER = frozenset({"method", "data", "environ", "close", "iterate_after_close", "crash", "tracer_options"})
_ASGI_SERVER = frozenset({"scope", "inputs"})


@dataclass(frozen=True)
class Case:
    """One rule's broken example; each read of `app`, `options`, `scope` or `inputs` builds them afresh.

    A tracer marks the scope or environ it has seen, and apps may keep state,
    so no two runs share an object.
    """

    rule: str
    example: Example

    @property
    def kind(self) -> str:
        """The kind of the event the finding must point at."""
        return self.example.at

    @property
    def app(self) -> Callable[..., Any]:
        """The example's ``app``, defined from its source."""
        namespace: dict[str, Any] = {}
        exec(compile(self.example.app, f"<broken example of {self.rule}>", "exec"), namespace)  # noqa: S102
        return namespace["app"]

    @property
    def options(self) -> dict[str, Any]:
        """Keyword arguments for `drivers.run_wsgi`."""
        server = copy.deepcopy(dict(self.example.server))
        assert set(server) <= _WSGI_SERVER, (self.rule, sorted(server))
        changes = server.pop("environ", None)
        if changes:
            server["environ"] = _changing(changes)
        return server

    @property
    def scope(self) -> dict[str, Any]:
        """A valid scope of the example's type, with its changes."""
        assert set(self.example.server) <= _ASGI_SERVER, (self.rule, sorted(self.example.server))
        changes = copy.deepcopy(dict(self.example.server.get("scope", {})))
        scope = _SCOPES[changes.pop("type", "http")]()
        scope.update(changes)
        return scope

    @property
    def inputs(self) -> list[dict[str, Any]]:
        """What receive() returns, in order."""
        return copy.deepcopy(list(self.example.server.get("inputs", [])))


def cases(protocol: Literal["wsgi", "asgi"]) -> list[Case]:
    """Every broken example of the catalog for `protocol`, in catalog order."""
    return [
        Case(rule.id, example)
        for rule in RULES.values()
        for example in rule.examples
        if example.protocol == protocol
    ]


def _changing(changes: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(environ: dict[str, Any]) -> None:
        for key, value in changes.items():
            if value is None:
                environ.pop(key, None)
            else:
                environ[key] = value

    return change
