"""What the brownie scripts in scripts/ need to call the library: brownie's connection and keys."""

from __future__ import annotations

from pathlib import Path

from eth_account import Account

from .chain import Chain
from .deployments import open_registry
from .sending import Sender
from .wallet import DEV_CHAIN_IDS, Signer, dev_signer


def chain() -> Chain:
    from brownie import network, web3

    return Chain(web3, int(web3.eth.chain_id), network.show_active() or "brownie")


def signer(account: str | int = 0) -> Signer:
    """On a development chain, prefunded account N; elsewhere the brownie account named `account`
    (`brownie accounts new NAME`), unlocked with its password."""
    from brownie import accounts

    c = chain()
    if c.chain_id in DEV_CHAIN_IDS and str(account).isdigit():
        return dev_signer(int(account), c.chain_id)
    loaded = accounts.load(str(account))
    return Signer(Account.from_key(loaded.private_key), f"brownie account {account}")


def sender(account: str | int = 0) -> Sender:
    return Sender(chain(), signer(account))


def registry(deployment: str | None = None):
    return open_registry(chain(), Path(deployment) if deployment else None)
