"""Splits: a manufacturer cuts a rough stone into polished stones that keep its origin and KP lineage."""

from helpers import plain, register, reverts, rough_at_manufacturer

from diamondtrace.model import ROLES, ZERO32, Action, Kind, Status, token_id

CHILDREN = [("IN-POL-0001", 180), ("IN-POL-0002", 120), ("IN-POL-0003", 95)]


def _split(registry, cast, parent, children=CHILDREN):
    return registry.split(parent, [token_id(s) for s, _ in children], [c for _, c in children], {"from": cast.manufacturer})


def test_a_split_retires_the_rough_and_mints_linked_polished_stones(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    tx = _split(registry, cast, parent)
    children = [token_id(s) for s, _ in CHILDREN]
    assert tx.events["StoneSplit"]["parent"] == parent and list(tx.events["StoneSplit"]["children"]) == children
    assert registry.stone(parent)["status"] == Status.SPLIT
    assert list(registry.childrenOf(parent)) == children
    for child, (_, weight) in zip(children, CHILDREN):
        s = registry.stone(child)
        assert s["kind"] == Kind.POLISHED and s["centicarats"] == weight and s["holder"] == cast.manufacturer
        assert registry.parentOf(child) == parent and registry.rootOf(child) == parent
        assert not registry.isRoot(child)
        # The KP lineage comes from the rough stone.
        assert s["certificate"] == registry.stone(parent)["certificate"] != "0x" + ZERO32.hex()
    assert registry.isRoot(parent) and registry.rootOf(parent) == parent and registry.parentOf(parent) == 0
    assert plain(registry.batch(registry.stone(children[0])["batch"]))[0] == cast.manufacturer.address
    assert registry.batch(registry.stone(children[0])["batch"])["parent"] == parent
    assert registry.totals()["stones"] == 1 + len(CHILDREN)


def test_a_split_parent_never_moves_or_changes_again(registry, cast):
    parent = rough_at_manufacturer(registry, cast)
    _split(registry, cast, parent)
    with reverts("StoneRetired", parent):
        registry.transferCustody(cast.trader, parent, Action.SALE, ZERO32, ZERO32, {"from": cast.manufacturer})
    with reverts("StoneRetired", parent):
        registry.transferFrom(cast.manufacturer, cast.trader, parent, {"from": cast.manufacturer})
    with reverts("StoneRetired", parent):
        _split(registry, cast, parent, [("IN-POL-0009", 1)])
    with reverts("StoneRetired", parent):
        registry.flag(parent, 1, {"from": cast.manufacturer})


def test_children_never_outweigh_their_parent(registry, cast):
    parent = rough_at_manufacturer(registry, cast, centicarats=300)
    with reverts("ChildrenOutweighParent", parent, 300, 301):
        _split(registry, cast, parent, [("IN-POL-0001", 200), ("IN-POL-0002", 101)])
    _split(registry, cast, parent, [("IN-POL-0001", 200), ("IN-POL-0002", 100)])


def test_only_the_manufacturer_holding_an_active_rough_stone_splits_it(registry, cast, stones):
    with reverts("MissingRole", cast.producer.address, ROLES["manufacturer"]):
        registry.split(stones[0], [token_id("X-1")], [1], {"from": cast.producer})
    with reverts("NotHolder", cast.manufacturer.address, stones[0]):
        registry.split(stones[0], [token_id("X-1")], [1], {"from": cast.manufacturer})
    parent = rough_at_manufacturer(registry, cast)
    _split(registry, cast, parent)
    with reverts("NotRough", token_id("IN-POL-0001")):
        registry.split(token_id("IN-POL-0001"), [token_id("X-1")], [1], {"from": cast.manufacturer})
    with reverts("StoneAlreadyRegistered", stones[1]):
        rough = rough_at_manufacturer(registry, cast, stone="BW-ROUGH-02")
        registry.split(rough, [stones[1]], [1], {"from": cast.manufacturer})


def test_every_stone_finds_its_root(registry, cast):
    # Polished stones cannot be split, so lineage is one level deep; rootOf of a root is itself.
    parent = rough_at_manufacturer(registry, cast)
    _split(registry, cast, parent)
    register(registry, cast.producer, [("BW-ALONE", 50)])
    assert registry.rootOf(token_id("BW-ALONE")) == token_id("BW-ALONE")
    assert list(registry.childrenOf(token_id("BW-ALONE"))) == []
