"""The explorer's pages that reach the visitor's own browser wallet: what their scripts need to
know about this registry, and the registry's refusals in words for them.

The scripts (diamondtrace/static/: submit.js, wallet.js, and wallets.js, which they share) build
any call in the browser and send it from the wallet; the explorer itself never signs, holds a key
or sends a transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import function_abi_to_4byte_selector
from faster_eth_abi.exceptions import DecodingError

from ..artifacts import abi, describe_revert
from ..errors import InputError
from .pages import Page
from .reads import View

SUBMITTED = "transferCustodySigned"


@dataclass(frozen=True)
class SubmitPage:
    registry: str
    chain_id: int
    selector: str  # 0x + 4 bytes of `transferCustodySigned(CustodyAuthorization, bytes)`
    fields: list[str]  # the authorization tuple's fields in ABI order, each `name:type`


def submit(view: View) -> Page:
    (function,) = [e for e in abi("DiamondRegistry") if e.get("name") == SUBMITTED]
    authorization = function["inputs"][0]["components"]
    data = SubmitPage(
        registry=view.registry.address,
        chain_id=view.chain.chain_id,
        selector="0x" + function_abi_to_4byte_selector(function).hex(),
        fields=[f"{c['name']}:{c['type']}" for c in authorization],
    )
    return Page("submit.html", "Submit a signed authorization", data, script="submit.js")


@dataclass(frozen=True)
class Registry:
    address: str
    chain_id: int


def connect(view: View) -> Page:
    """Connects the wallet, then opens the connected account's address page."""
    data = Registry(view.registry.address, view.chain.chain_id)
    return Page("wallet.html", "Your stones and profile", data, script="wallet.js")


def revert_reason(data: str) -> str:
    """Revert data an `eth_call` in the browser returned, in words (as the command says them)."""
    try:
        return describe_revert(data)
    except DecodingError:
        raise InputError(f"the revert data {data[:10]}… does not decode as the registry's error it names") from None
