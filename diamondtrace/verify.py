"""A stone's full provenance, and the verdicts anyone can run without trusting us.

The custody history is rebuilt from the registry's events and checked, at 128-bit strength, against
the chains the registry keeps (see `proof`). The three assurance schemes are read from the stone's
on-chain record, which the registry keeps at every change of holder: the Kimberley Process (natural
rough crossed borders only under certificates drawn for it), the WDC System of Warranties (every
sale carried the warranty statement) and the RJC Code of Practices (every holder in the trade was
certified throughout its holding). A verdict stands only on an intact record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Callable

from faster_eth_abi import decode

from . import proof
from .chain import batch_request, rpc
from .errors import EXIT_OK, EXIT_RECORD_BROKEN
from .model import Action, Flag, Kind, Origin, Status, stone_id
from .reader import Registry
from .records import DESCRIBED_TOPIC, Batch, Certificate, CustodyRecord, GradingReport, Stone, hex32, iso_time, topic
from .scan import event_logs

# Grading reports shown with a stone, newest first; the rest are a page away (`gradingReports`).
GRADING_SHOWN = 20
SCHEMES = {"kimberley_process": "Kimberley Process", "system_of_warranties": "System of Warranties", "rjc": "RJC"}

log = logging.getLogger("diamondtrace")


@dataclass(frozen=True)
class Verdict:
    ok: bool
    detail: str


@dataclass(frozen=True)
class Description:
    by: str
    text: str
    block: int


@dataclass(frozen=True)
class Provenance:
    """Everything about a stone, checked: what `verify` prints and the explorer's stone page shows."""

    registry: str
    chain_id: int
    block: int
    stone: Stone
    batch: Batch
    origin: Batch
    root: int
    children: list[int]
    history: proof.Proof
    parent_history: proof.Proof | None
    certificate: Certificate | None
    certificate_numbers: dict[int, str]
    reports: list[GradingReport]
    description: str | None
    descriptions: list[Description] | None
    registered_at: int
    assurance: dict[str, Verdict]

    @property
    def intact(self) -> bool:
        return self.history.ok and (self.parent_history is None or self.parent_history.ok)

    @property
    def exit_code(self) -> int:
        """`verify`'s exit code: 1 when the record is broken or the stone flagged, else 0."""
        return EXIT_OK if self.intact and self.stone.flag == Flag.NONE else EXIT_RECORD_BROKEN

    @property
    def integrity_reason(self) -> str:
        reason = self.history.reason
        if self.parent_history is not None:
            reason += f"; its rough parent {stone_id(self.root)}: {self.parent_history.reason}"
        return reason

    @property
    def checked(self) -> str:
        return f"registry {self.registry} on chain {self.chain_id}, against its state at block {self.block}"

    def custody_json(self, records: list[CustodyRecord]) -> list[dict[str, Any]]:
        return [
            {
                "seq": seq,
                "from": r.sender,
                "to": r.recipient,
                "action": Action(r.action).label,
                "time": iso_time(r.time),
                "block": r.block,
                "transaction": r.transaction,
                "document": hex32(r.document),
                "warranty": r.warranty,
                "kp_certificate": self.certificate_numbers.get(r.certificate_id),
            }
            for seq, r in enumerate(records, start=1)
        ]

    def as_json(self) -> dict[str, Any]:
        """What `verify --json` prints and `/api/stone/<id>` returns."""
        s, o = self.stone, self.origin
        traced = o.origin == Origin.MINE
        return {
            "registry": self.registry,
            "chain_id": self.chain_id,
            "token_id": str(s.token_id),
            "stone_id": s.stone_id,
            "holder": s.holder,
            "status": Status(s.status).name.lower().replace("_", "-"),
            "carat": s.carat,
            "kind": Kind(s.kind).name.lower(),
            "lab_grown": s.lab_grown,
            "jurisdiction": s.jurisdiction,
            "description": self.description,
            **(
                {"descriptions": [{"by": d.by, "description": d.text, "block": d.block} for d in self.descriptions]}
                if self.descriptions is not None
                else {}
            ),
            "origin": {
                "how": o.origin.name.lower(),
                "traced_from_mine": traced,
                "note": None if traced else "origin declared, not traced from the mine",
                "registrant": o.registrant,
                "producer": o.registrant if traced else None,
                "mine": o.mine,
                "country": o.country,
                "production_date": o.production_date.isoformat() if o.production_date else None,
                "registered_at": iso_time(self.registered_at),
                "registered_block": self.batch.registered_block,
                "batch": s.batch,
                "registered_by": self.batch.registrant,
                "registered_to": self.history.registered_to,
            },
            "kp_certificate": self.certificate.as_json() if self.certificate else None,
            "custody": self.custody_json(self.history.records),
            "custody_count": len(self.history.records),
            # What an offline signer names in an authorization (`transfer --sign-only --last-record-block`).
            "last_record_block": s.last_record_block,
            "lineage": {
                "parent": stone_id(s.parent) if s.parent else None,
                "children": [stone_id(c) for c in self.children],
                "root": stone_id(self.root),
                # A polished stone's journey from the mine is its rough parent's, up to the cut.
                "parent_custody": self.custody_json(self.parent_history.records) if self.parent_history else [],
            },
            "grading": {
                "count": s.grading_count,
                "reports": [r.as_json(current=i == 0) for i, r in enumerate(self.reports)],
            },
            "flags": {"flag": s.flag.name.lower(), "flagged": s.flag != Flag.NONE},
            "integrity": {
                "ok": self.intact,
                "reason": self.integrity_reason,
                "checked": self.checked,
                "parent_checked": self.parent_history is not None,
            },
            "assurance": {key: verdict.__dict__ for key, verdict in self.assurance.items()},
        }


# Another source of a stone's custody records than the chain's logs, if there is one (the index).
Assist = Callable[[int], proof.RecordSource | None]


def check_history(
    registry: Registry, stone: Stone, batch: Batch, assist: Assist | None = None, custody: Any = None
) -> proof.Proof:
    """The proof of `stone`'s history (`custody`: its custody anchor, if already read). With
    `assist`, the records are taken from it first; unless they prove the history against the
    chain's anchor and the chain's own logs confirm each of the stone's records, the proof reads
    the chain's logs instead: another source can make the check faster, never make it pass."""
    anchor = registry.anchor(stone, custody)
    source = assist(stone.token_id) if assist else None
    if source is not None:
        try:
            found = proof.check(source, stone.token_id, anchor, batch.registered_block)
            if found.ok and proof.confirmed(registry.w3, registry.address, found.records):
                return replace(found, source="the index")
        except Exception as exc:
            # Whatever another source does (a malformed row, a database gone), the chain's logs
            # decide, as without it.
            log.warning("the custody records from the index could not be checked (%s): reading the chain's", exc)
    return proof.check(proof.LogSource(registry.w3, registry.address), stone.token_id, anchor, batch.registered_block)


def provenance(
    registry: Registry, token: int, from_block: int, *, all_descriptions: bool = False, assist: Assist | None = None
) -> Provenance:
    """Reads and checks everything about stone `token` (`NotFound` if there is none); `assist`
    offers the custody records from elsewhere (see `check_history`). The reads go in rounds of one
    JSON-RPC batch each: what a round names is read in the next."""
    stone, root, children, custody = registry.fetch(
        registry.stone_read(token), *registry.lineage_reads(token), registry.custody_anchor_read(token)
    )
    count = stone.grading_count
    named = {"batch": registry.batch_read(stone.batch)}
    if root != token:
        named["root"] = registry.stone_read(root)
    if count:
        named["reports"] = registry.grading_reports_read(token, max(count - GRADING_SHOWN, 0), GRADING_SHOWN)
    got = registry.fetch_named(named)
    batch, root_stone, reports = got["batch"], got.get("root", stone), got.get("reports", [])[::-1]
    origin = registry.batch(root_stone.batch) if root != token else batch
    history = check_history(registry, stone, batch, assist, custody)
    parent_history = check_history(registry, root_stone, origin, assist) if root != token else None
    journey = (parent_history.records if parent_history else []) + history.records
    # Each certificate read once: the one in force and those the records drew from.
    ids = sorted(({r.certificate_id for r in journey} | {stone.certificate}) - {0})
    certificates = dict(zip(ids, registry.fetch(*(registry.certificate_read(c) for c in ids)))) if ids else {}
    own, registered_at, block = _at_registration(registry, token, batch)
    descriptions = _descriptions(registry, token, from_block) if all_descriptions else None
    intact = history.ok and (parent_history is None or parent_history.ok)
    parent = root_stone if root != token else None
    return Provenance(
        registry=registry.address,
        chain_id=registry.w3.eth.chain_id,
        block=block,
        stone=stone,
        batch=batch,
        origin=origin,
        root=root,
        children=children,
        history=history,
        parent_history=parent_history,
        certificate=certificates.get(stone.certificate),
        certificate_numbers={cid: c.number for cid, c in certificates.items()},
        reports=reports,
        description=own,
        descriptions=descriptions,
        registered_at=registered_at,
        assurance=assurance(stone, parent, origin, intact, history, journey),
    )


def _at_registration(registry: Registry, token: int, batch: Batch) -> tuple[str | None, int, int]:
    """The registrant's description of the stone (given at registration, in its block), the
    registration's time and the chain's head block, in one JSON-RPC batch."""
    block = hex(batch.registered_block)
    topics = [DESCRIBED_TOPIC, topic(token), topic(batch.registrant)]
    described, registered, head = rpc(
        lambda: batch_request(
            registry.w3,
            [
                ("eth_getLogs", [{"address": registry.address, "fromBlock": block, "toBlock": block, "topics": topics}]),
                ("eth_getBlockByNumber", [block, False]),
                ("eth_blockNumber", []),
            ],
        ),
        "the chain",
    )
    own = decode(["string"], bytes.fromhex(described[-1]["data"][2:]))[0] if described else None
    return own, int(registered["timestamp"], 16), int(head, 16)


def _descriptions(registry: Registry, token: int, from_block: int) -> list[Description]:
    """Every description of the stone with its author: a scan from `from_block`, whose cost grows
    with the chain's age."""
    event = registry.contract.events.StoneDescribed()
    logs = event_logs(event, from_block, registry.w3.eth.block_number, {"tokenId": token})
    return [Description(log["args"]["by"], log["args"]["description"], log["blockNumber"]) for log in logs]


def assurance(
    stone: Stone, parent: Stone | None, origin: Batch, intact: bool, history: proof.Proof, journey: list[CustodyRecord]
) -> dict[str, Verdict]:
    """The three assurance schemes, from the stone's on-chain record and its (checked) `history`;
    `journey` adds, for a polished stone, its rough parent's records (its border crossings). Each
    record carries the stone's SoW and RJC verdicts before and after it, so the record where one
    fell is named; a stone cut from `parent` starts with the parent's verdicts."""
    if not intact:
        broken = Verdict(False, "the custody record is broken, so no assurance can be given")
        return dict.fromkeys(SCHEMES, broken)
    verdicts = {
        "kimberley_process": _kimberley(stone, origin, journey),
        "system_of_warranties": _warranties(stone, history.records),
        "rjc": _rjc(stone, parent, history),
    }
    if origin.origin == Origin.DECLARED:
        since = " (since its entry with a declared origin; before that, nothing is known)"
        for key in ("system_of_warranties", "rjc"):
            verdicts[key] = Verdict(verdicts[key].ok, verdicts[key].detail + since)
    return verdicts


def _kimberley(stone: Stone, origin: Batch, journey: list[CustodyRecord]) -> Verdict:
    if stone.lab_grown:
        return Verdict(False, "laboratory-grown: outside the Kimberley Process, which covers natural rough")
    if origin.origin != Origin.MINE:
        return Verdict(False, "origin declared, not traced from the mine: the Kimberley Process cannot be shown")
    crossings = sum(1 for r in journey if r.certificate_id)
    what = "as rough, it" if stone.kind == Kind.POLISHED else "it"
    return Verdict(
        True,
        f"registered at the mine; {what} crossed borders only under KP certificates drawn for it "
        f"({crossings} crossing{'s' if crossings != 1 else ''})",
    )


def _warranties(stone: Stone, records: list[CustodyRecord]) -> Verdict:
    if stone.warranted:
        return Verdict(True, "every sale in the trade since the stone entered the registry carried the SoW warranty statement")
    fell = next((r for r in records if r.warranted_before and not r.warranted_after), None)
    if fell is None:
        return Verdict(False, "a sale of its rough parent, before it was cut, did not carry the SoW warranty statement")
    return Verdict(
        False,
        f"the {Action(fell.action).label} in block {fell.block} ({fell.sender} to {fell.recipient}) "
        "did not carry the SoW warranty statement",
    )


def _rjc(stone: Stone, parent: Stone | None, history: proof.Proof) -> Verdict:
    if stone.rjc_certified:
        return Verdict(True, "every holder in the trade was RJC-certified throughout its holding")
    if parent is not None and not parent.rjc_certified:
        return Verdict(False, "a holder of its rough parent, before it was cut, was not RJC-certified throughout its holding")
    fell = next((r for r in history.records if r.rjc_before and not r.rjc_after), None)
    if fell is not None:
        return Verdict(
            False,
            f"at the {Action(fell.action).label} in block {fell.block}, {fell.sender} or {fell.recipient} "
            "was not RJC-certified throughout",
        )
    if parent is not None:
        return Verdict(False, "the manufacturer that cut it was not RJC-certified throughout its holding of the rough parent")
    return Verdict(
        False, f"{history.registered_to}, the participant it was registered to, was not RJC-certified when it was registered"
    )


def report(p: Provenance) -> str:
    """`verify`'s human-readable report."""
    j = p.as_json()
    o = j["origin"]
    lines = [
        f"Stone {j['stone_id']} (token {j['token_id']})",
        f"  {j['carat']} ct {j['kind']}, status {j['status']}"
        + (", LABORATORY-GROWN" if j["lab_grown"] else "")
        + (f", FLAGGED {j['flags']['flag'].upper()}" if j["flags"]["flagged"] else ""),
        f"  holder      {j['holder']}" + (f" (lies in {j['jurisdiction']})" if j["jurisdiction"] else ""),
    ]
    if o["traced_from_mine"]:
        lines.append(f"  origin      {o['mine']} mine, {o['country']}; produced {o['production_date']} by {o['producer']}")
    else:
        lines.append(
            f"  origin      ORIGIN DECLARED, NOT TRACED FROM THE MINE: {o['mine']}, {o['country'] or 'country unknown'} "
            f"(entered by {o['registrant']})"
        )
    lines.append(
        f"  registered  {o['registered_at']} in batch {o['batch']} (block {o['registered_block']}), to {o['registered_to']}"
    )
    if j["description"]:
        lines.append(f"  description {j['description']}  (the registrant's)")
    for d in j.get("descriptions", []):
        lines.append(f"  described   by {d['by']} in block {d['block']}: {d['description']}")
    kp = j["kp_certificate"]
    lines.append(
        f"  KP          {kp['number']}: {kp['exporting_country']} -> {kp['importing_country']}, "
        f"{kp['drawn_carat']} of {kp['declared_carat']} ct drawn, expires {kp['expires']}"
        if kp
        else "  KP          no certificate"
    )
    lineage = j["lineage"]
    children = ", ".join(lineage["children"]) or "-"
    lines.append(f"  lineage     root {lineage['root']}; parent {lineage['parent'] or '-'}; children {children}")
    lines.append(f"  custody     {len(j['custody'])} record{'s' if len(j['custody']) != 1 else ''}")
    for r in j["custody"]:
        lines.append(
            f"    {r['seq']:>3}. {r['time']}  {r['action']:<13} {r['from']} -> {r['to']}  "
            f"block {r['block']} tx {r['transaction']}"
            + (f"  doc {r['document']}" if r["document"] else "")
            + ("  SoW" if r["warranty"] else "")
            + (f"  KP {r['kp_certificate']}" if r["kp_certificate"] else "")
        )
    grading = j["grading"]
    lines.append(f"  grading     {grading['count']} report{'s' if grading['count'] != 1 else ''}")
    for g in grading["reports"]:
        lines.append(
            f"    {'current   ' if g['current'] else 'superseded'} {g['report_number']} by {g['lab']}: {g['carat']} ct "
            f"{g['colour']} / {g['clarity']} / {g['cut']}" + (", laboratory-grown" if g["lab_grown"] else ", natural")
        )
    verdict = j["integrity"]
    lines.append(f"  integrity   {'OK' if verdict['ok'] else 'BROKEN'}: {verdict['reason']}")
    lines.append(f"              checked {verdict['checked']}")
    for key, label in SCHEMES.items():
        a = j["assurance"][key]
        lines.append(f"  {label:<21} {'yes' if a['ok'] else 'NO'}: {a['detail']}")
    return "\n".join(lines)
