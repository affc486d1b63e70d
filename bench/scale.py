"""`make bench`'s scale figures: a registry of many stones and custody moves on a local Anvil, the
index built from it (events per second, SQLite), and the explorer's pages timed with the index
against without it, in the same run.

The stones and moves are real transactions through the registry: registrations of MAX_BATCH
stones each, then transfers from the producer to two traders, all signed beforehand and sent raw
in JSON-RPC batches without waiting for each; the moves are mined a few thousand to a block
(automine off, `evm_mine`), as a busy chain would hold them.
"""

from __future__ import annotations

import datetime as dt
import statistics
import sys
import time
from pathlib import Path

import requests

from bench import scenarios
from diamondtrace import certificates
from diamondtrace.abi import Call
from diamondtrace.chain import EIP7825_TX_GAS_CAP, batch_request, raw_request
from diamondtrace.explorer import Explorer, serve
from diamondtrace.index.follow import Indexer
from diamondtrace.index.loader import Loader
from diamondtrace.index.store import Store, database_url
from diamondtrace.mint import collector_paused
from diamondtrace.model import ROLES, ZERO32, Action, stone_id, text32, token_id

KP_NUMBER = "BW-KP-SCALE-1"
# Raw transactions per JSON-RPC batch: a registration of MAX_BATCH stones is ~60 KB, and Anvil
# drops a request of many megabytes.
SEND_BATCH = {"register": 8, "transferCustody": 200}
MOVES_PER_BLOCK = 2_000
BLOCK_GAS_LIMIT = 1_000_000_000
IMPORTER = 10  # a trader in Belgium, the KP certificate's importer


def stone_ids(count: int) -> list[int]:
    return [token_id(f"BW-S{i:08d}") for i in range(count)]


def _send_all(env: scenarios.Env, raws: list[bytes], per_request: int) -> list[str]:
    hashes = []
    for i in range(0, len(raws), per_request):
        hashes += batch_request(env.chain.w3, [("eth_sendRawTransaction", ["0x" + r.hex()]) for r in raws[i : i + per_request]])
    return hashes


def _certificate(env: scenarios.Env) -> None:
    """A KP certificate from the producer to a Belgian trader, which the first batch registers under."""
    importer = env.sender(IMPORTER).address
    env.admin.send(env.registry.functions.accredit(importer, ROLES["trader"], b"BE", "bench importer", ZERO32))
    today = dt.datetime.now(dt.timezone.utc).date()
    kp = env.sender(6)
    certificates.register_certificate(
        env.registry,
        kp,
        number=KP_NUMBER,
        exporting="BW",
        importing="BE",
        exporter=env.sender(1).address,
        importer=importer,
        carats="1000000",
        value_usd="1",
        parcels=1,
        issued=today - dt.timedelta(days=1),
        expires=today + dt.timedelta(days=700),
        document=None,
    )


def build(env: scenarios.Env, stones: int, moves: int) -> dict:
    """`stones` registered and `moves` of them moved; the seconds each part took."""
    w3 = env.chain.w3
    raw_request(w3, "evm_setBlockGasLimit", [hex(BLOCK_GAS_LIMIT)])
    _certificate(env)
    producer = env.sender(1)
    limit = env.registry.functions.MAX_BATCH().call()
    ids = stone_ids(stones)
    weights = [150] * limit
    batches = [ids[i : i + limit] for i in range(0, len(ids), limit)]
    day = scenarios._batch(producer.address)

    def register(batch: list[int], kp: bool) -> Call:
        inputs = (*day[:5], text32(KP_NUMBER) if kp else ZERO32)
        return Call(env.registry, "register", inputs, batch, weights[: len(batch)], [])

    started = time.perf_counter()
    gas = min(int(producer.estimate(register(batches[0], True)) * 1.1), EIP7825_TX_GAS_CAP)
    fees = producer.fees()
    with collector_paused():
        raws = [producer.sign(producer.build(register(b, i == 0), gas=gas, fees=fees)) for i, b in enumerate(batches)]
        _send_all(env, raws, SEND_BATCH["register"])
        _drained(env, producer.address, "registrations")
    mint_seconds = time.perf_counter() - started
    print(f"bench: scale: {stones:,} stones registered in {mint_seconds:.1f} s", file=sys.stderr, flush=True)
    moves_seconds = move(env, ids, moves)
    return {
        "stones": stones,
        "moves": moves,
        "mint_seconds": mint_seconds,
        "moves_seconds": moves_seconds,
        "blocks": w3.eth.block_number - env.deployment_block,
    }


def move(env: scenarios.Env, ids: list[int], moves: int) -> float:
    """The first `moves` of the producer's stones `ids` sold on to two traders; the seconds it took."""
    w3 = env.chain.w3
    producer = env.sender(1)
    fees = producer.fees()
    started = time.perf_counter()
    traders = [env.sender(2).address, env.sender(3).address]
    move_gas = 200_000  # above a first-time holder's transfer; the block's gas is what binds
    raw_request(w3, "evm_setAutomine", [False])
    try:
        with collector_paused():
            for first in range(0, moves, MOVES_PER_BLOCK):
                calls = [
                    Call(
                        env.registry,
                        "transferCustody",
                        traders[i % 2],
                        ids[i],
                        int(Action.SALE),
                        i.to_bytes(32, "big"),
                        ZERO32,
                        True,
                    )
                    for i in range(first, min(first + MOVES_PER_BLOCK, moves))
                ]
                _send_all(
                    env, [producer.sign(producer.build(c, gas=move_gas, fees=fees)) for c in calls], SEND_BATCH["transferCustody"]
                )
                raw_request(w3, "evm_mine", [])
                print(f"bench: scale: {min(first + MOVES_PER_BLOCK, moves):,} of {moves:,} moves", file=sys.stderr, flush=True)
    finally:
        raw_request(w3, "evm_setAutomine", [True])
    _drained(env, producer.address, "moves")
    return time.perf_counter() - started


def _drained(env: scenarios.Env, account: str, what: str, stall: float = 600, nudge: float = 15) -> None:
    """Waits until every transaction `account` sent is mined: the node mines a queue of thousands
    of full blocks at its own pace (minutes on a shared machine), so progress, not a deadline, is
    what is watched. Anvil's automine can leave the last of a queue in its pool (`inflight.mine`):
    after `nudge` seconds without progress it is asked for a block."""
    w3 = env.chain.w3
    sent = w3.eth.get_transaction_count(account, "pending")
    mined, since, said = -1, time.monotonic(), 0.0
    while (now := w3.eth.get_transaction_count(account, "latest")) < sent:
        if now != mined:
            mined, since = now, time.monotonic()
        elif time.monotonic() - since > nudge:
            raw_request(w3, "evm_mine", [])
        if time.monotonic() - since > stall:
            raise RuntimeError(f"the node mined none of {sent - now} {what} left in {stall:.0f} s")
        if time.monotonic() - said > 10:
            said = time.monotonic()
            print(f"bench: scale: {what}: {sent - now:,} transactions left to mine", file=sys.stderr, flush=True)
        time.sleep(0.5)


def index(env: scenarios.Env, db: Path) -> dict:
    """The index built from scratch on SQLite: events per second, end to end (reading the chain,
    decoding, writing)."""
    store = Store(database_url(str(db), db))
    store.start(env.chain.chain_id, env.registry.address, env.deployment_block, 0)
    loader = Loader(env.chain, env.registry.address, env.registry.functions.certificates().call())
    report = Indexer(store, loader, 0).run()
    return {
        "events": report.events,
        "seconds": report.seconds,
        "events_per_second": report.rate,
        "database_bytes": db.stat().st_size,
    }


def _times(url: str, samples: int, timeout: float) -> list[float]:
    found = []
    for _ in range(samples):
        started = time.perf_counter()
        page = requests.get(url, timeout=timeout)
        assert page.status_code == 200, f"{url}: HTTP {page.status_code}"
        found.append(time.perf_counter() - started)
    return found


def _percentiles(times: list[float]) -> dict:
    ordered = sorted(times)
    p99 = ordered[min(len(ordered) - 1, int(round(0.99 * (len(ordered) - 1))))]
    return {"samples": len(times), "p50_ms": statistics.median(ordered) * 1000, "p99_ms": p99 * 1000}


def pages(
    env: scenarios.Env, db: Path, deployment: Path, stones: int, moves: int, samples: int, slow_samples: int, slow_timeout: float
) -> dict:
    """p50 and p99 of each page served from the index, and of the same pages scanning the chain."""
    url = env.chain.rpc_url
    ids = stone_ids(stones)
    paths = {
        "home": "/",
        "stone": f"/stone/{stone_id(ids[-1])}",
        "stone (moved)": f"/stone/{stone_id(ids[max(moves - 1, 0)])}",
        "address": f"/address/{env.sender(1).address}",
        "certificate": f"/kp/BW/{KP_NUMBER}",
    }
    with_index = serve(Explorer(url, deployment, Store(database_url(str(db), db), migrate=False)), "127.0.0.1", 0)
    without = serve(Explorer(url, deployment), "127.0.0.1", 0)
    results: dict = {}
    try:
        # Every page from the index first: a page left scanning the chain after its client gave up
        # would take the machine from the next measurement.
        for name, path in paths.items():
            fast = f"http://127.0.0.1:{with_index.server_address[1]}{path}"
            _times(fast, 3, 60)  # warm: connections, caches
            results[name] = {"path": path, "with_index": _percentiles(_times(fast, samples, 60))}
            print(
                f"bench: scale: {name}: {results[name]['with_index']['p99_ms']:.1f} ms p99 with the index",
                file=sys.stderr,
                flush=True,
            )
        # Not a goal, the proof's cost model: the first stone moved, whose holder's chain absorbed
        # every later move to it (half of them), all of which its proof reads and hashes.
        first = f"/stone/{stone_id(ids[0])}"
        results["first_moved"] = {
            "path": first,
            "later_records": (moves - 1) // 2,
            "with_index": _percentiles(_times(f"http://127.0.0.1:{with_index.server_address[1]}{first}", 3, slow_timeout)),
        }
        for name, path in paths.items():
            slow = f"http://127.0.0.1:{without.server_address[1]}{path}"
            try:
                results[name]["without_index"] = _percentiles(_times(slow, slow_samples, slow_timeout))
            except requests.Timeout:
                results[name]["without_index"] = {"samples": 0, "p50_ms": None, "p99_ms": None, "timed_out_after_s": slow_timeout}
            print(f"bench: scale: {name}: {results[name]['without_index']['p50_ms']} ms without", file=sys.stderr, flush=True)
    finally:
        with_index.shutdown()
        without.shutdown()
    return results


def scale(
    env: scenarios.Env,
    workdir: Path,
    stones: int,
    moves: int,
    samples: int = 200,
    slow_samples: int = 1,
    slow_timeout: float = 300,
) -> dict:
    """The registry built, indexed and its pages timed: `samples` times each page from the index,
    `slow_samples` times scanning the chain (at a million stones the home page takes minutes that
    way, an address page longer: one past `slow_timeout` seconds is reported as such)."""
    deployment = workdir / "deployment.json"
    env.deployment.save(deployment)
    built = build(env, stones, moves)
    db = workdir / "scale.index.sqlite"
    indexed = index(env, db)
    print(
        f"bench: scale: {indexed['events']:,} events indexed at {indexed['events_per_second']:,.0f}/s",
        file=sys.stderr,
        flush=True,
    )
    timed = pages(env, db, deployment, stones, moves, samples, slow_samples, slow_timeout)
    first_moved = timed.pop("first_moved")
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return {**built, "index": indexed, "pages": timed, "first_moved": first_moved, "when": when}
