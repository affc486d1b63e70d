"""Reading one span of blocks from the chain into the index's rows: the registry's and its KP
book's events (raw `eth_getLogs`, decoded by their ABI), the hashes of the blocks they came from
and of the span's last block, and the times of the blocks a page dates.

Every event the index keeps has only static arguments, so each decodes word by word from its
ABI: no per-log formatting by web3, which would cost more than the rest of the index together.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable

from eth_utils import event_abi_to_log_topic, to_checksum_address

from ..artifacts import abi
from ..chain import Chain, batch_request, raw_request
from ..records import ZERO_ADDRESS
from .schema import certificates, custody, draws, flag_changes, registrations, stones, transfers
from .store import Span

EVENTS = {
    "DiamondRegistry": ("Transfer", "CustodyTransferred", "BatchRegistered", "StoneFlagged", "FlagCleared"),
    "KimberleyCertificates": ("CertificateRecorded", "CertificateDrawn", "CertificateDrawnByBatch"),
}


class Reorganised(Exception):
    """The chain changed under a span while it was read: read it again after the tip is checked."""


@lru_cache(maxsize=4096)
def _address(word: str) -> str:
    return to_checksum_address("0x" + word[-40:])


def _reader(kind: str) -> Callable[[str], Any]:
    """How one 32-byte word (64 hex digits) of ABI type `kind` reads."""
    if kind == "address":
        return _address
    if kind == "bool":
        return lambda word: int(word, 16) != 0
    if kind.startswith("uint"):
        return lambda word: int(word, 16)
    if kind.startswith("bytes"):
        width = 2 * int(kind[5:])
        return lambda word: bytes.fromhex(word[:width])
    raise ValueError(f"the index cannot decode event arguments of type {kind}")


class Decoder:
    """The indexed events by topic, each with its arguments' readers (topics first, then data)."""

    def __init__(self) -> None:
        self.events: dict[str, tuple[str, list[tuple[str, Callable[[str], Any]]], list[tuple[str, Callable[[str], Any]]]]] = {}
        for artifact, names in EVENTS.items():
            for event in abi(artifact):
                if event["type"] == "event" and event["name"] in names:
                    topic = "0x" + event_abi_to_log_topic(event).hex()
                    indexed = [(i["name"], _reader(i["type"])) for i in event["inputs"] if i["indexed"]]
                    data = [(i["name"], _reader(i["type"])) for i in event["inputs"] if not i["indexed"]]
                    self.events[topic] = (event["name"], indexed, data)

    @property
    def topics(self) -> list[str]:
        return list(self.events)

    def decode(self, log: dict) -> tuple[str, dict[str, Any]]:
        name, indexed, data = self.events[log["topics"][0]]
        args = {key: read(topic[2:]) for (key, read), topic in zip(indexed, log["topics"][1:])}
        words = log["data"][2:]
        args.update({key: read(words[64 * i : 64 * i + 64]) for i, (key, read) in enumerate(data)})
        return name, args


class Loader:
    """Reads spans of the registry's history from `chain` into `Span`s."""

    def __init__(self, chain: Chain, registry: str, kp_book: str) -> None:
        self.chain = chain
        self.addresses = [registry, kp_book]
        self.decoder = Decoder()

    def logs(self, first: int, last: int) -> list[dict]:
        """The indexed events in blocks `first`..`last`, raw, in chain order."""
        query = {"fromBlock": hex(first), "toBlock": hex(last), "address": self.addresses, "topics": [self.decoder.topics]}
        found = raw_request(self.chain.w3, "eth_getLogs", [query])
        return sorted(found, key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))

    def headers(self, numbers: list[int]) -> list[dict | None]:
        """Blocks' headers (None past the chain's head), in one JSON-RPC batch."""
        return batch_request(self.chain.w3, [("eth_getBlockByNumber", [hex(n), False]) for n in numbers]) if numbers else []

    def read(self, first: int, last: int) -> tuple[Span, str]:
        """Blocks `first`..`last` as rows, and the hash of block `last`; `Reorganised` if the chain
        changed under the read (the last block's hash before and after differ)."""
        before = self.headers([last])[0]
        logs = self.logs(first, last)
        span = self.span(logs)
        dated = sorted({row[0] for table in (registrations, flag_changes) for row in span.rows[table]})
        *times, after = self.headers(dated + [last])
        if before is None or after is None or before["hash"] != after["hash"]:
            raise Reorganised(f"block {last} changed while blocks {first}..{last} were read")
        for header in times:
            if header is None or span.blocks[int(header["number"], 16)][1] != header["hash"]:
                raise Reorganised(f"a block among {first}..{last} changed while it was read")
            span.blocks[int(header["number"], 16)][2] = int(header["timestamp"], 16)
        span.blocks.setdefault(last, [last, after["hash"], None])
        return span, after["hash"]

    def span(self, logs: list[dict]) -> Span:
        """Decoded logs (in chain order) as the index's rows: tuples in their tables' column order,
        uint256 values as 32 big-endian bytes (see `schema.Uint256`)."""
        rows: dict[Any, list[tuple]] = {
            table: [] for table in (transfers, custody, registrations, flag_changes, certificates, draws)
        }
        blocks: dict[int, list] = {}
        batch_of: dict[str, int] = {}  # a registration's transaction -> its batch, for the stones it minted
        mints: list[tuple[bytes, int, int, str, str]] = []
        moves: list[tuple[bytes, str, str]] = []
        for log in logs:
            name, a = self.decoder.decode(log)
            block, index, tx = int(log["blockNumber"], 16), int(log["logIndex"], 16), log["transactionHash"]
            if block not in blocks:
                blocks[block] = [block, log["blockHash"], None]
            if name == "Transfer":
                token = _word(a["id"])
                moves.append((token, a["from"], a["to"]))
                if a["from"] == ZERO_ADDRESS:
                    mints.append((token, block, index, tx, a["to"]))
                else:
                    rows[transfers].append((block, index, token, a["from"], a["to"]))
            elif name == "CustodyTransferred":
                rows[custody].append(
                    (
                        block,
                        index,
                        _word(a["tokenId"]),
                        a["from"],
                        a["to"],
                        a["document"],
                        _word(a["chains"]),
                        _word(a["record"]),
                        tx,
                    )
                )
            elif name == "BatchRegistered":
                batch_of[tx] = a["batch"]
                rows[registrations].append(
                    (block, index, a["batch"], a["registrant"], a["origin"], a["to"], a["mine"], a["country"], a["stones"],
                     a["centicarats"], tx)
                )  # fmt: skip
            elif name in ("StoneFlagged", "FlagCleared"):
                rows[flag_changes].append((block, index, _word(a["tokenId"]), a.get("flag", 0), a["by"], a["document"], tx))
            elif name == "CertificateRecorded":
                rows[certificates].append((block, index, a["id"], a["number"], a["exporting"]))
            else:  # CertificateDrawn (a crossing) or CertificateDrawnByBatch (a registration)
                token = _word(a["tokenId"]) if "tokenId" in a else None
                rows[draws].append((block, index, a["id"], token, a.get("batch"), a["centicarats"]))
        rows[stones] = [(token, batch_of.get(tx), block, index, to) for token, block, index, tx, to in mints]
        return Span(rows, blocks, moves)


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")
