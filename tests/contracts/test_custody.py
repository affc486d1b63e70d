"""Custody: every change of holder, by any path, is a checked record; the trade, KP, SoW and RJC rules hold."""

from brownie import ZERO_ADDRESS, chain
from helpers import DOC, chain_state, custody_proof, plain, polished_stone, record_certificate, records_in, register, reverts

from diamondtrace import proof
from diamondtrace.model import ROLES, ZERO32, Action, Flag, Status, text32, token_id


def test_a_custody_transfer_records_action_document_warranty_and_both_chains(registry, cast, stones):
    registered = registry.stone(stones[0])["lastRecordBlock"]
    sender_chain, _ = registry.accountChain(cast.producer)
    recipient_before, recipient_block = registry.accountChain(cast.trader_bw)
    tx = registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    (record,) = records_in(tx)
    assert (record.token_id, record.sender, record.recipient) == (stones[0], cast.producer, cast.trader_bw)
    assert record.action == Action.SALE and record.document == DOC and record.warranty
    assert not record.had_records and record.previous_stone_block == registered
    assert record.time == tx.timestamp and record.certificate_id == 0
    assert (record.sender_chain, record.recipient_chain_before) == (sender_chain, recipient_before)
    assert record.recipient_previous_block == recipient_block
    # The record is absorbed into the recipient's chain, which is what the stone's anchor shows.
    assert plain(registry.accountChain(cast.trader_bw)) == (proof.absorb(recipient_before, record), tx.block_number)
    assert plain(registry.custodyAnchor(stones[0])) == (
        cast.trader_bw.address,
        True,
        tx.block_number,
        proof.absorb(recipient_before, record),
        tx.block_number,
    )
    assert registry.ownerOf(stones[0]) == cast.trader_bw
    # The metadata shows no holder, and nothing it shows changed: no ERC-4906 event.
    assert "MetadataUpdate" not in tx.events
    assert custody_proof(registry, stones[0]).ok


def test_plain_erc721_transfers_are_recorded_too(registry, cast, stones):
    tx = registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.producer})
    assert records_in(tx)[0].action == Action.TRANSFER
    tx = registry.safeTransferFrom(cast.trader_bw, cast.producer, stones[0], {"from": cast.trader_bw})
    assert records_in(tx)[0].recipient == cast.producer
    history = custody_proof(registry, stones[0])
    assert history.ok and [r.action for r in history.records] == [Action.TRANSFER, Action.TRANSFER]
    assert registry.custodyAnchor(stones[0])[:2] == (cast.producer, True)


def test_nobody_may_name_the_actions_that_name_themselves(registry, cast, stones):
    before = chain_state(registry, stones, [cast.producer, cast.trader_bw])
    for action in (Action.TRANSFER, Action.RECOVERY):
        with reverts("InvalidAction", action):
            registry.transferCustody(cast.trader_bw, stones[0], action, DOC, ZERO32, True, {"from": cast.producer})
    assert chain_state(registry, stones, [cast.producer, cast.trader_bw]) == before


def test_an_approved_operator_moves_a_stone_under_the_same_rules(registry, cast, stones):
    registry.approve(cast.relayer, stones[0], {"from": cast.producer})
    with reverts("RecipientNotAccredited", cast.consumer.address):
        registry.transferCustody(cast.consumer, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.relayer})
    tx = registry.transferCustody(cast.trader_bw, stones[0], Action.CONSIGNMENT, DOC, ZERO32, True, {"from": cast.relayer})
    assert records_in(tx)[0].sender == cast.producer  # the holder, not the operator, is the sender
    assert registry.ownerOf(stones[0]) == cast.trader_bw
    with reverts("NotOwnerNorApproved"):
        registry.transferCustody(cast.producer, stones[0], Action.RETURN, DOC, ZERO32, True, {"from": cast.relayer})


def test_in_the_trade_a_stone_only_reaches_accredited_participants(registry, cast, stones):
    with reverts("RecipientNotAccredited", cast.consumer.address):
        registry.transferCustody(cast.consumer, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    with reverts("RecipientNotAccredited", cast.consumer.address):
        registry.transferFrom(cast.producer, cast.consumer, stones[0], {"from": cast.producer})
    registry.revoke(cast.producer, ZERO_ADDRESS, {"from": cast.admin})
    with reverts("HolderNotAccredited", cast.producer.address):
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})


def test_no_record_without_a_change_of_holder(registry, cast, stones):
    with reverts("NoChangeOfHolder", stones[0]):
        registry.transferCustody(cast.producer, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    with reverts("UnknownStone", token_id("NOPE")):
        registry.transferCustody(cast.trader, token_id("NOPE"), Action.SALE, DOC, ZERO32, True, {"from": cast.producer})


def test_a_retailer_sells_to_a_consumer_who_then_passes_it_on_freely(registry, cast):
    stone = polished_stone(registry, cast, to=cast.retailer)
    tx = registry.transferCustody(cast.consumer, stone, Action.RETAIL_SALE, DOC, ZERO32, True, {"from": cast.retailer})
    assert records_in(tx)[0].recipient == cast.consumer
    assert registry.stone(stone)["status"] == Status.RETAILED
    assert tx.events["MetadataUpdate"]["_tokenId"] == stone
    registry.transferFrom(cast.consumer, cast.relayer, stone, {"from": cast.consumer})
    history = custody_proof(registry, stone)
    assert history.ok and [r.action for r in history.records] == [Action.EXPORT, Action.RETAIL_SALE, Action.TRANSFER]
    assert registry.ownerOf(stone) == cast.relayer and registry.stone(stone)["status"] == Status.RETAILED


def test_only_a_retailer_makes_a_retail_sale(registry, cast, stones):
    with reverts("MissingRole", cast.producer.address, ROLES["retailer"]):
        registry.transferCustody(cast.consumer, stones[0], Action.RETAIL_SALE, DOC, ZERO32, True, {"from": cast.producer})


def test_rough_crossing_a_border_needs_a_matching_kp_certificate(registry, cast, kp, stones):
    with reverts("CrossBorderWithoutCertificate", stones[0], b"BW", b"BE"):
        registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, ZERO32, True, {"from": cast.producer})
    with reverts("CrossBorderWithoutCertificate", stones[0], b"BW", b"BE"):
        registry.transferFrom(cast.producer, cast.trader, stones[0], {"from": cast.producer})

    record_certificate(registry, cast.kp_bw, "BW-KP-TO-INDIA", cast.producer, cast.manufacturer, importing="IN")
    with reverts("CertificateMismatch", text32("BW-KP-TO-INDIA"), cast.producer.address, cast.trader.address):
        registry.transferCustody(
            cast.trader, stones[0], Action.EXPORT, DOC, text32("BW-KP-TO-INDIA"), True, {"from": cast.producer}
        )

    certificate = record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, centicarats=300).return_value
    tx = registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer})
    assert tx.events["CertificateDrawn"]["centicarats"] == 250
    assert records_in(tx)[0].certificate_id == certificate
    stone = registry.stone(stones[0])
    assert stone["certificate"] == certificate and stone["jurisdiction"] == "0x" + b"BE".hex()
    assert kp.certificate(certificate)["drawnCenticarats"] == 250
    # A second stone would take the certificate past its declared 3.00 ct.
    with reverts("CertificateOverdrawn", text32("BW-KP-0001"), 300, 250, 180):
        registry.transferCustody(cast.trader, stones[1], Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer})


def test_a_certificate_is_refused_where_it_does_not_apply(registry, cast, stones):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("CertificateMismatch"):  # a domestic move
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, text32("BW-KP-0001"), True, {"from": cast.producer})
    with reverts("UnknownCertificate", b"BW", text32("NO-SUCH")):
        registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, text32("NO-SUCH"), True, {"from": cast.producer})
    stone = polished_stone(registry, cast, to=cast.retailer)
    with reverts("NotRough", stone):
        registry.transferCustody(cast.trader, stone, Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.retailer})
    registry.transferCustody(cast.consumer, stone, Action.RETAIL_SALE, DOC, ZERO32, True, {"from": cast.retailer})
    with reverts("NotRough", stone):  # a retailed stone is polished too
        registry.transferCustody(cast.relayer, stone, Action.SALE, DOC, text32("BW-KP-0001"), True, {"from": cast.consumer})


def test_an_expired_certificate_cannot_be_used(registry, cast, stones):
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader, days=1)
    chain.sleep(3 * 86400)
    chain.mine()
    with reverts("CertificateNotValid"):
        registry.transferCustody(cast.trader, stones[0], Action.EXPORT, DOC, text32("BW-KP-0001"), True, {"from": cast.producer})


def test_a_flagged_stone_cannot_move_until_an_admin_clears_it(registry, cast, stones):
    with reverts("NotHolder", cast.trader.address, stones[0]):
        registry.flag(stones[0], Flag.STOLEN, ZERO32, {"from": cast.trader})
    with reverts("InvalidFlag"):
        registry.flag(stones[0], Flag.NONE, ZERO32, {"from": cast.producer})
    tx = registry.flag(stones[0], Flag.STOLEN, ZERO32, {"from": cast.producer})
    assert tx.events["StoneFlagged"]["flag"] == Flag.STOLEN and tx.events["StoneFlagged"]["by"] == cast.producer
    assert registry.stone(stones[0])["flag"] == Flag.STOLEN
    with reverts("StoneIsFlagged", stones[0], Flag.STOLEN):
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    with reverts("StoneIsFlagged"):
        registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.producer})
    with reverts("AlreadyFlagged", stones[0], Flag.STOLEN):
        registry.flag(stones[0], Flag.LOST, ZERO32, {"from": cast.producer})
    with reverts("OwnableUnauthorizedAccount"):
        registry.clearFlag(stones[0], DOC, {"from": cast.producer})
    with reverts("DocumentRequired"):
        registry.clearFlag(stones[0], ZERO32, {"from": cast.admin})
    tx = registry.clearFlag(stones[0], DOC, {"from": cast.admin})
    assert bytes(tx.events["FlagCleared"]["document"]) == DOC
    with reverts("NotFlagged", stones[0]):
        registry.clearFlag(stones[0], DOC, {"from": cast.admin})
    registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    assert registry.ownerOf(stones[0]) == cast.trader_bw


def test_the_admin_pauses_every_move_but_holders_can_still_flag(registry, cast, stones):
    with reverts("OwnableUnauthorizedAccount"):
        registry.pause({"from": cast.producer})
    registry.pause({"from": cast.admin})
    with reverts("EnforcedPause"):
        registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    with reverts("EnforcedPause"):
        registry.transferFrom(cast.producer, cast.trader_bw, stones[0], {"from": cast.producer})
    registry.flag(stones[1], Flag.LOST, ZERO32, {"from": cast.producer})
    registry.unpause({"from": cast.admin})
    registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})


def test_nobody_can_burn_or_move_a_stone_to_the_zero_address(registry, cast, stones):
    with reverts("RecipientNotAccredited", ZERO_ADDRESS):
        registry.transferCustody(ZERO_ADDRESS, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.producer})


def test_a_sale_without_the_sow_warranty_costs_the_stone_its_assurance_for_good(registry, cast, stones):
    assert registry.stone(stones[0])["warranted"]
    # Consignments and returns are not sales: no warranty statement is expected.
    registry.transferCustody(cast.trader_bw, stones[0], Action.CONSIGNMENT, DOC, ZERO32, False, {"from": cast.producer})
    registry.transferCustody(cast.producer, stones[0], Action.RETURN, DOC, ZERO32, False, {"from": cast.trader_bw})
    assert registry.stone(stones[0])["warranted"]
    tx = registry.transferCustody(cast.trader_bw, stones[0], Action.SALE, DOC, ZERO32, False, {"from": cast.producer})
    (record,) = records_in(tx)
    assert not record.warranty and not record.warranted_after
    assert not registry.stone(stones[0])["warranted"] and "MetadataUpdate" in tx.events
    registry.transferCustody(cast.producer, stones[0], Action.SALE, DOC, ZERO32, True, {"from": cast.trader_bw})
    assert not registry.stone(stones[0])["warranted"]
    # A plain ERC-721 transfer could be a sale that named nothing: it carries no warranty.
    registry.transferFrom(cast.producer, cast.trader_bw, stones[1], {"from": cast.producer})
    assert not registry.stone(stones[1])["warranted"]


def _certify(registry, cast, account, days=365):
    registry.certifyRjc(account, text32(f"RJC-{str(account)[2:8]}"), chain.time() + days * 86400, {"from": cast.admin})


def test_the_rjc_assurance_holds_only_while_every_holder_was_certified_throughout(registry, cast):
    for account in (cast.producer, cast.trader_bw):
        _certify(registry, cast, account)
    register(registry, cast.producer, [("BW-RJC-1", 100), ("BW-RJC-2", 100)])
    first, second = token_id("BW-RJC-1"), token_id("BW-RJC-2")
    assert registry.stone(first)["rjcCertified"] and registry.participant(cast.producer)["rjc"]["current"]
    registry.transferCustody(cast.trader_bw, first, Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    assert registry.stone(first)["rjcCertified"]
    # A recipient in the trade that is not certified (Botswana's KP authority) breaks it.
    registry.transferCustody(cast.kp_bw, second, Action.CONSIGNMENT, DOC, ZERO32, True, {"from": cast.producer})
    assert not registry.stone(second)["rjcCertified"]
    # A holder whose certification lapsed while it held the stone, even if renewed since, breaks it.
    registry.certifyRjc(cast.trader_bw, text32("RJC-LAPSED"), chain.time() - 2 * 86400, {"from": cast.admin})
    assert not registry.participant(cast.trader_bw)["rjc"]["current"]
    _certify(registry, cast, cast.trader_bw)
    assert registry.participant(cast.trader_bw)["rjc"]["sinceBlock"] > registry.stone(first)["lastRecordBlock"]
    tx = registry.transferCustody(cast.producer, first, Action.RETURN, DOC, ZERO32, True, {"from": cast.trader_bw})
    assert not records_in(tx)[0].rjc_after and not registry.stone(first)["rjcCertified"]


def _midday(chain):
    """Moves the chain's clock to the next 12:00 UTC, so that "earlier today" is unambiguous."""
    chain.sleep((43_200 - chain.time() % 86_400) % 86_400 + 86_400)
    chain.mine()


def test_an_rjc_expiry_in_the_past_withdraws_the_certification_even_earlier_today(registry, cast):
    _midday(chain)
    _certify(registry, cast, cast.trader_bw)
    assert registry.participant(cast.trader_bw)["rjc"]["current"]
    registry.certifyRjc(cast.trader_bw, text32("RJC-WITHDRAWN"), chain.time() - 3_600, {"from": cast.admin})
    assert not registry.participant(cast.trader_bw)["rjc"]["current"]
    # A stone it receives now does not keep its RJC assurance.
    _certify(registry, cast, cast.producer)
    register(registry, cast.producer, [("BW-RJC-3", 100)])
    registry.transferCustody(cast.trader_bw, token_id("BW-RJC-3"), Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    assert not registry.stone(token_id("BW-RJC-3"))["rjcCertified"]


def test_an_rjc_certification_with_a_far_future_expiry_is_current(registry, cast):
    for expires in (chain.time() + 200 * 365 * 86_400, 2**40 - 1):
        registry.certifyRjc(cast.trader_bw, text32("RJC-LONG"), expires, {"from": cast.admin})
        assert registry.participant(cast.trader_bw)["rjc"]["current"], expires
        assert registry.participant(cast.trader_bw)["rjc"]["expiresAt"] == expires
