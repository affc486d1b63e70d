"""`index`: the registry's events into a database for the explorer's list pages (`explorer --db`)."""

from __future__ import annotations

import argparse
import sys
import time

from ..deployments import Deployment
from ..errors import InputError, Interrupted
from ..wallet import DEV_CHAIN_IDS
from .common import Context, command

# Blocks behind the head the index stays on a public chain, where the last few blocks may still be
# replaced; a local development chain (31337, 1337) mines only what it is sent and never reorganises
# by itself.
CONFIRMATIONS = 12


def index(ctx: Context) -> int:
    from ..index.follow import Indexer
    from ..index.loader import Loader
    from ..index.store import Store, database_url, shown
    from ..reader import Registry

    args = ctx.args
    if args.poll <= 0:
        raise InputError(f"--poll must be a number of seconds above 0, not {args.poll:g}")
    if args.confirmations is not None and args.confirmations < 0:
        raise InputError(f"--confirmations must be 0 or more, not {args.confirmations}")
    deployment, contract = ctx.registry()
    chain_id = ctx.chain.chain_id
    url = database_url(args.db, args.deployment or Deployment.default_path(chain_id))
    confirmations = args.confirmations if args.confirmations is not None else (0 if chain_id in DEV_CHAIN_IDS else CONFIRMATIONS)
    store = Store(url)
    kp_book = Registry(contract).book("certificates").address
    start = store.start(chain_id, contract.address, deployment.block, confirmations)
    print(f"index: {shown(url)}, registry {contract.address} from block {start.last_block + 1}", file=sys.stderr)
    indexer = Indexer(store, Loader(ctx.chain, contract.address, kp_book), confirmations, _progress_line())
    try:
        report = indexer.run(follow=args.follow, poll=args.poll)
    except KeyboardInterrupt:
        _summary(ctx, indexer.report, store, shown(url))
        raise Interrupted(
            f"interrupted: the index holds every event up to block {store.progress().last_block}; run the same command "
            "again to resume"
        ) from None
    _summary(ctx, report, store, shown(url))
    return 0


def _progress_line():
    """Progress on stderr, at most once a second."""
    last = [0.0]

    def progressed(report, target: int) -> None:
        now = time.monotonic()
        if now - last[0] >= 1.0 or report.last_block == target:
            last[0] = now
            print(f"index: block {report.last_block:,} of {target:,}, {report.events:,} events", file=sys.stderr, flush=True)

    return progressed


def _summary(ctx: Context, report, store, where: str) -> None:
    progress = store.progress()
    data = {**report.as_json(), "indexed_to": progress.last_block, "confirmations": progress.confirmations, "database": where}
    text = (
        f"indexed {report.events:,} events in {report.seconds:.1f} s ({report.rate:,.0f} events/s); "
        f"the index holds blocks up to {progress.last_block:,} (chain head {report.head:,}, "
        f"{progress.confirmations} confirmations) in {where}"
    )
    if report.rollbacks:
        text += f"; {report.rollbacks} reorganisation(s) undone ({report.removed:,} events rolled back and read again)"
    ctx.result(data, text)


def register(commands: argparse._SubParsersAction) -> None:
    help = "load the registry's events into a database for the explorer's list pages (explorer --db)"
    parser = command(commands, "index", index, help)
    parser.add_argument(
        "--db",
        metavar="URL",
        help="a file path or sqlite:///PATH (SQLite), or postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE "
        "(default: beside the deployment record, deployments/<chainId>.index.sqlite)",
    )
    parser.add_argument("--follow", action="store_true", help="keep indexing new blocks until Ctrl-C")
    parser.add_argument(
        "--poll", type=float, default=2.0, metavar="SECONDS", help="with --follow, seconds between passes (default 2)"
    )
    parser.add_argument(
        "--confirmations",
        type=int,
        metavar="N",
        help=f"stay N blocks behind the chain's head (default {CONFIRMATIONS}; 0 on a local chain, id 31337 or 1337)",
    )
