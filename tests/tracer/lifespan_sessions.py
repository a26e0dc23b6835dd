"""A server process's lifespan session, run through the tracer without a server."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from asgiref.testing import ApplicationCommunicator

from tracer import ASGITracer


async def refuses_to_start(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """A lifespan app whose startup fails, and which raises the failure after saying so (as Starlette does)."""
    await receive()
    await send({"type": "lifespan.startup.failed", "message": "no database"})
    raise RuntimeError("no database")


def lifespan_session(app: Any, sink: Any) -> None:
    """Start `app`'s lifespan and, when it starts, shut it down, as a server does; the trace goes to `sink`."""

    async def run() -> None:
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}, "state": {}}
        communicator = ApplicationCommunicator(ASGITracer(app, sink=sink), scope)
        await communicator.send_input({"type": "lifespan.startup"})
        if (await communicator.receive_output(5))["type"] == "lifespan.startup.complete":
            await communicator.send_input({"type": "lifespan.shutdown"})
            await communicator.receive_output(5)
            await communicator.wait(5)
        else:
            with contextlib.suppress(RuntimeError):
                await communicator.wait(5)

    asyncio.run(run())
