"""Registration: only producers, in batches, every stone ID unique and derivable, batches bounded."""

import brownie
from brownie import chain
from helpers import batch_input, record_certificate, register, reverts, yesterday

from diamondtrace.model import MAX_CENTICARATS, ROLES, ZERO32, Action, Kind, Origin, Status, stone_id, text32, token_id

EIP7825_CAP = 16_777_216


def test_a_batch_records_every_stone_and_what_they_share(registry, cast):
    tx = register(registry, cast.producer, [("BW-JW-0001", 250), ("BW-JW-0002", 1_050)], descriptions=["octahedron", ""])
    batch_id = tx.return_value
    for sid, weight in [("BW-JW-0001", 250), ("BW-JW-0002", 1_050)]:
        s = registry.stone(token_id(sid))
        assert s["stoneId"] == sid
        assert s["holder"] == cast.producer
        assert s["centicarats"] == weight
        assert s["kind"] == Kind.ROUGH and s["status"] == Status.IN_TRADE and s["origin"] == Origin.MINE
        assert s["batch"] == batch_id and not s["hasRecords"] and s["lastRecordBlock"] == tx.block_number
        # Natural rough lies in its country of origin; its assurances start whole (the producer is not RJC-certified).
        assert s["jurisdiction"] == "0x" + b"BW".hex() and s["warranted"] and not s["rjcCertified"]
        assert registry.ownerOf(token_id(sid)) == cast.producer
    b = registry.batch(batch_id)
    assert b["registrant"] == cast.producer and b["origin"] == Origin.MINE
    assert b["country"] == "0x" + b"BW".hex()
    assert b["mine"] == "0x" + text32("Jwaneng").hex()
    assert b["productionDay"] == yesterday()
    assert b["registeredBlock"] == tx.block_number
    assert registry.balanceOf(cast.producer) == 2
    totals = registry.totals()
    assert (totals["stones"], totals["centicarats"], totals["batches"]) == (2, 1_300, 1)
    event = tx.events["BatchRegistered"]
    assert event["registrant"] == cast.producer and event["to"] == cast.producer
    assert event["stones"] == 2 and event["centicarats"] == 1_300
    assert [e["id"] for e in tx.events["Transfer"]] == [token_id("BW-JW-0001"), token_id("BW-JW-0002")]
    # The producer's own description, attributed; an empty one is no description.
    assert [(e["tokenId"], e["by"], e["description"]) for e in tx.events["StoneDescribed"]] == [
        (token_id("BW-JW-0001"), cast.producer, "octahedron")
    ]


def test_registrations_answers_only_the_stones_found(registry, cast):
    first = register(registry, cast.producer, [("BW-JW-0001", 250), ("BW-JW-0002", 1_050)]).return_value
    second = register(registry, cast.producer, [("BW-JW-0003", 75)]).return_value
    asked = [token_id(sid) for sid in ["BW-NEW-1", "BW-JW-0002", "BW-NEW-2", "BW-JW-0003", "BW-JW-0001"]]
    found, batches, weights = registry.registrations(asked)
    assert list(found) == [1, 3, 4]
    assert list(batches) == [first, second, first]
    assert list(weights) == [1_050, 75, 250]
    assert [list(a) for a in registry.registrations([token_id("BW-NEW-1"), token_id("BW-NEW-2")])] == [[], [], []]


def test_anyone_derives_the_token_id_from_the_stone_id(registry):
    for sid in ["A", "BW-JW-2026-000001", "x" * 32, "~!#$%&'()*+,-./:;<=>?@[]^_`{|}"]:
        assert registry.tokenIdOf(sid) == token_id(sid)
        assert registry.stoneIdOf(token_id(sid)) == sid
        assert stone_id(token_id(sid)) == sid


def test_malformed_stone_ids_are_refused(registry, cast):
    bad = [
        0,  # empty
        int.from_bytes(b"BW 0001".ljust(32, b"\0"), "big"),  # space
        int.from_bytes(b"BW\x000001".ljust(32, b"\0"), "big"),  # gap in the middle
        int.from_bytes("BWé1".encode().ljust(32, b"\0"), "big"),  # not ASCII
        int.from_bytes(b"BW\x7f1".ljust(32, b"\0"), "big"),  # DEL
        int.from_bytes(b"\x00BW01".rjust(32, b"\0"), "big"),  # right-aligned
    ]
    for tid in bad:
        with reverts("InvalidStoneId", tid):
            registry.register(batch_input(cast.producer), [tid], [100], [], {"from": cast.producer})
    with reverts("InvalidStoneId"):
        registry.tokenIdOf("has space")
    with reverts("InvalidStoneId"):
        registry.tokenIdOf("x" * 33)


def test_only_a_producer_registers(registry, cast):
    for who in [cast.trader, cast.lab, cast.consumer, cast.admin]:
        with reverts("MissingRole", who.address, ROLES["producer"]):
            register(registry, who, [("BW-0001", 100)], to=cast.producer)


def test_a_stone_id_is_registered_once(registry, cast, stones):
    with reverts("StoneAlreadyRegistered", stones[0]):
        register(registry, cast.producer, [("BW-0009", 100), ("BW-0001", 250)])
    with reverts("StoneAlreadyRegistered", token_id("BW-0010")):
        register(registry, cast.producer, [("BW-0010", 100), ("BW-0010", 100)])
    assert registry.totals()["stones"] == 3


def test_weights_must_be_positive_and_recordable(registry, cast):
    with reverts("InvalidWeight", token_id("BW-0001"), 0):
        register(registry, cast.producer, [("BW-0001", 0)])
    with reverts("InvalidWeight", token_id("BW-0001"), MAX_CENTICARATS + 1):
        register(registry, cast.producer, [("BW-0001", MAX_CENTICARATS + 1)])
    register(registry, cast.producer, [("BW-CULLINAN", 310_675)])  # 3,106.75 ct, the largest rough ever found
    assert registry.stone(token_id("BW-CULLINAN"))["centicarats"] == 310_675


def test_batch_declarations_are_checked(registry, cast):
    ids, weights = [token_id("BW-0001")], [100]
    with reverts("NotAccredited", cast.consumer.address):
        registry.register(batch_input(cast.consumer), ids, weights, [], {"from": cast.producer})
    with reverts("OriginCountryMismatch", b"bw", b"BW"):
        registry.register(batch_input(cast.producer, country="bw"), ids, weights, [], {"from": cast.producer})
    with reverts("InvalidMine"):
        registry.register(
            (cast.producer, b"\0" * 32, b"BW", yesterday(), 0, b"\0" * 32), ids, weights, [], {"from": cast.producer}
        )
    tomorrow = yesterday() + 2
    with reverts("ProductionDayInFuture", tomorrow):
        registry.register(batch_input(cast.producer, day=tomorrow), ids, weights, [], {"from": cast.producer})
    with reverts("LengthMismatch", 1, 2):
        registry.register(batch_input(cast.producer), ids, [100, 200], [], {"from": cast.producer})
    with reverts("LengthMismatch", 1, 2):
        registry.register(batch_input(cast.producer), ids, weights, ["a", "b"], {"from": cast.producer})
    with reverts("EmptyBatch"):
        registry.register(batch_input(cast.producer), [], [], [], {"from": cast.producer})
    with reverts("DescriptionTooLong", ids[0], 501, 500):
        registry.register(batch_input(cast.producer), ids, weights, ["x" * 501], {"from": cast.producer})
    assert registry.totals()["stones"] == 0


def test_a_producer_may_register_for_another_accredited_holder_in_its_country(registry, cast):
    register(registry, cast.producer, [("BW-0001", 100)], to=cast.trader_bw)
    assert registry.ownerOf(token_id("BW-0001")) == cast.trader_bw
    assert registry.batch(1)["registrant"] == cast.producer
    with reverts("RecipientCountryMismatch", cast.trader.address, b"BW"):
        register(registry, cast.producer, [("BW-0002", 100)], to=cast.trader)


def test_registered_stone_ids_carry_the_producers_prefix(registry, cast):
    with reverts("OutsidePrefix", token_id("IN-0001"), text32("BW-")):
        register(registry, cast.producer, [("BW-0001", 100), ("IN-0001", 100)])
    with reverts("OutsidePrefix", token_id("BW"), text32("BW-")):
        register(registry, cast.producer, [("BW", 100)])
    # A producer accredited without a prefix registers nothing.
    registry.accredit(cast.relayer, ROLES["producer"], b"BW", "Prefixless Mining", ZERO32, {"from": cast.admin})
    with reverts("NoPrefix", cast.relayer.address):
        register(registry, cast.relayer, [("BW-0001", 100)])
    assert registry.totals()["stones"] == 0


def test_laboratory_grown_rough_lies_in_no_jurisdiction(registry, cast):
    register(registry, cast.producer, [("BW-LAB-1", 100)], lab_grown=True)
    s = registry.stone(token_id("BW-LAB-1"))
    assert s["labGrown"] and s["kind"] == Kind.ROUGH and s["jurisdiction"] == "0x0000"
    # Outside the Kimberley Process: it crosses borders without a certificate, and takes none.
    registry.transferCustody(cast.trader, token_id("BW-LAB-1"), Action.EXPORT, ZERO32, ZERO32, True, {"from": cast.producer})
    assert registry.ownerOf(token_id("BW-LAB-1")) == cast.trader
    record_certificate(registry, cast.kp_bw, "BW-KP-0001", cast.producer, cast.trader)
    with reverts("NotRough", token_id("BW-LAB-2")):
        register(registry, cast.producer, [("BW-LAB-2", 100)], lab_grown=True, certificate=text32("BW-KP-0001"))


def test_a_manufacturer_enters_polished_stones_made_before_the_registry_with_a_declared_origin(registry, cast):
    declaration = (text32("Unknown"), b"\0\0", False)
    tx = registry.declare(
        declaration, [token_id("IN-OLD-1"), token_id("IN-OLD-2")], [101, 55], ["estate piece", ""], {"from": cast.manufacturer}
    )
    s = registry.stone(token_id("IN-OLD-1"))
    assert s["origin"] == Origin.DECLARED and s["kind"] == Kind.POLISHED and s["jurisdiction"] == "0x0000"
    assert s["holder"] == cast.manufacturer and s["status"] == Status.IN_TRADE and s["certificate"] == 0
    b = registry.batch(tx.return_value)
    assert (b["registrant"], b["origin"], b["country"], b["productionDay"]) == (cast.manufacturer, Origin.DECLARED, "0x0000", 0)
    assert tx.events["BatchRegistered"]["origin"] == Origin.DECLARED
    assert tx.events["StoneDescribed"]["by"] == cast.manufacturer
    registry.declare((text32("Argyle"), b"AU", True), [token_id("IN-OLD-3")], [40], [], {"from": cast.manufacturer})
    assert registry.stone(token_id("IN-OLD-3"))["labGrown"]
    with reverts("MissingRole", cast.producer.address, ROLES["manufacturer"]):
        registry.declare(declaration, [token_id("BW-OLD-1")], [10], [], {"from": cast.producer})
    with reverts("OutsidePrefix", token_id("BW-OLD-1"), text32("IN-")):
        registry.declare(declaration, [token_id("BW-OLD-1")], [10], [], {"from": cast.manufacturer})
    with reverts("InvalidCountry", b"ZZ"):
        registry.declare((text32("Unknown"), b"ZZ", False), [token_id("IN-OLD-4")], [10], [], {"from": cast.manufacturer})
    with reverts("InvalidMine"):
        registry.declare((ZERO32, b"\0\0", False), [token_id("IN-OLD-4")], [10], [], {"from": cast.manufacturer})
    assert registry.totals()["stones"] == 3


def test_an_oversized_batch_is_refused_before_any_work(registry, cast):
    limit = registry.MAX_BATCH()
    ids = [token_id(f"BW-{i:06d}") for i in range(limit + 1)]
    with reverts("BatchTooLarge", limit + 1, limit):
        registry.register(batch_input(cast.producer), ids, [100] * len(ids), [], {"from": cast.producer})
    failed = brownie.history[-1]
    # Only calldata and the length check: far less than registering even one stone would cost.
    # (Since Prague a calldata-heavy transaction pays at least the EIP-7623 floor.)
    standard, floor = _calldata_gas(failed.input)
    assert failed.gas_used - 21_000 <= max(standard + 5_000, floor)
    assert registry.totals()["stones"] == 0


def test_the_largest_batch_fits_one_transaction_under_the_eip7825_cap(registry, cast):
    limit = registry.MAX_BATCH()
    # The worst case: 32-character IDs (the most calldata) and the heaviest weights.
    ids = [token_id(f"BW-WORST-CASE-STONE-ID-{i:09d}") for i in range(limit)]
    assert all(len(stone_id(i)) == 32 for i in ids)
    tx = registry.register(
        batch_input(cast.producer), ids, [MAX_CENTICARATS] * limit, [], {"from": cast.producer, "gas_limit": EIP7825_CAP}
    )
    assert tx.gas_used <= EIP7825_CAP
    assert registry.balanceOf(cast.producer) == limit


def _calldata_gas(data: str) -> tuple[int, int]:
    """Calldata gas (EIP-2028) and the EIP-7623 floor for it."""
    raw = bytes.fromhex(data[2:])
    tokens = sum(1 if b == 0 else 4 for b in raw)
    return 4 * tokens, 10 * tokens


def test_registration_is_paused_with_the_registry(registry, cast):
    registry.pause({"from": cast.admin})
    with reverts("EnforcedPause"):
        register(registry, cast.producer, [("BW-0001", 100)])
    registry.unpause({"from": cast.admin})
    register(registry, cast.producer, [("BW-0001", 100)])
    assert chain.height > 0
