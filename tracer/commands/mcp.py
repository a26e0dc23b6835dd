"""`tracer mcp [FILE]`: serve a trace file to a coding agent over MCP (stdio).

The agent starts this command itself; see docs/agents.md for the line each
agent's configuration takes. Needs the optional extra: ``pip install 'tracer[mcp]'``.
"""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import TracerError
from .view import default_trace_file

INSTALL_HINT = "tracer mcp needs the MCP SDK (mcp 2 or later): pip install 'tracer[mcp]'"


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `mcp` subcommand."""
    parser = subparsers.add_parser(
        "mcp",
        help="serve a trace file to coding agents over MCP (stdio; extra: tracer[mcp])",
        description=(
            "Serve a trace file over the Model Context Protocol on stdin/stdout, for a coding agent to start: tools "
            "to list and filter the recorded requests, show one step by step, check them against the protocol "
            "rules and compare two. The file is read again on every call, so a file the app is still writing is "
            "current, and it need not exist yet. Needs: pip install 'tracer[mcp]'."
        ),
    )
    parser.add_argument(
        "file",
        metavar="FILE",
        nargs="?",
        help="trace file (JSON Lines) written by tracer (default: $TRACER_FILE, else ./traces.jsonl, as tracer run writes)",
    )
    return parser


def run(args: argparse.Namespace) -> int:
    """Serve until the agent closes stdin."""
    path = args.file or default_trace_file()
    try:
        from ..mcp_server import build_server

        server = build_server(path)
    except ImportError as exc:
        if _missing_sdk(exc):
            raise TracerError(INSTALL_HINT) from None
        raise
    server.run("stdio")
    return 0


def _missing_sdk(exc: ImportError) -> bool:
    """Whether `exc` says the MCP SDK (or the major version tracer uses) is not installed."""
    name = exc.name or ""
    return name == "mcp" or name.startswith("mcp.")
