"""`explorer --db`: the list pages from the index show what the chain's own scans show; the index
never decides a verdict: an index altered by hand (a custody row deleted or changed, a block hash
changed) or behind the chain is said on the page, and the stone's verdict stays the chain's."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa
from cli_support import address, write_csv

from diamondtrace import verify
from diamondtrace.explorer import Explorer, serve
from diamondtrace.explorer.indexed import IndexedLists
from diamondtrace.explorer.reads import View
from diamondtrace.index.store import Store, database_url
from diamondtrace.model import token_id

COMPLETE = "Record complete and consistent"


@pytest.fixture
def scene(dt, tmp_path):
    """A KP certificate drawn by a registration batch and by a crossing, a few moves, and an index."""
    dt(
        "kp", "register", "--number", "BW-KP-IX-1", "--exporting", "BW", "--importing", "BE", "--exporter", address("producer"),
        "--importer", address("trader"), "--carats", "500", "--value-usd", "1", "--parcels", "1", "--issued", "2026-11-01",
        "--expires", "2099-12-31", "--dev-account", 6,
    )  # fmt: skip
    rows = [[f"BW-KPX-{i}", "2.00", "Jwaneng", "BW", "2026-11-20", "BW-KP-IX-1"] for i in range(4)]
    dt(
        "mint",
        write_csv(tmp_path / "kp.csv", rows, "stone_id,carat,mine,country,production_date,kp_certificate"),
        "--dev-account",
        1,
    )
    dt("transfer", "BW-IX-00100", "--to", address("trader"), "--action", "export", "--kp", "BW-KP-IX-1", "--dev-account", 1)
    for i in range(101, 104):
        dt("transfer", f"BW-IX-{i:05d}", "--to", address("trader_bw"), "--dev-account", 1)
    db = str(tmp_path / "index.sqlite")
    dt("index", "--db", db)
    return db


def sites(dt, db: str):
    chain_site = serve(Explorer(dt.url, dt.deployment), "127.0.0.1", 0)
    index_site = serve(Explorer(dt.url, dt.deployment, Store(database_url(db, Path("unused")), migrate=False)), "127.0.0.1", 0)
    return chain_site, index_site


def get(server, path: str) -> str:
    page = requests.get(f"http://127.0.0.1:{server.server_address[1]}{path}", timeout=60)
    assert page.status_code == 200, page.text
    return page.text


def sections(html: str) -> list[str]:
    """The page's sections (its lists), without the index's notice."""
    return re.findall(r"<section>.*?</section>", html, re.S)


def alter(db: str, statement: str, **values) -> None:
    engine = sa.create_engine(f"sqlite:///{db}")
    with engine.begin() as c:
        c.execute(sa.text(statement), values)
    engine.dispose()


def test_the_list_pages_from_the_index_show_what_the_chains_scans_show(dt, scene):
    chain_site, index_site = sites(dt, scene)
    try:
        for path in ["/", f"/address/{address('producer')}", f"/address/{address('trader_bw')}", "/kp/BW/BW-KP-IX-1",
                     "/kp/BW-KP-IX-1", "/stone/BW-IX-00101"]:  # fmt: skip
            from_chain, from_index = get(chain_site, path), get(index_site, path)
            assert "Lists from the index, up to block" in from_index and "Lists from the index" not in from_chain
            assert sections(from_index) == sections(from_chain), path
        certificate = get(index_site, "/kp/BW/BW-KP-IX-1")
        assert "Stones drawn against it (5)" in certificate and "BW-KPX-3" in certificate and "BW-IX-00100" in certificate
        producer = get(index_site, f"/address/{address('producer')}")
        assert "Holds now (300)" in producer and "Has held (4)" in producer
    finally:
        chain_site.shutdown()
        index_site.shutdown()


def test_an_altered_index_is_said_and_the_verdict_stays_the_chains(dt, scene):
    _, index_site = sites(dt, scene)
    try:
        token = token_id("BW-IX-00101").to_bytes(32, "big")
        alter(scene, "DELETE FROM custody WHERE token_id = :t", t=token)
        page = get(index_site, "/stone/BW-IX-00101")
        assert "Index inconsistent with the chain: it holds 0 custody record(s) of this stone" in page and COMPLETE in page

        other = token_id("BW-IX-00102").to_bytes(32, "big")
        alter(scene, "UPDATE custody SET recipient = :r WHERE token_id = :t", r=address("lab"), t=other)
        page = get(index_site, "/stone/BW-IX-00102")
        assert "Index inconsistent with the chain" in page and "and they differ" in page and COMPLETE in page

        alter(scene, "UPDATE progress SET last_hash = :h", h="0x" + "ab" * 32)
        for path in ["/", "/stone/BW-IX-00103", f"/address/{address('trader_bw')}"]:
            page = get(index_site, path)
            assert "Index inconsistent with the chain: the chain&#39;s block" in page, path
        assert COMPLETE in get(index_site, "/stone/BW-IX-00103")
    finally:
        index_site.shutdown()


def test_an_index_behind_the_chain_says_so(dt, scene):
    _, index_site = sites(dt, scene)
    try:
        indexed_to = dt.block()
        dt("transfer", "BW-IX-00101", "--to", address("producer"), "--dev-account", 9)
        page = get(index_site, "/stone/BW-IX-00101")
        assert f"Index behind at block {indexed_to}: this stone has 1 custody record(s) after it" in page and COMPLETE in page
        assert f"Index behind at block {indexed_to} (the chain is at block {dt.block()})" in get(index_site, "/")
    finally:
        index_site.shutdown()


def test_a_report_of_theft_deleted_from_the_index_is_said(dt, scene, tmp_path):
    """The stone's reports of theft or loss come from the index: one deleted there must not leave the
    page clean (no "Once reported STOLEN" and no notice), as if the stone had never been reported."""
    dt("flag", "BW-IX-00101", "--reason", "stolen", "--dev-account", 9)
    report = tmp_path / "police-report.pdf"
    report.write_bytes(b"Recovered by the police")
    dt("unflag", "BW-IX-00101", "--document", str(report), "--dev-account", 0)
    dt("index", "--db", scene)
    _, index_site = sites(dt, scene)
    try:
        assert "Once reported STOLEN, since cleared" in get(index_site, "/stone/BW-IX-00101")
        alter(scene, "DELETE FROM flag_changes WHERE token_id = :t", t=token_id("BW-IX-00101").to_bytes(32, "big"))
        page = get(index_site, "/stone/BW-IX-00101")
        assert "Once reported STOLEN, since cleared" in page
        assert "Index inconsistent with the chain: its reports of theft or loss of this stone up to block" in page
    finally:
        index_site.shutdown()


def test_the_proof_reads_the_index_and_falls_back_to_the_chain_when_it_lies(dt, scene):
    """The stone page's custody proof takes the holders' records from the index (one lookup where
    the chain's logs give every record of a busy block), checks them against the chain's anchor and
    has the chain's logs confirm each of the stone's own records. An index that lies in a field the
    anchor covers (another stone's later record), in one it does not (a transaction hash) or by a
    record it invents gets the proof read from the chain instead: same verdict, the chain's records."""
    view = View.open(dt.url, Path(dt.deployment))
    lists = IndexedLists(Store(database_url(scene, Path("unused")), migrate=False), view)
    token = token_id("BW-IX-00101")

    def proved():
        return verify.provenance(view.registry, token, view.deployment.block, assist=lists.custody_records).history

    from_chain = verify.provenance(view.registry, token, view.deployment.block).history
    honest = proved()
    assert honest.ok and honest.source == "the index" and from_chain.source == "the chain's logs"
    assert honest.records == from_chain.records and len(honest.records) == 1

    original = {"tx": from_chain.records[0].transaction}
    alter(scene, "UPDATE custody SET tx = :h WHERE token_id = :t", h="0x" + "cd" * 32, t=token.to_bytes(32, "big"))
    lied = proved()
    assert lied.ok and lied.source == "the chain's logs" and lied.records == from_chain.records
    _, index_site = sites(dt, scene)
    try:
        page = get(index_site, "/stone/BW-IX-00101")
        assert COMPLETE in page and "Index inconsistent with the chain" in page and "cd" * 32 not in page
        assert original["tx"] in page
    finally:
        index_site.shutdown()
    alter(scene, "UPDATE custody SET tx = :h WHERE token_id = :t", h=original["tx"], t=token.to_bytes(32, "big"))
    assert proved().source == "the index"

    # BW-IX-00102 and -00103 reached the same holder after BW-IX-00101: their records are in its chain.
    later = token_id("BW-IX-00103").to_bytes(32, "big")
    alter(scene, "UPDATE custody SET document = :d WHERE token_id = :t", d=b"\x01" * 32, t=later)
    lied = proved()
    assert lied.ok and lied.source == "the chain's logs" and lied.records == from_chain.records
    alter(scene, "UPDATE custody SET document = :d WHERE token_id = :t", d=bytes(32), t=later)
    assert proved().source == "the index"

    # An invented record into the holder after the last one its chain absorbed.
    alter(
        scene,
        "INSERT INTO custody SELECT block, log_index + 1000, :t, sender, recipient, document, chains, record, tx FROM custody "
        "WHERE token_id = :real",
        t=token_id("BW-IX-00200").to_bytes(32, "big"),
        real=later,
    )
    lied = proved()
    assert lied.ok and lied.source == "the chain's logs" and lied.records == from_chain.records


def test_a_report_of_theft_undone_by_a_reorganisation_leaves_the_stone_page(dt, scene):
    """The stone's reports of theft or loss are read from the chain once and then block by block for
    every page; a reorganisation that takes a report away (the last block read is no longer the
    chain's) has them read again, within the second the chain's block hashes are kept."""
    _, index_site = sites(dt, scene)
    try:
        assert "STOLEN" not in get(index_site, "/stone/BW-IX-00101")
        fork = dt.rpc("evm_snapshot")
        dt("flag", "BW-IX-00101", "--reason", "stolen", "--dev-account", 9)
        assert "Reported STOLEN" in get(index_site, "/stone/BW-IX-00101")
        assert dt.rpc("evm_revert", fork)
        for _ in range(3):  # the other branch grows past the block that held the report
            dt.rpc("evm_mine")
        time.sleep(1.2)
        page = get(index_site, "/stone/BW-IX-00101")
        assert "STOLEN" not in page and COMPLETE in page
    finally:
        index_site.shutdown()


def test_a_report_from_a_branch_replaced_and_outgrown_within_a_second_does_not_stay(dt, scene):
    """The reorganisation above, but the new branch grows past the last block read before the
    second in which a block's hash is kept is over: read on from there, the abandoned branch's
    report would stay on the page for good (found by attacking the cache)."""
    _, index_site = sites(dt, scene)
    try:
        fork = dt.rpc("evm_snapshot")
        dt("flag", "BW-IX-00101", "--reason", "stolen", "--dev-account", 9)
        assert "Reported STOLEN" in get(index_site, "/stone/BW-IX-00101")
        assert dt.rpc("evm_revert", fork)
        for _ in range(3):
            dt.rpc("evm_mine")
        for wait in (0, 1.5):  # within the second, and after it
            time.sleep(wait)
            page = get(index_site, "/stone/BW-IX-00101")
            assert "STOLEN" not in page and COMPLETE in page
    finally:
        index_site.shutdown()


@pytest.mark.parametrize(
    "column, value", [("document", b"\x01" * 31), ("sender", "0xZZ"), ("chains", b"\xff" * 40)], ids=["short", "nothex", "long"]
)
def test_a_malformed_index_row_leaves_the_verdict_to_the_chain(dt, scene, column, value):
    """A row of the index no decoder expects (here another stone's record, later in the same
    holder's chain) must not cost the page: the proof reads the chain's logs instead."""
    _, index_site = sites(dt, scene)
    try:
        alter(
            scene, f"UPDATE custody SET {column} = :v WHERE token_id = :t", v=value, t=token_id("BW-IX-00103").to_bytes(32, "big")
        )
        page = get(index_site, "/stone/BW-IX-00101")
        assert COMPLETE in page
    finally:
        index_site.shutdown()
