"""Issue 11's attacks, each replayed exactly as the attacker ran it against registry v1, against v2.

One test per attack of the issue's "Why" (items 1 to 9, and each finding of item 10 on its own).
Each asserts the refusal by its custom error and that the chain is unchanged: holders, stone
records, custody anchors, balances, account chains, profiles and certificate draws compared before
and after (`helpers.chain_state`). Where the issue's attack had several steps, every step that v2
refuses is tried, in the attacker's order, and so is the way around it the attacker would try next.
"""

import dataclasses

import pytest
from brownie import ZERO_ADDRESS, ContractWallet, accounts, chain, web3
from eth_abi import encode
from eth_utils import function_signature_to_4byte_selector
from helpers import (
    DOC,
    all_records,
    authorization,
    certificate_input,
    chain_state,
    check_served,
    custody_proof,
    grading_report,
    polished_stone,
    reader,
    record_certificate,
    records_in,
    register,
    reverts,
    rough_at_manufacturer,
    sign,
)

from diamondtrace import proof
from diamondtrace.chain import Chain
from diamondtrace.countries import COUNTRIES
from diamondtrace.deployments import registry_contract
from diamondtrace.model import ROLES, ZERO32, Action, Flag, Kind, Status, text32, token_id
from diamondtrace.sending import Sender
from diamondtrace.verify import provenance
from diamondtrace.wallet import dev_signer

EIP7825_CAP = 16_777_216
CALL_GAS_CAP = 30_000_000  # a common eth_call cap


def _sale(registry, holder, to, token, action=Action.SALE, certificate=ZERO32):
    return registry.transferCustody(to, token, action, DOC, certificate, True, {"from": holder})


# ------------------------------------------------------------------------------------------------
# 1. Rough crosses a border with no KP certificate.
# ------------------------------------------------------------------------------------------------


def test_1_retail_sale_of_rough_to_an_accomplice_who_passes_it_abroad(registry, cast, others):
    register(registry, cast.producer, [("BW-RS-0001", 500)], to=others.retailer_bw)
    rough = token_id("BW-RS-0001")
    watched = ([rough], [others.retailer_bw, others.accomplice, cast.manufacturer])
    before = chain_state(registry, *watched)

    # The Botswana retailer's "retail sale" of a rough stone to an unaccredited accomplice.
    with reverts("NotPolished", rough):
        _sale(registry, others.retailer_bw, others.accomplice, rough, Action.RETAIL_SALE)
    signed = authorization(registry, others.retailer_bw, rough, others.accomplice, action=Action.RETAIL_SALE)
    with reverts("NotPolished", rough):
        registry.transferCustodySigned(
            signed.as_tuple(), sign(cast, registry, others.retailer_bw, signed), {"from": cast.relayer}
        )
    # The accomplice's plain transferFrom to the manufacturer in India: it never got the stone.
    with reverts("TransferFromIncorrectOwner"):
        registry.transferFrom(others.accomplice, cast.manufacturer, rough, {"from": others.accomplice})
    # Nor does a plain transfer reach the accomplice, or India, from the retailer itself.
    with reverts("RecipientNotAccredited", others.accomplice.address):
        registry.transferFrom(others.retailer_bw, others.accomplice, rough, {"from": others.retailer_bw})
    with reverts("CrossBorderWithoutCertificate", rough, b"BW", b"IN"):
        registry.safeTransferFrom(others.retailer_bw, cast.manufacturer, rough, {"from": others.retailer_bw})
    assert chain_state(registry, *watched) == before
    assert registry.stone(rough)["jurisdiction"] == "0x" + b"BW".hex()


def test_1_rough_through_a_revoked_middle_hop_does_not_leave_its_country(registry, cast, kp):
    register(registry, cast.producer, [("BW-RV-0001", 500), ("BW-RV-0002", 300)], to=cast.trader_bw)
    rough = token_id("BW-RV-0001")
    registry.transferCustody(cast.producer, token_id("BW-RV-0002"), Action.RETURN, DOC, ZERO32, True, {"from": cast.trader_bw})
    # The middle hop holds a valid-looking export certificate of its own to India.
    record_certificate(registry, cast.kp_bw, "BW-KP-RV", cast.trader_bw, cast.manufacturer, importing="IN")
    registry.approve(cast.relayer, rough, {"from": cast.trader_bw})
    registry.revoke(cast.trader_bw, cast.manufacturer, {"from": cast.admin})  # a successor abroad
    watched = (
        [rough, token_id("BW-RV-0002")],
        [cast.producer, cast.trader_bw, cast.manufacturer, cast.relayer],
        [("BW", "BW-KP-RV")],
    )
    before = chain_state(registry, *watched)

    # The revoked participant as the middle hop: it receives nothing more...
    with reverts("RecipientNotAccredited", cast.trader_bw.address):
        registry.transferFrom(cast.producer, cast.trader_bw, token_id("BW-RV-0002"), {"from": cast.producer})
    # ...and what it holds goes nowhere, by any path.

    with reverts("HolderNotAccredited", cast.trader_bw.address):
        registry.transferFrom(cast.trader_bw, cast.manufacturer, rough, {"from": cast.trader_bw})
    with reverts("HolderNotAccredited", cast.trader_bw.address):
        _sale(registry, cast.trader_bw, cast.manufacturer, rough, Action.EXPORT, text32("BW-KP-RV"))
    with reverts("HolderNotAccredited", cast.trader_bw.address):  # its operator, approved before the revocation
        registry.transferFrom(cast.trader_bw, cast.manufacturer, rough, {"from": cast.relayer})
    signed = authorization(
        registry, cast.trader_bw, rough, cast.manufacturer, action=Action.EXPORT, certificate=text32("BW-KP-RV")
    )
    with reverts("HolderNotAccredited", cast.trader_bw.address):
        registry.transferCustodySigned(signed.as_tuple(), sign(cast, registry, cast.trader_bw, signed), {"from": cast.relayer})
    # The admin's recovery goes only to the named successor, and rough only inside its country.
    with reverts("CrossBorderWithoutCertificate", rough, b"BW", b"IN"):
        registry.recover([rough], DOC, {"from": cast.admin})
    assert chain_state(registry, *watched) == before
    assert kp.certificate(1)["drawnCenticarats"] == 0


def test_1_a_retailed_stone_cannot_be_split_back_into_the_trade(registry, cast):
    stone = polished_stone(registry, cast, to=cast.retailer)
    _sale(registry, cast.retailer, cast.consumer, stone, Action.RETAIL_SALE)
    # A retailed stone moves freely: the consumer sells it back to a manufacturer abroad...
    registry.transferFrom(cast.consumer, cast.manufacturer, stone, {"from": cast.consumer})
    watched = ([stone], [cast.manufacturer])
    before = chain_state(registry, *watched)
    # ...who cannot split it, nor bring it back into the trade by any move.
    with reverts("NotInTrade", stone):
        registry.split(stone, [token_id("IN-RE-1")], [10], [], {"from": cast.manufacturer})
    assert chain_state(registry, *watched) == before
    _sale(registry, cast.manufacturer, cast.trader, stone)
    assert registry.stone(stone)["status"] == Status.RETAILED


# ------------------------------------------------------------------------------------------------
# 2. Anyone can burn anyone's KP certificate.
# ------------------------------------------------------------------------------------------------


def test_2_nobody_but_its_exporter_draws_a_certificate(registry, cast, others, kp):
    number = text32("BW-KP-2026-0001")
    record_certificate(registry, cast.kp_bw, "BW-KP-2026-0001", cast.producer, cast.trader, centicarats=500)
    junk = [(f"ZW-JUNK-{i}", 100) for i in range(5)]
    register(registry, cast.producer, [("BW-TBW-1", 500)], to=cast.trader_bw)
    watched = (
        [token_id("BW-TBW-1")],
        [cast.producer, cast.trader_bw, others.producer_zw, others.producer_bw2],
        [("BW", "BW-KP-2026-0001")],
    )
    before = chain_state(registry, *watched)

    # The issue's attack: a producer elsewhere registers 5 x 1 ct into the exporter's custody under its certificate.
    with reverts("OriginCountryMismatch", b"BW", b"ZW"):
        register(registry, others.producer_zw, junk, to=cast.producer, certificate=number)
    with reverts("RecipientCountryMismatch", cast.producer.address, b"ZW"):
        register(registry, others.producer_zw, junk, to=cast.producer, country="ZW", certificate=number)
    # The same from a producer in the certificate's own country: into the exporter's custody, then its own.
    lucara = [(f"LU-JUNK-{i}", 100) for i in range(5)]
    with reverts("CertificateMismatch", number, others.producer_bw2.address, cast.producer.address):
        register(registry, others.producer_bw2, lucara, to=cast.producer, certificate=number)
    with reverts("NotExporter", number, others.producer_bw2.address):
        register(registry, others.producer_bw2, lucara, certificate=number)
    # And at a crossing: another Botswana holder exporting under the exporter's certificate.
    with reverts("NotExporter", number, cast.trader_bw.address):
        _sale(registry, cast.trader_bw, cast.trader, token_id("BW-TBW-1"), Action.EXPORT, number)
    assert chain_state(registry, *watched) == before
    assert kp.certificate(1)["drawnCenticarats"] == 0

    # The real parcel still ships.
    register(registry, cast.producer, [(f"BW-REAL-{i}", 100) for i in range(5)], certificate=number)
    assert kp.certificate(1)["drawnCenticarats"] == 500


# ------------------------------------------------------------------------------------------------
# 3. Origin is whatever the producer types.
# ------------------------------------------------------------------------------------------------


def test_3_a_producer_registers_only_its_own_countrys_rough_into_its_own_country(registry, cast, others):
    fake = [("CD-JW-0001", 300)]
    watched = ([], [others.producer_cd, cast.manufacturer])
    before = chain_state(registry, *watched)
    # "Jwaneng, BW" stones from a DR Congo producer straight into an Indian manufacturer's custody.
    with reverts("OriginCountryMismatch", b"BW", b"CD"):
        register(registry, others.producer_cd, fake, to=cast.manufacturer, mine="Jwaneng", country="BW")
    with reverts("RecipientCountryMismatch", cast.manufacturer.address, b"CD"):
        register(registry, others.producer_cd, fake, to=cast.manufacturer, mine="Jwaneng", country="CD")
    # "Polished" is no longer the producer's to say: it registers rough, or declares nothing.
    with reverts("MissingRole", others.producer_cd.address, ROLES["manufacturer"]):
        registry.declare((text32("Jwaneng"), b"BW", False), [token_id("CD-JW-0001")], [300], [], {"from": others.producer_cd})
    assert chain_state(registry, *watched) == before

    # What it may register is rough lying in DR Congo, which leaves only under a certificate.
    register(registry, others.producer_cd, fake, country="CD", mine="Mbuji-Mayi")
    stone = token_id("CD-JW-0001")
    assert registry.stone(stone)["jurisdiction"] == "0x" + b"CD".hex() and registry.stone(stone)["kind"] == Kind.ROUGH
    with reverts("CrossBorderWithoutCertificate", stone, b"CD", b"BE"):
        _sale(registry, others.producer_cd, cast.trader, stone, Action.EXPORT)


# ------------------------------------------------------------------------------------------------
# 4. Any lab can relabel any stone, and can make it unrenderable.
# ------------------------------------------------------------------------------------------------


def test_4_a_lab_that_does_not_hold_the_stone_cannot_grade_it(registry, cast, others, grading):
    stone = polished_stone(registry, cast, to=cast.lab)
    registry.grade(stone, grading_report("GIA-1"), {"from": cast.lab})
    _sale(registry, cast.lab, cast.retailer, stone, Action.RETURN)
    _sale(registry, cast.retailer, cast.consumer, stone, Action.RETAIL_SALE)
    watched = ([stone], [cast.consumer, others.lab_be, cast.lab])
    before, uri = chain_state(registry, *watched), registry.tokenURI(stone)
    # A rogue lab "finds" the consumer's natural stone laboratory-grown.
    with reverts("NotHolder", others.lab_be.address, stone):
        registry.grade(stone, grading_report("HRD-666", lab_grown=True), {"from": others.lab_be})
    # Nor may the lab that graded it once, now that it no longer holds it.
    with reverts("NotHolder", cast.lab.address, stone):
        registry.grade(stone, grading_report("GIA-2", lab_grown=True), {"from": cast.lab})
    assert chain_state(registry, *watched) == before and registry.tokenURI(stone) == uri
    assert not registry.stone(stone)["labGrown"] and grading.current(stone)[0] == 1


def _read_gas(registry, name, *args):
    return web3.eth.estimate_gas({"to": registry.address, "data": getattr(registry, name).encode_input(*args)})


def test_4_hundreds_of_reports_leave_the_stone_cheap_to_read(registry, cast, grading):
    stone = polished_stone(registry, cast, to=cast.lab)
    registry.grade(stone, grading_report("GIA-0"), {"from": cast.lab})
    one = {name: _read_gas(registry, name, stone) for name in ("tokenURI", "stone")}
    # 299 more, sent back to back as the library sends (brownie waits on each and, this fast,
    # sometimes loses track of one).
    lab = Sender(Chain(web3, chain.id, "brownie"), dev_signer(list(accounts).index(cast.lab), chain.id))
    view = registry_contract(web3, registry.address)
    lab.send_all(view.functions.grade(stone, grading_report(f"GIA-{i}")) for i in range(1, 300))
    assert registry.stone(stone)["gradingCount"] == 300
    for name, gas in one.items():
        many = _read_gas(registry, name, stone)
        assert many < CALL_GAS_CAP // 10, (name, many)
        assert many <= gas * 1.02, (name, gas, many)  # the same reads: the report in force and a count
    page = grading.gradingReports(stone, 299, 10)
    assert len(page) == 1 and bytes(page[0]["report"]["reportNumber"]).rstrip(b"\0") == b"GIA-299"


# ------------------------------------------------------------------------------------------------
# 5. One global first-come namespace.
# ------------------------------------------------------------------------------------------------


def test_5_a_manufacturer_abroad_cannot_squat_a_producers_stone_ids(registry, cast, others, kp):
    register(registry, cast.producer, [("BW-RU-ROUGH", 1_000)])
    record_certificate(registry, cast.kp_bw, "KP-BW-RU", cast.producer, others.manufacturer_ru, importing="RU")
    rough = token_id("BW-RU-ROUGH")
    _sale(registry, cast.producer, others.manufacturer_ru, rough, Action.EXPORT, text32("KP-BW-RU"))
    squatted = token_id("BW-JW-2026-000001")
    newcomer = accounts[19]  # a second Russian entity, asking for a prefix of its choice
    watched = ([rough], [others.manufacturer_ru, cast.producer, newcomer])
    before = chain_state(registry, *watched)
    with reverts("OutsidePrefix", squatted, text32("RU-")):
        registry.split(rough, [token_id("RU-CUT-1"), squatted], [100, 100], [], {"from": others.manufacturer_ru})
    # No one can take a prefix that covers, or is covered by, Debswana's; nor change its own.
    for prefix in ("BW-JW-", "BW-", "BW", "B"):
        with reverts("PrefixOverlaps", text32(prefix)):
            registry.accredit(newcomer, ROLES["manufacturer"], b"RU", "Smolensk Two", text32(prefix), {"from": cast.admin})
    with reverts("PrefixAlreadyAssigned", others.manufacturer_ru.address, text32("RU-")):
        registry.accredit(others.manufacturer_ru, ROLES["manufacturer"], b"RU", "Smolensk", text32("SM-"), {"from": cast.admin})
    assert chain_state(registry, *watched) == before
    assert registry.participant(others.manufacturer_ru)["prefix"] == "0x" + text32("RU-").hex()
    # Debswana's batch holding that ID registers, and the ID resolves to Debswana's stone.
    register(registry, cast.producer, [(f"BW-JW-2026-{i:06d}", 100) for i in range(1, 21)])
    assert registry.tokenIdOf("BW-JW-2026-000001") == squatted
    assert registry.batch(registry.stone(squatted)["batch"])["registrant"] == cast.producer


def test_5_certificate_numbers_belong_to_their_exporting_country(registry, cast, others, kp):
    number = text32("BW-KP-2026-0001")
    # Belgium's authority records the number first, for a Belgian export...
    belgian = kp.recordCertificate(
        certificate_input("BW-KP-2026-0001", cast.trader, cast.manufacturer, exporting="BE", importing="IN"),
        {"from": others.kp_be},
    ).return_value
    # ...and cannot record it as Botswana's.
    with reverts("NotExportingAuthority", others.kp_be.address, b"BW"):
        kp.recordCertificate(certificate_input("BW-KP-2026-0001", cast.producer, cast.trader), {"from": others.kp_be})
    # Botswana's real certificate of the same number is recorded, and is the one its rough draws.
    botswana = record_certificate(registry, cast.kp_bw, "BW-KP-2026-0001", cast.producer, cast.trader).return_value
    assert belgian != botswana
    assert (kp.certificateId(b"BE", number), kp.certificateId(b"BW", number)) == (belgian, botswana)
    register(registry, cast.producer, [("BW-KP-STONE", 250)])
    _sale(registry, cast.producer, cast.trader, token_id("BW-KP-STONE"), Action.EXPORT, number)
    assert kp.certificate(botswana)["drawnCenticarats"] == 250 and kp.certificate(belgian)["drawnCenticarats"] == 0


# ------------------------------------------------------------------------------------------------
# 6. The custody commitment is forgeable.
# ------------------------------------------------------------------------------------------------


@pytest.fixture
def travelled(registry, cast):
    """A rough stone through five holders' hands: sale, return, export under KP, plain transfer, sale."""
    register(registry, cast.producer, [("BW-FORGE", 420)])
    stone = token_id("BW-FORGE")
    record_certificate(registry, cast.kp_bw, "BW-KP-F", cast.producer, cast.trader)
    registry.accredit(cast.relayer, ROLES["trader"], b"BE", "Antwerp Second Trader", ZERO32, {"from": cast.admin})
    _sale(registry, cast.producer, cast.trader_bw, stone)
    registry.transferCustody(cast.producer, stone, Action.RETURN, b"\x02" * 32, ZERO32, False, {"from": cast.trader_bw})
    _sale(registry, cast.producer, cast.trader, stone, Action.EXPORT, text32("BW-KP-F"))
    registry.transferFrom(cast.trader, cast.relayer, stone, {"from": cast.trader})
    _sale(registry, cast.relayer, cast.trader, stone)
    assert custody_proof(registry, stone).ok
    return stone


def _flip(record, offset):
    return dataclasses.replace(record, record=record.record ^ (1 << offset))


# Every field of a record as the event carries it: the topics and data words, each packed field of
# `record` (its lowest bit flipped), the unused high bits, and the block it is served in. (The log
# index and transaction hash are where a log sits, not what it says; the check reads neither.)
ALTERATIONS = {
    "token": lambda r, cast: dataclasses.replace(r, token_id=r.token_id ^ 1),
    "sender": lambda r, cast: dataclasses.replace(
        r, sender=cast.trader_bw.address if r.sender != cast.trader_bw else cast.consumer.address
    ),
    "recipient": lambda r, cast: dataclasses.replace(r, recipient=cast.consumer.address),
    "document": lambda r, cast: dataclasses.replace(r, document=bytes([r.document[0] ^ 1]) + r.document[1:]),
    "sender chain": lambda r, cast: dataclasses.replace(r, chains=r.chains ^ (1 << 128)),
    "recipient chain before": lambda r, cast: dataclasses.replace(r, chains=r.chains ^ 1),
    "action": lambda r, cast: _flip(r, 0),
    "warranty": lambda r, cast: _flip(r, 8),
    "had records": lambda r, cast: _flip(r, 9),
    "warranted after": lambda r, cast: _flip(r, 10),
    "rjc after": lambda r, cast: _flip(r, 11),
    "certificate": lambda r, cast: _flip(r, 16),
    "time": lambda r, cast: _flip(r, 48),
    "previous stone block": lambda r, cast: _flip(r, 88),
    "sender last block": lambda r, cast: _flip(r, 120),
    "recipient previous block": lambda r, cast: _flip(r, 152),
    "unused bits": lambda r, cast: _flip(r, 200),
    "block (later)": lambda r, cast: dataclasses.replace(r, block=r.block + 1),
    "block (earlier)": lambda r, cast: dataclasses.replace(r, block=r.block - 1),
}


def test_6_altering_any_field_of_any_record_breaks_the_proof(registry, cast, travelled):
    records = all_records(registry)
    own = [r for r in records if r.token_id == travelled]
    assert len(own) == 5 and check_served(registry, travelled, records).ok
    failures = []
    for i, record in enumerate(own):
        for name, alter in ALTERATIONS.items():
            altered = alter(record, cast)
            assert altered != record
            verdict = check_served(registry, travelled, [altered if r == record else r for r in records])
            if verdict.ok:
                failures.append(f"record {i + 1}: {name}")
    assert failures == [], "accepted alterations: " + ", ".join(failures)


def test_6_an_innocent_intermediate_holder_cannot_be_inserted(registry, cast, travelled):
    records = all_records(registry)
    export = next(r for r in records if r.token_id == travelled and r.action == Action.EXPORT)
    innocent = cast.trader_bw.address  # a real participant with a real chain
    innocent_chain, innocent_block = registry.accountChain(innocent)
    # producer -> innocent -> trader in place of producer -> trader, shaped as the registry would make them.
    into = dataclasses.replace(
        export,
        recipient=innocent,
        chains=(export.sender_chain << 128) | innocent_chain,
        record=export.record & ~(proof.BLOCK_MASK << 152) | innocent_block << 152,
    )
    out_of = dataclasses.replace(
        export,
        sender=innocent,
        chains=(proof.absorb(innocent_chain, into) << 128) | export.recipient_chain_before,
        record=export.record & ~(proof.BLOCK_MASK << 88 | proof.BLOCK_MASK << 120) | export.block << 88 | export.block << 120,
        log_index=export.log_index + 1,
    )
    # The forger grinds the document of its record until the recipient's chain agrees with the real
    # one in its low 14 bits (what a 20-bit commitment took in seconds); the check wants all 128.
    real = proof.absorb(export.recipient_chain_before, export)
    for nonce in range(1 << 20):
        ground = dataclasses.replace(out_of, document=nonce.to_bytes(32, "big"))
        if (proof.absorb(export.recipient_chain_before, ground) ^ real) & ((1 << 14) - 1) == 0:
            break
    assert proof.absorb(export.recipient_chain_before, ground) & 0x3FFF == real & 0x3FFF
    forged = [r for r in records if r != export] + [into, ground]
    verdict = check_served(registry, travelled, forged)
    assert not verdict.ok and str(cast.trader) in verdict.reason and "reproduce its chain" in verdict.reason


# ------------------------------------------------------------------------------------------------
# 7. A signed authorization doesn't name its holder.
# ------------------------------------------------------------------------------------------------


def test_7_an_authorization_is_void_once_its_signer_no_longer_holds_the_stone(registry, cast, stones):
    key = cast.trader_bw
    wallet = ContractWallet.deploy(key, {"from": cast.admin})  # accepts the key's signatures (ERC-1271)
    registry.accredit(wallet, ROLES["trader"], b"BW", "Gaborone Multisig", ZERO32, {"from": cast.admin})
    _sale(registry, cast.producer, key, stones[0])
    # The key signs while holding the stone, then moves it into its wallet.
    auth = authorization(registry, key, stones[0], cast.producer, action=Action.RETURN)
    signature = sign(cast, registry, key, auth)
    _sale(registry, key, wallet, stones[0], Action.CONSIGNMENT)
    watched = (stones, [key, wallet, cast.producer])
    before = chain_state(registry, *watched)
    # The old signature replayed: as it was, or re-addressed to the wallet.
    with reverts("NotHolder", key.address, stones[0]):
        registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})
    as_wallet = dataclasses.replace(auth, holder=wallet.address)
    with reverts("StoneMovedSinceSigned", stones[0], auth.lastRecordBlock, registry.stone(stones[0])["lastRecordBlock"]):
        registry.transferCustodySigned(as_wallet.as_tuple(), signature, {"from": cast.relayer})
    as_wallet = dataclasses.replace(as_wallet, lastRecordBlock=registry.stone(stones[0])["lastRecordBlock"])
    with reverts("InvalidSignature", wallet.address):
        registry.transferCustodySigned(as_wallet.as_tuple(), signature, {"from": cast.relayer})
    assert chain_state(registry, *watched) == before

    # The stone comes back to the key (signed for the wallet): the unused authorization stays dead.
    back = authorization(registry, wallet, stones[0], key, action=Action.RETURN)
    registry.transferCustodySigned(back.as_tuple(), sign(cast, registry, key, back), {"from": cast.relayer})
    assert registry.ownerOf(stones[0]) == key and registry.nonces(key) == auth.nonce
    before = chain_state(registry, *watched)
    with reverts("StoneMovedSinceSigned", stones[0], auth.lastRecordBlock, registry.stone(stones[0])["lastRecordBlock"]):
        registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer})
    assert chain_state(registry, *watched) == before


# ------------------------------------------------------------------------------------------------
# 8. Pause doesn't stop what it should.
# ------------------------------------------------------------------------------------------------


def test_8_pause_stops_every_state_change_but_flagging_and_the_admins(registry, cast, kp, stones):
    rough = rough_at_manufacturer(registry, cast)
    at_lab = polished_stone(registry, cast, stone="IN-POL-LAB", to=cast.lab)
    _sale(registry, cast.producer, cast.trader_bw, stones[1])
    registry.revoke(cast.trader_bw, cast.producer, {"from": cast.admin})
    auth = authorization(registry, cast.producer, stones[0], cast.kp_bw)
    signature = sign(cast, registry, cast.producer, auth)
    registry.pause({"from": cast.admin})
    watched = (stones + [rough, at_lab], [cast.producer, cast.manufacturer, cast.lab, cast.trader_bw, cast.relayer])
    before = chain_state(registry, *watched)
    attempts = {
        "recordCertificate": lambda: kp.recordCertificate(
            certificate_input("BW-KP-P", cast.producer, cast.trader), {"from": cast.kp_bw}
        ),
        "describe": lambda: registry.describe([stones[0]], ["paused?"], {"from": cast.producer}),
        "useNonce": lambda: registry.useNonce({"from": cast.producer}),
        "register": lambda: register(registry, cast.producer, [("BW-P-1", 10)]),
        "declare": lambda: registry.declare(
            (text32("Unknown"), b"\0\0", False), [token_id("IN-P-1")], [10], [], {"from": cast.manufacturer}
        ),
        "split": lambda: registry.split(rough, [token_id("IN-P-2")], [10], [], {"from": cast.manufacturer}),
        "grade": lambda: registry.grade(at_lab, grading_report("GIA-P"), {"from": cast.lab}),
        "transferCustody": lambda: _sale(registry, cast.producer, cast.kp_bw, stones[0]),
        "transferCustodySigned": lambda: registry.transferCustodySigned(auth.as_tuple(), signature, {"from": cast.relayer}),
        "transferFrom": lambda: registry.transferFrom(cast.producer, cast.kp_bw, stones[0], {"from": cast.producer}),
        "safeTransferFrom": lambda: registry.safeTransferFrom(cast.producer, cast.kp_bw, stones[0], {"from": cast.producer}),
        "recover": lambda: registry.recover([stones[1]], DOC, {"from": cast.admin}),
        "approve": lambda: registry.approve(cast.relayer, stones[0], {"from": cast.producer}),
        "setApprovalForAll": lambda: registry.setApprovalForAll(cast.relayer, True, {"from": cast.producer}),
    }
    for name, attempt in attempts.items():
        with reverts("EnforcedPause"):
            attempt()
        assert chain_state(registry, *watched) == before, name
    # Flags still work (the holder's, and the admin's on a report), and the admin's actions stay open.
    registry.flag(stones[0], Flag.STOLEN, ZERO32, {"from": cast.producer})
    registry.flag(stones[2], Flag.LOST, DOC, {"from": cast.admin})
    registry.clearFlag(stones[0], DOC, {"from": cast.admin})
    registry.accredit(cast.relayer, ROLES["trader"], b"BW", "New trader", ZERO32, {"from": cast.admin})
    registry.certifyRjc(cast.relayer, text32("RJC-P"), chain.time() + 86400, {"from": cast.admin})
    registry.revoke(cast.relayer, ZERO_ADDRESS, {"from": cast.admin})
    registry.unpause({"from": cast.admin})
    registry.useNonce({"from": cast.producer})


# ------------------------------------------------------------------------------------------------
# 9. Any later holder overwrites the shown description.
# ------------------------------------------------------------------------------------------------


def test_9_a_later_holders_description_is_capped_attributed_and_not_shown_as_the_stones(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    registry.split(parent, [token_id("IN-POL-9")], [150], ["Round brilliant, 1.50 ct"], {"from": cast.manufacturer})
    stone = token_id("IN-POL-9")
    _sale(registry, cast.manufacturer, cast.retailer, stone, Action.EXPORT)
    _sale(registry, cast.retailer, cast.consumer, stone, Action.RETAIL_SALE)
    claim = "GIA-certified D/IF, appraised USD 250,000"
    watched = ([stone], [cast.consumer])
    before = chain_state(registry, *watched)
    with reverts("DescriptionTooLong", stone, len(claim) + 20_000, 500):
        registry.describe([stone], [claim + "x" * 20_000], {"from": cast.consumer})
    with reverts("NotHolder", cast.relayer.address, stone):
        registry.describe([stone], [claim], {"from": cast.relayer})
    assert chain_state(registry, *watched) == before

    tx = registry.describe([stone], [claim], {"from": cast.consumer})
    assert (tx.events["StoneDescribed"]["by"], tx.events["StoneDescribed"]["description"]) == (cast.consumer, claim)
    view = reader(registry)
    shown = provenance(view, stone, 0).as_json()
    assert shown["description"] == "Round brilliant, 1.50 ct" and shown["integrity"]["ok"]
    every = provenance(view, stone, 0, all_descriptions=True).as_json()["descriptions"]
    assert [(d["by"], d["description"]) for d in every] == [
        (cast.manufacturer, "Round brilliant, 1.50 ct"),
        (cast.consumer, claim),
    ]


# ------------------------------------------------------------------------------------------------
# 10. Also found.
# ------------------------------------------------------------------------------------------------


def test_10_re_accreditation_never_moves_a_holder_to_another_country(registry, cast, stones):
    watched = (stones, [cast.producer])
    before = chain_state(registry, *watched)
    with reverts("CountryChange", cast.producer.address, b"BW", b"IN"):
        registry.accredit(
            cast.producer, ROLES["producer"] | ROLES["manufacturer"], b"IN", "Debswana", ZERO32, {"from": cast.admin}
        )
    # Nor after a revocation: the address keeps its country for life.
    registry.revoke(cast.producer, ZERO_ADDRESS, {"from": cast.admin})
    with reverts("CountryChange", cast.producer.address, b"BW", b"IN"):
        registry.accredit(cast.producer, ROLES["producer"], b"IN", "Debswana", ZERO32, {"from": cast.admin})
    registry.accredit(cast.producer, ROLES["producer"] | ROLES["trader"], b"BW", "Debswana", ZERO32, {"from": cast.admin})
    after = chain_state(registry, *watched)
    assert after[2] == before[2]  # the stones, where they lie and who holds them
    assert registry.participant(cast.producer)["country"] == "0x" + b"BW".hex()


def test_10_a_revoked_participants_stones_go_only_to_its_named_successor(registry, cast, others):
    register(registry, cast.producer, [("BW-RV-R", 400)], to=cast.trader_bw)
    rough, polished = token_id("BW-RV-R"), polished_stone(registry, cast, stone="IN-RV-P", to=cast.trader)
    _sale(registry, cast.trader, cast.trader_bw, polished)
    registry.approve(cast.relayer, rough, {"from": cast.trader_bw})
    registry.revoke(cast.trader_bw, cast.producer, {"from": cast.admin})
    register(registry, cast.producer, [("BW-RV-X", 10)])
    watched = ([rough, polished, token_id("BW-RV-X")], [cast.trader_bw, cast.producer, cast.relayer])
    before = chain_state(registry, *watched)

    # Nothing but the admin's recovery moves them.
    with reverts("HolderNotAccredited", cast.trader_bw.address):
        _sale(registry, cast.trader_bw, cast.producer, rough)
    with reverts("HolderNotAccredited", cast.trader_bw.address):
        registry.transferFrom(cast.trader_bw, cast.producer, rough, {"from": cast.relayer})
    with reverts("NotOwnerNorApproved"):
        registry.transferFrom(cast.trader_bw, cast.producer, rough, {"from": cast.admin})
    with reverts("OwnableUnauthorizedAccount", cast.producer.address):
        registry.recover([rough], DOC, {"from": cast.producer})
    with reverts("DocumentRequired"):
        registry.recover([rough], ZERO32, {"from": cast.admin})
    with reverts("NotRevoked", cast.producer.address):
        registry.recover([token_id("BW-RV-X")], DOC, {"from": cast.admin})
    assert chain_state(registry, *watched) == before

    # The recovery itself: to the named successor, recorded as such with its document, in the proof.
    tx = registry.recover([rough, polished], DOC, {"from": cast.admin})
    assert [(r.sender, r.recipient, r.action, r.document) for r in records_in(tx)] == [
        (cast.trader_bw, cast.producer, Action.RECOVERY, DOC)
    ] * 2
    assert registry.ownerOf(rough) == registry.ownerOf(polished) == cast.producer
    history = custody_proof(registry, rough)
    assert history.ok and history.records[-1].action == Action.RECOVERY


def test_10_recovery_needs_a_successor_and_keeps_rough_in_its_country(registry, cast, others, stones):
    _sale(registry, cast.producer, cast.trader_bw, stones[0])
    _sale(registry, cast.producer, others.retailer_bw, stones[1])
    registry.revoke(cast.trader_bw, ZERO_ADDRESS, {"from": cast.admin})
    registry.revoke(others.retailer_bw, cast.manufacturer, {"from": cast.admin})
    watched = (stones, [cast.trader_bw, others.retailer_bw, cast.manufacturer])
    before = chain_state(registry, *watched)
    with reverts("NoSuccessor", cast.trader_bw.address):
        registry.recover([stones[0]], DOC, {"from": cast.admin})
    with reverts("CrossBorderWithoutCertificate", stones[1], b"BW", b"IN"):
        registry.recover([stones[1]], DOC, {"from": cast.admin})
    assert chain_state(registry, *watched) == before


def test_10_a_successor_revoked_in_turn_is_replaced_and_the_stones_still_go_home(registry, cast, others, stones):
    # The producer's trader is revoked with a successor that is itself revoked before any recovery.
    _sale(registry, cast.producer, cast.trader_bw, stones[0])
    registry.revoke(cast.trader_bw, others.retailer_bw, {"from": cast.admin})
    registry.revoke(others.retailer_bw, ZERO_ADDRESS, {"from": cast.admin})
    with reverts("RecipientNotAccredited", others.retailer_bw.address):
        registry.recover([stones[0]], DOC, {"from": cast.admin})
    # Revoking again names a new successor, without counting a participant twice.
    participants = registry.totals()["participants"]
    registry.revoke(cast.trader_bw, cast.producer, {"from": cast.admin})
    assert registry.totals()["participants"] == participants
    assert registry.participant(cast.trader_bw)["successor"] == cast.producer
    tx = registry.recover([stones[0]], DOC, {"from": cast.admin})
    assert registry.ownerOf(stones[0]) == cast.producer
    assert tx.events["CustodyTransferred"]["record"] & 0xFF == Action.RECOVERY
    # Nobody who was never accredited can be "revoked".
    with reverts("NotAccredited", others.accomplice.address):
        registry.revoke(others.accomplice, cast.producer, {"from": cast.admin})


def test_10_the_admin_flags_a_stone_whose_thief_holds_the_key(registry, cast, stones):
    thief = cast.producer  # the key is in the thief's hands
    with reverts("DocumentRequired"):
        registry.flag(stones[0], Flag.STOLEN, ZERO32, {"from": cast.admin})
    with reverts("NotHolder", cast.trader.address, stones[0]):
        registry.flag(stones[0], Flag.STOLEN, DOC, {"from": cast.trader})
    tx = registry.flag(stones[0], Flag.STOLEN, DOC, {"from": cast.admin})
    event = tx.events["StoneFlagged"]
    assert (event["by"], event["flag"], bytes(event["document"])) == (cast.admin, Flag.STOLEN, DOC)
    watched = (stones, [thief, cast.trader_bw])
    before = chain_state(registry, *watched)
    with reverts("StoneIsFlagged", stones[0], Flag.STOLEN):
        _sale(registry, thief, cast.trader_bw, stones[0])
    with reverts("StoneIsFlagged", stones[0], Flag.STOLEN):
        registry.transferFrom(thief, cast.trader_bw, stones[0], {"from": thief})
    auth = authorization(registry, thief, stones[0], cast.trader_bw)
    with reverts("StoneIsFlagged", stones[0], Flag.STOLEN):
        registry.transferCustodySigned(auth.as_tuple(), sign(cast, registry, thief, auth), {"from": cast.relayer})
    with reverts("OwnableUnauthorizedAccount", thief.address):
        registry.clearFlag(stones[0], DOC, {"from": thief})
    with reverts("AlreadyFlagged", stones[0], Flag.STOLEN):
        registry.flag(stones[0], Flag.LOST, ZERO32, {"from": thief})
    assert chain_state(registry, *watched) == before


def test_10_the_largest_split_with_32_character_ids_fits_eip7825(registry, cast):
    parent = rough_at_manufacturer(registry, cast, centicarats=10_000)
    limit = registry.MAX_SPLIT()
    ids = [token_id(f"IN-WORST-CASE-CHILD-ID-{i:09d}") for i in range(limit)]
    assert all(len(f"IN-WORST-CASE-CHILD-ID-{i:09d}") == 32 for i in (0, limit - 1))
    tx = registry.split(parent, ids, [10_000 // limit] * limit, [], {"from": cast.manufacturer, "gas_limit": EIP7825_CAP})
    assert tx.status == 1 and tx.gas_used <= EIP7825_CAP
    # The manufacturer holds the children, and the retired parent.
    assert len(registry.childrenOf(parent)) == limit and registry.balanceOf(cast.manufacturer) == limit + 1


def _accredit_call(registry, cast, country: bytes) -> dict:
    selector = function_signature_to_4byte_selector("accredit(address,uint8,bytes2,string,bytes32)")
    data = selector + encode(
        ["address", "uint8", "bytes2", "string", "bytes32"], [cast.relayer.address, ROLES["trader"], country, "x", ZERO32]
    )
    return {"from": cast.admin.address, "to": registry.address, "data": "0x" + data.hex()}


def test_10_only_assigned_iso_3166_codes_are_countries(registry, cast, kp):
    before = chain_state(registry, [], [cast.relayer])
    for code in (b"ZZ", b"XX", b"AA", b"UK", b"XK", b"bw", b"B1", b"\0\0"):
        with reverts("InvalidCountry", code):
            registry.accredit(cast.relayer, ROLES["trader"], code, "Nowhere Trading", ZERO32, {"from": cast.admin})
    with reverts("InvalidCountry", b"ZZ"):
        registry.declare((text32("Unknown"), b"ZZ", False), [token_id("IN-ZZ-1")], [10], [], {"from": cast.manufacturer})
    with reverts("InvalidCountry", b"ZZ"):
        kp.recordCertificate(certificate_input("BW-KP-ZZ", cast.producer, cast.trader, importing="ZZ"), {"from": cast.kp_bw})
    assert chain_state(registry, [], [cast.relayer]) == before
    # Every pair of capital letters, simulated in one batch: accepted exactly when ISO assigns it.
    codes = [bytes([a, b]) for a in range(65, 91) for b in range(65, 91)]
    replies = web3.provider.make_batch_request([("eth_call", [_accredit_call(registry, cast, c), "latest"]) for c in codes])
    accepted = {c.decode() for c, reply in zip(codes, replies) if "result" in reply}
    assert accepted == set(COUNTRIES) and len(accepted) == 249


def test_10_the_registry_no_longer_claims_erc6150(registry):
    assert not registry.supportsInterface("0x897e2c73")
    assert "isLeaf" not in {entry.get("name") for entry in registry.abi}
