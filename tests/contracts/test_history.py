"""The custody history is rebuilt from events and checked against the on-chain commitment; dropping,
reordering, forging or altering any record is detected."""

import dataclasses

import pytest
from brownie import web3
from helpers import record_certificate, register

from diamondtrace.contracts import registry_contract
from diamondtrace.model import ZERO32, Action, text32, token_id
from diamondtrace.verify import BlockTimes, check_history, custody_records, registration_recipient


@pytest.fixture
def travelled(registry, cast):
    """A rough stone with five custody records: export with KP, sales, a plain ERC-721 transfer."""
    register(registry, cast.producer, [("BW-TRAVEL", 420)])
    stone = token_id("BW-TRAVEL")
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    registry.transferCustody(cast.trader_bw, stone, Action.SALE, b"\x01" * 32, ZERO32, {"from": cast.producer})
    registry.transferCustody(cast.producer, stone, Action.RETURN, b"\x02" * 32, ZERO32, {"from": cast.trader_bw})
    registry.transferCustody(cast.trader, stone, Action.EXPORT, b"\x03" * 32, text32("BW-KP-0001"), {"from": cast.producer})
    registry.accredit(cast.relayer, 2, b"BE", "Antwerp Second Trader", {"from": cast.admin})
    registry.transferFrom(cast.trader, cast.relayer, stone, {"from": cast.trader})
    registry.transferCustody(cast.trader, stone, Action.SALE, b"\x05" * 32, ZERO32, {"from": cast.relayer})
    return stone


def _rebuild(registry, stone):
    contract = registry_contract(web3, registry.address)
    records = custody_records(contract, stone, 0, web3.eth.block_number, BlockTimes(web3))
    registered_to, _ = registration_recipient(contract, stone, 0, web3.eth.block_number)
    return records, registered_to


def _check(registry, stone, records, registered_to):
    holder, count, commitment, last_action = registry.custodyState(stone)
    return check_history(records, registered_to, holder, count, commitment, last_action)


def test_the_rebuilt_history_matches_the_on_chain_commitment(registry, cast, travelled):
    records, registered_to = _rebuild(registry, travelled)
    assert [r.action for r in records] == [Action.SALE, Action.RETURN, Action.EXPORT, Action.TRANSFER, Action.SALE]
    assert registered_to == cast.producer
    verdict = _check(registry, travelled, records, registered_to)
    assert verdict.ok, verdict.reason


def test_a_dropped_record_is_detected(registry, travelled):
    records, registered_to = _rebuild(registry, travelled)
    for i in range(len(records)):
        verdict = _check(registry, travelled, records[:i] + records[i + 1 :], registered_to)
        assert not verdict.ok and "missing or forged" in verdict.reason


def test_an_altered_record_is_detected(registry, cast, travelled):
    records, registered_to = _rebuild(registry, travelled)
    for field, value in [("document", b"\xee" * 32), ("action", Action.CONSIGNMENT), ("timestamp", records[1].timestamp + 1)]:
        altered = list(records)
        altered[1] = dataclasses.replace(records[1], **{field: value})
        verdict = _check(registry, travelled, altered, registered_to)
        assert not verdict.ok and "altered" in verdict.reason, field
    forged_recipient = list(records)
    forged_recipient[0] = dataclasses.replace(records[0], recipient=cast.consumer.address)
    assert not _check(registry, travelled, forged_recipient, registered_to).ok


def test_reordered_and_forged_records_are_detected(registry, cast, travelled):
    records, registered_to = _rebuild(registry, travelled)
    swapped = [records[0], records[2], records[1], *records[3:]]
    assert not _check(registry, travelled, swapped, registered_to).ok
    forged = dataclasses.replace(records[-1], sender=cast.trader.address, recipient=cast.consumer.address, commitment=0)
    assert not _check(registry, travelled, [*records, forged], registered_to).ok
    # Even a forger who recomputes every commitment cannot change the count kept on chain.
    assert "missing or forged" in _check(registry, travelled, [*records, forged], registered_to).reason
