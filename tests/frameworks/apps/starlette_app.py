"""A Starlette app for the framework tests: `tracer run tests.frameworks.apps.starlette_app:app`."""

from __future__ import annotations

import asyncio
import contextlib

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from tests.frameworks.apps import CHUNK_DELAY, CHUNKS


async def hello(request: Request) -> PlainTextResponse:
    response = PlainTextResponse(f"Hello from Starlette, started {request.state.started}\n")
    response.set_cookie("session", "secret-value")
    return response


async def echo(request: Request) -> JSONResponse:
    return JSONResponse({"received": await request.json(), "query": request.query_params.get("q")})


async def stream(request: Request) -> StreamingResponse:
    async def chunks():
        for number in range(CHUNKS):
            if number:
                await asyncio.sleep(CHUNK_DELAY)
            yield f"chunk {number}\n"

    return StreamingResponse(chunks(), media_type="text/plain")


async def missing(request: Request) -> PlainTextResponse:
    return PlainTextResponse("nothing here\n", status_code=404)


async def ws_echo(websocket: WebSocket) -> None:
    await websocket.accept()
    text = await websocket.receive_text()
    await websocket.send_text(f"echo: {text}")
    await websocket.close()


@contextlib.asynccontextmanager
async def lifespan(app: Starlette):
    yield {"started": "yes"}


app = Starlette(
    routes=[
        Route("/hello", hello),
        Route("/echo", echo, methods=["POST"]),
        Route("/stream", stream),
        Route("/missing", missing),
        WebSocketRoute("/ws", ws_echo),
    ],
    lifespan=lifespan,
)
