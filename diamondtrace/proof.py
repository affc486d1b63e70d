"""The custody proof: a stone's history, rebuilt from events, checked against the chain at full strength.

Every custody record is absorbed into its recipient's 128-bit chain, kept on chain beside the
recipient's balance (`chain' = keccak(chain, recordHash) mod 2^128`), and names the sender's chain
of that moment. So the current holder's chain, which the registry returns, commits to the stone's
latest record; that record commits to the chain of the holder before it, whose own records commit
to the record that brought it the stone; and so on back to the registration. To accept a history
that did not happen, a forger who controls the events we read must find a 128-bit preimage of
keccak: about 2^128 work. (A party that plans a forgery before making a real record could instead
look for a collision of its own two records, about 2^64 work; the README says so.)

Checking walks the links backwards. For each holder it reads the records absorbed into the
holder's chain while it held the stone (the stone's own record among them), going back from the
block the chain points at, a span of blocks per query, and jumping over empty stretches by each
record's pointer to the recipient's previous block; the stone's state points at its latest record.
So the work grows with the records involved, never with the chain's age. A provider that refuses
a span (too many blocks or results) gets smaller ones, down to single blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from eth_utils import keccak
from web3 import Web3

from .chain import batch_request, raw_request
from .records import BLOCK_MASK, CHAIN_MASK, RECORD_TOPIC, Anchor, CustodyRecord, topic
from .scan import Spans

# A history is read one holder at a time; a pointer chain this long is a loop or an attack.
MAX_STEPS = 1_000_000
# Blocks asked for in one query while walking a chain back: many providers cap a query at 1,000.
SPAN = 1_000


def absorb(chain: int, record: CustodyRecord) -> int:
    """A chain after absorbing `record`, as the registry computes it."""
    return int.from_bytes(keccak(chain.to_bytes(32, "big") + record.digest()), "big") & CHAIN_MASK


class RecordSource(Protocol):
    """Where a proof reads the records absorbed into holders' chains: the chain's logs
    (`LogSource`), or an index of them. Either may lie; the check does not trust it."""

    calls: int

    def back_from(self, account: str, block: int, floor: int) -> list[CustodyRecord]:
        """Records absorbed into `account`'s chain, in order, in blocks up to `block` (not below
        `floor`), the last of them in `block`; any number of whole blocks back."""
        ...


@dataclass
class LogSource:
    """Reads custody records a span of blocks at a time, counting its queries. A span the
    provider refuses is halved (and stays halved) down to one block (`scan.Spans`)."""

    w3: Web3
    registry: str
    spans: Spans = field(default_factory=lambda: Spans(SPAN))
    calls: int = 0

    def records_to(self, account: str, first: int, last: int) -> list[CustodyRecord]:
        """The custody records absorbed into `account`'s chain in blocks `first`..`last`, in order."""
        self.calls += 1
        # Without web3's formatting of each log, which costs more than the node's answer.
        query = {
            "address": self.registry,
            "fromBlock": hex(first),
            "toBlock": hex(last),
            "topics": [RECORD_TOPIC, None, topic(account)],
        }
        logs = raw_request(self.w3, "eth_getLogs", [query])
        return sorted((CustodyRecord.from_log(log) for log in logs), key=lambda r: r.position)

    def back_from(self, account: str, block: int, floor: int) -> list[CustodyRecord]:
        """`account`'s records in the span ending at `block` (not below `floor`)."""
        return self.spans.ending_at(lambda first, last: self.records_to(account, first, last), block, floor)


@dataclass
class Proof:
    """The verdict on a stone's history, the records it rests on (oldest first), and its cost."""

    ok: bool
    reason: str
    records: list[CustodyRecord] = field(default_factory=list)
    registered_to: str | None = None
    links: int = 0
    records_read: int = 0
    source: str = "the chain's logs"  # where the records were read: or "the index", confirmed by the chain's logs


class Broken(Exception):
    """The history does not check out; the message says where."""


def confirmed(w3: Web3, registry: str, records: list[CustodyRecord]) -> bool:
    """Whether each of `records` (one stone's, from another source than the chain's logs, already
    checked against the anchor) is exactly a log of the chain, transaction included: one query of
    one block per record, all in one JSON-RPC batch."""

    def query(r: CustodyRecord) -> tuple[str, list]:
        topics = [RECORD_TOPIC, topic(r.token_id), topic(r.recipient)]
        return "eth_getLogs", [{"address": registry, "fromBlock": hex(r.block), "toBlock": hex(r.block), "topics": topics}]

    answers = batch_request(w3, [query(r) for r in records]) if records else []
    return all(r in map(CustodyRecord.from_log, logs) for r, logs in zip(records, answers))


def check(source: RecordSource, token: int, anchor: Anchor, registered_block: int) -> Proof:
    """Checks stone `token`'s whole history against `anchor`; never raises for a bad history."""
    try:
        return _walk(source, token, anchor, registered_block)
    except Broken as exc:
        return Proof(False, str(exc))


def _walk(source: RecordSource, token: int, anchor: Anchor, registered_block: int) -> Proof:
    if not anchor.has_records:
        if anchor.last_record_block != registered_block & BLOCK_MASK:
            raise Broken("the registry says the stone has no custody records, but its latest record is not its registration")
        return Proof(True, "no custody records: the stone is with the participant it was registered to", [], anchor.holder)

    stone_records: list[CustodyRecord] = []  # newest first
    account, expected, walk_from = anchor.holder, anchor.chain, anchor.chain_block
    bound: tuple[int, int] | None = None
    arrival = anchor.last_record_block
    read = 0
    while True:
        found, later = _segment(source, token, account, walk_from, bound, arrival)
        read += len(later) + 1
        chain = absorb(found.recipient_chain_before, found)
        for record in later:
            if record.recipient_chain_before != chain:
                raise Broken(
                    f"the chain of {account} does not run through its record in block {record.block}: "
                    "records are missing or altered"
                )
            chain = absorb(chain, record)
        if chain != expected:
            raise Broken(
                f"the records {account} received from block {found.block} on do not reproduce its chain: "
                "the stone's history was altered, or records were hidden"
            )
        stone_records.append(found)
        if not found.had_records:
            if found.previous_stone_block != registered_block & BLOCK_MASK:
                raise Broken("the stone's first custody record does not follow its registration")
            registered_to = found.sender
            break
        account, expected, walk_from = found.sender, found.sender_chain, found.sender_last_block
        bound, arrival = found.position, found.previous_stone_block

    records = stone_records[::-1]
    for before, after in zip(records, records[1:]):
        if after.sender != before.recipient:
            raise Broken(f"record in block {after.block} moves the stone from {after.sender}, but {before.recipient} held it")
    if records[-1].recipient != anchor.holder:
        raise Broken(f"the history ends with {records[-1].recipient}, but the registry says {anchor.holder} holds the stone")
    return Proof(
        True,
        f"{_all_present(len(records))}, in order, and tied to the holders' on-chain chains "
        f"(128-bit; {read} record{'s' if read != 1 else ''} read in {source.calls} quer{'ies' if source.calls != 1 else 'y'})",
        records,
        registered_to,
        links=len(records),
        records_read=read,
    )


def _all_present(count: int) -> str:
    return "its one custody record present" if count == 1 else f"all {count} custody records present"


def _segment(
    source: RecordSource, token: int, account: str, walk_from: int, bound: tuple[int, int] | None, arrival: int
) -> tuple[CustodyRecord, list[CustodyRecord]]:
    """The stone's record into `account` in block `arrival`, and, oldest first, the records
    `account` received after it (before `bound`, the record by which the stone left it, if any),
    read back from block `walk_from` along the chain's pointers."""
    later: list[CustodyRecord] = []  # newest first while collecting
    block = walk_from
    for _ in range(MAX_STEPS):
        if block < arrival:
            raise Broken(f"the chain of {account} passes block {arrival} without the stone's record in it: a record was hidden")
        records = [r for r in source.back_from(account, block, arrival) if bound is None or r.position < bound]
        if not records or records[-1].block != block or any(r.recipient != account for r in records):
            raise Broken(
                f"the chain of {account} points at block {block}, where the events show none of its records: a record was hidden"
            )
        for record in reversed(records):
            if record.token_id == token and record.block == arrival:
                return record, later[::-1]
            later.append(record)
        previous = records[0].recipient_previous_block
        if previous >= records[0].block:
            raise Broken(f"the chain of {account} does not go back from block {records[0].block}")
        block = previous
    raise Broken(f"the chain of {account} is longer than {MAX_STEPS} blocks")
