"""One request's reads of the chain: the registry through the typed read model, participants in
one batch, event scans and block times, each read at most once per request.

Every read that fails for the chain's sake is a `ChainError` (the 503 page); a record that does
not exist is `NotFound` (the 404 page), as `reader.Registry` raises them.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import requests
from web3.contract import Contract
from web3.exceptions import TransactionNotFound, Web3RPCError

from .. import deployments
from ..abi import Call
from ..chain import Chain, connect, raw_request, read
from ..deployments import Deployment
from ..errors import ChainError
from ..reader import Registry
from ..records import CLEARED_TOPIC, FLAGGED_TOPIC, ZERO_ADDRESS, FlagChange, Participant
from ..scan import BlockTimes, event_logs, raw_logs

# Threads for a request's reads that do not wait for each other (`View.meanwhile`); each thread
# keeps its own HTTP session to the node (web3 keys them by thread).
_READS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="explorer-read")
T = TypeVar("T")


def chain_read(call: Callable[[], Any]) -> Any:
    """`call()`, a failing node turned into a `ChainError` (web3 raises a missing transaction as
    an RPC error too: that one passes through)."""
    try:
        return call()
    except TransactionNotFound:
        raise
    except (requests.exceptions.RequestException, ConnectionError, Web3RPCError) as exc:
        raise ChainError(f"the chain failed to answer: {type(exc).__name__}") from None


class People:
    """Participants by address, read in one JSON-RPC batch per page; the templates name each
    address with its participant's name and country."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._known: dict[str, Participant] = {}

    def read(self, addresses: Iterable[str | None]) -> None:
        wanted = sorted({a for a in addresses if a and a != ZERO_ADDRESS and a not in self._known})
        if not wanted:
            return
        calls = [Call(self._registry.contract, "participant", a) for a in wanted]
        for address, raw in zip(wanted, chain_read(lambda: read(calls))):
            self._known[address] = Participant.decode(address, raw)

    def get(self, address: str | None) -> Participant | None:
        return self._known.get(address) if address else None


class BlockHashes:
    """The chain's hash of a block by number, asked again after `ttl` seconds, for all requests:
    every page says whether the index's last block is still the chain's, and on a busy chain
    fetching a block costs more than the rest of a page. A reorganisation shows within `ttl`; no
    verdict waits on it (the custody proof is checked against the chain itself)."""

    def __init__(self, chain: Chain, ttl: float = 1.0) -> None:
        self.chain = chain
        self.ttl = ttl
        self._lock = threading.Lock()
        self._known: dict[int, tuple[float, str | None]] = {}

    def __call__(self, number: int, fresh: bool = False) -> str | None:
        """Block `number`'s hash (None if the chain has no such block); `fresh`: asked now."""
        with self._lock:
            at, found = self._known.get(number, (-self.ttl, None))
        if not fresh and time.monotonic() - at < self.ttl:
            return found
        # The raw header: web3 would format every transaction hash of a busy block.
        block = chain_read(lambda: raw_request(self.chain.w3, "eth_getBlockByNumber", [hex(number), False]))
        found = block["hash"] if block else None
        with self._lock:
            now = time.monotonic()
            self._known = {n: (t, h) for n, (t, h) in self._known.items() if now - t < self.ttl}
            self._known[number] = (now, found)
        return found


class FlagChanges:
    """Every report of theft or loss and every clearing on the registry, from the chain's logs,
    for all requests: read from the deployment once, then only the blocks the chain has grown by (a
    stone's page would otherwise scan the whole chain for its few: 50-80 ms at a million stones).
    A reorganisation is noticed by the hash of the last block read, and everything is read again:
    asked afresh before reading on from it (a branch that replaced it and grew past it must not
    be read on from, within the second `BlockHashes` keeps a hash), and at most a second old when
    the chain has not grown."""

    def __init__(self, registry: str, first_block: int, hashes: BlockHashes) -> None:
        self.registry = registry
        self.first_block = first_block
        self.hashes = hashes
        self._lock = threading.Lock()
        self._read_to: tuple[int, str | None] | None = None
        self._by_stone: dict[int, list[FlagChange]] = {}

    def of(self, token: int, head: int) -> list[FlagChange]:
        """Stone `token`'s, oldest first, with the chain read up to block `head`."""
        with self._lock:
            grown = self._read_to is None or head > self._read_to[0]
            if self._read_to and self.hashes(self._read_to[0], fresh=grown) != self._read_to[1]:
                self._read_to, self._by_stone = None, {}
            start = self._read_to[0] + 1 if self._read_to else self.first_block
            if start <= head:
                # The hash before the logs: logs of a branch that replaced it meanwhile then fail the
                # next check and are read again, never kept under the new branch's hash.
                at_head = self.hashes(head, fresh=True)
                w3 = self.hashes.chain.w3
                logs = chain_read(lambda: raw_logs(w3, self.registry, [[FLAGGED_TOPIC, CLEARED_TOPIC]], start, head))
                for change in map(FlagChange.from_log, logs):
                    self._by_stone.setdefault(change.token_id, []).append(change)
                self._read_to = (head, at_head)
            return list(self._by_stone.get(token, []))


@dataclass
class View:
    """The chain as one request sees it."""

    chain: Chain
    deployment: Deployment
    registry: Registry
    people: People
    times: BlockTimes
    hashes: BlockHashes  # these two are shared by every request
    flags: FlagChanges
    # Where the list pages read from: the chain's events (`lists.ChainLists`), or the index
    # (`indexed.IndexedLists`); the server sets it.
    lists: Any = None

    @classmethod
    def open(cls, rpc_url: str, deployment_path: Path | None) -> "View":
        chain = connect(rpc_url)
        deployment, contract = deployments.open_registry(chain, deployment_path)
        registry = Registry(contract)
        hashes = BlockHashes(chain)
        flags = FlagChanges(registry.address, deployment.block, hashes)
        return cls(chain, deployment, registry, People(registry), BlockTimes(chain.w3), hashes, flags)

    def fresh(self) -> "View":
        """The same connection, registry and shared reads for another request, with caches of its
        own (building web3's contract classes again would cost more than most pages' reads)."""
        people, times = People(self.registry), BlockTimes(self.chain.w3)
        return View(self.chain, self.deployment, self.registry, people, times, self.hashes, self.flags)

    def flag_changes(self, token: int) -> list[tuple[FlagChange, int]]:
        """Every report of theft or loss of the stone and every clearing, oldest first, with its
        block's time: the chain's (`FlagChanges`), never the index's."""
        return [(f, self.time(f.block)) for f in self.flags.of(token, self.block)]

    @property
    def kp(self) -> Contract:
        return self.registry.book("certificates")

    @property
    def block(self) -> int:
        return chain_read(lambda: self.chain.w3.eth.block_number)

    def meanwhile(self, read: Callable[[], T]) -> Future[T]:
        """`read()` on another thread while the request goes on (its errors raised by `.result()`)."""
        return _READS.submit(read)

    def time(self, block: int) -> int:
        return chain_read(lambda: self.times(block))

    def transaction(self, tx_hash: str) -> tuple[Any, Any] | None:
        """A transaction and its receipt, or None if the chain has no such transaction."""
        w3 = self.chain.w3
        try:
            return chain_read(lambda: (w3.eth.get_transaction(tx_hash), w3.eth.get_transaction_receipt(tx_hash)))
        except TransactionNotFound:
            return None

    def logs(self, event: str, filters: dict[str, Any] | None = None, contract: Contract | None = None) -> list[Any]:
        """`event`'s logs since the registry's deployment, oldest first."""
        source = getattr((contract or self.registry.contract).events, event)()
        return chain_read(lambda: event_logs(source, self.deployment.block, self.chain.w3.eth.block_number, filters or {}))
