"""The registry's records as Python values: every contract struct decoded once, by name.

Each dataclass (`Stone`, `Batch`, `Participant`, `Certificate`, `GradingReport`, `Totals`,
`Anchor`, `CustodyRecord`, `FlagChange`) decodes its struct or event here and nowhere else, and
gives its JSON with `as_json()`; `reader.Registry` makes the calls that return them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import Any

from eth_utils import keccak, to_checksum_address

from .model import ZERO32, Flag, Kind, Origin, Status, date_of_day, format_carat, role_names, text_of

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def iso_time(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def iso_date(timestamp: int) -> str | None:
    return iso_time(timestamp)[:10] if timestamp else None


def hex32(value: bytes) -> str | None:
    return None if bytes(value) == ZERO32 else "0x" + bytes(value).hex()


def country_of(code: bytes) -> str | None:
    return bytes(code).decode("ascii") if any(code) else None


def address_or_none(value: str) -> str | None:
    return None if int(value, 16) == 0 else value


@dataclass(frozen=True)
class Stone:
    """`IDiamondRegistry.Stone`: everything the registry keeps about one stone."""

    token_id: int
    stone_id: str
    holder: str
    centicarats: int
    kind: Kind
    origin: Origin
    status: Status
    flag: Flag
    batch: int
    jurisdiction: str | None
    warranted: bool
    rjc_certified: bool
    has_records: bool
    last_record_block: int
    certificate: int
    parent: int
    lab_grown: bool
    grading_count: int

    @classmethod
    def decode(cls, s: Any) -> "Stone":
        return cls(
            s.tokenId, s.stoneId, s.holder, s.centicarats, Kind(s.kind), Origin(s.origin), Status(s.status), Flag(s.flag),
            s.batch, country_of(s.jurisdiction), s.warranted, s.rjcCertified, s.hasRecords, s.lastRecordBlock,
            s.certificate, s.parent, s.labGrown, s.gradingCount,
        )  # fmt: skip

    @property
    def carat(self) -> str:
        return format_carat(self.centicarats)


@dataclass(frozen=True)
class Batch:
    """`IDiamondRegistry.Batch`: a registration, a split or a declared-origin entry."""

    id: int
    registrant: str
    registered_block: int
    production_day: int
    country: str | None
    origin: Origin
    lab_grown: bool
    mine: str
    certificate: int
    parent: int

    @classmethod
    def decode(cls, batch_id: int, b: Any) -> "Batch":
        return cls(
            batch_id, b.registrant, b.registeredBlock, b.productionDay, country_of(b.country), Origin(b.origin), b.labGrown,
            text_of(b.mine), b.certificate, b.parent,
        )  # fmt: skip

    @property
    def production_date(self) -> dt.date | None:
        return date_of_day(self.production_day) if self.origin == Origin.MINE else None


@dataclass(frozen=True)
class RjcCertification:
    certificate: str | None
    expires_at: int
    since_block: int
    current: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "certificate": self.certificate,
            "expires": iso_date(self.expires_at),
            "since_block": self.since_block or None,
            "current": self.current,
        }


@dataclass(frozen=True)
class Participant:
    """`IDiamondRegistry.Participant`, with the address it describes."""

    address: str
    roles: list[str]
    country: str | None
    name: str | None
    prefix: str | None
    successor: str | None
    nonce: int
    rjc: RjcCertification

    @classmethod
    def decode(cls, address: str, p: Any) -> "Participant":
        rjc = RjcCertification(text_of(p.rjc.certificate) or None, p.rjc.expiresAt, p.rjc.sinceBlock, bool(p.rjc.current))
        return cls(
            address, role_names(p.roles), country_of(p.country), p.name or None, text_of(p.prefix) or None,
            address_or_none(p.successor), p.nonce, rjc,
        )  # fmt: skip

    @property
    def accredited(self) -> bool:
        return bool(self.roles)

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "accredited": self.accredited, "rjc": self.rjc.as_json()}


@dataclass(frozen=True)
class Certificate:
    """`IKimberleyCertificates.Certificate`, with its id."""

    id: int
    number: str
    exporting: str
    importing: str
    exporter: str
    importer: str
    issued_at: int
    expires_at: int
    centicarats: int
    value_usd: int
    parcels: int
    document: bytes
    authority: str
    recorded_at: int
    drawn: int

    @classmethod
    def decode(cls, certificate_id: int, c: Any) -> "Certificate":
        d = c.declared
        return cls(
            certificate_id, text_of(d.number), country_of(d.exporting) or "", country_of(d.importing) or "", d.exporter,
            d.importer, d.issuedAt, d.expiresAt, d.centicarats, d.valueUsd, d.parcels, bytes(d.document), c.authority,
            c.recordedAt, c.drawnCenticarats,
        )  # fmt: skip

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "exporting_country": self.exporting,
            "importing_country": self.importing,
            "exporter": self.exporter,
            "importer": self.importer,
            "issued": iso_date(self.issued_at),
            "expires": iso_date(self.expires_at),
            "declared_carat": format_carat(self.centicarats),
            "drawn_carat": format_carat(self.drawn),
            "value_usd": self.value_usd,
            "parcels": self.parcels,
            "document": hex32(self.document),
            "authority": self.authority,
        }


@dataclass(frozen=True)
class GradingReport:
    """`IGradingBook.GradingReport`."""

    lab: str
    report_number: str
    centicarats: int
    colour: str
    clarity: str
    cut: str
    lab_grown: bool
    document: bytes
    issued_at: int

    @classmethod
    def decode(cls, r: Any) -> "GradingReport":
        g = r.report
        return cls(
            r.lab, text_of(g.reportNumber), g.centicarats, text_of(g.colour), text_of(g.clarity), text_of(g.cut),
            bool(g.labGrown), bytes(g.document), r.issuedAt,
        )  # fmt: skip

    def as_json(self, current: bool) -> dict[str, Any]:
        return {
            "lab": self.lab,
            "report_number": self.report_number,
            "carat": format_carat(self.centicarats),
            "colour": self.colour,
            "clarity": self.clarity,
            "cut": self.cut,
            "lab_grown": self.lab_grown,
            "document": hex32(self.document),
            "issued_at": iso_time(self.issued_at),
            "current": current,
        }


@dataclass(frozen=True)
class Totals:
    stones: int
    centicarats: int
    participants: int
    batches: int
    certificates: int


@dataclass(frozen=True)
class Anchor:
    """Where a stone's custody history is anchored on chain: its holder's 128-bit chain and the
    block of the latest record absorbed into it (or, for a split stone, the splitting
    manufacturer's at the split)."""

    holder: str
    has_records: bool
    last_record_block: int
    chain: int
    chain_block: int


CHAIN_MASK = (1 << 128) - 1
BLOCK_MASK = (1 << 32) - 1
RECORD_EVENT = "CustodyTransferred(uint256,address,address,bytes32,uint256,uint256)"
RECORD_TOPIC = "0x" + keccak(text=RECORD_EVENT).hex()
DESCRIBED_TOPIC = "0x" + keccak(text="StoneDescribed(uint256,address,string)").hex()
FLAGGED_TOPIC = "0x" + keccak(text="StoneFlagged(uint256,address,uint8,bytes32)").hex()
CLEARED_TOPIC = "0x" + keccak(text="FlagCleared(uint256,address,bytes32)").hex()


def _packed(word: str, shift: int, width: int, kind: type = int) -> property:
    """A field of one of the event's packed words (see `IDiamondRegistry.CustodyTransferred`)."""
    return property(lambda self: kind(getattr(self, word) >> shift & ((1 << width) - 1)))


@dataclass(frozen=True)
class CustodyRecord:
    """`IDiamondRegistry.CustodyTransferred`: one custody record, with the fields its two packed
    words hold."""

    token_id: int
    sender: str
    recipient: str
    document: bytes
    chains: int
    record: int
    block: int
    log_index: int
    transaction: str

    action = _packed("record", 0, 8)
    warranty = _packed("record", 8, 1, bool)  # the invoice carried the SoW warranty statement
    had_records = _packed("record", 9, 1, bool)  # else the stone came by registration
    warranted_after = _packed("record", 10, 1, bool)
    rjc_after = _packed("record", 11, 1, bool)
    warranted_before = _packed("record", 12, 1, bool)
    rjc_before = _packed("record", 13, 1, bool)
    certificate_id = _packed("record", 16, 32)
    time = _packed("record", 48, 40)
    previous_stone_block = _packed("record", 88, 32)
    sender_last_block = _packed("record", 120, 32)
    recipient_previous_block = _packed("record", 152, 32)
    recipient_chain_before = _packed("chains", 0, 128)
    sender_chain = _packed("chains", 128, 128)

    @property
    def position(self) -> tuple[int, int]:
        return (self.block, self.log_index)

    def digest(self) -> bytes:
        """The registry's record hash: `keccak256(abi.encode(tokenId, from, to, document, chains, record))`."""
        # Encoded by hand: a proof hashes every record absorbed into a holder's chain, thousands
        # for a busy trader, and eth-abi's checks cost more than the hash.
        if len(self.document) != 32:
            raise ValueError("a custody record's document is 32 bytes")
        return keccak(
            self.token_id.to_bytes(32, "big")
            + bytes(12)
            + bytes.fromhex(self.sender[2:])
            + bytes(12)
            + bytes.fromhex(self.recipient[2:])
            + self.document
            + self.chains.to_bytes(32, "big")
            + self.record.to_bytes(32, "big")
        )

    @classmethod
    def from_event(cls, event: Any) -> "CustodyRecord":
        """A `CustodyTransferred` log as web3's contract events decode it."""
        args = event["args"]
        return cls(
            token_id=args["tokenId"],
            sender=args["from"],
            recipient=args["to"],
            document=bytes(args["document"]),
            chains=args["chains"],
            record=args["record"],
            block=event["blockNumber"],
            log_index=event["logIndex"],
            transaction=event["transactionHash"].to_0x_hex(),
        )

    @classmethod
    def from_log(cls, log: dict) -> "CustodyRecord":
        """A raw `eth_getLogs` entry of `CustodyTransferred` (hex strings or bytes)."""
        topics = [_raw(t) for t in log["topics"]]
        data = _raw(log["data"])
        words = [data[i : i + 32] for i in range(0, len(data), 32)]
        return cls(
            token_id=int.from_bytes(topics[1], "big"),
            recipient=_checksummed(topics[2][12:]),
            sender=_checksummed(words[0][12:]),
            document=words[1],
            chains=int.from_bytes(words[2], "big"),
            record=int.from_bytes(words[3], "big"),
            block=_number(log["blockNumber"]),
            log_index=_number(log["logIndex"]),
            transaction=log["transactionHash"]
            if isinstance(log["transactionHash"], str)
            else "0x" + bytes(log["transactionHash"]).hex(),
        )


@dataclass(frozen=True)
class FlagChange:
    """`IDiamondRegistry.StoneFlagged` (a report of theft or loss) or `FlagCleared` (`flag` NONE):
    kept so that a cleared report still shows on the stone's record."""

    token_id: int
    flag: Flag
    by: str
    document: bytes
    block: int
    log_index: int
    transaction: str

    @property
    def cleared(self) -> bool:
        return self.flag == Flag.NONE

    @classmethod
    def from_log(cls, log: dict) -> "FlagChange":
        """A raw `eth_getLogs` entry of `StoneFlagged` or `FlagCleared` (hex strings)."""
        topics = [_raw(t) for t in log["topics"]]
        data = _raw(log["data"])
        flagged = "0x" + topics[0].hex() == FLAGGED_TOPIC
        return cls(
            token_id=int.from_bytes(topics[1], "big"),
            flag=Flag(int.from_bytes(data[:32], "big")) if flagged else Flag.NONE,
            by=_checksummed(topics[2][12:]),
            document=data[32:64] if flagged else data[:32],
            block=_number(log["blockNumber"]),
            log_index=_number(log["logIndex"]),
            transaction=log["transactionHash"],
        )


@lru_cache(maxsize=4096)
def _checksummed(raw: bytes) -> str:
    # EIP-55 hashes each address: a holder's thousands of records name a few accounts.
    return to_checksum_address(raw)


def topic(value: int | str) -> str:
    """An indexed event argument (a uint256, or an address) as the log topic a query filters on."""
    word = value.to_bytes(32, "big") if isinstance(value, int) else bytes.fromhex(value[2:]).rjust(32, b"\0")
    return "0x" + word.hex()


def _raw(value: str | bytes) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _number(value: int | str) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)
