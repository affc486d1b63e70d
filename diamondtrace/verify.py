"""A stone's full provenance, and the verdicts anyone can run without trusting us.

The custody history is rebuilt from the registry's events and checked, at 128-bit strength, against
the chains the registry keeps (see `proof`). The three assurance schemes are read from the stone's
on-chain record, which the registry keeps at every change of holder: the Kimberley Process (natural
rough crossed borders only under certificates drawn for it), the WDC System of Warranties (every
sale carried the warranty statement) and the RJC Code of Practices (every holder in the trade was
certified throughout its holding). A verdict stands only on an intact record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.exceptions import Web3RPCError

from . import proof
from .abi import Call
from .chain import read
from .deployments import certificates_contract, grading_contract
from .model import ZERO32, Action, Flag, Kind, Origin, Status, date_of_day, format_carat, stone_id, text_of

LOG_CHUNK = 50_000
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
# Grading reports shown with a stone, newest first; the rest are a page away (`gradingReports`).
GRADING_SHOWN = 20


def event_logs(event: Any, from_block: int, to_block: int, filters: dict[str, Any]) -> list[Any]:
    """Event logs in chunks, as public RPC endpoints limit the block range (or the results) of one
    query: a chunk the provider refuses is halved, and stays halved, down to one block. Its cost
    grows with the chain's age: lists use it, the custody proof does not."""
    found: list[Any] = []
    start, chunk = from_block, LOG_CHUNK
    while start <= to_block:
        end = min(start + chunk - 1, to_block)
        try:
            found.extend(event.get_logs(from_block=start, to_block=end, argument_filters=filters))
        except (ValueError, Web3RPCError):
            if chunk == 1:
                raise
            chunk = max(chunk // 2, 1)
            continue
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


def registered_weight(registry: Contract, token: int) -> int | None:
    """The stone's weight in centicarats, or None if no stone `token` is registered."""
    found, _, centicarats = registry.functions.registrations([token]).call()
    return centicarats[0] if found else None


def iso_time(timestamp: int) -> str:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).isoformat().replace("+00:00", "Z")


def hex32(value: bytes) -> str | None:
    return None if bytes(value) == ZERO32 else "0x" + bytes(value).hex()


def country_of(code: bytes) -> str | None:
    return bytes(code).decode("ascii") if any(code) else None


def certificate_view(book: Contract, certificate_id: int) -> dict[str, Any] | None:
    """A KP certificate as `verify --json` shows it, or None for id zero."""
    if not certificate_id:
        return None
    c = book.functions.certificate(certificate_id).call()
    d = c.declared
    return {
        "id": certificate_id,
        "number": text_of(d.number),
        "exporting_country": country_of(d.exporting),
        "importing_country": country_of(d.importing),
        "exporter": d.exporter,
        "importer": d.importer,
        "issued": iso_time(d.issuedAt)[:10],
        "expires": iso_time(d.expiresAt)[:10],
        "declared_carat": format_carat(d.centicarats),
        "drawn_carat": format_carat(c.drawnCenticarats),
        "value_usd": d.valueUsd,
        "parcels": d.parcels,
        "document": hex32(d.document),
        "authority": c.authority,
    }


def anchor_of(registry: Contract, token: int, status: int, holder: str) -> proof.Anchor:
    """Where the stone's history is anchored: its holder's chain, or, for a split stone, the
    splitting manufacturer's chain at the split (which no later record can move)."""
    _, has_records, last_block, chain, chain_block = registry.functions.custodyAnchor(token).call()
    if status == Status.SPLIT:
        chain, chain_block = registry.functions.splitAnchor(token).call()
    return proof.Anchor(holder, has_records, last_block, chain, chain_block)


def check_history(registry: Contract, token: int, stone: Any, batch: Any) -> proof.Proof:
    source = proof.LogSource(registry.w3, registry.address)
    return proof.check(source, token, anchor_of(registry, token, stone.status, stone.holder), batch.registeredBlock)


def _custody_json(record: proof.CustodyRecord, seq: int, numbers: dict[int, str]) -> dict[str, Any]:
    return {
        "seq": seq,
        "from": record.sender,
        "to": record.recipient,
        "action": Action(record.action).label,
        "time": iso_time(record.time),
        "block": record.block,
        "transaction": record.transaction,
        "document": hex32(record.document),
        "warranty": record.warranty,
        "kp_certificate": numbers.get(record.certificate_id),
    }


def _assurance(
    stone: Any,
    parent: Any | None,
    root_batch: Any,
    intact: bool,
    history: list[proof.CustodyRecord],
    journey: list[proof.CustodyRecord],
    registered_to: str | None,
) -> dict[str, dict[str, Any]]:
    """The three assurance schemes, from the stone's on-chain record and its (checked) `history`;
    `journey` adds, for a polished stone, its rough parent's records (its border crossings). Each
    record carries the stone's SoW and RJC verdicts before and after it, so the record where one
    fell is named; a stone cut from `parent` starts with the parent's verdicts."""
    if not intact:
        broken = {"ok": False, "detail": "the custody record is broken, so no assurance can be given"}
        return {"kimberley_process": broken, "system_of_warranties": broken, "rjc": broken}
    traced = root_batch.origin == Origin.MINE
    crossings = [r for r in journey if r.certificate_id]
    if stone.labGrown:
        kp = {"ok": False, "detail": "laboratory-grown: outside the Kimberley Process, which covers natural rough"}
    elif not traced:
        kp = {"ok": False, "detail": "origin declared, not traced from the mine: the Kimberley Process cannot be shown"}
    else:
        what = "as rough, it" if stone.kind == Kind.POLISHED else "it"
        kp = {
            "ok": True,
            "detail": f"registered at the mine; {what} crossed borders only under KP certificates drawn for it "
            f"({len(crossings)} crossing{'s' if len(crossings) != 1 else ''})",
        }
    unwarranted = next((r for r in history if r.warranted_before and not r.warranted_after), None)
    if stone.warranted:
        sow = {"ok": True, "detail": "every sale in the trade since the stone entered the registry carried the SoW warranty statement"}
    elif unwarranted is not None:
        sow = {
            "ok": False,
            "detail": f"the {Action(unwarranted.action).label} in block {unwarranted.block} ({unwarranted.sender} to "
            f"{unwarranted.recipient}) did not carry the SoW warranty statement",
        }
    else:
        sow = {"ok": False, "detail": "a sale of its rough parent, before it was cut, did not carry the SoW warranty statement"}
    uncertified = next((r for r in history if r.rjc_before and not r.rjc_after), None)
    if stone.rjcCertified:
        rjc = {"ok": True, "detail": "every holder in the trade was RJC-certified throughout its holding"}
    elif parent is not None and not parent.rjcCertified:
        rjc = {"ok": False, "detail": "a holder of its rough parent, before it was cut, was not RJC-certified throughout its holding"}
    elif uncertified is not None:
        rjc = {
            "ok": False,
            "detail": f"at the {Action(uncertified.action).label} in block {uncertified.block}, {uncertified.sender} or "
            f"{uncertified.recipient} was not RJC-certified throughout",
        }
    elif parent is not None:
        rjc = {"ok": False, "detail": "the manufacturer that cut it was not RJC-certified throughout its holding of the rough parent"}
    else:
        rjc = {"ok": False, "detail": f"{registered_to}, the participant it was registered to, was not RJC-certified when it was registered"}
    if root_batch.origin == Origin.DECLARED:
        for verdict in (sow, rjc):
            verdict["detail"] += " (since its entry with a declared origin; before that, nothing is known)"
    return {"kimberley_process": kp, "system_of_warranties": sow, "rjc": rjc}


def _description(registry: Contract, token: int, batch: Any, every: bool, from_block: int) -> tuple[str | None, list[dict]]:
    """The registrant's description (given at registration, in its block) and, if asked, every
    description with its author (a scan from `from_block`, whose cost grows with the chain's age)."""
    event = registry.events.StoneDescribed()
    at_registration = event.get_logs(
        from_block=batch.registeredBlock, to_block=batch.registeredBlock, argument_filters={"tokenId": token, "by": batch.registrant}
    )
    own = at_registration[-1]["args"]["description"] if at_registration else None
    if not every:
        return own, []
    logs = event_logs(event, from_block, registry.w3.eth.block_number, {"tokenId": token})
    return own, [{"by": log["args"]["by"], "description": log["args"]["description"], "block": log["blockNumber"]} for log in logs]


def provenance(registry: Contract, token: int, from_block: int, *, all_descriptions: bool = False) -> dict[str, Any]:
    """Everything about a stone, as `verify --json` prints it and the explorer's API returns it."""
    w3 = registry.w3
    stone, root, children = read([Call(registry, "stone", token), Call(registry, "rootOf", token), Call(registry, "childrenOf", token)])
    batch = registry.functions.batch(stone.batch).call()
    root_stone = registry.functions.stone(root).call() if root != token else stone
    root_batch = registry.functions.batch(root_stone.batch).call() if root != token else batch
    book = certificates_contract(registry)
    history = check_history(registry, token, stone, batch)
    parent_history = check_history(registry, root, root_stone, root_batch) if root != token else None
    intact = history.ok and (parent_history is None or parent_history.ok)

    every_record = (parent_history.records if parent_history else []) + history.records
    numbers = {cid: text_of(book.functions.certificate(cid).call().declared.number) for cid in {r.certificate_id for r in every_record if r.certificate_id}}
    grading = grading_contract(registry)
    count = stone.gradingCount
    reports = grading.functions.gradingReports(token, max(count - GRADING_SHOWN, 0), GRADING_SHOWN).call() if count else []
    description, descriptions = _description(registry, token, batch, all_descriptions, from_block)
    registered_at = w3.eth.get_block(batch.registeredBlock)["timestamp"]
    origin = Origin(root_batch.origin)

    integrity_reason = history.reason
    if parent_history is not None:
        integrity_reason += f"; its rough parent {stone_id(root)}: {parent_history.reason}"
    return {
        "registry": registry.address,
        "chain_id": w3.eth.chain_id,
        "token_id": str(token),
        "stone_id": stone.stoneId,
        "holder": stone.holder,
        "status": Status(stone.status).name.lower().replace("_", "-"),
        "carat": format_carat(stone.centicarats),
        "kind": Kind(stone.kind).name.lower(),
        "lab_grown": bool(stone.labGrown),
        "jurisdiction": country_of(stone.jurisdiction),
        "description": description,
        **({"descriptions": descriptions} if all_descriptions else {}),
        "origin": {
            "how": origin.name.lower(),
            "traced_from_mine": origin == Origin.MINE,
            "note": None if origin == Origin.MINE else "origin declared, not traced from the mine",
            "registrant": root_batch.registrant,
            "producer": root_batch.registrant if origin == Origin.MINE else None,
            "mine": text_of(root_batch.mine),
            "country": country_of(root_batch.country),
            "production_date": date_of_day(root_batch.productionDay).isoformat() if origin == Origin.MINE else None,
            "registered_at": iso_time(registered_at),
            "registered_block": batch.registeredBlock,
            "batch": stone.batch,
            "registered_by": batch.registrant,
            "registered_to": history.registered_to,
        },
        "kp_certificate": certificate_view(book, stone.certificate),
        "custody": [_custody_json(r, i, numbers) for i, r in enumerate(history.records, start=1)],
        "custody_count": len(history.records),
        # What an offline signer names in an authorization (`transfer --sign-only --last-record-block`).
        "last_record_block": stone.lastRecordBlock,
        "lineage": {
            "parent": stone_id(stone.parent) if stone.parent else None,
            "children": [stone_id(c) for c in children],
            "root": stone_id(root),
            # A polished stone's journey from the mine is its rough parent's, up to the cut.
            "parent_custody": [_custody_json(r, i, numbers) for i, r in enumerate(parent_history.records, start=1)]
            if parent_history
            else [],
        },
        "grading": {
            "count": count,
            "reports": [
                {
                    "lab": r.lab,
                    "report_number": text_of(r.report.reportNumber),
                    "carat": format_carat(r.report.centicarats),
                    "colour": text_of(r.report.colour),
                    "clarity": text_of(r.report.clarity),
                    "cut": text_of(r.report.cut),
                    "lab_grown": bool(r.report.labGrown),
                    "document": hex32(r.report.document),
                    "issued_at": iso_time(r.issuedAt),
                    "current": i == 0,
                }
                for i, r in enumerate(reversed(reports))
            ],
        },
        "flags": {"flag": Flag(stone.flag).name.lower(), "flagged": stone.flag != Flag.NONE},
        "integrity": {
            "ok": intact,
            "reason": integrity_reason,
            "checked": f"registry {registry.address} on chain {w3.eth.chain_id}, against its state at block {w3.eth.block_number}",
            "parent_checked": parent_history is not None,
        },
        "assurance": _assurance(
            stone, root_stone if root != token else None, root_batch, intact, history.records, every_record, history.registered_to
        ),
    }
