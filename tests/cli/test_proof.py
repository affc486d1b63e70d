"""`verify`'s full-strength check of a stone's custody history, through the kind of provider the
public uses: one that refuses `eth_getLogs` over more than 1,000 blocks or 10,000 results.

- Its cost follows the stone's records, not the chain's age: a stone moved a few times with tens
  of thousands of empty blocks between its records is verified in a handful of requests.
- A provider that forges `CustodyTransferred` answers (hides, alters, inserts or swaps records)
  cannot make `verify` accept a history that did not happen: it exits 1, BROKEN, and says why.
- The three assurance verdicts, for each way a stone can earn or lose them.
"""

from __future__ import annotations

import json

import pytest
from cli_support import ADMIN, CONSUMER, Cli, RpcProxy, address, own_anvil, run_rows, write_csv

from diamondtrace import proof, records
from diamondtrace.chain import connect
from diamondtrace.model import ZERO32, Action, token_id
from diamondtrace.records import RECORD_TOPIC
from diamondtrace.sending import Sender
from diamondtrace.wallet import dev_signer

# Empty blocks between a stone's records on the old chain: a provider's 1,000-block window sees
# one record at most, and a scan from the deployment would need GAP / 1,000 queries per record.
GAP = 100_000


def _mine(run: Cli, blocks: int) -> None:
    run.rpc("anvil_mine", hex(blocks))


# ------------------------------------------------------------------------------------------------
# a. The cost of verify on an old chain
# ------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def old_chain(tmp_path_factory):
    """A chain of its own where the registry is old: a stone registered, then sold, returned and
    exported with GAP empty blocks before, between and after its records.

    The chain runs Cancun: from Prague on, every block writes EIP-2935's ring of 8,191 block hashes,
    and Anvil then spends ~10 ms per empty block (minutes for tens of thousands); under Cancun an
    empty block takes microseconds. The registry uses no opcode newer than Cancun's."""
    work = tmp_path_factory.mktemp("old-chain")
    with own_anvil(work / "home", "--hardfork", "cancun") as url:
        run = Cli(url, work / "deployment.json").deploy_with_cast()
        run("mint", write_csv(work / "run.csv", run_rows("BW-OLD", 2)), "--dev-account", 1)
        run.kp_certificate("BW-KP-OLD", "IN", "manufacturer")
        moves = [
            ("--to", address("trader_bw"), "--action", "sale", "--warranty", "--dev-account", 1),
            ("--to", address("producer"), "--action", "return", "--dev-account", 9),
            ("--to", address("manufacturer"), "--action", "export", "--kp", "BW-KP-OLD", "--warranty", "--dev-account", 1),
        ]
        for move in moves:
            _mine(run, GAP)
            run("transfer", "BW-OLD-00000", *move)
        _mine(run, GAP)
        yield run, "BW-OLD-00000", len(moves)


def _verify_through(proxy: RpcProxy, run: Cli, stone: str) -> dict:
    proxy.reset()
    report = run.at(proxy.url)("verify", stone, json=True).json
    assert not proxy.refused, f"verify asked the provider for more than it serves: {dict(proxy.refused)}"
    return report


def test_verify_costs_a_handful_of_requests_however_old_the_chain(old_chain):
    run, stone, records = old_chain
    deployed_at = json.loads(run.deployment.read_text())["block"]
    with RpcProxy(run.url) as proxy:
        report = _verify_through(proxy, run, stone)
        assert report["integrity"]["ok"] is True and report["custody_count"] == records
        assert [r["action"] for r in report["custody"]] == ["sale", "return", "export"]
        blocks = [r["block"] for r in report["custody"]]
        assert all(later - earlier > GAP for earlier, later in zip(blocks, blocks[1:]))
        moved = dict(proxy.calls)

        # Its unmoved sibling: what verify reads whatever the history (the stone, its batch, the
        # registrant's description in the registration block, the block's time, the chain id...).
        unmoved = _verify_through(proxy, run, "BW-OLD-00001")
        assert unmoved["integrity"]["ok"] is True and unmoved["custody"] == []
        fixed = dict(proxy.calls)

        # One query per record: each holder's chain points at the block of the record that brought
        # it the stone, one 1,000-block window; plus the registrant's description, one block.
        assert fixed["eth_getLogs"] == 1
        assert moved["eth_getLogs"] == records + 1
        # Beyond that, only the export's certificate (its number in the record, the stone's in force).
        assert sum(moved.values()) <= sum(fixed.values()) + records + 2
        # A scan from the deployment would take age / 1,000 queries: twenty times all verify asks.
        age = run.block() - deployed_at
        assert age > (records + 1) * GAP
        assert 20 * sum(moved.values()) < age // 1_000, (moved, age)

        # The chain grows older; verify costs exactly the same.
        _mine(run, GAP // 2)
        again = _verify_through(proxy, run, stone)
        assert dict(proxy.calls) == moved and again["custody"] == report["custody"]
    print(f"\nverify of a stone with {records} records, {age:,} blocks after the deployment: "
          f"{sum(moved.values())} requests ({moved['eth_getLogs']} eth_getLogs): {moved}; "
          f"an unmoved stone: {sum(fixed.values())}")  # fmt: skip


def test_every_description_is_read_through_a_range_limited_provider(old_chain):
    """--all-descriptions reads the whole chain (the help says so): its cost grows with the chain's
    age, but a provider's 1,000-block limit must not make it fail."""
    run, stone, _ = old_chain
    run.send(3, "describe", [token_id(stone)], ["cut plan: one oval, two pears"])
    with RpcProxy(run.url) as proxy:
        report = run.at(proxy.url)("verify", stone, "--all-descriptions", json=True).json
    assert [(d["by"], d["description"]) for d in report["descriptions"]] == [
        (address("manufacturer"), "cut plan: one oval, two pears")
    ]
    assert report["description"] is None  # the registrant gave none
    age = run.block() - json.loads(run.deployment.read_text())["block"]
    served = proxy.calls["eth_getLogs"] - proxy.refused["eth_getLogs"]
    assert age // 1_000 <= served <= age // 500 + 2, (served, dict(proxy.refused))


@pytest.fixture(scope="module")
def busy_holder(old_chain, tmp_path_factory):
    """BW-MANY-00000, sold to trader_bw, which then received 120 other stones in three clusters of
    40 consecutive blocks, GAP / 10 empty blocks apart; it still holds the stone."""
    run, _, _ = old_chain
    chain = connect(run.url)
    registry = run.registry()
    producer = Sender(chain, dev_signer(1, chain.chain_id))
    run("mint", write_csv(tmp_path_factory.mktemp("many") / "many.csv", run_rows("BW-MANY", 121)), "--dev-account", 1)
    run("transfer", "BW-MANY-00000", "--to", address("trader_bw"), "--warranty", "--dev-account", 1)
    stones = [token_id(f"BW-MANY-{i:05d}") for i in range(1, 121)]
    for group in (stones[:40], stones[40:80], stones[80:]):
        _mine(run, GAP // 10)
        producer.send_all(
            registry.functions.transferCustody(address("trader_bw"), t, int(Action.SALE), ZERO32, ZERO32, True) for t in group
        )
    return run, "BW-MANY-00000"


def test_a_holder_that_received_many_stones_since_still_proves_the_stone(busy_holder):
    """The current holder's chain commits to everything it received after the stone: the walk reads
    those records back to the stone's, a window at a time, jumping over empty stretches."""
    run, stone = busy_holder
    with RpcProxy(run.url) as proxy:
        report = _verify_through(proxy, run, stone)
    assert report["integrity"]["ok"] is True and report["holder"] == address("trader_bw")
    assert "121 records read in 4 queries" in report["integrity"]["reason"]
    # Three windows of 40 later records each, the stone's own record, the description.
    assert proxy.calls["eth_getLogs"] == 5
    print(f"\nholder with 120 later records in 3 clusters {GAP // 10:,} blocks apart: {report['integrity']['reason']}; "
          f"{proxy.total} requests in all ({dict(proxy.calls)})")  # fmt: skip


def test_a_stricter_provider_costs_a_few_refused_queries_then_the_same_walk(busy_holder):
    """A provider with a 100-block window: the walk halves its span until the provider serves it,
    then walks the same records."""
    run, stone = busy_holder
    with RpcProxy(run.url, max_blocks=100) as proxy:
        report = run.at(proxy.url)("verify", stone, json=True).json
    assert report["integrity"]["ok"] is True and "121 records read in 8 queries" in report["integrity"]["reason"]
    # 1,000 -> 500 -> 250 -> 125 -> 62 blocks: four refusals, once; then the same four windows.
    assert proxy.refused["eth_getLogs"] == 4 and proxy.calls["eth_getLogs"] == 4 + 5


# ------------------------------------------------------------------------------------------------
# b. A provider that forges the records
# ------------------------------------------------------------------------------------------------


def _word(log: dict, index: int) -> int:
    data = log["data"][2:]
    return int(data[64 * index : 64 * index + 64], 16)


def _with_word(log: dict, index: int, value: int) -> dict:
    data = log["data"][2:]
    return {**log, "data": "0x" + data[: 64 * index] + f"{value:064x}" + data[64 * index + 64 :]}


def _topic(account: str) -> str:
    return "0x" + account[2:].lower().rjust(64, "0")


def _is_record(log: dict) -> bool:
    return log["topics"][0] == records.RECORD_TOPIC


def _log(record: records.CustodyRecord, template: dict, log_index: int) -> dict:
    """A `CustodyTransferred` log saying `record`, in `template`'s transaction."""
    data = "".join(
        f"{w:064x}" for w in (int(record.sender, 16), int.from_bytes(record.document, "big"), record.chains, record.record)
    )
    return {
        **template,
        "topics": [records.RECORD_TOPIC, f"0x{record.token_id:064x}", _topic(record.recipient)],
        "data": "0x" + data,
        "blockNumber": hex(record.block),
        "logIndex": hex(log_index),
    }


def _set_bits(word: int, shift: int, width: int, value: int) -> int:
    mask = ((1 << width) - 1) << shift
    return (word & ~mask) | (value << shift)


@pytest.fixture
def history(dt, tmp_path):
    """BW-TMP-00000's records: r1 sale producer -> trader_bw (warranted, invoice), r2 return,
    r3 sale producer -> trader_bw (no warranty); then r4, another stone to trader_bw."""
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-TMP", 2)), "--dev-account", 1)
    invoice = tmp_path / "invoice.pdf"
    invoice.write_bytes(b"invoice BW-TMP-00000 with the SoW statement")
    dt("transfer", "BW-TMP-00000", "--to", address("trader_bw"), "--document", invoice, "--warranty", "--dev-account", 1)
    dt("transfer", "BW-TMP-00000", "--to", address("producer"), "--action", "return", "--dev-account", 9)
    dt("transfer", "BW-TMP-00000", "--to", address("trader_bw"), "--dev-account", 1)
    dt("transfer", "BW-TMP-00001", "--to", address("trader_bw"), "--dev-account", 1)
    logs = dt.rpc(
        "eth_getLogs", {"address": dt.registry().address, "fromBlock": "0x0", "toBlock": "latest", "topics": [RECORD_TOPIC]}
    )
    records = [log for log in logs if int(log["topics"][1], 16) in (token_id("BW-TMP-00000"), token_id("BW-TMP-00001"))]
    assert len(records) == 4
    return records


def _forged(dt, rewrite) -> tuple[str, dict]:
    """verify of BW-TMP-00000 through a provider whose eth_getLogs answers pass through `rewrite`."""

    def rewrite_logs(query, logs):
        return rewrite(query, [log for log in logs if not _is_record(log)], [log for log in logs if _is_record(log)])

    with RpcProxy(dt.url, rewrite_logs=rewrite_logs) as proxy:
        human = dt.at(proxy.url)("verify", "BW-TMP-00000", expect=1)
        report = dt.at(proxy.url)("verify", "BW-TMP-00000", json=True, expect=1).json
    assert "integrity   BROKEN: " in human.out, human.out
    assert report["integrity"]["ok"] is False and report["integrity"]["reason"] in human.out
    broken = {"ok": False, "detail": "the custody record is broken, so no assurance can be given"}
    assert report["assurance"] == {"kimberley_process": broken, "system_of_warranties": broken, "rjc": broken}
    return report["integrity"]["reason"], report


def _replace(records: list[dict], old: dict, new: list[dict]) -> list[dict]:
    out = []
    for log in records:
        out.extend(new if log == old else [log])
    return out


def test_an_honest_provider_between_the_user_and_the_node_changes_nothing(dt, history):
    with RpcProxy(dt.url, rewrite_logs=lambda query, logs: logs) as proxy:
        report = dt.at(proxy.url)("verify", "BW-TMP-00000", json=True).json
    assert report["integrity"]["ok"] is True and [r["action"] for r in report["custody"]] == ["sale", "return", "sale"]


def test_a_hidden_record_of_the_stone_is_noticed(dt, history):
    r1, r2, r3, r4 = history
    reason, _ = _forged(dt, lambda query, other, records: other + [log for log in records if log != r2])
    assert f"points at block {int(r2['blockNumber'], 16)}, where the events show none of its records" in reason


def test_a_hidden_record_of_another_stone_is_noticed(dt, history):
    """The holder's chain commits to every record it received, not only the stone's."""
    r1, r2, r3, r4 = history
    reason, _ = _forged(dt, lambda query, other, records: other + [log for log in records if log != r4])
    assert f"the chain of {address('trader_bw')} points at block {int(r4['blockNumber'], 16)}" in reason


def test_an_altered_sender_is_noticed(dt, history):
    r1, r2, r3, r4 = history
    forged = _with_word(r1, 0, int(address("retailer"), 16))
    reason, _ = _forged(dt, lambda query, other, records: other + _replace(records, r1, [forged]))
    assert (
        f"the records {address('trader_bw')} received from block {int(r1['blockNumber'], 16)} on do not reproduce its chain"
        in reason
    )


def test_an_altered_recipient_is_noticed(dt, history):
    r1, r2, r3, r4 = history
    forged = {**r3, "topics": [*r3["topics"][:2], _topic(address("retailer"))]}
    reason, _ = _forged(dt, lambda query, other, records: other + _replace(records, r3, [forged]))
    assert f"the chain of {address('trader_bw')} points at block {int(r4['blockNumber'], 16)}" in reason


def test_an_altered_document_is_noticed(dt, history):
    r1, r2, r3, r4 = history
    forged = _with_word(r1, 1, int.from_bytes(b"\x42" * 32, "big"))
    reason, _ = _forged(dt, lambda query, other, records: other + _replace(records, r1, [forged]))
    assert "do not reproduce its chain: the stone's history was altered, or records were hidden" in reason


def test_a_warranty_claimed_after_the_fact_is_noticed(dt, history):
    """r3 was a sale without the SoW statement; a forger shows it with one (and the stone warranted)."""
    r1, r2, r3, r4 = history
    record = _word(r3, 3)
    assert not record >> 8 & 1
    forged = _with_word(r3, 3, record | 1 << 8 | 1 << 10)
    reason, _ = _forged(dt, lambda query, other, records: other + _replace(records, r3, [forged]))
    # trader_bw's next record, r4, names its chain after the true r3.
    assert f"the chain of {address('trader_bw')} does not run through its record in block {int(r4['blockNumber'], 16)}" in reason


def test_an_innocent_intermediate_holder_with_consistent_pointers_is_noticed(dt, history):
    """r3 (producer -> trader_bw) told as producer -> innocent -> trader_bw: every block pointer and
    the innocent's own chain are made consistent; only the 128-bit tie to trader_bw's chain on chain
    is out of the forger's reach."""
    r1, r2, r3, r4 = history
    innocent = address("trader")
    real = records.CustodyRecord.from_log(r3)
    block = real.block
    # producer -> innocent: the stone's previous record and the producer's chain as in r3; the
    # innocent had received nothing before.
    first = records.CustodyRecord(
        real.token_id, real.sender, innocent, real.document, real.sender_chain << 128,
        _set_bits(real.record, 152, 32, 0), block, real.log_index, real.transaction,
    )  # fmt: skip
    # innocent -> trader_bw: points at the forged record, names the innocent's chain after it.
    second_record = _set_bits(_set_bits(real.record, 88, 32, block), 120, 32, block)
    second = records.CustodyRecord(
        real.token_id, innocent, real.recipient, real.document,
        proof.absorb(0, first) << 128 | real.recipient_chain_before, second_record, block, real.log_index + 1, real.transaction,
    )  # fmt: skip

    def rewrite(query, other, records):
        to = query["topics"][2]
        if to == _topic(innocent):
            span = int(query["fromBlock"], 16) <= block <= int(query["toBlock"], 16)
            return other + ([_log(first, r3, real.log_index)] if span else [])
        return other + _replace(records, r3, [_log(second, r3, real.log_index + 1)])

    reason, report = _forged(dt, rewrite)
    assert f"the chain of {address('trader_bw')} does not run through its record in block {int(r4['blockNumber'], 16)}" in reason
    # A history that does not check out is not shown as a journey.
    assert report["custody"] == [] and report["custody_count"] == 0


def test_two_swapped_records_are_noticed(dt, history):
    r1, r2, r3, r4 = history
    place = ("blockNumber", "blockHash", "logIndex", "transactionHash", "transactionIndex")
    third, fourth = {**r3, **{k: r4[k] for k in place}}, {**r4, **{k: r3[k] for k in place}}
    reason, _ = _forged(
        dt, lambda query, other, records: other + [third if log == r3 else fourth if log == r4 else log for log in records]
    )
    assert f"the chain of {address('trader_bw')} does not go back from block {int(r3['blockNumber'], 16)}" in reason


# ------------------------------------------------------------------------------------------------
# c. The assurance verdicts
# ------------------------------------------------------------------------------------------------


def _certify(dt, *names, expires="2099-12-31"):
    for name in names:
        dt("participant", "rjc", address(name), "--certificate", f"RJC-COP-{name}", "--expires", expires, "--dev-account", ADMIN)


def _journey(dt, tmp_path, stone, *, warranted_sale=True, warranted_export=True):
    """Mine to consumer: registered, exported to India under a certificate, cut, sold to a New York
    retailer, sold at retail. Returns the polished stone's ID."""
    dt("mint", write_csv(tmp_path / f"{stone}.csv", [[stone, "5.00", "Jwaneng", "BW", "2026-11-20"]]), "--dev-account", 1)
    dt.kp_certificate(f"BW-KP-{stone}", "IN", "manufacturer", carats="5")
    dt("transfer", stone, "--to", address("manufacturer"), "--action", "export", "--kp", f"BW-KP-{stone}",
       *(["--warranty"] if warranted_export else []), "--dev-account", 1)  # fmt: skip
    child = f"IN-{stone}"
    dt("split", stone, write_csv(tmp_path / f"{child}.csv", [[child, "2.00"]], "stone_id,carat"), "--dev-account", 3)
    dt("transfer", child, "--to", address("retailer"), *(["--warranty"] if warranted_sale else []), "--dev-account", 3)
    dt("transfer", child, "--to", address(CONSUMER), "--action", "retail-sale", "--warranty", "--dev-account", 5)
    return child


def test_a_fully_assured_stone(dt, tmp_path):
    _certify(dt, "producer", "manufacturer", "retailer")
    child = _journey(dt, tmp_path, "BW-ASR-1")
    report = dt("verify", child, json=True).json
    assurance = report["assurance"]
    assert {k: v["ok"] for k, v in assurance.items()} == {"kimberley_process": True, "system_of_warranties": True, "rjc": True}
    assert assurance["kimberley_process"]["detail"].startswith(
        "registered at the mine; as rough, it crossed borders only under KP certificates"
    )
    assert (
        report["holder"] == address(CONSUMER)
        and report["status"] == "retailed"
        and report["kp_certificate"]["number"] == "BW-KP-BW-ASR-1"
    )
    human = dt("verify", child).out
    for label in ["Kimberley Process     yes", "System of Warranties  yes", "RJC                   yes"]:
        assert label in human
    parent = dt("verify", "BW-ASR-1", json=True).json["assurance"]
    assert all(v["ok"] for v in parent.values()) and parent["kimberley_process"]["detail"].endswith("(1 crossing)")


def test_a_sale_without_the_warranty_statement(dt, tmp_path):
    _certify(dt, "producer", "manufacturer", "retailer")
    child = _journey(dt, tmp_path, "BW-SOW-1", warranted_sale=False)
    report = dt("verify", child, json=True).json
    sow = report["assurance"]["system_of_warranties"]
    sale = report["custody"][0]
    assert sale["action"] == "sale" and sale["warranty"] is False
    assert sow == {
        "ok": False,
        "detail": f"the sale in block {sale['block']} ({address('manufacturer')} to {address('retailer')}) "
        "did not carry the SoW warranty statement",
    }
    assert report["assurance"]["kimberley_process"]["ok"] and report["assurance"]["rjc"]["ok"]


def test_an_unwarranted_export_of_the_rough_parent(dt, tmp_path):
    """The rough stone left Botswana without the statement: its polished child is not warranted,
    and the verdict does not blame the child's own sales, which carried it."""
    _certify(dt, "producer", "manufacturer", "retailer")
    child = _journey(dt, tmp_path, "BW-SOW-2", warranted_export=False)
    report = dt("verify", child, json=True).json
    assert all(r["warranty"] for r in report["custody"])
    sow = report["assurance"]["system_of_warranties"]
    assert sow["ok"] is False and "its rough parent" in sow["detail"]
    assert not any(str(r["block"]) in sow["detail"] for r in report["custody"])
    parent = dt("verify", "BW-SOW-2", json=True).json
    export = parent["custody"][0]
    assert parent["assurance"]["system_of_warranties"]["detail"] == (
        f"the export in block {export['block']} ({address('producer')} to {address('manufacturer')}) "
        "did not carry the SoW warranty statement"
    )


def test_a_holder_without_rjc_certification(dt, tmp_path):
    dt("mint", write_csv(tmp_path / "early.csv", run_rows("BW-EARLY", 1)), "--dev-account", 1)
    assert dt("verify", "BW-EARLY-00000", json=True).json["assurance"]["rjc"] == {
        "ok": False,
        "detail": f"{address('producer')}, the participant it was registered to, was not RJC-certified when it was registered",
    }
    _certify(dt, "producer")
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-RJC", 1)), "--dev-account", 1)
    assert dt("verify", "BW-RJC-00000", json=True).json["assurance"]["rjc"]["ok"] is True
    dt("transfer", "BW-RJC-00000", "--to", address("trader_bw"), "--warranty", "--dev-account", 1)
    report = dt("verify", "BW-RJC-00000", json=True).json
    sale = report["custody"][0]
    assert report["assurance"]["rjc"] == {
        "ok": False,
        "detail": f"at the sale in block {sale['block']}, {address('producer')} or {address('trader_bw')} "
        "was not RJC-certified throughout",
    }
    assert report["assurance"]["system_of_warranties"]["ok"] is True


def test_an_uncertified_holder_of_the_rough_parent(dt, tmp_path):
    """The producer was not certified: the rough stone never had the RJC assurance, nor its polished
    child, whose own holders (certified) are not blamed for it."""
    _certify(dt, "manufacturer", "retailer")
    child = _journey(dt, tmp_path, "BW-RJP-1")
    assert dt("verify", child, json=True).json["assurance"]["rjc"] == {
        "ok": False,
        "detail": "a holder of its rough parent, before it was cut, was not RJC-certified throughout its holding",
    }
    # The rough stone lacked it from its registration on: its first record is not blamed either.
    parent = dt("verify", "BW-RJP-1", json=True).json
    assert parent["assurance"]["rjc"]["detail"] == (
        f"{address('producer')}, the participant it was registered to, was not RJC-certified when it was registered"
    )


def test_a_certification_that_lapsed_while_holding_the_stone(dt, tmp_path):
    """Certified when the stone came and again when it left, but not in between: not throughout."""
    _certify(dt, "producer", "trader_bw")
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-LAPSE", 1)), "--dev-account", 1)
    dt("transfer", "BW-LAPSE-00000", "--to", address("trader_bw"), "--warranty", "--dev-account", 1)
    assert dt("verify", "BW-LAPSE-00000", json=True).json["assurance"]["rjc"]["ok"] is True
    _certify(dt, "trader_bw", expires="2020-01-01")
    _certify(dt, "trader_bw")
    dt("transfer", "BW-LAPSE-00000", "--to", address("producer"), "--action", "return", "--dev-account", 9)
    report = dt("verify", "BW-LAPSE-00000", json=True).json
    back = report["custody"][1]
    assert (
        report["assurance"]["rjc"]["ok"] is False
        and f"at the return in block {back['block']}" in report["assurance"]["rjc"]["detail"]
    )


def test_a_declared_origin_stone(dt, tmp_path):
    _certify(dt, "manufacturer", "retailer")
    dt(
        "declare",
        write_csv(tmp_path / "old.csv", [["IN-DCL-1", "1.20"]], "stone_id,carat"),
        "--mine",
        "Unknown",
        "--dev-account",
        3,
    )
    dt("transfer", "IN-DCL-1", "--to", address("retailer"), "--warranty", "--dev-account", 3)
    report = dt("verify", "IN-DCL-1", json=True).json
    assert report["origin"]["note"] == "origin declared, not traced from the mine"
    kp, sow, rjc = (report["assurance"][k] for k in ("kimberley_process", "system_of_warranties", "rjc"))
    assert kp == {"ok": False, "detail": "origin declared, not traced from the mine: the Kimberley Process cannot be shown"}
    assert sow["ok"] is True and rjc["ok"] is True
    for verdict in (sow, rjc):
        assert verdict["detail"].endswith("(since its entry with a declared origin; before that, nothing is known)")
    assert "Kimberley Process     NO: origin declared, not traced from the mine" in dt("verify", "IN-DCL-1").out


def test_a_lab_grown_registration(dt, tmp_path):
    _certify(dt, "producer", "trader_bw")
    dt("mint", write_csv(tmp_path / "run.csv", run_rows("BW-LAB", 1)), "--lab-grown", "--dev-account", 1)
    dt("transfer", "BW-LAB-00000", "--to", address("trader_bw"), "--warranty", "--dev-account", 1)
    report = dt("verify", "BW-LAB-00000", json=True).json
    assert report["lab_grown"] is True and report["jurisdiction"] is None
    assert report["assurance"]["kimberley_process"] == {
        "ok": False,
        "detail": "laboratory-grown: outside the Kimberley Process, which covers natural rough",
    }
    assert report["assurance"]["system_of_warranties"]["ok"] is True and report["assurance"]["rjc"]["ok"] is True
