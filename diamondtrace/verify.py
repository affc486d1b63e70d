"""A stone's full provenance, and the integrity check anyone can run without trusting us.

The custody history is rebuilt from the registry's events alone and checked against the compact
state the registry keeps per stone (custody count, chained commitment, last action, holder): a
missing, extra, reordered or altered record does not match.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import Any

from eth_abi import encode
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from .model import COMMITMENT_MASK, ZERO32, Action, Flag, Kind, Status, date_of_day, format_carat, role_names, stone_id, text_of

LOG_CHUNK = 50_000
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


@dataclass(frozen=True)
class CustodyRecord:
    """One change of holder as its `CustodyTransferred` event tells it."""

    seq: int
    token_id: int
    sender: str
    recipient: str
    action: int
    document: bytes
    certificate: bytes
    commitment: int
    block: int
    transaction: str
    log_index: int
    timestamp: int


@dataclass(frozen=True)
class Integrity:
    ok: bool
    reason: str


def commitment_step(previous: int, record: CustodyRecord) -> int:
    """The registry's `StoneRecord.commit`, recomputed off chain."""
    packed = encode(
        ["uint24", "uint256", "address", "address", "uint8", "bytes32", "bytes32", "uint256"],
        [
            previous,
            record.token_id,
            record.sender,
            record.recipient,
            record.action,
            record.document,
            record.certificate,
            record.timestamp,
        ],
    )
    return int.from_bytes(keccak(packed), "big") & COMMITMENT_MASK


def check_history(
    records: list[CustodyRecord],
    registered_to: str,
    holder: str,
    custody_count: int,
    commitment: int,
    last_action: int,
) -> Integrity:
    """Checks a rebuilt history, oldest first, against the registry's state for the stone."""
    if len(records) != custody_count:
        return Integrity(
            False,
            f"the events hold {len(records)} custody records but the registry counts {custody_count}: "
            "records are missing or forged",
        )
    expected_holder = registered_to
    chained = 0
    for i, record in enumerate(records, start=1):
        if record.sender.lower() != expected_holder.lower():
            return Integrity(
                False, f"record {i} moves the stone from {record.sender}, but {expected_holder} held it: the chain of holders is broken"
            )
        chained = commitment_step(chained, record)
        if chained != record.commitment:
            return Integrity(False, f"record {i} does not match its commitment: it was altered, or records were reordered")
        expected_holder = record.recipient
    if chained != commitment:
        return Integrity(False, "the rebuilt history does not reproduce the registry's custody commitment")
    if expected_holder.lower() != holder.lower():
        return Integrity(False, f"the history ends with {expected_holder}, but the registry says {holder} holds the stone")
    if records and records[-1].action != last_action:
        return Integrity(False, "the last record's action differs from the registry's")
    return Integrity(True, f"all {len(records)} custody records present, in order, and matching the on-chain commitment")


def event_logs(event: Any, from_block: int, to_block: int, filters: dict[str, Any]) -> list[Any]:
    """Event logs in chunks, as public RPC endpoints limit the block range of one query."""
    found: list[Any] = []
    start = from_block
    while start <= to_block:
        end = min(start + LOG_CHUNK - 1, to_block)
        found.extend(event.get_logs(from_block=start, to_block=end, argument_filters=filters))
        start = end + 1
    return sorted(found, key=lambda log: (log["blockNumber"], log["logIndex"]))


class BlockTimes:
    """Block timestamps, fetched once each."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._times: dict[int, int] = {}

    def __call__(self, block: int) -> int:
        if block not in self._times:
            self._times[block] = int(self._w3.eth.get_block(block)["timestamp"])
        return self._times[block]


def custody_records(
    registry: Contract, token: int, from_block: int, to_block: int, times: BlockTimes
) -> list[CustodyRecord]:
    logs = event_logs(registry.events.CustodyTransferred(), from_block, to_block, {"tokenId": token})
    return [
        CustodyRecord(
            seq=i,
            token_id=token,
            sender=log["args"]["from"],
            recipient=log["args"]["to"],
            action=int(log["args"]["action"]),
            document=bytes(log["args"]["document"]),
            certificate=bytes(log["args"]["certificate"]),
            commitment=int(log["args"]["commitment"]),
            block=log["blockNumber"],
            transaction=log["transactionHash"].to_0x_hex(),
            log_index=log["logIndex"],
            timestamp=times(log["blockNumber"]),
        )
        for i, log in enumerate(logs, start=1)
    ]


def registration_recipient(registry: Contract, token: int, from_block: int, to_block: int) -> tuple[str, Any]:
    """Who received the stone when it was minted, and the mint's log."""
    logs = event_logs(registry.events.Transfer(), from_block, to_block, {"from": ZERO_ADDRESS, "id": token})
    if not logs:
        return ZERO_ADDRESS, None
    return logs[0]["args"]["to"], logs[0]


def registered_weight(registry: Contract, token: int) -> int | None:
    """The stone's weight in centicarats, or None if no stone `token` is registered."""
    found, _, centicarats = registry.functions.registrations([token]).call()
    return centicarats[0] if found else None


def iso_time(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def _hex32(value: bytes) -> str | None:
    return None if bytes(value) == ZERO32 else "0x" + bytes(value).hex()


def _participant(registry: Contract, address: str) -> dict[str, Any]:
    roles, country, name = registry.functions.participant(address).call()
    return {
        "address": address,
        "name": name or None,
        "country": bytes(country).decode("ascii", "replace") if roles or any(country) else None,
        "roles": role_names(roles),
        "accredited": roles != 0,
    }


def provenance(registry: Contract, token: int, from_block: int) -> dict[str, Any]:
    """Everything about a stone, as `verify --json` prints it and the explorer's API returns it."""
    w3 = registry.w3
    to_block = w3.eth.block_number
    times = BlockTimes(w3)
    s = registry.functions.stone(token).call()
    (_, sid, holder, centicarats, kind, status, flag, batch_id, count, commitment, last_action, cert, parent, lab_grown, _) = s
    root = registry.functions.rootOf(token).call()
    root_batch_id = registry.functions.stone(root).call()[7] if root != token else batch_id
    origin_batch = registry.functions.batch(root_batch_id).call()
    own_batch = registry.functions.batch(batch_id).call() if batch_id != root_batch_id else origin_batch

    records = custody_records(registry, token, from_block, to_block, times)
    registered_to, mint_log = registration_recipient(registry, token, from_block, to_block)
    integrity = check_history(records, registered_to, holder, count, commitment, last_action)

    described = event_logs(registry.events.StoneDescribed(), from_block, to_block, {"tokenId": token})
    description = described[-1]["args"]["description"] if described else None

    kp = None
    if bytes(cert) != ZERO32:
        declared, authority, recorded_at, drawn = registry.functions.certificate(cert).call()
        (number, exporting, importing, exporter, importer, issued, expires, declared_cc, value_usd, parcels, doc) = declared
        kp = {
            "number": text_of(number),
            "exporting_country": bytes(exporting).decode(),
            "importing_country": bytes(importing).decode(),
            "exporter": exporter,
            "importer": importer,
            "issued": iso_time(issued)[:10],
            "expires": iso_time(expires)[:10],
            "declared_carat": format_carat(declared_cc),
            "drawn_carat": format_carat(drawn),
            "value_usd": value_usd,
            "parcels": parcels,
            "document": _hex32(doc),
            "authority": authority,
        }

    grading = [
        {
            "lab": lab,
            "report_number": text_of(report[0]),
            "carat": format_carat(report[1]),
            "colour": text_of(report[2]),
            "clarity": text_of(report[3]),
            "cut": text_of(report[4]),
            "lab_grown": bool(report[5]),
            "document": _hex32(report[6]),
            "issued_at": iso_time(issued_at),
            "current": i == 0,
        }
        for i, (report, lab, issued_at) in enumerate(reversed(registry.functions.gradingReports(token).call()))
    ]

    custody = [
        {
            "seq": r.seq,
            "from": r.sender,
            "to": r.recipient,
            "action": Action(r.action).label,
            "time": iso_time(r.timestamp),
            "block": r.block,
            "transaction": r.transaction,
            "document": _hex32(r.document),
            "kp_certificate": text_of(r.certificate) or None,
            "commitment": r.commitment,
        }
        for r in records
    ]

    return {
        "token_id": str(token),
        "stone_id": sid,
        "holder": holder,
        "status": Status(status).name.lower().replace("_", "-"),
        "carat": format_carat(centicarats),
        "kind": Kind(kind).name.lower(),
        "lab_grown": bool(lab_grown),
        "description": description,
        "origin": {
            "producer": origin_batch[0],
            "mine": text_of(origin_batch[5]),
            "country": bytes(origin_batch[3]).decode(),
            "production_date": date_of_day(origin_batch[2]).isoformat(),
            "registered_at": iso_time(own_batch[1]),
            "batch": batch_id,
            "registration_transaction": mint_log["transactionHash"].to_0x_hex() if mint_log else None,
            "registered_to": registered_to,
        },
        "kp_certificate": kp,
        "custody": custody,
        "custody_count": count,
        "commitment": commitment,
        "lineage": {
            "parent": stone_id(parent) if parent else None,
            "children": [stone_id(c) for c in registry.functions.childrenOf(token).call()],
            "root": stone_id(root),
        },
        "grading": grading,
        "flags": {"flag": Flag(flag).name.lower(), "flagged": flag != Flag.NONE},
        "integrity": asdict(integrity),
    }
