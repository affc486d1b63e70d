"""The custody history is rebuilt from events and checked against the holders' on-chain chains;
hiding, reordering or adding records is detected. (Altering any field of any record, and inserting
an innocent intermediate holder, is the attack of test_attacks.py's item 6.)"""

import dataclasses

import pytest
from helpers import DOC, all_records, check_served, custody_proof, record_certificate, register, rough_at_manufacturer

from diamondtrace.model import ROLES, ZERO32, Action, text32, token_id


@pytest.fixture
def travelled(registry, cast):
    """A rough stone with five custody records (export with KP, sales, a plain ERC-721 transfer),
    whose holders also receive other stones while they hold it."""
    register(registry, cast.producer, [("BW-TRAVEL", 420), ("BW-OTHER-1", 10), ("BW-OTHER-2", 10)])
    stone = token_id("BW-TRAVEL")
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    registry.transferCustody(cast.trader_bw, stone, Action.SALE, b"\x01" * 32, ZERO32, True, {"from": cast.producer})
    registry.transferCustody(cast.trader_bw, token_id("BW-OTHER-1"), Action.SALE, DOC, ZERO32, True, {"from": cast.producer})
    registry.transferCustody(cast.producer, stone, Action.RETURN, b"\x02" * 32, ZERO32, True, {"from": cast.trader_bw})
    registry.transferCustody(cast.producer, token_id("BW-OTHER-1"), Action.RETURN, DOC, ZERO32, True, {"from": cast.trader_bw})
    registry.transferCustody(cast.trader, stone, Action.EXPORT, b"\x03" * 32, text32("BW-KP-0001"), True, {"from": cast.producer})
    registry.accredit(cast.relayer, ROLES["trader"], b"BE", "Antwerp Second Trader", ZERO32, {"from": cast.admin})
    registry.transferFrom(cast.trader, cast.relayer, stone, {"from": cast.trader})
    registry.transferCustody(cast.trader, stone, Action.SALE, b"\x05" * 32, ZERO32, True, {"from": cast.relayer})
    return stone


def test_the_rebuilt_history_matches_the_on_chain_anchor(cast, registry, travelled):
    history = custody_proof(registry, travelled)
    assert history.ok, history.reason
    assert [r.action for r in history.records] == [Action.SALE, Action.RETURN, Action.EXPORT, Action.TRANSFER, Action.SALE]
    assert history.registered_to == cast.producer
    # The producer's chain absorbed another stone's record while it held this one: it was read too.
    assert history.records_read > len(history.records)
    assert check_served(registry, travelled, all_records(registry)).ok


def test_a_hidden_record_is_detected(registry, travelled):
    records = all_records(registry)
    own = [r for r in records if r.token_id == travelled]
    for hidden in own:
        verdict = check_served(registry, travelled, [r for r in records if r != hidden])
        assert not verdict.ok, hidden


def test_hiding_another_stones_record_from_a_holders_chain_is_detected(registry, cast, travelled):
    # The record that brought BW-OTHER-1 back to the producer sits in the producer's chain between
    # this stone's return and its export: without it, the producer's chain does not add up.
    records = all_records(registry)
    other = [r for r in records if r.token_id == token_id("BW-OTHER-1") and r.action == Action.RETURN]
    assert len(other) == 1
    verdict = check_served(registry, travelled, [r for r in records if r != other[0]])
    assert not verdict.ok and str(cast.producer) in verdict.reason


def test_reordered_records_are_detected(registry, travelled):
    records = all_records(registry)
    own = [r for r in records if r.token_id == travelled]
    # Swap the blocks (and so the order) of two consecutive records of the stone.
    for before, after in zip(own, own[1:]):
        swapped = [
            dataclasses.replace(r, block=after.block, log_index=after.log_index)
            if r == before
            else dataclasses.replace(r, block=before.block, log_index=before.log_index)
            if r == after
            else r
            for r in records
        ]
        assert not check_served(registry, travelled, swapped).ok


def test_a_forged_later_record_is_detected(registry, cast, travelled):
    records = all_records(registry)
    last = [r for r in records if r.token_id == travelled][-1]
    # A record "moving" the stone on to a consumer, shaped as the registry would make it.
    forged = dataclasses.replace(
        last,
        sender=last.recipient,
        recipient=cast.consumer.address,
        chains=(last.chains & ((1 << 128) - 1)) << 128,
        block=last.block + 1,
        record=last.record | 1 << 9,
    )
    verdict = check_served(registry, travelled, [*records, forged])
    assert verdict.ok  # the registry still anchors the stone at its real holder, and the walk starts there
    assert [r.recipient for r in verdict.records][-1] == cast.trader
    # A feed that drops the real last record to make the forged one the latest cannot check out.
    assert not check_served(registry, travelled, [r for r in records if r != last] + [forged]).ok


def test_a_split_parents_history_stays_anchored_after_the_manufacturer_moves_on(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    registry.split(parent, [token_id("IN-POL-1")], [300], [], {"from": cast.manufacturer})
    # The manufacturer's chain moves on: it receives another rough stone after the split.
    rough_at_manufacturer(registry, cast, stone="BW-ROUGH-02")
    assert registry.accountChain(cast.manufacturer)[1] > registry.splitAnchor(parent)[1]
    history = custody_proof(registry, parent)
    assert history.ok and [r.action for r in history.records] == [Action.EXPORT]
    child = custody_proof(registry, token_id("IN-POL-1"))
    assert child.ok and child.records == [] and child.registered_to == cast.manufacturer
