"""The measurements behind `make bench`, each against a baseline measured in the same run.

Every figure is full transaction gas from receipts (or node time for throughput), on one chain,
with the registry and the baseline built by the same compiler with the same settings but the EVM
target (see BASELINE_EVM).
"""

from __future__ import annotations

import csv
import datetime as dt
import time
from dataclasses import dataclass
from pathlib import Path

from web3.contract import Contract

from diamondtrace import compiler, deployments, mint, production
from diamondtrace.authorizations import Authorization, sign_authorization
from diamondtrace.chain import EIP7825_TX_GAS_CAP, Chain
from diamondtrace.deployments import registry_contract
from diamondtrace.model import ROLES, ZERO32, Action, day_number, text32, token_id
from diamondtrace.sending import Sender
from diamondtrace.toolchain import PROJECT_ROOT
from diamondtrace.wallet import dev_signer

CAST = [  # dev account, role, country, stone-ID prefix
    (1, "producer", "BW", "BW-"),
    (2, "trader", "BW", None),
    (3, "trader", "BW", None),
    (4, "manufacturer", "BW", "IN-"),
    (5, "lab", "BW", None),
    (6, "kp-authority", "BW", None),
]
# Accounts 7 and 8: traders without RJC certification, for the transfer that carries no RJC check.
UNCERTIFIED = [(7, "trader", "BW", None), (8, "trader", "BW", None)]
BASELINE = "bench/BaselineERC721.sol"
# OpenZeppelin 5.7's ERC-721 imports its Strings, which copies memory with Cancun's MCOPY, so it
# cannot be built for the registry's Shanghai: it is built for Prague, as the registry was when the
# goals were set. Its mint and transfer copy no memory, and the registry's hot paths cost the same
# gas built for either target, so the ratios do not depend on it.
BASELINE_EVM = "prague"


@dataclass
class Env:
    chain: Chain
    admin: Sender
    registry: Contract
    baseline: Contract
    deployment_block: int
    senders: dict[int, Sender]
    deployment: deployments.Deployment | None = None

    def sender(self, index: int) -> Sender:
        if index not in self.senders:
            self.senders[index] = Sender(self.chain, dev_signer(index, self.chain.chain_id))
        return self.senders[index]


def setup(chain: Chain) -> Env:
    """A fresh registry with an accredited cast, and the baseline ERC-721."""
    owner = Sender(chain, dev_signer(0, chain.chain_id))
    deployment = deployments.deploy(chain, owner)
    registry = registry_contract(chain.w3, deployment.registry)
    compiled = baseline_contract()
    baseline_address, _ = owner.deploy(compiled)
    baseline = chain.w3.eth.contract(address=baseline_address, abi=compiled["abi"])
    env = Env(chain, owner, registry, baseline, deployment.block, {0: owner}, deployment)
    expires = chain.w3.eth.get_block("latest")["timestamp"] + 3 * 365 * 86400
    for index, role, country, prefix in CAST + UNCERTIFIED:
        address = env.sender(index).address
        owner.send(
            registry.functions.accredit(
                address, ROLES[role], country.encode(), f"bench {role} {index}", text32(prefix) if prefix else ZERO32
            )
        )
        if (index, role, country, prefix) in CAST:
            owner.send(registry.functions.certifyRjc(address, text32(f"RJC-{index}"), expires))
    return env


def baseline_contract() -> dict:
    """The baseline, never deployed by the project: the build's compiler and settings but its EVM target."""
    settings = {**compiler.build_settings(PROJECT_ROOT), "evmVersion": BASELINE_EVM}
    compiler_input = {
        "language": "Solidity",
        "sources": {BASELINE: {"content": (PROJECT_ROOT / BASELINE).read_text()}},
        "settings": {**settings, "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}}},
    }
    out = compiler.compile_input(compiler_input)[BASELINE]["BaselineERC721"]
    return {"abi": out["abi"], "bytecode": out["evm"]["bytecode"]["object"]}


def _ids(prefix: str, count: int, width: int = 0) -> list[int]:
    return [token_id(f"{prefix}{i:0{width or 6}d}") for i in range(count)]


def _batch(to: str) -> tuple:
    yesterday = day_number(dt.datetime.now(dt.timezone.utc).date()) - 1
    return (to, text32("Jwaneng"), b"BW", yesterday, False, ZERO32)


def register(env: Env, ids: list[int], weight: int = 150, to: int = 1) -> int:
    producer = env.sender(1)
    call = env.registry.functions.register(_batch(env.sender(to).address), ids, [weight] * len(ids), [])
    return producer.send(call, gas=EIP7825_TX_GAS_CAP if len(ids) > 300 else None).gas_used


def baseline_mint(env: Env, ids: list[int]) -> int:
    producer = env.sender(1)
    return producer.send(env.baseline.functions.mintBatch(producer.address, ids)).gas_used


def registration(env: Env, n: int = 100) -> dict:
    """Gas per stone for a batch of `n`, registry vs OpenZeppelin `_mint` in a loop."""
    tag = f"R{n}-"
    ours = register(env, _ids(f"BW-JW-2026-{tag}", n)) / n
    base = baseline_mint(env, _ids(f"BW-JW-2026-{tag}", n)) / n
    return {"batch": n, "registry_per_stone": ours, "baseline_per_token": base, "ratio": ours / base}


def _custody(env: Env, sender: int, to: int, token: int, document: bytes) -> int:
    call = env.registry.functions.transferCustody(env.sender(to).address, token, int(Action.SALE), document, ZERO32, True)
    return env.sender(sender).send(call).gas_used


def transfer(env: Env) -> dict:
    """A custody sale with its invoice hash and the SoW warranty, under the full-strength proof, vs
    the baseline's `transferFrom`: to a holder that already holds tokens and to a first-time
    holder, between RJC-certified participants (the stone's RJC assurance is checked: the most
    work a transfer does), and between uncertified ones (no RJC check)."""
    producer, trader = env.sender(1), env.sender(2)
    ids = _ids("BW-TX-", 4)
    register(env, ids)
    baseline_mint(env, ids)
    results = {}
    for scenario, token in [("first_time_holder", ids[0]), ("existing_holder", ids[1])]:
        ours = _custody(env, 1, 2, token, b"\x11" * 32)
        base = producer.send(env.baseline.functions.transferFrom(producer.address, trader.address, token)).gas_used
        results[scenario] = {"registry": ours, "baseline": base, "ratio": ours / base}
    # Between two uncertified traders (each already holding): the stone's RJC assurance has fallen.
    uncertified = _ids("BW-TX-U-", 3)
    register(env, uncertified, to=7)
    _custody(env, 7, 8, uncertified[0], b"\x12" * 32)
    ours = _custody(env, 7, 8, uncertified[1], b"\x13" * 32)
    base = results["existing_holder"]["baseline"]
    results["without_rjc_check"] = {"registry": ours, "baseline": base, "ratio": ours / base}
    return results


def largest_batch(env: Env) -> dict:
    """The most stones one transaction registers under EIP-7825's cap, with the worst case of
    32-character IDs, found from the marginal gas per stone and confirmed by sending it."""
    small, large = 50, 150
    g_small = register(env, _ids("BW-WORST-CASE-STONE-ID-A", small, 8), weight=1_048_575)
    g_large = register(env, _ids("BW-WORST-CASE-STONE-ID-B", large, 8), weight=1_048_575)
    marginal = (g_large - g_small) / (large - small)
    fixed = g_small - marginal * small
    predicted = int((EIP7825_TX_GAS_CAP - fixed) // marginal)
    limit = env.registry.functions.MAX_BATCH().call()
    confirmed = register(env, _ids("BW-WORST-CASE-STONE-ID-C", limit, 8), weight=1_048_575)
    return {
        "marginal_gas_per_stone": marginal,
        "fixed_gas": fixed,
        "largest_batch_under_cap": predicted,
        "max_batch": limit,
        "max_batch_gas": confirmed,
        "max_batch_fits": confirmed <= EIP7825_TX_GAS_CAP,
    }


def _split(env: Env, parent: int, children: list[int]) -> int:
    call = env.registry.functions.split(parent, children, [1] * len(children), [])
    return env.sender(4).send(call, gas=EIP7825_TX_GAS_CAP if len(children) > 200 else None).gas_used


def largest_split(env: Env) -> dict:
    """The same for a split (each child also costs its share of the lineage record)."""
    parents = [_rough_at_manufacturer(env, f"BW-WORST-SPLIT-{i}", 1_000_000) for i in range(3)]
    small, large = 50, 150
    g_small = _split(env, parents[0], _ids("IN-WORST-CASE-CHILD-ID-A", small, 8))
    g_large = _split(env, parents[1], _ids("IN-WORST-CASE-CHILD-ID-B", large, 8))
    marginal = (g_large - g_small) / (large - small)
    fixed = g_small - marginal * small
    limit = env.registry.functions.MAX_SPLIT().call()
    confirmed = _split(env, parents[2], _ids("IN-WORST-CASE-CHILD-ID-C", limit, 8))
    return {
        "marginal_gas_per_child": marginal,
        "largest_split_under_cap": int((EIP7825_TX_GAS_CAP - fixed) // marginal),
        "max_split": limit,
        "max_split_gas": confirmed,
        "max_split_fits": confirmed <= EIP7825_TX_GAS_CAP,
    }


def curve(env: Env, sizes: list[int]) -> list[dict]:
    """Gas per stone against batch size, registry and baseline."""
    points = []
    for n in sizes:
        ours = register(env, _ids(f"BW-C{n}-", n)) / n
        base = baseline_mint(env, _ids(f"BW-C{n}-", n)) / n
        points.append({"batch": n, "registry": ours, "baseline": base})
    return points


def _rough_at_manufacturer(env: Env, sid: str, centicarats: int) -> int:
    """A rough stone registered straight to the manufacturer (both in Botswana: no KP needed)."""
    producer, manufacturer = env.sender(1), env.sender(4)
    token = token_id(sid)
    batch = _batch(manufacturer.address)
    producer.send(env.registry.functions.register(batch, [token], [centicarats], []))
    return token


def split(env: Env, registration_per_stone: float, children: int = 10) -> dict:
    parent = _rough_at_manufacturer(env, "BW-SPLIT-PARENT", 5_000)
    ids = _ids("IN-POL-", children)
    gas = env.sender(4).send(env.registry.functions.split(parent, ids, [100] * children, [])).gas_used
    per_child = gas / children
    return {"children": children, "gas": gas, "per_child": per_child, "ratio_to_registration": per_child / registration_per_stone}


def relayed(env: Env) -> dict:
    """A signed transfer submitted by a relayer vs the same transfer sent directly (both with the
    SoW warranty, between RJC-certified participants)."""
    producer, trader, relayer = env.sender(1), env.sender(2), env.sender(9)
    ids = _ids("BW-SIG-", 2)
    register(env, ids)
    # Warm the trader's balance slot the same way for both (first holding already happened).
    direct = _custody(env, 1, 2, ids[0], b"\x22" * 32)
    deadline = env.chain.w3.eth.get_block("latest")["timestamp"] + 3600
    last = env.registry.functions.stone(ids[1]).call().lastRecordBlock
    nonce = env.registry.functions.nonces(producer.address).call()
    auth = Authorization(
        ids[1], producer.address, trader.address, int(Action.SALE), b"\x22" * 32, ZERO32, True, nonce, last, deadline
    )
    signature = sign_authorization(producer.signer.account, env.chain.chain_id, env.registry.address, auth)
    relayed_gas = relayer.send(env.registry.functions.transferCustodySigned(auth.as_tuple(), signature)).gas_used
    return {"direct": direct, "relayed": relayed_gas, "ratio": relayed_gas / direct}


def token_uri(env: Env, hops: int = 20) -> dict:
    """`tokenURI` of a polished stone with `hops` custody records, a split lineage and two
    grading reports: the gas of the `eth_call`."""
    parent = _rough_at_manufacturer(env, "BW-URI-PARENT", 3_000)
    child = token_id("IN-URI-CHILD")
    manufacturer, lab = env.sender(4), env.sender(5)
    manufacturer.send(env.registry.functions.split(parent, [child], [1_500], []))
    holders = [manufacturer, env.sender(2), env.sender(3)]
    for hop in range(hops):
        frm, to = holders[hop % 3], holders[(hop + 1) % 3]
        frm.send(env.registry.functions.transferCustody(to.address, child, int(Action.SALE), bytes([hop + 1]) * 32, ZERO32, True))
    # To the lab, which grades it: the report in force is read in constant time however many there are.
    holder = holders[hops % 3]
    holder.send(env.registry.functions.transferCustody(lab.address, child, int(Action.GRADING), b"\x31" * 32, ZERO32, False))
    few = env.registry.functions.tokenURI(child).estimate_gas()
    reports = 200
    for n in range(reports):
        report = (
            text32(f"GLA-{n}"),
            1_498,
            text32("DEFG"[n % 4])[:8],
            text32("VVS1")[:8],
            text32("Excellent")[:16],
            False,
            b"\x33" * 32,
        )
        lab.send(env.registry.functions.grade(child, report))
    gas = env.registry.functions.tokenURI(child).estimate_gas()
    return {
        "custody_records": hops + 1,
        "gradings": reports,
        "eth_call_gas_ungraded": few,
        "eth_call_gas": gas,
        "cap": 30_000_000,
        "share_of_cap": gas / 30_000_000,
    }


def _write_run(path: Path, prefix: str, count: int) -> Path:
    with open(path, "w", newline="") as fp:
        writer = csv.writer(fp)
        writer.writerow(["stone_id", "carat", "mine", "country", "production_date"])
        for i in range(count):
            writer.writerow([f"{prefix}-{i:06d}", f"{1 + (i % 500) / 100:.2f}", "Jwaneng", "BW", "2026-11-20"])
    return path


def _ceiling_seconds(env: Env, path: Path) -> float:
    """The node's ceiling: the mint's own registration transactions for `path`, signed before the
    clock starts, then sent raw back to back and their receipts awaited."""
    producer = env.sender(1)
    limit = env.registry.functions.MAX_BATCH().call()
    rows = production.read_production_run(path)
    batches = [rows[i : i + limit] for i in range(0, len(rows), limit)]
    calls = [mint.register_call(env.registry, producer.address, b) for b in batches]
    gas = mint.gas_model(env.registry, producer, producer.address, batches[0])
    fees = producer.fees()
    signed = [
        producer.sign(producer.build(call, gas=mint.batch_gas(gas, batch), fees=fees)) for call, batch in zip(calls, batches)
    ]
    w3 = env.chain.w3
    with mint.collector_paused():  # as in the mint
        start = time.perf_counter()
        hashes = [w3.provider.make_request("eth_sendRawTransaction", ["0x" + raw.hex()])["result"] for raw in signed]
        for h in hashes:
            producer.wait(h)  # raw receipt polling, as the mint does
        return time.perf_counter() - start


def _mint_seconds(env: Env, path: Path) -> tuple[float, float, int]:
    """The mint's whole time, and the part spent checking the file before sending anything."""
    checked = []
    start = time.perf_counter()
    result = mint.mint(env.registry, env.sender(1), path, on_plan=lambda _: checked.append(time.perf_counter()))
    seconds = time.perf_counter() - start
    assert result.registered == production.read_production_run(path).__len__()
    return seconds, checked[0] - start, len(result.transactions)


def _from_snapshot(env: Env, measure):
    """Runs `measure` and then rewinds the chain, so every measurement starts from the same state
    (the node slows down as its state grows)."""
    w3 = env.chain.w3
    snapshot = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        return measure()
    finally:
        assert w3.provider.make_request("evm_revert", [snapshot])["result"]
        env.sender(1).forget_nonce()


def throughput(env: Env, workdir: Path, stones: int = 10_000, rounds: int = 11) -> dict:
    """Stones per second of the batch mint from a CSV, end to end (parsing, checking the whole file
    against the chain, signing, sending, receipts), against the node's ceiling: the very same
    transactions pre-signed and sent raw. Each round measures both from the same chain state;
    the median round is reported."""
    path = _write_run(workdir / "run.csv", "BW-RUN", stones)
    rounds_out = []
    for _ in range(rounds):
        ceiling = _from_snapshot(env, lambda: _ceiling_seconds(env, path))
        seconds, checking, transactions = _from_snapshot(env, lambda: _mint_seconds(env, path))
        rounds_out.append(
            {"mint_seconds": seconds, "check_seconds": checking, "ceiling_seconds": ceiling, "ratio": ceiling / seconds}
        )
    median = sorted(rounds_out, key=lambda x: x["ratio"])[rounds // 2]
    return {
        "stones": stones,
        "transactions": transactions,
        "mint_seconds": median["mint_seconds"],
        "mint_stones_per_second": stones / median["mint_seconds"],
        "check_seconds": median["check_seconds"],
        "ceiling_seconds": median["ceiling_seconds"],
        "ceiling_stones_per_second": stones / median["ceiling_seconds"],
        "ratio": median["ratio"],
        "rounds": rounds_out,
    }
