"""The ASGI Lifespan exchange: starting, started, shutting down, stopped, and the failed ends."""

from __future__ import annotations

from typing import Any

from ._asgi import END, END_RAISED, MAY_RAISED, SCOPE, MessageFollow
from .machine import Machine, Mistake, State, Transition, frozen


class LifespanState(State):
    """Where an app's lifespan is."""

    CALLED = "called"
    STARTING = "starting"
    STARTED = "started"
    STARTUP_FAILED = "startup failed"
    SHUTTING_DOWN = "shutting down"
    STOPPED = "stopped"
    SHUTDOWN_FAILED = "shutdown failed"


CALLED, STARTING, STARTED, STARTUP_FAILED, SHUTTING_DOWN, STOPPED, SHUTDOWN_FAILED = LifespanState

SENDS = frozenset(
    {"lifespan.startup.complete", "lifespan.startup.failed", "lifespan.shutdown.complete",
     "lifespan.shutdown.failed"}
)
"""The messages an app sends in a lifespan scope."""
RECEIVES = frozenset({"lifespan.startup", "lifespan.shutdown"})
"""The messages the server gives the app in a lifespan scope."""

STARTUP = "lifespan.startup"
SHUTDOWN = "lifespan.shutdown"
STARTUP_COMPLETE = "lifespan.startup.complete"
STARTUP_FAILED_ = "lifespan.startup.failed"
SHUTDOWN_COMPLETE = "lifespan.shutdown.complete"
SHUTDOWN_FAILED_ = "lifespan.shutdown.failed"

_STARTUP_ANSWERED = (STARTED, STARTUP_FAILED)
_SHUTTING = (SHUTTING_DOWN, STOPPED, SHUTDOWN_FAILED)
_STARTUP_REPLIES = (STARTUP_COMPLETE, STARTUP_FAILED_)
_SHUTDOWN_REPLIES = (SHUTDOWN_COMPLETE, SHUTDOWN_FAILED_)

MACHINE = Machine(
    name="lifespan",
    title="ASGI Lifespan",
    states=tuple(LifespanState),
    triggers=frozen({
        SCOPE: "the server calls await app(scope, receive, send) with the lifespan scope, before serving",
        STARTUP: "receive() returns lifespan.startup: the server is about to take connections",
        STARTUP_COMPLETE: "the app says it is ready",
        STARTUP_FAILED_: "the app says it could not start, with a message",
        SHUTDOWN: "receive() returns lifespan.shutdown: the server has stopped taking connections",
        SHUTDOWN_COMPLETE: "the app says it has cleaned up",
        SHUTDOWN_FAILED_: "the app says it could not clean up, with a message",
        END: "the app returns",
        END_RAISED: "the app's exception ends it",
    }),
    transitions=(
        Transition((), SCOPE, CALLED, "The server calls the app once, before it serves any request."),
        Transition((CALLED,), STARTUP, STARTING, "The server waits for the app's answer before taking connections."),
        Transition((STARTING,), STARTUP_COMPLETE, STARTED, "The server starts taking connections."),
        Transition((STARTING,), STARTUP_FAILED_, STARTUP_FAILED, "The server logs the message and exits."),
        Transition((STARTED,), SHUTDOWN, SHUTTING_DOWN,
                   "The server has closed its connections and waits for the app's answer before it exits."),
        Transition((CALLED, STARTING, STARTUP_FAILED), SHUTDOWN, SHUTTING_DOWN,
                   "The server stops without a successful startup; the app should still answer."),
        Transition((SHUTTING_DOWN,), SHUTDOWN_COMPLETE, STOPPED, "The server exits."),
        Transition((SHUTTING_DOWN,), SHUTDOWN_FAILED_, SHUTDOWN_FAILED, "The server logs the message and exits."),
    ),
    mistakes=(
        Mistake((STARTING, *_STARTUP_ANSWERED, *_SHUTTING), (STARTUP,), "asgi-receive-invalid",
                "The server sending lifespan.startup twice.", by="server"),
        Mistake((CALLED, STARTING, STARTUP_FAILED), (SHUTDOWN,), "asgi-receive-invalid",
                "The server sending lifespan.shutdown before a successful startup.", by="server"),
        Mistake(_SHUTTING, (SHUTDOWN,), "asgi-receive-invalid",
                "The server sending lifespan.shutdown twice.", by="server"),
        Mistake((CALLED,), _STARTUP_REPLIES, "lifespan-out-of-order",
                "Answering startup before receive() has returned lifespan.startup."),
        Mistake((CALLED, STARTING, *_STARTUP_ANSWERED), _SHUTDOWN_REPLIES, "lifespan-out-of-order",
                "Answering shutdown before receive() has returned lifespan.shutdown."),
        Mistake(_SHUTTING, _STARTUP_REPLIES, "lifespan-out-of-order",
                "Answering startup after lifespan.shutdown was received."),
        Mistake((STARTED,), (STARTUP_COMPLETE,), "lifespan-duplicate", "Sending lifespan.startup.complete again."),
        Mistake((STARTUP_FAILED,), (STARTUP_FAILED_,), "lifespan-duplicate", "Sending lifespan.startup.failed again."),
        Mistake((STOPPED,), (SHUTDOWN_COMPLETE,), "lifespan-duplicate", "Sending lifespan.shutdown.complete again."),
        Mistake((SHUTDOWN_FAILED,), (SHUTDOWN_FAILED_,), "lifespan-duplicate", "Sending lifespan.shutdown.failed again."),
        Mistake((STARTED,), (STARTUP_FAILED_,), "lifespan-both-outcomes",
                "Sending lifespan.startup.failed after .complete."),
        Mistake((STARTUP_FAILED,), (STARTUP_COMPLETE,), "lifespan-both-outcomes",
                "Sending lifespan.startup.complete after .failed."),
        Mistake((STOPPED,), (SHUTDOWN_FAILED_,), "lifespan-both-outcomes",
                "Sending lifespan.shutdown.failed after .complete."),
        Mistake((SHUTDOWN_FAILED,), (SHUTDOWN_COMPLETE,), "lifespan-both-outcomes",
                "Sending lifespan.shutdown.complete after .failed."),
        Mistake((STARTING,), (END, END_RAISED), "lifespan-startup-no-reply",
                "Returning (or raising) during startup without an answer."),
        Mistake((SHUTTING_DOWN,), (END, END_RAISED), "lifespan-shutdown-no-reply",
                "Returning (or raising) during shutdown without an answer."),
    ),
    about=frozen({
        CALLED: "The server called the app with the lifespan scope before serving anything; lifespan.startup "
                "comes next. An app without lifespan support raises here, and the server goes on without it.",
        STARTING: "The server sent lifespan.startup and waits: no connection is taken until the app answers.",
        STARTED: "The app answered lifespan.startup.complete: the server takes connections. The lifespan call "
                 "stays open until shutdown.",
        STARTUP_FAILED: "The app answered lifespan.startup.failed: the server logs the message and exits.",
        SHUTTING_DOWN: "The server stopped taking connections, closed the open ones and sent lifespan.shutdown; "
                       "it waits for the app's answer before it exits.",
        STOPPED: "The app answered lifespan.shutdown.complete: the server exits.",
        SHUTDOWN_FAILED: "The app answered lifespan.shutdown.failed: the server logs the message and exits.",
    }),
    may=frozen({
        CALLED: (
            "await receive() for lifespan.startup",
            "raise, if it does not support lifespan: the server goes on without lifespan events",
        ),
        STARTING: (
            "set up (connection pools, caches); what it puts in scope['state'] is copied into every request",
            "send lifespan.startup.complete",
            "send lifespan.startup.failed with a message: the server exits",
        ),
        STARTED: ("await receive(): lifespan.shutdown comes when the server stops",),
        STARTUP_FAILED: ("return: the server exits",),
        SHUTTING_DOWN: (
            "clean up what startup set up",
            "send lifespan.shutdown.complete, or lifespan.shutdown.failed with a message",
        ),
        STOPPED: ("return",),
        SHUTDOWN_FAILED: ("return",),
    }),
    may_raised=MAY_RAISED,
    sends=SENDS,
    receives=RECEIVES,
)


class LifespanFollow(MessageFollow):
    """Follows one lifespan scope through `MACHINE`: each message is its own trigger."""

    machine = MACHINE
    sent_types = SENDS
    received_types = RECEIVES

    def trigger_received(self, message: dict[str, Any]) -> str | None:
        return str(message["type"])

    def trigger_sent(self, message: dict[str, Any]) -> str | None:
        return str(message["type"])
