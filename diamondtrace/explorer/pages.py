"""What each page shows, gathered from the chain as typed values; the templates lay it out.

Each page function takes the request's `View` and the path's parts and returns a `Page`: the
template, the title and the page's data. A subject that does not exist raises `NotFound` (404), a
malformed one `BadRequest` (400); a failing chain raises `ChainError` (503).
"""

from __future__ import annotations

import base64
import json
import re
from dataclasses import dataclass, field
from typing import Any

from eth_utils import event_abi_to_log_topic
from web3 import Web3

from .. import verify
from ..countries import COUNTRIES
from ..errors import InputError, NotFound
from ..model import Action, parse_stone, stone_id, text32
from ..records import Certificate, CustodyRecord, FlagChange, Participant, Totals
from ..verify import Provenance
from .lists import MAX_LISTED, Registration, is_text
from .reads import View
from .render import segment

LATEST = 10
HASH = re.compile(r"0x[0-9a-fA-F]{64}")
# Call and event arguments that hold token ids, shown as their stone IDs on the transaction page.
STONE_ARGUMENTS = {"tokenid", "tokenids", "id", "parent", "parentid", "childids", "children"}


class BadRequest(Exception):
    """The request itself is malformed (HTTP 400)."""


@dataclass(frozen=True)
class Page:
    template: str
    title: str
    data: Any = None
    script: str | None = None  # a file of diamondtrace/static/ the page runs; most pages run none


# ------------------------------------------------------------------------------------------------
# Home and search
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Home:
    totals: Totals
    registry: str
    chain_id: int
    block: int
    registrations: list[Registration]
    moves: list[CustodyRecord]


def home(view: View) -> Page:
    registrations = view.lists.registrations(LATEST)
    moves = view.lists.moves(LATEST)
    view.people.read([r.registrant for r in registrations] + [m.sender for m in moves] + [m.recipient for m in moves])
    data = Home(view.registry.totals(), view.registry.address, view.chain.chain_id, view.block, registrations, moves)
    return Page("home.html", "Explorer", data)


def search(view: View, query: str) -> str:
    """Where a search goes: the path of the page of whatever the query names."""
    q = query.strip()
    if not q:
        return "/"
    if HASH.fullmatch(q):
        # 32 bytes in hex: a transaction hash, or else a token id written in hex.
        if view.transaction(q):
            return f"/tx/{q}"
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", q):
        return f"/address/{Web3.to_checksum_address(q)}"
    exporting = view.lists.exporting_country(q)
    if exporting:
        return f"/kp/{segment(exporting)}/{segment(q)}"
    try:
        token = parse_stone(q)
    except InputError:
        raise NotFound(f"Nothing on this registry matches “{q}”.") from None
    if not view.registry.exists(token):
        raise NotFound(f"Nothing on this registry matches “{q}”.")
    return f"/stone/{segment(stone_id(token))}"


# ------------------------------------------------------------------------------------------------
# A stone
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Card:
    """The on-chain `tokenURI`: its SVG card (a `data:` URI) and attributes."""

    image: str | None
    attributes: list[tuple[str, str]]


@dataclass(frozen=True)
class StonePage:
    provenance: Provenance
    card: Card
    siblings: list[int]
    # Every report of theft or loss and every clearing, oldest first, with its block's time.
    flag_changes: list[tuple[FlagChange, int]]
    # With the index: why its records of this stone are behind or disagree with the chain's, if they do.
    index_note: str | None = None


def _card(uri: str) -> Card:
    metadata = json.loads(base64.b64decode(uri.split(",", 1)[1]))
    image = metadata.get("image")
    return Card(
        image if isinstance(image, str) and image.startswith("data:image/svg+xml;base64,") else None,
        [(str(a["trait_type"]), str(a["value"])) for a in metadata.get("attributes", [])],
    )


def stone(view: View, ref: str) -> Page:
    try:
        token = parse_stone(ref)
    except InputError as exc:
        raise BadRequest(str(exc)) from None
    # What does not depend on the provenance is read meanwhile: the node works on the reads
    # together, and the page waits for the longest of them rather than for their sum.
    uri = view.meanwhile(lambda: view.registry.token_uri(token))
    # The chain's, like the journey: an index missing a report of theft must not make the stone look never reported.
    flags = view.meanwhile(lambda: view.flag_changes(token))
    p = verify.provenance(view.registry, token, view.deployment.block, assist=view.lists.custody_records)
    siblings: list[int] = []
    if p.stone.parent:
        _, children = view.registry.lineage(p.stone.parent)
        siblings = [c for c in children if c != token]
    journey = p.history.records + (p.parent_history.records if p.parent_history else [])
    view.people.read(
        [p.stone.holder, p.origin.registrant, p.batch.registrant]
        + [a for r in journey for a in (r.sender, r.recipient)]
        + ([p.certificate.exporter, p.certificate.importer] if p.certificate else [])
        + [r.lab for r in p.reports]
    )
    flag_changes = flags.result()
    view.people.read([f.by for f, _ in flag_changes])
    card = _card(uri.result())
    page = StonePage(p, card, siblings, flag_changes, view.lists.stone_note(p, [f for f, _ in flag_changes]))
    return Page("stone.html", f"Stone {p.stone.stone_id}", page)


# ------------------------------------------------------------------------------------------------
# A KP certificate
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificatePage:
    certificate: Certificate
    stones: list[tuple[int, int]]  # (token, centicarats drawn), at most MAX_LISTED
    count: int

    @property
    def share(self) -> float:
        c = self.certificate
        return 100 * c.drawn / c.centicarats if c.centicarats else 0.0


def certificate(view: View, *parts: str) -> Page:
    """A KP certificate: `/kp/<exporting>/<number>`, or `/kp/<number>` naming its country first."""
    if len(parts) == 1:
        number = parts[0]
        exporting = view.lists.exporting_country(number)
        if exporting is None:
            raise NotFound(f"No KP certificate {number} is recorded on this registry.")
    else:
        exporting, number = parts
    if exporting not in COUNTRIES or not is_text(number):
        raise BadRequest(f"“{exporting}/{number}” is not a country code and a certificate number.")
    found = view.registry.certificate_id(exporting.encode(), text32(number))
    if found is None:
        raise NotFound(f"No KP certificate {number} of {exporting} is recorded on this registry.")
    # Stones drawn at a crossing carry their weight in the event; a batch drew its stones' total,
    # so each listed stone's weight is read from the registry.
    listed, count = view.lists.drawn(found)
    unweighed = [t for t, weight in listed if weight is None]
    weights = view.registry.weights(unweighed) if unweighed else {}
    stones = [(t, weights.get(t, weight)) for t, weight in listed]
    c = view.registry.certificate(found)
    view.people.read([c.exporter, c.importer, c.authority])
    return Page("certificate.html", f"KP certificate {number}", CertificatePage(c, stones, count))


# ------------------------------------------------------------------------------------------------
# An address
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressPage:
    participant: Participant
    holds: list[int]  # at most MAX_LISTED of each
    held: list[int]
    holds_count: int
    held_count: int


def address(view: View, value: str) -> Page:
    if not Web3.is_address(value):
        raise BadRequest(f"“{value}” is not an Ethereum address.")
    account = Web3.to_checksum_address(value)
    h = view.lists.holdings(account)
    participant = view.registry.participant(account)
    view.people.read([account, participant.successor])
    page = AddressPage(participant, h.holds, h.held, h.holds_count, h.held_count)
    return Page("address.html", f"Address {account}", page)


# ------------------------------------------------------------------------------------------------
# A transaction
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransactionPage:
    hash: str
    ok: bool
    block: int
    time: int
    sender: str
    gas_used: int
    to_registry: bool
    function: str | None  # None: not a function of the registry's ABI
    arguments: list[tuple[str, str]] = field(default_factory=list)
    events: list[tuple[str, str]] = field(default_factory=list)
    event_count: int = 0


def transaction(view: View, tx_hash: str) -> Page:
    if not HASH.fullmatch(tx_hash):
        raise BadRequest(f"“{tx_hash}” is not a transaction hash.")
    found = view.transaction(tx_hash)
    if found is None:
        raise NotFound(f"No transaction {tx_hash} on this chain.")
    tx, receipt = found
    contracts = {c.address.lower(): c for c in (view.registry.contract, view.kp, view.registry.book("grading"))}
    target = contracts.get((tx["to"] or "").lower())
    function, arguments = None, []
    if target is not None:
        try:
            fn, args = target.decode_function_input(tx["input"])
            function, arguments = fn.fn_name, [(k, _shown(k, v)) for k, v in args.items()]
        except ValueError:
            pass
    events = []
    for entry in receipt["logs"]:
        contract = contracts.get(entry["address"].lower())
        if contract is None or not entry["topics"]:
            continue
        by_topic = {bytes(event_abi_to_log_topic(e)): e["name"] for e in contract.abi if e["type"] == "event"}
        name = by_topic.get(bytes(entry["topics"][0]))
        if name:
            decoded = getattr(contract.events, name)().process_log(entry)
            shown = _custody_fields(CustodyRecord.from_event(decoded)) if name == "CustodyTransferred" else dict(decoded["args"])
            events.append((name, ", ".join(f"{k}={_shown(k, v)}" for k, v in shown.items())))
    view.people.read([tx["from"]])
    page = TransactionPage(
        hash=tx_hash,
        ok=receipt["status"] == 1,
        block=receipt["blockNumber"],
        time=view.time(receipt["blockNumber"]),
        sender=tx["from"],
        gas_used=receipt["gasUsed"],
        to_registry=target is not None,
        function=function,
        arguments=arguments,
        events=events[:MAX_LISTED],
        event_count=len(events),
    )
    return Page("transaction.html", f"Transaction {tx_hash}", page)


def _custody_fields(r: CustodyRecord) -> dict[str, Any]:
    """A custody record's packed words spelled out."""
    return {
        "tokenId": r.token_id,
        "from": r.sender,
        "to": r.recipient,
        "action": Action(r.action).label,
        "document": r.document,
        "warranty": r.warranty,
        "certificateId": r.certificate_id,
        "previousRecordBlock": r.previous_stone_block,
        "senderChain": hex(r.sender_chain),
        "recipientChainBefore": hex(r.recipient_chain_before),
    }


def _shown(name: str, value: Any) -> str:
    """An ABI value as text: a token id as its stone ID, short text fields as text."""
    if isinstance(value, int) and name.lower() in STONE_ARGUMENTS and value > 2**200:
        return stone_id(value)
    if isinstance(value, (list, tuple)):
        if len(value) > 12:
            return f"[{len(value)} items]"
        return "[" + ", ".join(_shown(name, v) for v in value) + "]"
    if isinstance(value, bytes):
        text = value.rstrip(b"\0")
        return text.decode() if text and all(0x20 <= b < 0x7F for b in text) else "0x" + value.hex()
    return str(value)
