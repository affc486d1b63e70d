"""A real network's habits, on an Anvil that makes a block every 2 seconds (`--block-time 2`) as
public chains do: the batch mint pipelines its batches across blocks, commands wait for the
confirmations asked, a transaction stuck under a rising base fee is replaced at its nonce with a
higher fee, one the node dropped or a rewind took back out of the chain is sent again, one that
can never be mined is reported in words, never a second transaction at a new nonce; and the
bench's failure (a batch left in the pool of an Anvil that mines on demand) is reproduced and
recovered from."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest
from cli_support import Cli, address, own_anvil, run_rows, write_csv

from diamondtrace import mint, production
from diamondtrace.chain import batch_request, connect
from diamondtrace.errors import ChainError
from diamondtrace.sending import Sender
from diamondtrace.wallet import dev_signer

BLOCK_TIME = 2
PRODUCER, TRADER = 1, 9  # a producer and a trader in Botswana: stones move with no KP certificate
GWEI = 10**9


@pytest.fixture(scope="module")
def net(tmp_path_factory) -> Cli:
    """A registry on its own Anvil with 2-second blocks, a producer and a trader accredited."""
    home = tmp_path_factory.mktemp("block-time")
    with own_anvil(home, "--block-time", str(BLOCK_TIME), "--gas-limit", "30000000", "--enable-tx-gas-limit") as url:
        dt = Cli(url, home / "deployment.json")
        dt("deploy", "--dev-account", 0)
        dt.accredit(address(PRODUCER), "producer", "BW", "--prefix", "BW-", name="Debswana Diamond Company")
        dt.accredit(address(TRADER), "trader", "BW", name="Gaborone Diamond Trading")
        yield dt


def _mining(dt: Cli, on: bool) -> None:
    """Pauses or resumes the chain's 2-second blocks, so a test acts between two of them."""
    dt.rpc("evm_setIntervalMining", BLOCK_TIME if on else 0)


def _mint_one(dt: Cli, tmp_path: Path, prefix: str) -> str:
    dt("mint", write_csv(tmp_path / f"{prefix}.csv", run_rows(prefix, 1)), "--dev-account", PRODUCER)
    return f"{prefix}-00000"


def _pooled(dt: Cli, account: str, deadline: float = 60) -> dict:
    """`account`'s transaction once it is in the node's pool (as `txpool_content` shows it)."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        pending = dt.rpc("txpool_content")["pending"]
        for who, txs in pending.items():
            if who.lower() == account.lower():
                return next(iter(txs.values()))
        time.sleep(0.05)
    raise AssertionError(f"no transaction of {account} reached the pool")


def _custody(dt: Cli, stone: str) -> list[dict]:
    return dt("verify", stone, json=True).json["custody"]


def test_batch_mint_pipelines_across_blocks_and_commands_wait_for_confirmations(net, tmp_path):
    """1,000 stones in batches of 100: all ten transactions go out back to back with consecutive
    nonces and share a few blocks (one wait per block would take ten); with --confirmations 2 a
    transfer returns only once a block lies on top of its own; verify reads it all back."""
    rows = run_rows("BW-PIPE", 1_000)
    result = net("--confirmations", "2", "mint", write_csv(tmp_path / "run.csv", rows), "--batch-size", "100",
                 "--dev-account", PRODUCER, json=True).json  # fmt: skip
    assert result["registered"] == 1_000 and result["batches"] == [100] * 10
    w3 = connect(net.url).w3
    txs = [w3.eth.get_transaction(h) for h in result["transactions"]]
    nonces = [tx["nonce"] for tx in txs]
    assert nonces == list(range(nonces[0], nonces[0] + 10))
    assert len({tx["blockNumber"] for tx in txs}) <= 3, "the batches waited for one another"
    assert net.block() >= max(tx["blockNumber"] for tx in txs) + 1, "returned before 2 confirmations"

    moved = net("--confirmations", "2", "transfer", "BW-PIPE-00007", "--to", address(TRADER), "--dev-account", PRODUCER,
                json=True).json  # fmt: skip
    assert net.block() >= moved["block"] + 1
    assert [r["to"] for r in _custody(net, "BW-PIPE-00007")] == [address(TRADER)]
    assert net("verify", "BW-PIPE-00999", json=True).json["integrity"]["ok"]


def test_confirmations_are_refused_where_no_block_would_come(dt, tmp_path):
    """On a chain that mines only when sent a transaction, 2 confirmations would never come:
    refused before anything is sent (exit 2), and a bad number is a usage error."""
    before = dt.block()
    refused = dt("--confirmations", "2", "transfer", "BW-X", "--to", address(TRADER), "--dev-account", PRODUCER, expect=2)
    assert "makes a block only when it is sent a transaction" in refused.err and dt.block() == before
    assert "at least 1" in dt("--confirmations", "0", "verify", "BW-X", expect=2).err


def test_a_transaction_stuck_under_a_rising_base_fee_is_replaced_at_its_nonce(net, tmp_path):
    """The base fee jumps to 100 gwei after the transfer is sent with a max fee of a few gwei:
    the command replaces it (same nonce, tip and max fee each raised by more than 10%) and the
    stone moves once."""
    stone = _mint_one(net, tmp_path, "BW-STUCK")
    producer = address(PRODUCER)
    _mining(net, False)
    run = net.process("transfer", stone, "--to", address(TRADER), "--dev-account", PRODUCER, json=True)
    try:
        sent = _pooled(net, producer)
        net.rpc("anvil_setNextBlockBaseFeePerGas", hex(100 * GWEI))
    finally:
        _mining(net, True)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "was stuck" in err and "same nonce" in err
    w3 = connect(net.url).w3
    first = {key: int(sent[key], 16) for key in ("nonce", "maxFeePerGas", "maxPriorityFeePerGas")}
    mined = w3.eth.get_transaction(json.loads(out)["transaction"])
    assert mined["hash"].to_0x_hex() != sent["hash"] and mined["nonce"] == first["nonce"]
    assert mined["maxFeePerGas"] >= 100 * GWEI > first["maxFeePerGas"]
    assert mined["maxPriorityFeePerGas"] * 10 >= first["maxPriorityFeePerGas"] * 11
    assert w3.eth.get_transaction_count(producer) == first["nonce"] + 1
    assert [r["to"] for r in _custody(net, stone)] == [address(TRADER)]


def test_a_dropped_transaction_is_sent_again_unchanged(net, tmp_path):
    """The node drops the transfer from its pool (`anvil_dropTransaction`): within seconds the
    command sees the node no longer knows it and sends the very same transaction again."""
    stone = _mint_one(net, tmp_path, "BW-DROP")
    _mining(net, False)
    run = net.process("transfer", stone, "--to", address(TRADER), "--dev-account", PRODUCER, json=True)
    try:
        sent = _pooled(net, address(PRODUCER))["hash"]
        net.rpc("anvil_dropTransaction", sent)
        assert net.rpc("eth_getTransactionByHash", sent) is None
    finally:
        _mining(net, True)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "was neither in the node's pool nor on chain" in err
    assert json.loads(out)["transaction"] == sent  # the same signed transaction, not a new one
    assert [r["to"] for r in _custody(net, stone)] == [address(TRADER)]


def test_a_transaction_rewound_out_of_the_chain_is_sent_again(net, tmp_path):
    """Waiting for 3 confirmations, the command's mined transfer is taken back out of the chain
    (`evm_revert` to before it, as a reorg would): it is sent again and the stone moves once."""
    stone = _mint_one(net, tmp_path, "BW-REWIND")
    snapshot = net.rpc("evm_snapshot")
    run = net.process("--confirmations", "3", "transfer", stone, "--to", address(TRADER), "--dev-account", PRODUCER,
                      json=True)  # fmt: skip
    sent = _pooled(net, address(PRODUCER))["hash"]
    end = time.monotonic() + 60
    while net.rpc("eth_getTransactionReceipt", sent) is None:
        assert time.monotonic() < end
        time.sleep(0.05)
    assert net.rpc("evm_revert", snapshot)
    assert net.rpc("eth_getTransactionReceipt", sent) is None
    out, err = run.communicate(timeout=120)
    assert run.returncode == 0, err
    assert "sent it again, unchanged" in err
    receipt = net.rpc("eth_getTransactionReceipt", json.loads(out)["transaction"])
    assert net.block() >= int(receipt["blockNumber"], 16) + 2
    assert [r["to"] for r in _custody(net, stone)] == [address(TRADER)]


def test_a_transaction_behind_a_nonce_gap_is_reported_in_seconds(net):
    """Two programs send from one account; the first one's transaction is dropped, so the
    second's, one nonce later, can never be mined: it is reported in words within seconds, and
    nothing is signed at another nonce."""
    chain = connect(net.url)
    first, second = (Sender(chain, dev_signer(6, chain.chain_id)) for _ in range(2))
    to = dev_signer(7, chain.chain_id).address
    transfer = {"to": to, "value": 1, "gas": 21_000, "chainId": chain.chain_id}
    _mining(net, False)
    try:
        dropped = first.submit({**transfer, **first.fees()})
        behind = second.submit({**transfer, **second.fees()})
        net.rpc("anvil_dropTransaction", dropped)
    finally:
        _mining(net, True)
    started = time.monotonic()
    with pytest.raises(ChainError, match="nonce gap") as failure:
        second.wait(behind)
    assert time.monotonic() - started < 60, "waited on as if it could be mined"
    assert f"next nonce is {chain.w3.eth.get_transaction_count(second.address)}" in str(failure.value)
    assert chain.w3.eth.get_transaction_count(second.address, "pending") == chain.w3.eth.get_transaction_count(second.address)


def test_batches_left_in_the_pool_of_a_chain_that_mines_on_demand_are_mined(dt, tmp_path, caplog):
    """`make bench`'s failure: Anvil's automine makes one block per wake-up, a block holds one
    600-stone batch, and batches that arrive together leave all but one in its pool with nothing
    to wake it again. Three batches sent in one HTTP request: each is mined all the same."""
    chain = connect(dt.url)
    producer = Sender(chain, dev_signer(PRODUCER, chain.chain_id))
    registry = dt.registry()
    rows = production.read_production_run(write_csv(tmp_path / "three.csv", run_rows("BW-STRAND", 1_800)))
    batches = [rows[i : i + 600] for i in range(0, len(rows), 600)]
    gas = mint.gas_model(registry, producer, producer.address, batches[0])
    fees = producer.fees()
    raws = [producer.sign(producer.build(mint.register_call(registry, producer.address, b), mint.batch_gas(gas, b), fees))
            for b in batches]  # fmt: skip
    hashes = batch_request(chain.w3, [("eth_sendRawTransaction", ["0x" + raw.hex()]) for raw in raws])
    with caplog.at_level(logging.INFO, logger="diamondtrace"):
        mined = [producer.wait(h) for h in hashes]
    assert [m.hash for m in mined] == hashes
    assert all(m.log_count == 601 for m in mined)  # 600 transfers and the batch's event each
    assert registry.functions.balanceOf(producer.address).call() >= 1_800
