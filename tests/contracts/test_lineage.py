"""Splits: a manufacturer cuts a rough stone in the trade into polished stones under its own prefix,
which keep the rough stone's origin, KP lineage and assurances."""

from helpers import DOC, plain, record_certificate, register, reverts, rough_at_manufacturer

from diamondtrace.model import ROLES, ZERO32, Action, Flag, Kind, Origin, Status, text32, token_id

CHILDREN = [("IN-POL-0001", 180), ("IN-POL-0002", 120), ("IN-POL-0003", 95)]


def _split(registry, cast, parent, children=CHILDREN, descriptions=()):
    return registry.split(
        parent, [token_id(s) for s, _ in children], [c for _, c in children], list(descriptions), {"from": cast.manufacturer}
    )


def test_a_split_retires_the_rough_and_mints_linked_polished_stones(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    tx = _split(registry, cast, parent, descriptions=["brilliant", "", "oval"])
    children = [token_id(s) for s, _ in CHILDREN]
    assert tx.events["StoneSplit"]["parent"] == parent and list(tx.events["StoneSplit"]["children"]) == children
    assert tx.events["MetadataUpdate"]["_tokenId"] == parent
    assert [e["by"] for e in tx.events["StoneDescribed"]] == [cast.manufacturer] * 2
    assert registry.stone(parent)["status"] == Status.SPLIT
    assert list(registry.childrenOf(parent)) == children
    for child, (_, weight) in zip(children, CHILDREN):
        s = registry.stone(child)
        assert s["kind"] == Kind.POLISHED and s["origin"] == Origin.SPLIT and s["centicarats"] == weight
        assert s["holder"] == cast.manufacturer and s["jurisdiction"] == "0x0000"  # polished: outside the KP
        assert registry.parentOf(child) == parent and registry.rootOf(child) == parent and s["parent"] == parent
        assert not registry.isRoot(child)
        # The KP lineage comes from the rough stone.
        assert s["certificate"] == registry.stone(parent)["certificate"] != 0
    assert registry.isRoot(parent) and registry.rootOf(parent) == parent and registry.parentOf(parent) == 0
    batch = registry.batch(registry.stone(children[0])["batch"])
    assert (batch["registrant"], batch["origin"], batch["parent"]) == (cast.manufacturer, Origin.SPLIT, parent)
    assert registry.totals()["stones"] == 1 + len(CHILDREN) and registry.totals()["centicarats"] == 1_000
    # The manufacturer's chain at the split anchors the parent's history.
    assert plain(registry.splitAnchor(parent)) == plain(registry.accountChain(cast.manufacturer))


def test_children_carry_the_manufacturers_prefix(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    with reverts("OutsidePrefix", token_id("BW-POL-1"), text32("IN-")):
        _split(registry, cast, parent, [("IN-POL-0001", 10), ("BW-POL-1", 10)])
    assert registry.stone(parent)["status"] == Status.IN_TRADE


def test_children_inherit_the_parents_assurances(registry, cast):
    register(registry, cast.producer, [("BW-UNWARRANTED", 500)])
    record_certificate(registry, cast.kp_bw, "KP-U", cast.producer, cast.manufacturer, importing="IN")
    registry.transferCustody(
        cast.manufacturer, token_id("BW-UNWARRANTED"), Action.EXPORT, DOC, text32("KP-U"), False, {"from": cast.producer}
    )
    _split(registry, cast, token_id("BW-UNWARRANTED"), [("IN-POL-0009", 100)])
    assert not registry.stone(token_id("IN-POL-0009"))["warranted"]
    parent = rough_at_manufacturer(registry, cast)
    _split(registry, cast, parent)
    assert registry.stone(token_id("IN-POL-0001"))["warranted"]


def test_a_split_parent_never_moves_or_changes_again(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    _split(registry, cast, parent)
    with reverts("StoneRetired", parent):
        registry.transferCustody(cast.trader, parent, Action.SALE, ZERO32, ZERO32, True, {"from": cast.manufacturer})
    with reverts("StoneRetired", parent):
        registry.transferFrom(cast.manufacturer, cast.trader, parent, {"from": cast.manufacturer})
    with reverts("StoneRetired", parent):
        _split(registry, cast, parent, [("IN-POL-0009", 1)])
    with reverts("StoneRetired", parent):
        registry.flag(parent, Flag.STOLEN, ZERO32, {"from": cast.manufacturer})


def test_children_never_outweigh_their_parent(registry, cast):
    parent = rough_at_manufacturer(registry, cast, centicarats=300)
    with reverts("ChildrenOutweighParent", parent, 300, 301):
        _split(registry, cast, parent, [("IN-POL-0001", 200), ("IN-POL-0002", 101)])
    _split(registry, cast, parent, [("IN-POL-0001", 200), ("IN-POL-0002", 100)])


def test_only_the_manufacturer_holding_an_active_rough_stone_splits_it(registry, cast, stones):
    with reverts("MissingRole", cast.producer.address, ROLES["manufacturer"]):
        registry.split(stones[0], [token_id("IN-1")], [1], [], {"from": cast.producer})
    with reverts("NotHolder", cast.manufacturer.address, stones[0]):
        registry.split(stones[0], [token_id("IN-1")], [1], [], {"from": cast.manufacturer})
    parent = rough_at_manufacturer(registry, cast)
    _split(registry, cast, parent)
    with reverts("NotRough", token_id("IN-POL-0001")):
        registry.split(token_id("IN-POL-0001"), [token_id("IN-1")], [1], [], {"from": cast.manufacturer})
    rough = rough_at_manufacturer(registry, cast, stone="BW-ROUGH-02")
    with reverts("StoneAlreadyRegistered", token_id("IN-POL-0002")):
        registry.split(rough, [token_id("IN-POL-0002")], [1], [], {"from": cast.manufacturer})
    registry.flag(rough, Flag.LOST, ZERO32, {"from": cast.manufacturer})
    with reverts("StoneIsFlagged", rough, Flag.LOST):
        registry.split(rough, [token_id("IN-1")], [1], [], {"from": cast.manufacturer})


def test_a_declared_polished_stone_is_not_split(registry, cast):
    registry.declare((text32("Unknown"), b"\0\0", False), [token_id("IN-OLD-1")], [500], [], {"from": cast.manufacturer})
    with reverts("NotRough", token_id("IN-OLD-1")):
        registry.split(token_id("IN-OLD-1"), [token_id("IN-1")], [1], [], {"from": cast.manufacturer})


def test_every_stone_finds_its_root(registry, cast):
    # Polished stones cannot be split, so lineage is one level deep; rootOf of a root is itself.
    parent = rough_at_manufacturer(registry, cast)
    _split(registry, cast, parent)
    register(registry, cast.producer, [("BW-ALONE", 50)])
    assert registry.rootOf(token_id("BW-ALONE")) == token_id("BW-ALONE")
    assert list(registry.childrenOf(token_id("BW-ALONE"))) == []
    assert tuple(registry.splitAnchor(token_id("BW-ALONE"))) == (0, 0)
    with reverts("UnknownStone", token_id("NOPE")):
        registry.parentOf(token_id("NOPE"))


def test_an_oversized_split_is_refused(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    limit = registry.MAX_SPLIT()
    ids = [token_id(f"IN-{i:05d}") for i in range(limit + 1)]
    with reverts("BatchTooLarge", limit + 1, limit):
        registry.split(parent, ids, [1] * len(ids), [], {"from": cast.manufacturer})
