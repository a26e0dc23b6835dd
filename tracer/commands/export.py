"""`tracer export`: not yet available."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Register the `export` subcommand."""
    parser = subparsers.add_parser("export", help="(not yet available)")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def run(args: argparse.Namespace) -> int:
    """Say the command is not available yet."""
    print("tracer export: not yet available", file=sys.stderr)
    return 2
