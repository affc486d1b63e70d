"""What the brownie scripts in scripts/ need to call the library: the chain of brownie's active
network, brownie's keys, the library's refusals and failures in words with the documented exit
codes, and a way to run them where `brownie run` cannot (a checkout whose path holds a dot).

`python -m diamondtrace.brownie_bridge SCRIPT [FUNCTION [ARG...]] [--network NAME]` runs a script
as `brownie run` does.
"""

from __future__ import annotations

import argparse
import functools
import importlib.util
import sys
from pathlib import Path
from typing import Any, Callable

from eth_account import Account

from .chain import Chain, connect, failure
from .deployments import open_registry
from .errors import EXIT_BAD_INPUT, InputError
from .localnode import DEFAULT_PORT
from .sending import Sender, default_confirmations
from .toolchain import command
from .wallet import DEV_CHAIN_IDS, Signer, dev_signer


def chain() -> Chain:
    """The chain of brownie's active network, through the library's own connection: brownie's
    web3 turns every revert of a call into a bare ValueError, which the library could not tell
    from any other."""
    url = _endpoint()
    if not url:
        raise InputError("brownie's active network has no http(s) or ws(s) endpoint (an IPC socket?); the scripts need one")
    return connect(str(url))


def signer(account: str | int, chain_id: int) -> Signer:
    """On a local chain, prefunded account N; elsewhere the brownie account named `account`
    (`brownie accounts new NAME`), unlocked with its password."""
    from brownie import accounts

    if chain_id in DEV_CHAIN_IDS and str(account).isdigit():
        return dev_signer(int(account), chain_id)
    try:
        loaded = accounts.load(str(account))
    except FileNotFoundError:
        local = f"; a number ({account}) names a prefunded account only on a local chain (chain id 31337 or 1337)"
        raise InputError(
            f"no brownie account named {account!r} (create one with `brownie accounts new {account}`)"
            + (local if str(account).isdigit() else "")
        ) from None
    except ValueError:
        raise InputError(f"cannot unlock the brownie account {account!r}: wrong password, or a damaged keystore") from None
    return Signer(Account.from_key(loaded.private_key), f"brownie account {account}")


def sender(account: str | int = 0) -> Sender:
    c = chain()
    return Sender(c, signer(account, c.chain_id), default_confirmations())


def registry(deployment: str | None = None):
    return open_registry(chain(), Path(deployment) if deployment else None)


def script(main: Callable[..., Any]) -> Callable[..., Any]:
    """A script's `main`, run as the command runs: a refusal or a failure is one line on stderr and
    the documented exit code (2 bad input or refused, nothing sent; 3 the chain failed; 130
    interrupted), never a traceback."""

    @functools.wraps(main)
    def wrapped(*args: str, **kwargs: str) -> Any:
        try:
            _refuse_throwaway_chain()
            return main(*args, **kwargs)
        except (Exception, KeyboardInterrupt) as exc:
            explained = failure(exc, _endpoint() or "brownie's active network", "script")
            if explained is None:  # a bug, not a user mistake: brownie shows where
                raise
            print(explained.line(), file=sys.stderr)
            raise SystemExit(explained.exit_code) from None

    return wrapped


def _endpoint() -> str | None:
    from brownie import web3

    return getattr(web3.provider, "endpoint_uri", None)


def _refuse_throwaway_chain() -> None:
    """Under `brownie run`, a development network whose port nothing listened on is a chain
    brownie launches for this one run and stops after it: whatever a script did there is lost,
    and a deployment record written for it would point at nothing."""
    from brownie._config import CONFIG
    from brownie.network import rpc

    if CONFIG.argv["cli"] == "run" and rpc.is_child():
        port = CONFIG.active_network.get("cmd_settings", {}).get("port")
        raise InputError(
            f"nothing listened on port {port}, so brownie launched a throw-away chain that it stops when this script ends; "
            f"start the persistent local chain first (`{command('diamondtrace')} chain up"
            + (f" --port {port}" if port != DEFAULT_PORT else "")
            + "`): brownie's development network attaches to it"
        )


def run(argv: list[str] | None = None) -> int:
    """`brownie run`, for a checkout whose path holds a dot, where brownie 1.22 cannot import a
    script: it names the script's module after its absolute path, so `/home/jo.doe/dt/scripts/
    deploy.py` becomes the module `home.jo.doe.dt.scripts.deploy`, whose package `home.jo` does
    not exist (eth-brownie/brownie#1081, unfixed). This loads the script by its file instead."""
    parser = argparse.ArgumentParser(
        prog="python -m diamondtrace.brownie_bridge", allow_abbrev=False, description="run a brownie script as `brownie run` does"
    )
    parser.add_argument("script", type=Path, help="the script, e.g. scripts/deploy.py")
    parser.add_argument("function", nargs="?", default="main", help="the function to call (default main)")
    parser.add_argument("args", nargs="*", help="its arguments, as `brownie run` passes them (strings)")
    parser.add_argument("--network", help="a network brownie knows (`brownie networks list`); default: brownie's default")
    args = parser.parse_args(argv)

    from brownie import network, project
    from brownie._config import CONFIG

    home = project.check_for_project(args.script.resolve().parent)
    if not args.script.is_file() or home is None:
        print(f"error: {args.script} is not a script of a brownie project", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.network is not None and args.network not in CONFIG.networks:
        print(f"error: brownie knows no network {args.network!r}: see `brownie networks list`", file=sys.stderr)
        return EXIT_BAD_INPUT
    project.load(home).load_config()
    CONFIG.argv["cli"] = "run"
    network.connect(args.network)
    spec = importlib.util.spec_from_file_location(args.script.stem, args.script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = getattr(module, args.function, None)
    if not callable(function):
        print(f"error: {args.script} has no function {args.function!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    function(*args.args)
    return 0


if __name__ == "__main__":
    sys.exit(run())
