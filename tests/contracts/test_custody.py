"""Custody: every change of holder, by any path, is a checked record; the trade and KP rules hold."""

from brownie import ZERO_ADDRESS, chain
from helpers import plain, record_certificate, register, reverts

from diamondtrace.model import ROLES, ZERO32, Action, Flag, Kind, Status, text32, token_id
from diamondtrace.verify import CustodyRecord, commitment_step

DOC = b"\xab" * 32


def _record_of(tx, token):
    e = tx.events["CustodyTransferred"]
    return CustodyRecord(
        seq=0,
        token_id=token,
        sender=e["from"],
        recipient=e["to"],
        action=e["action"],
        document=bytes(e["document"]),
        certificate=bytes(e["certificate"]),
        commitment=e["commitment"],
        block=tx.block_number,
        transaction=tx.txid,
        log_index=0,
        timestamp=tx.timestamp,
    )


def test_a_custody_transfer_records_action_document_and_commitment(registry, cast, stones):
    tx = registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})
    e = tx.events["CustodyTransferred"]
    assert (e["tokenId"], e["from"], e["to"]) == (stones[0], cast.producer, cast.trader_bw)
    assert e["action"] == Action.SALE and bytes(e["document"]) == DOC
    assert e["commitment"] == commitment_step(0, _record_of(tx, stones[0]))
    assert tx.events["MetadataUpdate"]["_tokenId"] == stones[0]
    assert plain(registry.custodyState(stones[0])) == (cast.trader_bw.address, 1, e["commitment"], Action.SALE)
    assert registry.ownerOf(stones[0]) == cast.trader_bw


def test_plain_erc721_transfers_are_recorded_too(registry, cast, stones):
    tx = registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.producer})
    assert tx.events["CustodyTransferred"]["action"] == Action.TRANSFER
    tx = registry.safeTransferFrom(cast.trader_bw, cast.producer, stones[0], {"from": cast.trader_bw})
    assert tx.events["CustodyTransferred"]["to"] == cast.producer
    holder, count, _, action = registry.custodyState(stones[0])
    assert (holder, count, action) == (cast.producer, 2, Action.TRANSFER)


def test_an_approved_operator_moves_a_stone_under_the_same_rules(registry, cast, stones):
    registry.approve(cast.relayer, stones[0], {"from": cast.producer})
    registry.transferCustody(cast.trader_bw, stones[0], Action.CONSIGNMENT, DOC, ZERO32, {"from": cast.relayer})
    assert plain(registry.custodyState(stones[0]))[:2] == (cast.trader_bw.address, 1)
    with reverts("NotOwnerNorApproved"):
        registry.transferCustody(cast.producer, stones[0], Action.RETURN, DOC, ZERO32, {"from": cast.relayer})


def test_in_the_trade_a_stone_only_reaches_accredited_participants(registry, cast, stones):
    with reverts("RecipientNotAccredited", cast.consumer.address):
        registry.transferCustody(cast.consumer, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})
    with reverts("RecipientNotAccredited", cast.consumer.address):
        registry.transferFrom(cast.producer, cast.consumer, stones[0], {"from": cast.producer})
    registry.revoke(cast.producer, {"from": cast.admin})
    with reverts("HolderNotAccredited", cast.producer.address):
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})


def test_no_record_without_a_change_of_holder(registry, cast, stones):
    with reverts("NoChangeOfHolder", stones[0]):
        registry.transferCustody(cast.producer, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})
    with reverts("UnknownStone", token_id("NOPE")):
        registry.transferCustody(cast.trader, token_id("NOPE"), Action.SALE, DOC, ZERO32, {"from": cast.producer})


def _polished_at_retailer(registry, cast):
    register(registry, cast.producer, [("PX-0001", 101)], kind=Kind.POLISHED)
    stone = token_id("PX-0001")
    # Polished stones are outside the Kimberley Process: crossing BW -> US needs no certificate.
    registry.transferCustody(cast.retailer, stone, Action.EXPORT, DOC, ZERO32, {"from": cast.producer})
    return stone


def test_a_retailer_sells_to_a_consumer_who_then_passes_it_on_freely(registry, cast):
    stone = _polished_at_retailer(registry, cast)
    tx = registry.transferCustody(cast.consumer, stone, Action.RETAIL_SALE, DOC, ZERO32, {"from": cast.retailer})
    assert tx.events["CustodyTransferred"]["to"] == cast.consumer
    assert registry.stone(stone)["status"] == Status.RETAILED
    registry.transferFrom(cast.consumer, cast.relayer, stone, {"from": cast.consumer})
    assert plain(registry.custodyState(stone))[:2] == (cast.relayer.address, 3)


def test_only_a_retailer_makes_a_retail_sale(registry, cast, stones):
    with reverts("MissingRole", cast.producer.address, ROLES["retailer"]):
        registry.transferCustody(cast.consumer, stones[0], Action.RETAIL_SALE, DOC, ZERO32, {"from": cast.producer})


def test_rough_crossing_a_border_needs_a_matching_kp_certificate(registry, cast, stones):
    with reverts("CrossBorderWithoutCertificate", stones[0], b"BW", b"BE"):
        registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, ZERO32, {"from": cast.producer})
    with reverts("CrossBorderWithoutCertificate"):
        registry.transferFrom(cast.producer, cast.trader, stones[0], {"from": cast.producer})

    record_certificate(registry, cast.kp_bw, "BW-KP-TO-INDIA", cast.producer, cast.manufacturer, importing="IN")
    with reverts("CertificateMismatch"):
        registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, text32("BW-KP-TO-INDIA"), {"from": cast.producer})

    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, centicarats=300)
    tx = registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, text32("BW-KP-0001"), {"from": cast.producer})
    assert tx.events["CertificateDrawn"]["centicarats"] == 250
    assert registry.stone(stones[0])["certificate"] == "0x" + text32("BW-KP-0001").hex()
    assert registry.certificate(text32("BW-KP-0001"))["drawnCenticarats"] == 250
    # A second stone would take the certificate past its declared 3.00 ct.
    with reverts("CertificateOverdrawn", text32("BW-KP-0001"), 300, 250, 180):
        registry.transferCustody(cast.trader, stones[1], Action.EXPORT, DOC, text32("BW-KP-0001"), {"from": cast.producer})


def test_a_certificate_is_refused_where_it_does_not_apply(registry, cast, stones):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("CertificateMismatch"):  # a domestic move
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, text32("BW-KP-0001"), {"from": cast.producer})
    with reverts("UnknownCertificate"):
        registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, text32("NO-SUCH"), {"from": cast.producer})
    stone = _polished_at_retailer(registry, cast)
    with reverts("NotRough", stone):
        registry.transferCustody(cast.trader, stone, Action.EXPORT, DOC, text32("BW-KP-0001"), {"from": cast.retailer})


def test_an_expired_certificate_cannot_be_used(registry, cast, stones):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, days=1)
    chain.sleep(3 * 86400)
    chain.mine()
    with reverts("CertificateNotValid"):
        registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, text32("BW-KP-0001"), {"from": cast.producer})


def test_a_flagged_stone_cannot_move_until_an_admin_clears_it(registry, cast, stones):
    with reverts("NotHolder", cast.trader.address, stones[0]):
        registry.flag(stones[0], Flag.STOLEN, {"from": cast.trader})
    with reverts("InvalidFlag"):
        registry.flag(stones[0], Flag.NONE, {"from": cast.producer})
    tx = registry.flag(stones[0], Flag.STOLEN, {"from": cast.producer})
    assert tx.events["StoneFlagged"]["flag"] == Flag.STOLEN
    assert registry.stone(stones[0])["flag"] == Flag.STOLEN
    with reverts("StoneIsFlagged", stones[0], Flag.STOLEN):
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})
    with reverts("StoneIsFlagged"):
        registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.producer})
    with reverts("AlreadyFlagged"):
        registry.flag(stones[0], Flag.LOST, {"from": cast.producer})
    with reverts("OwnableUnauthorizedAccount"):
        registry.clearFlag(stones[0], {"from": cast.producer})
    registry.clearFlag(stones[0], {"from": cast.admin})
    with reverts("NotFlagged", stones[0]):
        registry.clearFlag(stones[0], {"from": cast.admin})
    registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})
    assert registry.ownerOf(stones[0]) == cast.trader_bw


def test_the_admin_pauses_every_move_but_holders_can_still_flag(registry, cast, stones):
    with reverts("OwnableUnauthorizedAccount"):
        registry.pause({"from": cast.producer})
    registry.pause({"from": cast.admin})
    with reverts("EnforcedPause"):
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})
    with reverts("EnforcedPause"):
        registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.producer})
    registry.flag(stones[1], Flag.LOST, {"from": cast.producer})
    registry.unpause({"from": cast.admin})
    registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})


def test_nobody_can_burn_or_move_a_stone_to_the_zero_address(registry, cast, stones):
    with reverts("RecipientNotAccredited"):
        registry.transferCustody(ZERO_ADDRESS, stones[0], Action.SALE, DOC, ZERO32, {"from": cast.producer})
