"""Hostile callers: every restricted function called by every role that may not call it, and
re-entrancy through `onERC721Received`. Each gets a clear custom error and changes nothing."""

import pytest
from brownie import ReentrantReceiver
from helpers import DOC, batch_input, certificate_input, chain_state, custody_proof, grading_report, records_in, register, reverts

from diamondtrace.model import ROLES, ZERO32, Action, Flag, text32, token_id


def _fingerprint(registry, stones, cast):
    """Everything a hostile call could have changed."""
    return registry.owner(), chain_state(registry, stones, [cast.producer, cast.trader, cast.consumer, cast.relayer])


@pytest.fixture
def world(registry, cast, kp, stones):
    kp.recordCertificate(certificate_input("BW-KP-0001", cast.producer, cast.trader), {"from": cast.kp_bw})
    registry.flag(stones[2], Flag.LOST, ZERO32, {"from": cast.producer})
    return stones


def test_every_restricted_function_refuses_every_other_role(registry, cast, kp, world):
    stones = world
    roles = {
        "producer": cast.producer, "trader": cast.trader, "manufacturer": cast.manufacturer, "lab": cast.lab,
        "retailer": cast.retailer, "kp-authority": cast.kp_bw, "consumer": cast.consumer,
    }  # fmt: skip
    declaration = (text32("Unknown"), b"\0\0", False)
    admin_only = "OwnableUnauthorizedAccount"
    # (function, who may call it, how to call it, the error everyone else gets)
    calls = [
        ("accredit", {"admin"}, lambda a: registry.accredit(cast.consumer, 2, b"BE", "x", ZERO32, {"from": a}), admin_only),
        ("revoke", {"admin"}, lambda a: registry.revoke(cast.trader, cast.trader_bw, {"from": a}), admin_only),
        ("certifyRjc", {"admin"}, lambda a: registry.certifyRjc(a, text32("RJC-1"), 2**39, {"from": a}), admin_only),
        ("recover", {"admin"}, lambda a: registry.recover([stones[0]], DOC, {"from": a}), admin_only),
        ("pause", {"admin"}, lambda a: registry.pause({"from": a}), admin_only),
        ("unpause", {"admin"}, lambda a: registry.unpause({"from": a}), admin_only),
        ("clearFlag", {"admin"}, lambda a: registry.clearFlag(stones[2], DOC, {"from": a}), admin_only),
        ("recoverEther", {"admin"}, lambda a: registry.recoverEther({"from": a}), admin_only),
        ("transferOwnership", {"admin"}, lambda a: registry.transferOwnership(a, {"from": a}), admin_only),
        ("renounceOwnership", set(), lambda a: registry.renounceOwnership({"from": a}), admin_only),
        (
            "recordCertificate",
            {"kp-authority"},
            lambda a: kp.recordCertificate(certificate_input("BW-KP-9", cast.producer, cast.trader), {"from": a}),
            "MissingRole",
        ),
        (
            "register",
            {"producer"},
            lambda a: registry.register(batch_input(cast.producer), [token_id("BW-X-1")], [100], [], {"from": a}),
            "MissingRole",
        ),
        (
            "declare",
            {"manufacturer"},
            lambda a: registry.declare(declaration, [token_id("IN-X-1")], [100], [], {"from": a}),
            "MissingRole",
        ),
        # Only a lab may grade, and only a stone it holds; only a manufacturer may split, likewise.
        (
            "grade",
            set(),
            lambda a: registry.grade(stones[0], grading_report("R-1"), {"from": a}),
            {"lab": "NotHolder", None: "MissingRole"},
        ),
        (
            "split",
            set(),
            lambda a: registry.split(stones[0], [token_id("IN-X-2")], [1], [], {"from": a}),
            {"manufacturer": "NotHolder", None: "MissingRole"},
        ),
        ("flag", {"producer"}, lambda a: registry.flag(stones[0], Flag.STOLEN, ZERO32, {"from": a}), "NotHolder"),
        ("describe", {"producer"}, lambda a: registry.describe([stones[0]], ["mine"], {"from": a}), "NotHolder"),
        ("approve", {"producer"}, lambda a: registry.approve(cast.relayer, stones[0], {"from": a}), "NotOwnerNorApproved"),
        (
            "transferCustody",
            {"producer"},
            lambda a: registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, ZERO32, ZERO32, True, {"from": a}),
            "NotOwnerNorApproved",
        ),
        (
            "transferFrom",
            {"producer"},
            lambda a: registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": a}),
            "NotOwnerNorApproved",
        ),
    ]
    before = _fingerprint(registry, stones, cast)
    checked = 0
    for name, allowed, call, error in calls:
        for role, account in roles.items():
            if role in allowed:
                continue
            expected = error.get(role, error[None]) if isinstance(error, dict) else error
            with reverts(expected):
                call(account)
            checked += 1
        assert _fingerprint(registry, stones, cast) == before, name
    with reverts("AdminRequired"):
        registry.renounceOwnership({"from": cast.admin})
    assert checked > 120 and _fingerprint(registry, stones, cast) == before


@pytest.fixture
def receiver(registry, cast):
    contract = ReentrantReceiver.deploy(registry, {"from": cast.admin})
    registry.accredit(contract, ROLES["trader"], b"BW", "Re-entrant Holder", ZERO32, {"from": cast.admin})
    return contract


def test_a_move_from_inside_the_callback_is_checked_and_recorded(registry, cast, stones, receiver):
    receiver.configure(1, cast.trader_bw, {"from": cast.admin})  # pass it on
    tx = registry.safeTransferFrom(cast.producer, receiver, stones[0], {"from": cast.producer})
    moves = [(r.sender, r.recipient) for r in records_in(tx)]
    assert moves == [(cast.producer, receiver.address), (receiver.address, cast.trader_bw)]
    assert registry.ownerOf(stones[0]) == cast.trader_bw
    assert registry.balanceOf(receiver) == 0 and registry.balanceOf(cast.trader_bw) == 1
    history = custody_proof(registry, stones[0])
    assert history.ok and len(history.records) == 2


def test_the_rules_hold_inside_the_callback(registry, cast, stones, receiver):
    before = chain_state(registry, stones, [cast.producer, receiver, cast.trader_bw])
    receiver.configure(1, cast.consumer, {"from": cast.admin})  # pass it to someone unaccredited
    with reverts("RecipientNotAccredited"):
        registry.safeTransferFrom(cast.producer, receiver, stones[0], {"from": cast.producer})
    receiver.configure(2, cast.trader_bw, {"from": cast.admin})  # move it twice
    with reverts("TransferFromIncorrectOwner"):
        registry.safeTransferFrom(cast.producer, receiver, stones[0], {"from": cast.producer})
    receiver.configure(3, cast.trader_bw, {"from": cast.admin})  # flag it, then move it
    with reverts("StoneIsFlagged"):
        registry.safeTransferFrom(cast.producer, receiver, stones[0], {"from": cast.producer})
    assert chain_state(registry, stones, [cast.producer, receiver, cast.trader_bw]) == before
    assert registry.ownerOf(stones[0]) == cast.producer and custody_proof(registry, stones[0]).ok
    register(registry, cast.producer, [("BW-AFTER", 10)])  # and the registry carries on
