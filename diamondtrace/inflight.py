"""What became of a transaction sent but not yet mined, and what to do about it.

A real network does not mine everything it is sent: a transaction whose fee falls under a rising
base fee waits (or is evicted), a node drops transactions from its pool, a reorg or a rewind takes
a mined one back out of the chain, and a transaction after a missing nonce can never be mined.
`Flights` keeps what a `Sender` signed at each nonce and, looked at every second or so while a
transaction is awaited, finds out which of these happened: a stuck one is replaced at the same
nonce with a higher fee (EIP-1559: tip and max fee each raised by at least 10%), a dropped one
is sent again as it was, and one that can never be mined is reported in words. Never is a second
transaction signed at a new nonce for the same call.
"""

from __future__ import annotations

import logging
import math
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .chain import batch_request, raw_request
from .errors import ChainError

if TYPE_CHECKING:
    from .sending import Sender

log = logging.getLogger("diamondtrace")

# Seconds between two looks at an awaited transaction (one JSON-RPC batch each).
CHECK_EVERY = 1.0
# Geth takes a replacement only with tip and max fee each at least 10% above the one it replaces.
FEE_BUMP = 1.125
# A transaction next in line, with fee enough, passed over for this many blocks gets a higher tip.
STUCK_BLOCKS = 3
# Re-sends and replacements of one nonce's transaction before giving up on it.
RESEND_LIMIT = 8

# What nodes answer, in the words of geth, Anvil, Nethermind, Erigon, Besu and EthereumJS.
_ALREADY_HELD = re.compile(r"already known|already imported|known transaction|already in the txpool", re.I)
_NONCE_TAKEN = re.compile(r"nonce too low|replacement transaction underpriced|nonce.*already", re.I)
_UNDER_BASE_FEE = re.compile(r"less than (the )?block base fee|fee ?cap.*(less|lower|below).*base ?fee|underpriced", re.I)


class NonceTaken(Exception):
    """The node already has another transaction with this nonce from this account."""


class Underpriced(Exception):
    """The transaction's fee is under what the node takes now (the base fee rose)."""


def classify(message: str) -> type[Exception] | None:
    """The kind of refusal a node's `eth_sendRawTransaction` error means, or None if none of these."""
    if _NONCE_TAKEN.search(message):
        return NonceTaken
    if _UNDER_BASE_FEE.search(message):
        return Underpriced
    return None


def already_held(message: str) -> bool:
    """The node answered that it holds this very transaction already."""
    return bool(_ALREADY_HELD.search(message))


def next_base_fee(block: dict) -> int | None:
    """The base fee of the block after `block` (EIP-1559), or None on a chain without one."""
    if block.get("baseFeePerGas") is None:
        return None
    base, used, limit = (int(block[key], 16) for key in ("baseFeePerGas", "gasUsed", "gasLimit"))
    target = limit // 2
    if used > target:
        return base + max(base * (used - target) // target // 8, 1)
    return base - base * (target - used) // target // 8


def fee_cap(tx: dict) -> int:
    return tx.get("maxFeePerGas", tx.get("gasPrice", 0))


def bumped(tx: dict, base: int | None) -> dict[str, int]:
    """Fees for a replacement of `tx`: each raised by `FEE_BUMP`, the max fee at least twice the base fee above the tip."""
    if "maxFeePerGas" in tx:
        tip = max(math.ceil(tx["maxPriorityFeePerGas"] * FEE_BUMP), 1)
        return {"maxPriorityFeePerGas": tip, "maxFeePerGas": max(math.ceil(tx["maxFeePerGas"] * FEE_BUMP), 2 * (base or 0) + tip)}
    return {"gasPrice": max(math.ceil(tx["gasPrice"] * FEE_BUMP), base or 0)}


@dataclass
class Flight:
    """What was signed at one nonce: the transaction (its latest fees) and every version sent."""

    tx: dict
    raw: bytes
    hashes: list[str]
    sends: int = 0  # re-sends and replacements so far
    next_in_line_at: int | None = None  # the head when it was first seen next in line, in the pool


@dataclass
class Flights:
    """The transactions a sender has in flight, by nonce, and the looks at what became of them."""

    sender: Sender
    by_nonce: dict[int, Flight] = field(default_factory=dict)
    nonce_of: dict[str, int] = field(default_factory=dict)
    _on_demand: bool | None = None
    _head: tuple[int, float] = (-1, 0.0)  # the last head seen, and since when

    def signed(self, tx: dict, raw: bytes, tx_hash: str, replacing: bool = False) -> None:
        """Records a transaction just signed at its nonce: a new one, or a version of the one there."""
        nonce = tx["nonce"]
        flight = self.by_nonce.get(nonce)
        if replacing and flight is not None:
            flight.tx, flight.raw = tx, raw
            flight.hashes.append(tx_hash)
        else:
            self.by_nonce[nonce] = Flight(tx, raw, [tx_hash])
        self.nonce_of[tx_hash] = nonce

    def versions(self, tx_hash: str) -> list[str]:
        """Every version sent of the transaction `tx_hash` is one of (replacements share its nonce)."""
        flight = self.by_nonce.get(self.nonce_of.get(tx_hash, -1))
        return flight.hashes if flight is not None and tx_hash in flight.hashes else [tx_hash]

    def settled(self, tx_hash: str) -> None:
        """Forgets the transactions up to `tx_hash`'s nonce, which is mined as deep as asked."""
        nonce = self.nonce_of.get(tx_hash, -1)
        for n in [n for n in list(self.by_nonce) if n <= nonce]:
            for h in self.by_nonce.pop(n).hashes:
                self.nonce_of.pop(h, None)

    def look(self, tx_hash: str) -> None:
        """Finds out what became of `tx_hash`, or of the earlier transaction of this account that
        blocks it, and acts on it (see the module's notes)."""
        s = self.sender
        latest, pending, block = batch_request(
            s.w3,
            [
                ("eth_getTransactionCount", [s.address, "latest"]),
                ("eth_getTransactionCount", [s.address, "pending"]),
                ("eth_getBlockByNumber", ["latest", False]),
            ],
        )
        head = int(block["number"], 16)
        moved = head != self._head[0]
        if moved:
            self._head = (head, time.monotonic())
        nonce = self.nonce_of.get(tx_hash)
        if nonce is None:  # not signed here: nothing to re-send or replace
            return
        mined, held = int(latest, 16), int(pending, 16)
        if mined > nonce:
            if not self._mined(nonce):
                raise ChainError(
                    f"transaction {tx_hash} was replaced by another from {s.address} with the same nonce "
                    "(another program sends from this account); it was not mined: run again"
                )
            return
        # The account's next nonce is mined first: ours, or an earlier one that blocks ours.
        flight = self.by_nonce.get(mined)
        base = next_base_fee(block)
        if held <= mined:  # the node holds no transaction with the next nonce
            if flight is None:
                raise ChainError(
                    f"transaction {tx_hash} (nonce {nonce}) can never be mined as things stand: {s.address}'s next "
                    f"nonce is {mined} and the node holds no transaction with it (a nonce gap: one sent before it "
                    "was dropped or rewound, or another program sends from this account); nothing more was sent: "
                    "run the command again"
                )
            self._send_again(mined, flight, base)
        elif flight is not None and self._known(flight):
            if flight.next_in_line_at is None:
                flight.next_in_line_at = head
            if base is not None and fee_cap(flight.tx) < base:
                self._replace(mined, flight, base, f"its max fee {fee_cap(flight.tx)} wei is under the base fee {base} wei")
            elif head - flight.next_in_line_at >= STUCK_BLOCKS:
                self._replace(mined, flight, base, f"{head - flight.next_in_line_at} blocks passed it over")
            elif not moved and time.monotonic() - self._head[1] >= CHECK_EVERY and self.on_demand():
                self.mine(f"transaction {flight.hashes[-1]} is ready in its pool")

    def on_demand(self) -> bool:
        """Whether the chain is a development chain that mines only when sent a transaction (Anvil's
        or Hardhat's automine), asked once."""
        if self._on_demand is None:
            self._on_demand = False
            for method in ("anvil_getAutomine", "hardhat_getAutomine"):
                reply = self.sender.w3.provider.make_request(method, [])
                if "result" in reply:
                    self._on_demand = bool(reply["result"])
                    break
        return self._on_demand

    def mine(self, why: str) -> None:
        """Asks a chain that mines on demand for a block. Anvil's automine mines one block per
        wake-up, a block holds one full batch, and a batch that arrives with another is left
        in the pool until the next transaction arrives, which at the end of a run never does."""
        log.info("%s but the chain, which mines on demand, made no block: asking it to mine one", why)
        raw_request(self.sender.w3, "evm_mine", [])

    def _mined(self, nonce: int) -> bool:
        flight = self.by_nonce.get(nonce)
        hashes = flight.hashes if flight else []
        return any(batch_request(self.sender.w3, [("eth_getTransactionReceipt", [h]) for h in hashes])) if hashes else False

    def _known(self, flight: Flight) -> bool:
        return any(batch_request(self.sender.w3, [("eth_getTransactionByHash", [h]) for h in flight.hashes]))

    def _within_limit(self, nonce: int, flight: Flight) -> None:
        """Gives up, in words, on a transaction sent again or replaced `RESEND_LIMIT` times."""
        if flight.sends >= RESEND_LIMIT:
            raise ChainError(
                f"transaction {flight.hashes[-1]} (nonce {nonce}) was dropped, re-sent or replaced {flight.sends} times "
                "and is still not mined; nothing more was sent: check the node, then run the command again"
            )

    def _send_again(self, nonce: int, flight: Flight, base: int | None) -> None:
        """The node does not show the transaction (dropped from its pool, or its block rewound;
        or a node that shows only mined transactions): sends it again, unchanged."""
        if base is not None and fee_cap(flight.tx) < base:
            return self._replace(nonce, flight, base, "it was dropped and its max fee is under the base fee")
        self._within_limit(nonce, flight)
        try:
            _, taken = self.sender.push(flight.raw)
        except Underpriced:
            return self._replace(nonce, flight, base, "the node refused it again for its fee")
        except NonceTaken:
            return  # the nonce was used meanwhile: the next look says by what
        if taken:  # else the node held it all along, and shows only mined transactions
            flight.sends += 1
            log.warning(
                "transaction %s (nonce %d) was neither in the node's pool nor on chain (dropped, or its block was "
                "rewound): sent it again, unchanged",
                flight.hashes[-1],
                nonce,
            )

    def _replace(self, nonce: int, flight: Flight, base: int | None, why: str) -> None:
        """Signs the same transaction at the same nonce with higher fees and sends it."""
        self._within_limit(nonce, flight)
        flight.sends += 1
        tx = {**flight.tx, **bumped(flight.tx, base)}
        raw = self.sender.sign_at(tx)
        flight.next_in_line_at = None
        log.warning(
            "transaction %s (nonce %d) was stuck (%s): replaced it by %s, same nonce, max fee %d wei, tip %d wei",
            flight.hashes[-2],
            nonce,
            why,
            flight.hashes[-1],
            fee_cap(tx),
            tx.get("maxPriorityFeePerGas", tx.get("gasPrice", 0)),
        )
        try:
            self.sender.send_raw(raw)
        except (NonceTaken, Underpriced):
            pass  # mined meanwhile, or the fee must rise again: the next look says which
