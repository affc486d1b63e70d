"""One request's reads of the chain: the registry through the typed read model, participants in
one batch, event scans and block times, each read at most once per request.

Every read that fails for the chain's sake is a `ChainError` (the 503 page); a record that does
not exist is `NotFound` (the 404 page), as `reader.Registry` raises them.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

import requests
from web3.contract import Contract
from web3.exceptions import TransactionNotFound, Web3RPCError

from .. import deployments
from ..abi import Call
from ..chain import Chain, connect, read
from ..deployments import Deployment
from ..errors import ChainError
from ..reader import Registry
from ..records import ZERO_ADDRESS, Participant
from ..scan import BlockTimes, event_logs

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


@dataclass
class View:
    """The chain as one request sees it."""

    chain: Chain
    deployment: Deployment
    registry: Registry
    people: People
    times: BlockTimes
    # Where the list pages read from: the chain's events (`lists.ChainLists`), or the index
    # (`indexed.IndexedLists`); the server sets it.
    lists: Any = None

    @classmethod
    def open(cls, rpc_url: str, deployment_path: Path | None) -> "View":
        chain = connect(rpc_url)
        deployment, contract = deployments.open_registry(chain, deployment_path)
        registry = Registry(contract)
        return cls(chain, deployment, registry, People(registry), BlockTimes(chain.w3))

    def fresh(self) -> "View":
        """The same connection and registry for another request, with caches of its own (building
        web3's contract classes again would cost more than most pages' reads)."""
        return View(self.chain, self.deployment, self.registry, People(self.registry), BlockTimes(self.chain.w3))

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
