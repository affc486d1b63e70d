"""The explorer's pages that reach the visitor's own browser wallet: what their scripts need to
know about this registry, and the registry's refusals in words for them.

The scripts (diamondtrace/static/: submit.js, wallet.js, move.js, and wallets.js, which they share) build
any call in the browser and send it from the wallet; the explorer itself never signs, holds a key
or sends a transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from eth_utils import function_abi_to_4byte_selector
from faster_eth_abi.exceptions import DecodingError

from .. import authorizations
from ..artifacts import abi, describe_revert
from ..errors import InputError
from ..model import NAMED_ACTIONS, TEXT_PATTERN, ZERO32, Action, parse_stone, stone_id
from .pages import BadRequest, Page
from .reads import View

SUBMITTED = "transferCustodySigned"
MOVED = "transferCustody"


def _function(name: str) -> dict:
    (function,) = [e for e in abi("DiamondRegistry") if e.get("type") == "function" and e.get("name") == name]
    return function


def _selector(function: dict) -> str:
    return "0x" + function_abi_to_4byte_selector(function).hex()


@dataclass(frozen=True)
class SubmitPage:
    registry: str
    chain_id: int
    selector: str  # 0x + 4 bytes of `transferCustodySigned(CustodyAuthorization, bytes)`
    fields: list[str]  # the authorization tuple's fields in ABI order, each `name:type`


def submit(view: View) -> Page:
    function = _function(SUBMITTED)
    authorization = function["inputs"][0]["components"]
    data = SubmitPage(
        registry=view.registry.address,
        chain_id=view.chain.chain_id,
        selector=_selector(function),
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


@dataclass(frozen=True)
class MovePage:
    registry: str
    chain_id: int
    stone_id: str
    token: int
    holder: str  # as the page was built; the script asks the chain again before anything
    selector: str  # 0x + 4 bytes of transferCustody(address, uint256, uint8, bytes32, bytes32, bool)
    owner_of: str  # 0x + 4 bytes of ownerOf(uint256)
    actions: list[tuple[str, int]]  # the actions a holder may name, (label, value)
    default_action: str
    kp_pattern: str  # a KP certificate number as `text32` takes it (model.TEXT_PATTERN)
    # What `transfer --unsigned` would write for the holder now (its nonce, the stone's last record
    # block), as JSON: the script fills in the move and the deadline, `validity` seconds ahead.
    typed_data: str
    validity: int


def move(view: View, ref: str) -> Page:
    """Moves a stone the connected wallet holds (transferCustody, its document hashed in the browser)."""
    try:
        token = parse_stone(ref)
    except InputError as exc:
        raise BadRequest(str(exc)) from None
    stone = view.registry.stone(token)
    inputs = authorizations.signing_inputs(view.registry, view.chain.chain_id, token)
    blank = authorizations.Authorization(
        token, stone.holder, stone.holder, 0, ZERO32, ZERO32, False, inputs.nonce, inputs.last_record_block, 0
    )
    moved = _function(MOVED)
    assert [i["type"] for i in moved["inputs"]] == ["address", "uint256", "uint8", "bytes32", "bytes32", "bool"], moved
    data = MovePage(
        registry=view.registry.address,
        chain_id=view.chain.chain_id,
        stone_id=stone_id(token),
        token=token,
        holder=stone.holder,
        selector=_selector(moved),
        owner_of=_selector(_function("ownerOf")),
        actions=[(a.label, int(a)) for a in NAMED_ACTIONS],
        default_action=Action.SALE.label,
        kp_pattern="(?! )" + TEXT_PATTERN.pattern,  # text32 refuses a leading space too
        typed_data=json.dumps(authorizations.typed_data(view.chain.chain_id, view.registry.address, blank)),
        validity=authorizations.DEFAULT_VALIDITY,
    )
    return Page("move.html", f"Move {data.stone_id} from your wallet", data, script="move.js")


def revert_reason(data: str) -> str:
    """Revert data an `eth_call` in the browser returned, in words (as the command says them)."""
    try:
        return describe_revert(data)
    except DecodingError:
        raise InputError(f"the revert data {data[:10]}… does not decode as the registry's error it names") from None
