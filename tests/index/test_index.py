"""`diamondtrace index`: the registry's events in SQLite and PostgreSQL, equal to what the chain
holds; resumed without duplicates; a reorganisation rolled back to the common ancestor and read
again; a provider's block-range and result limits and its rate limiting (HTTP 429) lived with;
`--follow` stopped by Ctrl-C."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import sqlalchemy as sa
from cli_support import RpcProxy, address

from diamondtrace.index.schema import metadata
from diamondtrace.index.store import database_url
from diamondtrace.records import RECORD_TOPIC


def dump(db: str) -> dict[str, list[tuple]]:
    """Every row of the index but its progress, table by table, sorted."""
    engine = sa.create_engine(database_url(db, Path("unused")))
    with engine.connect() as c:
        found = {
            t.name: sorted(tuple(r) for r in c.execute(sa.select(t))) for t in metadata.sorted_tables if t.name != "progress"
        }
    engine.dispose()
    return found


def index(dt, db: str, *args: str, expect: int = 0):
    return dt("index", "--db", db, *args, json=True, expect=expect)


def move(dt, stone: str, to: str, sender: int = 1, action: str = "sale") -> None:
    dt("transfer", stone, "--to", address(to), "--action", action, "--dev-account", sender)


def chain_records(dt) -> list[tuple[int, int, str]]:
    """Every custody record on the chain: (block, log index, transaction)."""
    logs = dt.rpc("eth_getLogs", {"fromBlock": "0x0", "toBlock": "latest", "topics": [RECORD_TOPIC]})
    return [(int(x["blockNumber"], 16), int(x["logIndex"], 16), x["transactionHash"]) for x in logs]


def indexed_records(db: str) -> list[tuple[int, int, str]]:
    return [(block, log_index, tx) for block, log_index, _, _, _, _, _, _, tx in dump(db)["custody"]]


def test_the_index_holds_the_chains_events_and_resumes_without_duplicates(dt, tmp_path):
    db = str(tmp_path / "index.sqlite")
    for i in range(3):
        move(dt, f"BW-IX-{i:05d}", "trader_bw")
    first = index(dt, db).json
    # 300 mints (Transfer), one BatchRegistered, three moves (Transfer + CustodyTransferred each).
    assert first["events"] == 300 + 1 + 3 * 2 and first["indexed_to"] == dt.block() and first["confirmations"] == 0
    assert indexed_records(db) == chain_records(dt)
    rows = dump(db)
    holders = [holder for _, _, _, _, holder in rows["stones"]]
    assert holders.count(address("trader_bw")) == 3 and holders.count(address("producer")) == 297
    assert {a: (holds, held) for a, holds, held in rows["accounts"]} == {
        address("producer"): (297, 3),
        address("trader_bw"): (3, 0),
    }
    assert {a for _, a in rows["held"]} == {address("producer")} and len(rows["held"]) == 3
    assert len(rows["stones"]) == 300 and {batch for _, batch, _, _, _ in rows["stones"]} == {rows["registrations"][0][2]}

    again = index(dt, db).json
    assert again["events"] == 0 and dump(db) == rows, "a second run added or changed rows"

    move(dt, "BW-IX-00000", "producer", sender=9)
    resumed = index(dt, db).json
    assert resumed["events"] == 2 and resumed["first_block"] == first["indexed_to"] + 1
    assert indexed_records(db) == chain_records(dt)
    rows = dump(db)
    assert {a: (holds, held) for a, holds, held in rows["accounts"]} == {
        address("producer"): (298, 2),
        address("trader_bw"): (2, 1),
    }
    (back,) = [t for t, a in rows["held"] if a == address("trader_bw")]
    assert (back, address("producer")) not in rows["held"], "the returned stone is the producer's again, no longer held"


def test_postgresql_holds_the_same_index_as_sqlite(dt, tmp_path, pg_url):
    move(dt, "BW-IX-00007", "trader_bw")
    dt("flag", "BW-IX-00008", "--reason", "lost", "--dev-account", 1)
    sqlite_db = str(tmp_path / "index.sqlite")
    assert index(dt, pg_url).json["events"] == index(dt, sqlite_db).json["events"] == 300 + 1 + 2 + 1
    assert dump(pg_url) == dump(sqlite_db)
    assert index(dt, pg_url).json["events"] == 0  # resumed on PostgreSQL too


def test_a_reorganisation_is_rolled_back_to_the_common_ancestor_and_read_again(dt, tmp_path):
    db = str(tmp_path / "index.sqlite")
    index(dt, db)
    fork = dt.rpc("evm_snapshot")
    for i in range(10, 14):
        move(dt, f"BW-IX-{i:05d}", "trader_bw")
    dt("flag", "BW-IX-00020", "--reason", "stolen", "--dev-account", 1)
    before = index(dt, db).json
    assert before["events"] == 4 * 2 + 1
    # The chain drops those blocks; other transactions take their heights (fewer of them).
    assert dt.rpc("evm_revert", fork)
    for i in (30, 31):
        move(dt, f"BW-IX-{i:05d}", "trader_bw")
    after = index(dt, db).json
    assert after["rollbacks"] == 1 and after["events_removed"] == 4 * 2 + 1 and after["events"] == 2 * 2
    assert indexed_records(db) == chain_records(dt)
    fresh = str(tmp_path / "fresh.sqlite")
    index(dt, fresh)
    assert dump(db) == dump(fresh), "the rolled-back index differs from one built afresh"


def test_a_providers_range_and_result_limits_and_rate_limiting_are_lived_with(dt, tmp_path):
    # The production run's 301 events in one block, three moves 60 blocks later, then a chain
    # longer than one query may span.
    dt.rpc("anvil_mine", hex(60))
    for i in range(40, 43):
        move(dt, f"BW-IX-{i:05d}", "trader_bw")
    dt.rpc("anvil_mine", hex(2_500))
    direct = str(tmp_path / "direct.sqlite")
    index(dt, direct)
    # 1,000 blocks a query at most; at most 303 results, fewer than the run and the moves together;
    # every 7th request refused with HTTP 429 and Retry-After: 0.
    with RpcProxy(dt.url, max_blocks=1_000, max_results=303, throttle_every=7, retry_after="0") as proxy:
        limited = str(tmp_path / "limited.sqlite")
        result = index(dt.at(proxy.url), limited).json
    assert proxy.refused["eth_getLogs"] >= 2 and proxy.throttled >= 1
    assert proxy.calls["eth_getLogs"] < 60, "the span never grew back over the quiet blocks"
    assert result["events"] == 300 + 1 + 3 * 2
    # The same rows; the spans' last blocks (whose hashes are kept too) differ with the spans.
    limited_rows, direct_rows = dump(limited), dump(direct)
    assert {**limited_rows, "blocks": None} == {**direct_rows, "blocks": None}
    assert set(limited_rows["blocks"]) & set(direct_rows["blocks"]), "the blocks of the events"


def test_a_provider_that_keeps_rate_limiting_is_a_chain_error_in_words(dt, tmp_path):
    with RpcProxy(dt.url, throttle_every=1, retry_after="0") as proxy:
        result = dt.at(proxy.url)("index", "--db", str(tmp_path / "x.sqlite"), expect=None)
    assert result.code in (3,), result.err
    assert "HTTP 429" in result.err and "Traceback" not in result.err


def test_follow_keeps_up_and_ctrl_c_exits_130_with_the_summary(dt, tmp_path):
    db = tmp_path / "index.sqlite"
    process = dt.process("index", "--db", str(db), "--follow", "--poll", "0.2")
    try:
        deadline = time.monotonic() + 60
        while _indexed_to(db) != dt.block():
            assert process.poll() is None and time.monotonic() < deadline, process.stderr.read()
            time.sleep(0.2)
        assert _custody(db) == []
        move(dt, "BW-IX-00050", "trader_bw")
        while len(_custody(db)) < 1:
            assert time.monotonic() < deadline, "the move never reached the index"
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 130, err
    assert "interrupted: the index holds every event up to block" in err and "Traceback" not in err
    assert "indexed " in out and "events/s" in out


def _custody(db: Path) -> list:
    return dump(str(db)).get("custody", [])


def _indexed_to(db: Path) -> int | None:
    """How far the index reaches (None until the indexer has made it)."""
    if not db.exists():
        return None
    engine = sa.create_engine(f"sqlite:///{db}")
    try:
        with engine.connect() as c:
            return c.execute(sa.text("SELECT last_block FROM progress")).scalar()
    except sa.exc.OperationalError:
        return None
    finally:
        engine.dispose()


def test_bad_input_is_refused_in_words(dt, tmp_path):
    for args, words in [
        (["--db", "mysql://host/db"], "mysql databases are not supported"),
        (["--db", "postgresql://user:secret@host/db"], "a password is never taken on the command line"),
        (["--db", str(tmp_path / "i.sqlite"), "--confirmations", "-1"], "--confirmations must be 0 or more"),
        (["--db", str(tmp_path / "i.sqlite"), "--poll", "0"], "--poll must be"),
    ]:
        result = dt("index", *args, expect=2)
        assert words in result.err and "secret" not in result.err + result.out
    other = tmp_path / "other.sqlite"
    index(dt, str(other))
    engine = sa.create_engine(f"sqlite:///{other}")
    with engine.begin() as c:
        c.execute(sa.text("UPDATE progress SET registry = '0x0000000000000000000000000000000000000001'"))
    engine.dispose()
    refused = dt("index", "--db", str(other), expect=2)
    assert "indexes registry 0x0000000000000000000000000000000000000001" in refused.err
    assert json.loads(dt("index", "--db", str(other), json=True, expect=2).out)["exit_code"] == 2
