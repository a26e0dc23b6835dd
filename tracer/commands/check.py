"""`tracer check`: not yet available."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `check` subcommand."""
    parser = subparsers.add_parser("check", help="(not yet available)")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def run(args: argparse.Namespace) -> int:
    """Say the command is not available yet."""
    print("tracer check: not yet available", file=sys.stderr)
    return 2
