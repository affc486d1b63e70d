"""`chain` (the embedded local chain) and `account` (keystores): the commands that need no registry."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import localnode
from ..chain import connect
from ..wallet import PASSWORD_ENV, create_keystore, read_password
from .common import Context, command, group


def chain_up(ctx: Context) -> int:
    node, started = localnode.up(ctx.args.port, ctx.args.state, block_time=ctx.args.block_time)
    ctx.result(
        {
            "running": True,
            "started": started,
            "url": node.url,
            "pid": node.pid,
            "state": node.state,
            "chain_id": localnode.LOCAL_CHAIN_ID,
        },
        f"local chain {'started' if started else 'already running'} at {node.url} "
        f"(chain id {localnode.LOCAL_CHAIN_ID}, pid {node.pid}); state file {node.state}",
    )
    return 0


def chain_down(ctx: Context) -> int:
    port = ctx.args.port
    node = localnode.down(port)
    ctx.result(
        {"stopped": node is not None, "port": port, "state": node.state if node else None},
        f"local chain on port {port} stopped; its state is in {node.state}"
        if node
        else f"no local chain was running on port {port}",
    )
    return 0


def chain_status(ctx: Context) -> int:
    port = ctx.args.port
    node = localnode.status(port)
    if node is None:
        ctx.result({"running": False, "port": port}, f"no local chain running on port {port}")
        return 0
    height = connect(node.url).w3.eth.block_number
    ctx.result(
        {"running": True, "url": node.url, "pid": node.pid, "state": node.state, "block": height},
        f"local chain running at {node.url} (pid {node.pid}), block {height}; state file {node.state}",
    )
    return 0


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of seconds between 0 and 3600")
    return seconds


def account_new(ctx: Context) -> int:
    address = create_keystore(ctx.args.out, read_password(ctx.args.password_file))
    ctx.result({"address": address, "keystore": str(ctx.args.out)}, f"created {ctx.args.out} for {address}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    chain = group(commands, "chain", "the embedded local chain (npm Anvil) with a persistent state file")
    up = command(chain, "up", chain_up, "start it (if not running)")
    up.add_argument(
        "--state", type=Path, help=f"state file (default {localnode.DEFAULT_STATE.relative_to(localnode.PROJECT_ROOT)})"
    )
    up.add_argument(
        "--block-time",
        type=_seconds,
        help="make a block every this many seconds, as a real network does (default: one per transaction, at once)",
    )
    command(chain, "down", chain_down, "stop it; it writes its state file")
    command(chain, "status", chain_status, "is it running?")
    for parser in chain.choices.values():
        parser.add_argument(
            "--port", type=int, default=localnode.DEFAULT_PORT, help=f"TCP port (default {localnode.DEFAULT_PORT})"
        )

    account = group(commands, "account", "keystores")
    new = command(account, "new", account_new, "create an encrypted keystore and print its address")
    new.add_argument("--out", type=Path, required=True, help="where to write the keystore (never overwritten)")
    new.add_argument("--password-file", type=Path, help=f"file holding the new password (else ${PASSWORD_ENV})")
