"""`tracer run APP --workers N` (N > 1): the console and the UI around a `tracer.workers.WorkerGroup`.

The app has been loaded and checked in this process already (so that a
mistake is one line before any worker starts); the workers load it again
each for themselves. Without ``--view`` the workers write their console lines
(one per request, led by the worker's trace-id tag) to this terminal; with
``--view`` they go to the server log beside the trace file while the UI
follows the file and attaches to every worker's control socket, as
``tracer view FILE`` does. However it ends, no process of the group is left.
"""

from __future__ import annotations

import argparse
import os
import shlex
from typing import IO, Any

from .._worker_app import WorkerSpec
from ..jsonl import JsonlSink
from ..serve import bind_socket, display_address, open_server_log, server_log_path, stop_signals_as_ctrl_c
from ..workers import WorkerGroup, server_description


def run_workers(
    args: argparse.Namespace,
    protocol: str,
    out: str,
    breakpoints: list[Any],
    hold_timeout: float,
    static_note: str | None = None,
) -> int:
    """Serve `args.app` with `args.workers` worker processes until Ctrl+C (or the UI quits); the exit status."""
    from .run import announce_serving

    # A file that is not a trace file, or cannot be written, is one line now rather than one per worker.
    JsonlSink(out).close()
    sock = bind_socket(args.host, args.port)
    address = display_address(sock)
    terminal_ui = args.view and not args.web
    spec = WorkerSpec(
        app=args.app,
        protocol=protocol,
        out=out,
        workers=args.workers,
        factory=args.factory,
        breakpoints=[bp.text for bp in breakpoints],
        hold_timeout=hold_timeout,
        access_log=not terminal_ui,
        max_bytes=args.max_size,
        backups=args.backups,
    )
    output: IO[str] | None = None
    if terminal_ui:
        log_path = server_log_path(out)
        try:
            output = open_server_log(log_path)
        except BaseException:
            sock.close()
            raise
    group = WorkerGroup(spec, sock, output)
    status = 0
    try:
        with stop_signals_as_ctrl_c():
            group.start()
            if terminal_ui:
                print(
                    f"tracer: {args.workers} worker processes; the app's output goes into its traces, "
                    f"the servers' own output to {log_path}",
                    flush=True,
                )
                if static_note:
                    print(f"tracer: {static_note}", flush=True)
                status = _view(out, address)
            else:
                announce_serving(args, f"{protocol.upper()}, {server_description(protocol, args.workers)}", address, out)
                if static_note:
                    print(f"tracer: {static_note}", flush=True)
                if breakpoints:
                    listed = ", ".join(repr(bp.text) for bp in breakpoints)
                    print(
                        f"tracer: breakpoints {listed} in every worker; release held requests with: "
                        f"tracer view {shlex.quote(out)}",
                        flush=True,
                    )
                if args.web:
                    status = _web_view(out)
                else:
                    print("tracer: press Ctrl+C to stop", flush=True)
                    status = _wait(group)
    finally:
        group.stop()
        if output is not None:
            output.close()
    if args.view:
        print(f"tracer: stopped the server on {address}; the trace is in {out}", flush=True)
    else:
        print("tracer: stopped", flush=True)
    return status


def _wait(group: WorkerGroup) -> int:
    """Until Ctrl+C (0), or until the workers' supervisor stops by itself (1: it said why above)."""
    try:
        code = group.wait()
    except KeyboardInterrupt:
        return 0
    print(f"tracer: the worker processes stopped by themselves (exit status {code}); the lines above say why", flush=True)
    return 1


def _view(out: str, address: str) -> int:
    from .view import open_viewer

    try:
        return open_viewer(os.fspath(out), follow=True, app_url=address)
    except KeyboardInterrupt:
        return 0


def _web_view(out: str) -> int:
    from .view import open_web_viewer

    try:
        return open_web_viewer(os.fspath(out), follow=True)
    except KeyboardInterrupt:
        return 0
