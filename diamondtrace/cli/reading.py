"""Reading the registry: `verify`, the web `explorer`, and `export-verification` (with
`check-verification`) for block explorers."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from .. import verify as provenance
from ..deployments import Deployment
from ..errors import InputError
from ..reader import Registry
from .common import Context, command, stone_command


def verify(ctx: Context) -> int:
    token = ctx.stone()
    deployment, registry = ctx.registry()
    p = provenance.provenance(Registry(registry), token, deployment.block, all_descriptions=ctx.args.all_descriptions)
    ctx.result(p.as_json(), provenance.report(p))
    return p.exit_code


def explorer(ctx: Context) -> int:
    from .. import explorer

    # Check the chain and the deployment up front, so a mistake shows now rather than on every page.
    _, contract = ctx.registry()
    index = _index(ctx, contract.address) if ctx.args.db else None
    server = explorer.serve(explorer.Explorer(ctx.args.rpc_url, ctx.args.deployment, index), ctx.args.host, ctx.args.port)
    url = f"http://{ctx.args.host}:{server.server_address[1]}/"
    ctx.result({"url": url}, f"explorer serving {url} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
        print("explorer stopped", file=sys.stderr)
    return 0


def _index(ctx: Context, registry: str):
    """The index `--db` names, checked to hold this chain's registry."""
    from ..index.store import Store, database_url, shown

    url = database_url(ctx.args.db, ctx.args.deployment or Deployment.default_path(ctx.chain.chain_id))
    store = Store(url, migrate=False)
    progress = store.progress()
    if progress is None or (progress.chain_id, progress.registry) != (ctx.chain.chain_id, registry):
        held = f"registry {progress.registry} on chain {progress.chain_id}" if progress else "nothing yet"
        raise InputError(f"the index {shown(url)} holds {held}, not registry {registry}: run `diamondtrace index` for it")
    return store


def export_verification(ctx: Context) -> int:
    from .. import sourcify

    deployment, _ = ctx.registry()
    written = sourcify.export(ctx.chain, deployment, ctx.args.out_dir)
    ctx.result(
        {"contracts": {name: str(path) for name, path in written.items()}},
        "\n".join(f"{name}: {path}" for name, path in written.items()),
    )
    return 0


def check_verification(ctx: Context) -> int:
    from .. import sourcify

    checked = sourcify.check(ctx.chain, ctx.args.out_dir)
    ok = all(c.ok for c in checked)
    lines = [
        f"{c.name} {c.address}: {c.match or 'no match'} ({c.reason})" + ("" if c.ok else f", not a {c.folder}") for c in checked
    ]
    ctx.result({"ok": ok, "contracts": [c.as_json() for c in checked]}, "\n".join(lines))
    return 0 if ok else 1


def register(commands: argparse._SubParsersAction) -> None:
    check = stone_command(
        commands, "verify", verify, "a stone's full provenance, integrity and assurance verdicts (exit 1 if broken or flagged)"
    )
    check.add_argument(
        "--all-descriptions",
        action="store_true",
        help="also every holder's description, each with its author (reads the whole chain)",
    )

    explore = command(commands, "explorer", explorer, "serve the web explorer for the registry")
    explore.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    explore.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    explore.add_argument(
        "--db",
        metavar="URL",
        help="serve the list pages from the index `diamondtrace index` built there (a file path, sqlite:///PATH or "
        "postgresql://...); default: scan the chain",
    )

    help = "write the deployed contracts' compiler metadata and sources in the layout Sourcify-compatible explorers read"
    export = command(commands, "export-verification", export_verification, help)
    export.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="where to write them")

    help = (
        "recompile the verification bundles in OUT_DIR from their metadata and sources alone, as an explorer does, and match "
        "each against the code on chain (exit 1 if one does not match as its folder claims; needs the checkout's compiler)"
    )
    recompile = command(commands, "check-verification", check_verification, help)
    recompile.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="what export-verification wrote")
