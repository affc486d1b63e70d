"""Hostile callers: every restricted function called by every role that may not call it, and
re-entrancy through `onERC721Received`. Each gets a clear custom error and changes nothing."""

import pytest
from brownie import ReentrantReceiver, web3
from helpers import batch_input, certificate_input, plain, register, reverts
from test_grading import report

from diamondtrace.contracts import registry_contract
from diamondtrace.model import ROLES, ZERO32, Action, Flag, text32, token_id
from diamondtrace.verify import BlockTimes, check_history, custody_records, registration_recipient


def _fingerprint(registry, stones, cast):
    """Everything a hostile call could have changed."""
    return (
        plain(registry.totals()),
        registry.paused(),
        registry.owner(),
        tuple(plain(registry.custodyState(s)) for s in stones),
        tuple(plain(registry.participant(a)) for a in [cast.producer, cast.trader, cast.consumer]),
        tuple(registry.stone(s)["flag"] for s in stones),
    )


@pytest.fixture
def world(registry, cast, stones):
    registry.recordCertificate(certificate_input("BW-KP-0001", cast.producer, cast.trader), {"from": cast.kp_bw})
    registry.flag(stones[2], Flag.LOST, {"from": cast.producer})
    return stones


def test_every_restricted_function_refuses_every_other_role(registry, cast, world):
    stones = world
    roles = {
        "producer": cast.producer, "trader": cast.trader, "manufacturer": cast.manufacturer, "lab": cast.lab,
        "retailer": cast.retailer, "kp-authority": cast.kp_bw, "consumer": cast.consumer,
    }  # fmt: skip
    # (function, who may call it, how to call it, the error everyone else gets)
    calls = [
        ("accredit", {"admin"}, lambda a: registry.accredit(cast.consumer, 2, b"BE", "x", {"from": a}), "OwnableUnauthorizedAccount"),
        ("revoke", {"admin"}, lambda a: registry.revoke(cast.trader, {"from": a}), "OwnableUnauthorizedAccount"),
        ("pause", {"admin"}, lambda a: registry.pause({"from": a}), "OwnableUnauthorizedAccount"),
        ("clearFlag", {"admin"}, lambda a: registry.clearFlag(stones[2], {"from": a}), "OwnableUnauthorizedAccount"),
        ("recoverEther", {"admin"}, lambda a: registry.recoverEther({"from": a}), "OwnableUnauthorizedAccount"),
        ("transferOwnership", {"admin"}, lambda a: registry.transferOwnership(a, {"from": a}), "OwnableUnauthorizedAccount"),
        ("renounceOwnership", set(), lambda a: registry.renounceOwnership({"from": a}), "OwnableUnauthorizedAccount"),
        ("recordCertificate", {"kp-authority"}, lambda a: registry.recordCertificate(certificate_input("BW-KP-9", cast.producer, cast.trader), {"from": a}), "MissingRole"),
        ("register", {"producer"}, lambda a: registry.register(batch_input(cast.producer), [token_id("X-1")], [100], {"from": a}), "MissingRole"),
        ("grade", {"lab"}, lambda a: registry.grade(stones[0], report("R-1"), {"from": a}), "MissingRole"),
        ("split", {"producer"}, lambda a: registry.split(stones[0], [token_id("X-2")], [1], {"from": a}), None),
        ("flag", {"producer"}, lambda a: registry.flag(stones[0], Flag.STOLEN, {"from": a}), "NotHolder"),
        ("describe", {"producer"}, lambda a: registry.describe([stones[0]], ["mine"], {"from": a}), "NotHolder"),
        ("attachCertificate", {"producer"}, lambda a: registry.attachCertificate(text32("BW-KP-0001"), [stones[0]], {"from": a}), "CertificateMismatch"),
        ("transferCustody", {"producer"}, lambda a: registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, ZERO32, ZERO32, {"from": a}), "NotOwnerNorApproved"),
        ("transferFrom", {"producer"}, lambda a: registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": a}), "NotOwnerNorApproved"),
    ]
    before = _fingerprint(registry, stones, cast)
    checked = 0
    for name, allowed, call, error in calls:
        for role, account in roles.items():
            if role in allowed:
                continue
            expected = error
            if name == "split":  # only a manufacturer may split, and only a stone it holds
                expected = "NotHolder" if role == "manufacturer" else "MissingRole"
            with reverts(expected):
                call(account)
            checked += 1
        assert _fingerprint(registry, stones, cast) == before, name
    with reverts("AdminRequired"):
        registry.renounceOwnership({"from": cast.admin})
    with reverts("MissingRole", cast.producer.address, ROLES["manufacturer"]):
        registry.split(stones[0], [token_id("X-2")], [1], {"from": cast.producer})
    assert checked > 90 and _fingerprint(registry, stones, cast) == before


@pytest.fixture
def receiver(registry, cast):
    contract = ReentrantReceiver.deploy(registry, {"from": cast.admin})
    registry.accredit(contract, ROLES["trader"], b"BW", "Re-entrant Holder", {"from": cast.admin})
    return contract


def _history_ok(registry, stone):
    view = registry_contract(web3, registry.address)
    head = web3.eth.block_number
    records = custody_records(view, stone, 0, head, BlockTimes(web3))
    minted, _ = registration_recipient(view, stone, 0, head)
    holder, count, commitment, last = view.functions.custodyState(stone).call()
    return check_history(records, minted, holder, count, commitment, last)


def test_a_move_from_inside_the_callback_is_checked_and_recorded(registry, cast, stones, receiver):
    receiver.configure(1, cast.trader_bw, {"from": cast.admin})  # pass it on
    tx = registry.safeTransferFrom(cast.producer, receiver, stones[0], {"from": cast.producer})
    moves = [(e["from"], e["to"]) for e in tx.events["CustodyTransferred"]]
    assert moves == [(cast.producer, receiver.address), (receiver.address, cast.trader_bw)]
    assert registry.ownerOf(stones[0]) == cast.trader_bw
    assert registry.balanceOf(receiver) == 0 and registry.custodyState(stones[0])[1] == 2
    assert _history_ok(registry, stones[0]).ok


def test_the_rules_hold_inside_the_callback(registry, cast, stones, receiver):
    before = plain(registry.custodyState(stones[0]))
    receiver.configure(1, cast.consumer, {"from": cast.admin})  # pass it to someone unaccredited
    with reverts("RecipientNotAccredited"):
        registry.safeTransferFrom(cast.producer, receiver, stones[0], {"from": cast.producer})
    receiver.configure(2, cast.trader_bw, {"from": cast.admin})  # move it twice
    with reverts("TransferFromIncorrectOwner"):
        registry.safeTransferFrom(cast.producer, receiver, stones[0], {"from": cast.producer})
    receiver.configure(3, cast.trader_bw, {"from": cast.admin})  # flag it, then move it
    with reverts("StoneIsFlagged"):
        registry.safeTransferFrom(cast.producer, receiver, stones[0], {"from": cast.producer})
    assert plain(registry.custodyState(stones[0])) == before and registry.ownerOf(stones[0]) == cast.producer
    assert _history_ok(registry, stones[0]).ok
    register(registry, cast.producer, [("BW-AFTER", 10)])  # and the registry carries on
