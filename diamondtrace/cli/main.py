"""The command's entry point: the global options, each group of commands' parsers, and how a
failure is reported (a message on stderr, a documented exit code, and with --json a JSON object
on stdout too)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .. import __version__
from ..chain import DEFAULT_RPC_URL, failure
from ..errors import EXIT_BAD_INPUT, EXIT_CHAIN, InputError
from ..sending import CONFIRMATIONS_ENV, confirmations
from ..wallet import PASSWORD_ENV
from . import admin, indexing, kp, local, reading, stones, transfers
from .common import Context
from .parser import Parser, UsageError

EPILOG = f"""
exit codes: 0 success; 1 verify found the record broken or the stone flagged (check-verification:
a bundle that does not match as its folder claims); 2 bad input or a refusal before anything was
sent; 3 a chain or transaction failure; 130 interrupted (Ctrl-C).
With --json a failure prints {{"error": MESSAGE, "exit_code": N}} on stdout too.
Signing: --keystore PATH with --password-file PATH or ${PASSWORD_ENV}; or --dev-account N on a
local chain (chain id 31337 or 1337). Passwords are never taken on the command line.
"""

# The order of `diamondtrace --help`'s list of commands.
GROUPS = (local, admin, kp, stones, transfers, reading, indexing)


def build_parser() -> Parser:
    parser = Parser(
        prog="diamondtrace",
        description="Open diamond provenance registry: register, move, grade and verify diamonds on an EVM chain.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"diamondtrace {__version__}")
    parser.add_argument(
        "--rpc-url",
        default=os.environ.get("DIAMONDTRACE_RPC_URL", DEFAULT_RPC_URL),
        help=f"JSON-RPC endpoint (default {DEFAULT_RPC_URL}, the local chain; or $DIAMONDTRACE_RPC_URL)",
    )
    parser.add_argument("--deployment", type=Path, help="deployment record (default deployments/<chainId>.json)")
    parser.add_argument(
        "--confirmations",
        type=_confirmations,
        help=f"blocks a transaction must be buried under before a command goes on, counting its own "
        f"(default 1: mined; or ${CONFIRMATIONS_ENV})",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable result (or failure) on stdout")
    parser.add_argument("--verbose", action="store_true", help="log RPC activity to stderr")
    commands = parser.add_subparsers(required=True, metavar="COMMAND", title="commands", help="one of:")
    for group in GROUPS:
        group.register(commands)
    return parser


def _confirmations(value: str) -> int:
    try:
        return confirmations(value)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    as_json = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        return _failed(exc.text(), exc.message, EXIT_BAD_INPUT, as_json)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr
    )
    try:
        return args.handler(Context(args))
    except (Exception, KeyboardInterrupt) as exc:
        explained = failure(exc, args.rpc_url, "command")
        if explained is not None:
            return _failed(explained.line(), str(explained), explained.exit_code, as_json)
        if args.verbose:  # a bug, not a user mistake: say so, briefly
            raise
        message = f"internal error ({type(exc).__name__}: {exc}); run again with --verbose for details"
        return _failed(message, message, EXIT_CHAIN, as_json)


def _failed(text: str, message: str, code: int, as_json: bool) -> int:
    """Reports a failure: `text` on stderr; with --json, `message` and the code on stdout too."""
    print(text, file=sys.stderr)
    if as_json:
        print(json.dumps({"error": message, "exit_code": code}, indent=2))
    return code
