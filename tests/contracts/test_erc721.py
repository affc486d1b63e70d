"""ERC-721 semantics of the fused transfer: `Custody._transfer` replaces Solady's, and registration
and splits write owners and balances directly; holders, balances and approvals must stay exactly
what Solady's own views (`ownerOf`, `balanceOf`, `getApproved`, `isApprovedForAll`) report."""

import pytest
from brownie import ZERO_ADDRESS, ContractWallet
from helpers import DOC, authorization, polished_stone, register, reverts, rough_at_manufacturer, sign

from diamondtrace.model import ROLES, ZERO32, Action, text32, token_id


def ledger_agrees(registry, tokens, holders):
    """Every holder's balance is the number of these stones it owns (they are all it owns)."""
    owners = [registry.ownerOf(t) for t in tokens]
    for holder in holders:
        assert registry.balanceOf(holder) == sum(o == holder for o in owners), holder
    return owners


@pytest.fixture
def wallet(registry, cast):
    """A contract holder that accepts ERC-721 transfers, accredited in Botswana."""
    wallet = ContractWallet.deploy(cast.trader_bw, {"from": cast.admin})
    registry.accredit(wallet, ROLES["trader"], b"BW", "Gaborone Multisig", ZERO32, {"from": cast.admin})
    return wallet


@pytest.fixture
def deaf(registry, cast, renderer):
    """An accredited contract that does not implement `onERC721Received` (the renderer will do)."""
    registry.accredit(renderer, ROLES["trader"], b"BW", "No Receiver Ltd", ZERO32, {"from": cast.admin})
    return renderer


def _moved(tx, sender, recipient, token):
    transfers = [(e["from"], e["to"], e["id"]) for e in tx.events["Transfer"]]
    assert transfers == [(sender, recipient, token)]


def test_a_transfer_clears_the_approval_and_the_approved_address_can_move_once(registry, cast, stones):
    registry.approve(cast.relayer, stones[0], {"from": cast.producer})
    assert registry.getApproved(stones[0]) == cast.relayer
    tx = registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.relayer})
    _moved(tx, cast.producer, cast.trader_bw, stones[0])
    assert registry.getApproved(stones[0]) == ZERO_ADDRESS
    with reverts("NotOwnerNorApproved"):
        registry.transferFrom(cast.trader_bw, cast.producer, stones[0], {"from": cast.relayer})
    # Every path clears it: a custody transfer, a signed one.
    registry.approve(cast.relayer, stones[0], {"from": cast.trader_bw})
    registry.transferCustody(cast.producer, stones[0], Action.RETURN, DOC, ZERO32, True, {"from": cast.trader_bw})
    assert registry.getApproved(stones[0]) == ZERO_ADDRESS
    registry.approve(cast.relayer, stones[0], {"from": cast.producer})
    auth = authorization(registry, cast.producer, stones[0], cast.trader_bw)
    registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, cast.producer, auth), {"from": cast.trader})
    assert registry.getApproved(stones[0]) == ZERO_ADDRESS
    ledger_agrees(registry, stones, [cast.producer, cast.trader_bw, cast.relayer])


def test_an_operator_moves_every_stone_of_its_owner_until_withdrawn(registry, cast, stones):
    registry.setApprovalForAll(cast.relayer, True, {"from": cast.producer})
    assert registry.isApprovedForAll(cast.producer, cast.relayer)
    registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.relayer})
    registry.safeTransferFrom(cast.producer, cast.trader_bw, stones[1], {"from": cast.relayer})
    registry.transferCustody(cast.trader_bw, stones[2], Action.CONSIGNMENT, DOC, ZERO32, True, {"from": cast.relayer})
    assert ledger_agrees(registry, stones, [cast.producer, cast.trader_bw]) == [cast.trader_bw] * 3
    # The operator of one owner is nobody's operator for another's stones.
    with reverts("NotOwnerNorApproved"):
        registry.transferFrom(cast.trader_bw, cast.producer, stones[0], {"from": cast.relayer})
    registry.setApprovalForAll(cast.relayer, True, {"from": cast.trader_bw})
    registry.setApprovalForAll(cast.relayer, False, {"from": cast.trader_bw})
    with reverts("NotOwnerNorApproved"):
        registry.transferFrom(cast.trader_bw, cast.producer, stones[0], {"from": cast.relayer})
    # An operator may approve a single stone on its owner's behalf.
    registry.setApprovalForAll(cast.relayer, True, {"from": cast.trader_bw})
    registry.approve(cast.trader, stones[0], {"from": cast.relayer})
    assert registry.getApproved(stones[0]) == cast.trader


def test_strangers_wrong_owners_and_unknown_stones_get_solady_errors(registry, cast, stones):
    before = ledger_agrees(registry, stones, [cast.producer, cast.trader_bw])
    with reverts("NotOwnerNorApproved"):
        registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.trader_bw})
    with reverts("NotOwnerNorApproved"):
        registry.safeTransferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.trader_bw})
    with reverts("NotOwnerNorApproved"):
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.trader_bw})
    with reverts("NotOwnerNorApproved"):
        registry.approve(cast.relayer, stones[0], {"from": cast.trader_bw})
    with reverts("TransferFromIncorrectOwner"):
        registry.transferFrom(cast.trader_bw, cast.trader, stones[0], {"from": cast.producer})
    with reverts("TransferFromIncorrectOwner"):
        registry.transferFrom(cast.trader_bw, cast.trader, stones[0], {"from": cast.trader_bw})
    unknown = token_id("BW-NOPE")
    for attempt in (
        lambda: registry.transferFrom(cast.producer, cast.trader_bw, unknown, {"from": cast.producer}),
        lambda: registry.safeTransferFrom(cast.producer, cast.trader_bw, unknown, {"from": cast.producer}),
        lambda: registry.approve(cast.relayer, unknown, {"from": cast.producer}),
        lambda: registry.ownerOf(unknown),
        lambda: registry.getApproved(unknown),
    ):
        with reverts("TokenDoesNotExist"):
            attempt()
    with reverts("BalanceQueryForZeroAddress"):
        registry.balanceOf(ZERO_ADDRESS)
    assert ledger_agrees(registry, stones, [cast.producer, cast.trader_bw]) == before


def test_safe_transfers_reach_eoas_and_receivers_and_never_deaf_contracts(registry, cast, stones, wallet, deaf):
    holders = [cast.producer, cast.trader_bw, wallet, deaf]
    tx = registry.safeTransferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.producer})
    _moved(tx, cast.producer, cast.trader_bw, stones[0])
    ledger_agrees(registry, stones, holders)
    tx = registry.safeTransferFrom(cast.producer, wallet, stones[1], b"with data", {"from": cast.producer})
    _moved(tx, cast.producer, wallet, stones[1])
    ledger_agrees(registry, stones, holders)
    before = (ledger_agrees(registry, stones, holders), registry.custodyAnchor(stones[2]), registry.accountChain(deaf))
    with reverts("TransferToNonERC721ReceiverImplementer"):
        registry.safeTransferFrom(cast.producer, deaf, stones[2], {"from": cast.producer})
    assert (ledger_agrees(registry, stones, holders), registry.custodyAnchor(stones[2]), registry.accountChain(deaf)) == before
    # transferFrom (and transferCustody, like it) do not ask the recipient.
    registry.transferFrom(cast.producer, deaf, stones[2], {"from": cast.producer})
    assert ledger_agrees(registry, stones, holders) == [cast.trader_bw, wallet.address, deaf.address]


def test_a_retailed_stone_moves_freely_but_never_to_the_zero_address_or_a_deaf_contract(registry, cast, renderer):
    stone = polished_stone(registry, cast, to=cast.retailer)
    registry.transferCustody(cast.consumer, stone, Action.RETAIL_SALE, DOC, ZERO32, True, {"from": cast.retailer})
    with reverts("TransferToZeroAddress"):
        registry.transferFrom(cast.consumer, ZERO_ADDRESS, stone, {"from": cast.consumer})
    with reverts("TransferToNonERC721ReceiverImplementer"):
        registry.safeTransferFrom(cast.consumer, renderer, stone, {"from": cast.consumer})  # no onERC721Received
    registry.safeTransferFrom(cast.consumer, cast.relayer, stone, {"from": cast.consumer})
    ledger_agrees(registry, [stone], [cast.consumer, cast.relayer, cast.retailer])
    assert registry.ownerOf(stone) == cast.relayer


def test_a_transfer_to_oneself_is_refused(registry, cast, stones):
    # Unlike a bare ERC-721, which allows it: a custody record needs a change of holder.
    with reverts("NoChangeOfHolder", stones[0]):
        registry.transferFrom(cast.producer, cast.producer, stones[0], {"from": cast.producer})
    assert registry.balanceOf(cast.producer) == 3


def test_balances_and_nonces_share_a_slot_without_disturbing_each_other(registry, cast, stones):
    for i, token in enumerate(stones):
        auth = authorization(registry, cast.producer, token, cast.trader_bw)
        registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, cast.producer, auth), {"from": cast.relayer})
        assert registry.nonces(cast.producer) == i + 1
        assert (registry.balanceOf(cast.producer), registry.balanceOf(cast.trader_bw)) == (2 - i, i + 1)
    registry.useNonce({"from": cast.trader_bw})
    assert registry.balanceOf(cast.trader_bw) == 3 and registry.nonces(cast.trader_bw) == 1
    # The admin's recovery moves a revoked holder's stones to its successor, balances and all.
    registry.revoke(cast.trader_bw, cast.producer, {"from": cast.admin})
    registry.recover(stones, DOC, {"from": cast.admin})
    assert ledger_agrees(registry, stones, [cast.producer, cast.trader_bw]) == [cast.producer] * 3
    assert registry.nonces(cast.trader_bw) == 1 and registry.nonces(cast.producer) == 3


def test_batch_mints_write_each_balance_once_and_right(registry, cast):
    tokens = []
    # Several batches to the same and to different recipients, then a split and a declaration.
    for n, to in [(5, cast.producer), (3, cast.trader_bw), (7, cast.producer), (1, cast.trader_bw), (40, cast.producer)]:
        ids = [f"BW-B{len(tokens) + i:04d}" for i in range(n)]
        tx = register(registry, cast.producer, [(sid, 10 + i) for i, sid in enumerate(ids)], to=to)
        assert [(e["from"], e["to"], e["id"]) for e in tx.events["Transfer"]] == [(ZERO_ADDRESS, to, token_id(s)) for s in ids]
        tokens += [token_id(s) for s in ids]
        ledger_agrees(registry, tokens, [cast.producer, cast.trader_bw])
    assert (registry.balanceOf(cast.producer), registry.balanceOf(cast.trader_bw)) == (52, 4)
    tokens.append(rough_at_manufacturer(registry, cast))
    registry.split(tokens[-1], [token_id(f"IN-C{i}") for i in range(4)], [10] * 4, [], {"from": cast.manufacturer})
    registry.declare(
        (text32("Unknown"), b"\0\0", False), [token_id("IN-D1"), token_id("IN-D2")], [10, 10], [], {"from": cast.manufacturer}
    )
    tokens += [token_id(f"IN-C{i}") for i in range(4)] + [token_id("IN-D1"), token_id("IN-D2")]
    ledger_agrees(registry, tokens, [cast.producer, cast.trader_bw, cast.manufacturer])
    assert registry.balanceOf(cast.manufacturer) == 1 + 4 + 2 and registry.totals()["stones"] == len(tokens)
    # Moves after the batch mints keep the ledger.
    registry.transferFrom(cast.producer, cast.trader_bw, tokens[0], {"from": cast.producer})
    registry.transferFrom(cast.trader_bw, cast.producer, tokens[5], {"from": cast.trader_bw})
    assert (registry.balanceOf(cast.producer), registry.balanceOf(cast.trader_bw)) == (52, 4)
    ledger_agrees(registry, tokens, [cast.producer, cast.trader_bw, cast.manufacturer])


def test_a_batch_for_the_zero_address_mints_nothing(registry, cast):
    with reverts("NotAccredited", ZERO_ADDRESS):
        register(registry, cast.producer, [("BW-Z1", 10)], to=ZERO_ADDRESS)
    with reverts("TokenDoesNotExist"):
        registry.ownerOf(token_id("BW-Z1"))
