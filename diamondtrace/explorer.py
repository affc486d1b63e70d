"""The consumer's view: a read-only web explorer for the registry, reading the chain live.

Server-rendered HTML that works without JavaScript and on a phone, with no asset fetched from the
internet. Every page is built from the chain on each request; `/api/stone/<id>` returns exactly
what `verify --json` prints.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, quote, unquote, urlparse

import requests
from eth_utils import event_abi_to_log_topic
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, TransactionNotFound, Web3RPCError
from web3.logs import DISCARD

from . import deployments, proof, verify
from .artifacts import revert_message
from .chain import Chain, connect
from .countries import COUNTRIES
from .deployments import Deployment, certificates_contract, grading_contract
from .errors import ChainError, DiamondTraceError, InputError
from .model import Action, Origin, format_carat, parse_stone, role_names, stone_id, text32, text_of
from .records import ZERO_ADDRESS, Registry, iso_time
from .scan import BlockTimes, event_logs

log = logging.getLogger("diamondtrace.explorer")
LATEST = 10
MAX_LISTED = 200


class NotFound(Exception):
    """The page's subject does not exist (HTTP 404)."""


class BadRequest(Exception):
    """The request itself is malformed (HTTP 400)."""


def h(value: Any) -> str:
    return html.escape(str(value), quote=True)


STYLE = """
*{box-sizing:border-box}body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f4f7fb;color:#1b2a3a;line-height:1.45}
header{background:#1b2a3a;color:#fff;padding:.7rem 1rem;display:flex;flex-wrap:wrap;gap:.7rem;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:700}header form{flex:1;min-width:14rem}
main{max-width:64rem;margin:0 auto;padding:1rem}a{color:#0b57a4}
form.search{display:flex;gap:.4rem}form.search input{flex:1;padding:.55rem;font-size:1rem;border:1px solid #9fb0c3;border-radius:6px;min-width:0}
form.search button{padding:.55rem .9rem;font-size:1rem;border:0;border-radius:6px;background:#0b57a4;color:#fff}
section{background:#fff;border-radius:10px;padding:1rem;margin:0 0 1rem;box-shadow:0 1px 2px rgba(0,0,0,.06)}
h1{font-size:1.5rem;margin:.2rem 0 1rem;overflow-wrap:anywhere}h2{font-size:1.15rem;margin:0 0 .6rem}
table{width:100%;border-collapse:collapse}th,td{padding:.4rem .3rem;border-bottom:1px solid #e3e8ef;text-align:left;vertical-align:top}
th{color:#51637a;font-weight:600;width:12rem}code,.hash{font-family:ui-monospace,Menlo,Consolas,monospace;word-break:break-all;font-size:.88rem}
.verdict{border-radius:10px;padding:1rem 1.1rem;margin:0 0 1rem;font-size:1.15rem;font-weight:700}
.verdict small{display:block;font-weight:400;font-size:.95rem;margin-top:.3rem;overflow-wrap:anywhere}td{overflow-wrap:anywhere}
.ok{background:#e2f5e7;color:#0b5d1e;border:2px solid #3aa55a}.broken{background:#fde3e3;color:#8a1111;border:2px solid #d33}
.flagged{background:#fff0d6;color:#7a4200;border:2px solid #e08a00}.labgrown{background:#ede7fb;color:#4b2a91;border:2px solid #7a4fd8}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}.totals div{background:#eef3f9;border-radius:8px;padding:.6rem}
.totals b{display:block;font-size:1.4rem}.card{display:flex;gap:1rem;flex-wrap:wrap}.card img{width:15rem;max-width:100%;height:auto}
.card table{flex:1;min-width:16rem}ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid #9fb0c3}
ol.timeline li{margin:0 0 .9rem;padding-left:.9rem;position:relative}ol.timeline li:before{content:"";position:absolute;left:-.5rem;top:.35rem;width:.7rem;height:.7rem;border-radius:50%;background:#0b57a4}
.muted{color:#6b7c90}.tag{display:inline-block;border-radius:4px;padding:0 .35rem;font-size:.8rem;background:#eef3f9;margin-left:.3rem}
.superseded{opacity:.6}.error{font-size:1.05rem}.assurance tr.ok td b{color:#0b5d1e}.assurance tr.no td b{color:#8a1111}
@media (max-width:40rem){th{width:auto}td,th{display:block;border:0;padding:.15rem 0}tr{display:block;border-bottom:1px solid #e3e8ef;padding:.4rem 0}}
"""


def page(title: str, body: str, query: str = "") -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{h(title)} · DiamondTrace</title><style>{STYLE}</style></head>
<body><header><a href="/">◆ DiamondTrace</a>
<form class="search" action="/search" method="get" role="search"><input type="search" name="q" value="{h(query)}" aria-label="Search"
placeholder="Stone ID, token id, KP certificate, transaction or address"><button type="submit">Search</button></form></header>
<main>{body}</main></body></html>"""


def _time(timestamp: int) -> str:
    return iso_time(timestamp).replace("T", " ").replace("Z", " UTC")


@dataclass
class Ctx:
    """One request's view of the chain: the registry, and caches that live for the request."""

    chain: Chain
    deployment: Deployment
    registry: Contract
    names: dict[str, tuple[str, str | None, list[str]]]
    times: BlockTimes

    def who(self, address: str) -> str:
        """An address as a link with the participant's name and country, if accredited or known."""
        if not address or address == ZERO_ADDRESS:
            return "—"
        if address not in self.names:
            p = self.registry.functions.participant(address).call()
            self.names[address] = (p.name, bytes(p.country).decode() if any(p.country) else None, role_names(p.roles))
        name, country, _ = self.names[address]
        label = f"{h(name)} <span class=tag>{h(country)}</span>" if name else f"<code>{h(address)}</code>"
        return f'<a href="/address/{h(address)}">{label}</a>'

    def logs(self, event: str, filters: dict[str, Any] | None = None, contract: Contract | None = None) -> list[Any]:
        return event_logs(
            getattr((contract or self.registry).events, event)(), self.deployment.block, self.chain.w3.eth.block_number, filters or {}
        )

    @property
    def book(self) -> Contract:
        return certificates_contract(self.registry)


def _custody_item(ctx: Ctx, r: dict[str, Any], note: str = "") -> str:
    """One custody record (as `verify --json` gives it) as a timeline entry; `note` is plain text."""
    number = r["kp_certificate"]
    return (
        f"<li><b>{h(r['action'].replace('-', ' ').capitalize())}</b>: {ctx.who(r['from'])} → {ctx.who(r['to'])}"
        + (f" <span class=muted>({h(note)})</span>" if note else "")
        + (" <span class=tag>SoW warranty</span>" if r["warranty"] else "")
        + f"<br><span class=muted>{h(r['time'].replace('T', ' ').replace('Z', ' UTC'))} · block {r['block']} · {tx_link(r['transaction'])}"
        + (f" · document <code>{h(r['document'])}</code>" if r["document"] else "")
        + (f" · KP {h(number)}" if number else "")
        + "</span></li>"
    )


def stone_link(token: int) -> str:
    return f'<a href="/stone/{h(stone_id(token))}">{h(stone_id(token))}</a>'


def tx_link(tx_hash: str) -> str:
    return f'<a class=hash href="/tx/{h(tx_hash)}">{h(tx_hash[:12])}…</a>'


# ------------------------------------------------------------------------------------------------
# Pages
# ------------------------------------------------------------------------------------------------


def home(ctx: Ctx) -> str:
    stones, centicarats, participants, batches = ctx.registry.functions.totals().call()
    certificates = ctx.book.functions.certificateCount().call()
    totals = "".join(
        f"<div><b>{value}</b>{label}</div>"
        for value, label in [
            (f"{stones:,}", "stones"),
            (f"{centicarats // 100:,}.{centicarats % 100:02d}", "carats registered"),
            (f"{participants:,}", "accredited participants"),
            (f"{certificates:,}", "KP certificates"),
            (f"{batches:,}", "batches and splits"),
        ]
    )
    registrations = ctx.logs("BatchRegistered")[-LATEST:][::-1]
    reg_rows = "".join(
        f"<tr><td>{_time(ctx.times(e['blockNumber']))}</td><td>{ctx.who(e['args']['registrant'])}</td>"
        f"<td>{e['args']['stones']:,} stones, {format_carat(e['args']['centicarats'])} ct "
        + (
            f"from {h(text_of(e['args']['mine']))}, {h(bytes(e['args']['country']).decode())}"
            if e["args"]["origin"] == Origin.MINE
            else ("cut from a rough stone" if e["args"]["origin"] == Origin.SPLIT else "entered with a declared origin")
        )
        + f"</td><td>{tx_link(e['transactionHash'].to_0x_hex())}</td></tr>"
        for e in registrations
    )
    moves = ctx.logs("CustodyTransferred")[-LATEST:][::-1]
    move_rows = "".join(
        f"<tr><td>{_time(ctx.times(e['blockNumber']))}</td><td>{stone_link(e['args']['tokenId'])}</td>"
        f"<td>{Action(e['args']['record'] & 0xFF).label}</td><td>{ctx.who(e['args']['from'])} → {ctx.who(e['args']['to'])}</td></tr>"
        for e in moves
    )
    return page(
        "Explorer",
        f"""<section><h1>Diamond provenance, open to everyone</h1>
<p>Every stone on this registry carries its origin, Kimberley Process certificates, the System of Warranties and RJC
certification along its path, and every hand it passed through. Search for a stone to see its journey and whether its record checks out.</p>
<form class="search" action="/search" method="get"><input type="search" name="q" aria-label="Search the registry"
placeholder="Stone ID, token id, KP certificate number, transaction hash or address"><button type="submit">Search</button></form></section>
<section><h2>The registry</h2><div class=totals>{totals}</div>
<p class=muted>Registry <code>{h(ctx.deployment.registry)}</code> on chain {ctx.chain.chain_id}, block {ctx.chain.w3.eth.block_number}.</p></section>
<section><h2>Latest registrations</h2><table>{reg_rows or "<tr><td>None yet.</td></tr>"}</table></section>
<section><h2>Latest custody moves</h2><table>{move_rows or "<tr><td>None yet.</td></tr>"}</table></section>""",
    )


def search(ctx: Ctx, query: str) -> str:
    """Where a search goes: the page of whatever the query names."""
    q = query.strip()
    if not q:
        return "/"
    if re.fullmatch(r"0x[0-9a-fA-F]{64}", q):
        # 32 bytes in hex: a transaction hash, or else a token id written in hex.
        try:
            ctx.chain.w3.eth.get_transaction(q)
            return f"/tx/{q}"
        except TransactionNotFound:
            pass
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", q):
        return f"/address/{Web3.to_checksum_address(q)}"
    if _text(q):
        recorded = ctx.logs("CertificateRecorded", {"number": text32(q)}, ctx.book)
        if recorded:
            return f"/kp/{bytes(recorded[0]['args']['exporting']).decode()}/{quote(q, safe='')}"
    try:
        token = parse_stone(q)
    except InputError:
        raise NotFound(f"Nothing on this registry matches “{q}”.") from None
    if not Registry(ctx.registry).exists(token):
        raise NotFound(f"Nothing on this registry matches “{q}”.")
    return f"/stone/{stone_id(token)}"


def _verdicts(p: dict[str, Any]) -> str:
    parts = []
    integrity = p["integrity"]
    if integrity["ok"]:
        parts.append(
            '<div class="verdict ok">✔ Record complete and consistent'
            f"<small>{h(integrity['reason'][0].upper() + integrity['reason'][1:])}. Checked just now: {h(integrity['checked'])}.</small></div>"
        )
    else:
        reason = integrity["reason"][0].upper() + integrity["reason"][1:]
        parts.append(f'<div class="verdict broken">✖ Record broken<small>{h(reason)}.</small></div>')
    if p["flags"]["flagged"]:
        parts.append(
            f'<div class="verdict flagged">⚠ Reported {h(p["flags"]["flag"]).upper()}'
            "<small>It cannot change hands until the registry's admin clears the report. Do not buy it.</small></div>"
        )
    if p["lab_grown"]:
        parts.append(
            '<div class="verdict labgrown">Laboratory-grown diamond'
            "<small>It was registered as laboratory-grown, or the grading report in force found it so: it is not a natural diamond.</small></div>"
        )
    if not p["origin"]["traced_from_mine"]:
        parts.append(
            '<div class="verdict flagged">Origin declared, not traced from the mine'
            "<small>This stone was made before it entered the registry; its origin is what the manufacturer declared.</small></div>"
        )
    return "".join(parts)


def _assurances(p: dict[str, Any]) -> str:
    """The three assurance schemes, plainly: yes or no, and why."""
    rows = "".join(
        f"<tr class='{'ok' if a['ok'] else 'no'}'><th>{label}</th><td><b>{'✔ Yes' if a['ok'] else '✖ No'}</b> — {h(a['detail'])}</td></tr>"
        for label, a in [
            ("Kimberley Process", p["assurance"]["kimberley_process"]),
            ("WDC System of Warranties", p["assurance"]["system_of_warranties"]),
            ("RJC Code of Practices", p["assurance"]["rjc"]),
        ]
    )
    return f"<section class=assurance><h2>Assurances</h2><table>{rows}</table></section>"


def stone(ctx: Ctx, ref: str) -> str:
    try:
        token = parse_stone(unquote(ref))
    except InputError as exc:
        raise BadRequest(str(exc)) from None
    if not Registry(ctx.registry).exists(token):
        raise NotFound(f"No stone {stone_id(token)} on this registry.")
    p = verify.provenance(Registry(ctx.registry), token, ctx.deployment.block).as_json()
    uri = ctx.registry.functions.tokenURI(token).call()
    metadata = json.loads(base64.b64decode(uri.split(",", 1)[1]))
    attributes = "".join(f"<tr><th>{h(a['trait_type'])}</th><td>{h(a['value'])}</td></tr>" for a in metadata["attributes"])
    o = p["origin"]
    lineage = p["lineage"]
    registered = h(o["registered_at"].replace("T", " ").replace("Z", " UTC"))
    root = lineage["parent"] or p["stone_id"]
    if o["traced_from_mine"]:
        first = (
            f"<li><b>Registered at the {h(o['mine'])} mine, {h(o['country'])}</b> — produced {h(o['production_date'])}, "
            f"as rough stone {stone_link(parse_stone(root))}, by {ctx.who(o['producer'])}</li>"
        )
    else:
        first = (
            f"<li><b>Entered with a declared origin</b> ({h(o['mine'])}, {h(o['country'] or 'country unknown')}) — "
            f"not traced from the mine; entered by {ctx.who(o['registrant'])}</li>"
        )
    journey = [first]
    if lineage["parent"]:
        journey += [_custody_item(ctx, r, f"as rough stone {lineage['parent']}") for r in lineage["parent_custody"]]
        journey.append(f"<li><b>Cut</b> from rough stone {stone_link(parse_stone(lineage['parent']))} into polished stones by {ctx.who(o['registered_by'])} · {registered}</li>")
    journey += [_custody_item(ctx, r) for r in p["custody"]]
    if p["status"] == "split":
        journey.append("<li><b>Split into polished stones</b> (retired: it can never move again)</li>")
    journey.append(f"<li><b>Today</b>: held by {ctx.who(p['holder'])}</li>")

    siblings = []
    if lineage["parent"]:
        siblings = [c for c in ctx.registry.functions.childrenOf(parse_stone(lineage["parent"])).call() if c != token]
    lineage_rows = (
        f"<tr><th>Original rough stone</th><td>{stone_link(parse_stone(lineage['root']))}</td></tr>"
        + (f"<tr><th>Cut from</th><td>{stone_link(parse_stone(lineage['parent']))}</td></tr>" if lineage["parent"] else "")
        + (f"<tr><th>Sibling stones</th><td>{', '.join(stone_link(c) for c in siblings)}</td></tr>" if siblings else "")
        + (f"<tr><th>Cut into</th><td>{', '.join(stone_link(parse_stone(c)) for c in lineage['children'])}</td></tr>" if lineage["children"] else "")
    )
    kp = p["kp_certificate"]
    kp_rows = (
        f"<tr><th>Certificate</th><td>{certificate_link(kp['exporting_country'], kp['number'])}</td></tr>"
        f"<tr><th>From → to</th><td>{h(kp['exporting_country'])} → {h(kp['importing_country'])}</td></tr>"
        f"<tr><th>Exporter, importer</th><td>{ctx.who(kp['exporter'])}, {ctx.who(kp['importer'])}</td></tr>"
        f"<tr><th>Valid</th><td>{h(kp['issued'])} to {h(kp['expires'])}</td></tr>"
        f"<tr><th>Weight drawn</th><td>{h(kp['drawn_carat'])} of {h(kp['declared_carat'])} ct declared</td></tr>"
        if kp
        else "<tr><td>No Kimberley Process certificate (rough stones get one when they cross a border).</td></tr>"
    )
    grading = "".join(
        f"<tr class='{'current' if g['current'] else 'superseded'}'><td>{'<b>current</b>' if g['current'] else 'superseded'}</td>"
        f"<td>Report {h(g['report_number'])} by {ctx.who(g['lab'])}<br>{h(g['carat'])} ct · colour {h(g['colour'])} · clarity {h(g['clarity'])} · "
        f"cut {h(g['cut'])} · <b>{'laboratory-grown' if g['lab_grown'] else 'natural'}</b><br>"
        f"<span class=muted>{h(g['issued_at'].replace('T', ' ').replace('Z', ' UTC'))}"
        + (f" · document <code>{h(g['document'])}</code>" if g["document"] else "")
        + "</span></td></tr>"
        for g in p["grading"]["reports"]
    )
    older = p["grading"]["count"] - len(p["grading"]["reports"])
    description = (
        f"<tr><th>Description</th><td>{h(p['description'])} <span class=muted>(the registrant's)</span></td></tr>" if p["description"] else ""
    )
    return page(
        f"Stone {p['stone_id']}",
        f"""<h1>Stone {h(p['stone_id'])}</h1>{_verdicts(p)}{_assurances(p)}
<section class=card><img src="{h(metadata['image'])}" alt="Card of stone {h(p['stone_id'])}">
<table>{attributes}<tr><th>Token id</th><td><code>{h(p['token_id'])}</code></td></tr>
<tr><th>Holder</th><td>{ctx.who(p['holder'])}</td></tr>{description}</table></section>
<section><h2>Journey</h2><ol class=timeline>{''.join(journey)}</ol></section>
<section><h2>Lineage</h2><table>{lineage_rows}</table></section>
<section><h2>Kimberley Process certificate</h2><table>{kp_rows}</table></section>
<section><h2>Grading reports</h2><table>{grading or '<tr><td>Not graded yet.</td></tr>'}</table>
{f"<p class=muted>… and {older} older reports.</p>" if older > 0 else ""}</section>
<p class=muted>Machine-readable: <a href="/api/stone/{h(p['stone_id'])}">/api/stone/{h(p['stone_id'])}</a>
(the same as <code>diamondtrace verify --json {h(p['stone_id'])}</code>).</p>""",
    )


def certificate_link(exporting: str, number: str) -> str:
    return f"<a href='/kp/{h(exporting)}/{h(quote(number, safe=''))}'>{h(number)}</a>"


def certificate(ctx: Ctx, *parts: str) -> str:
    """A KP certificate: `/kp/<exporting>/<number>`, or `/kp/<number>` naming its country first."""
    if len(parts) == 1:
        number = unquote(parts[0])
        recorded = ctx.logs("CertificateRecorded", {"number": text32(number, "certificate number")}, ctx.book) if _text(number) else []
        if not recorded:
            raise NotFound(f"No KP certificate {number} is recorded on this registry.")
        exporting = bytes(recorded[0]["args"]["exporting"]).decode()
    else:
        exporting, number = parts[0], unquote(parts[1])
    if exporting not in COUNTRIES or not _text(number):
        raise BadRequest(f"“{exporting}/{number}” is not a country code and a certificate number.")
    book = ctx.book
    found = book.functions.certificateId(exporting.encode(), text32(number)).call()
    if not found:
        raise NotFound(f"No KP certificate {number} of {exporting} is recorded on this registry.")
    c = book.functions.certificate(found).call()
    d = c.declared
    stones: dict[int, int] = {}
    for e in ctx.logs("CertificateDrawn", {"id": found}, book):
        stones[e["args"]["tokenId"]] = e["args"]["centicarats"]
    for e in ctx.logs("CertificateDrawnByBatch", {"id": found}, book):
        receipt = ctx.chain.w3.eth.get_transaction_receipt(e["transactionHash"])
        for minted in ctx.registry.events.Transfer().process_receipt(receipt, errors=DISCARD):
            if minted["args"]["from"] == ZERO_ADDRESS:
                stones[minted["args"]["id"]] = Registry(ctx.registry).stone(minted["args"]["id"]).centicarats
    rows = "".join(
        f"<tr><td>{stone_link(t)}</td><td>{format_carat(weight)} ct</td></tr>" for t, weight in list(stones.items())[:MAX_LISTED]
    )
    more = f"<p class=muted>… and {len(stones) - MAX_LISTED} more.</p>" if len(stones) > MAX_LISTED else ""
    share = 100 * c.drawnCenticarats / d.centicarats if d.centicarats else 0
    return page(
        f"KP certificate {number}",
        f"""<h1>Kimberley Process certificate {h(number)}</h1>
<section><table>
<tr><th>Exporting country</th><td>{h(exporting)}</td></tr><tr><th>Importing country</th><td>{h(bytes(d.importing).decode())}</td></tr>
<tr><th>Exporter</th><td>{ctx.who(d.exporter)}</td></tr><tr><th>Importer</th><td>{ctx.who(d.importer)}</td></tr>
<tr><th>Issued</th><td>{h(_time(d.issuedAt)[:10])}</td></tr><tr><th>Expires</th><td>{h(_time(d.expiresAt)[:10])}</td></tr>
<tr><th>Declared weight</th><td>{format_carat(d.centicarats)} ct</td></tr>
<tr><th>Carats used</th><td><b>{format_carat(c.drawnCenticarats)} of {format_carat(d.centicarats)} ct</b> ({share:.1f}%)</td></tr>
<tr><th>Value</th><td>US$ {d.valueUsd:,}</td></tr><tr><th>Parcels</th><td>{d.parcels}</td></tr>
<tr><th>Document hash</th><td><code>{h('0x' + bytes(d.document).hex())}</code></td></tr>
<tr><th>Recorded by</th><td>{ctx.who(c.authority)} on {h(_time(c.recordedAt))}</td></tr></table></section>
<section><h2>Stones drawn against it ({len(stones)})</h2><table>{rows or '<tr><td>None yet.</td></tr>'}</table>{more}</section>""",
    )


def _text(value: str) -> bool:
    return bool(re.fullmatch(r"[\x20-\x7e]{1,32}", value)) and not value.startswith(" ")


def address(ctx: Ctx, value: str) -> str:
    if not Web3.is_address(value):
        raise BadRequest(f"“{value}” is not an Ethereum address.")
    account = Web3.to_checksum_address(value)
    profile = Registry(ctx.registry).participant(account).as_json()
    # A stone leaves an account only by a Transfer from it: the account holds exactly the stones
    # whose last Transfer involving it was incoming.
    last: dict[int, bool] = {}
    events = ctx.logs("Transfer", {"to": account}) + ctx.logs("Transfer", {"from": account})
    for e in sorted(events, key=lambda e: (e["blockNumber"], e["logIndex"])):
        last[e["args"]["id"]] = e["args"]["to"] == account
    holds = sorted(t for t, incoming in last.items() if incoming)
    held = sorted(t for t, incoming in last.items() if not incoming)

    def listing(tokens: list[int]) -> str:
        shown = ", ".join(stone_link(t) for t in tokens[:MAX_LISTED])
        return (shown + (f" … and {len(tokens) - MAX_LISTED} more" if len(tokens) > MAX_LISTED else "")) or "none"

    if profile["accredited"]:
        status = f"accredited as {', '.join(profile['roles'])}"
    else:
        status = "not accredited (a consumer, or a revoked participant)"
    rjc = profile["rjc"]
    rjc_text = (
        f"{rjc['certificate']}, valid through {rjc['expires']} ({'current' if rjc['current'] else 'not current'})"
        if rjc["certificate"]
        else "not certified"
    )
    return page(
        f"Address {account}",
        f"""<h1>{h(profile['name']) if profile['name'] else 'Address'}</h1><section><table>
<tr><th>Address</th><td><code>{h(account)}</code></td></tr>
<tr><th>Country</th><td>{h(profile['country'] or '—')}</td></tr>
<tr><th>Standing</th><td>{h(status)}</td></tr>
<tr><th>RJC certification</th><td>{h(rjc_text)}</td></tr>"""
        + (f"<tr><th>Stone-ID prefix</th><td><code>{h(profile['prefix'])}</code></td></tr>" if profile["prefix"] else "")
        + (f"<tr><th>Successor</th><td>{ctx.who(profile['successor'])}</td></tr>" if profile["successor"] else "")
        + f"""</table></section>
<section><h2>Holds now ({len(holds)})</h2><p>{listing(holds)}</p></section>
<section><h2>Has held ({len(held)})</h2><p>{listing(held)}</p></section>""",
    )


def transaction(ctx: Ctx, tx_hash: str) -> str:
    if not re.fullmatch(r"0x[0-9a-fA-F]{64}", tx_hash):
        raise BadRequest(f"“{tx_hash}” is not a transaction hash.")
    w3 = ctx.chain.w3
    try:
        tx = w3.eth.get_transaction(tx_hash)
        receipt = w3.eth.get_transaction_receipt(tx_hash)
    except TransactionNotFound:
        raise NotFound(f"No transaction {tx_hash} on this chain.") from None
    contracts = {c.address.lower(): c for c in (ctx.registry, ctx.book, grading_contract(ctx.registry))}
    call = "<tr><td>Not a call to the registry or its books.</td></tr>"
    target = contracts.get((tx["to"] or "").lower())
    if target is not None:
        try:
            fn, args = target.decode_function_input(tx["input"])
            shown = "".join(f"<tr><th>{h(k)}</th><td><code>{h(_show_arg(k, v))}</code></td></tr>" for k, v in args.items())
            call = f"<tr><th>Function</th><td><b>{h(fn.fn_name)}</b></td></tr>{shown}"
        except ValueError:
            call = "<tr><td>An unknown function of the registry.</td></tr>"
    events = []
    for entry in receipt["logs"]:
        contract = contracts.get(entry["address"].lower())
        if contract is None or not entry["topics"]:
            continue
        by_topic = {bytes(event_abi_to_log_topic(e)): e["name"] for e in contract.abi if e["type"] == "event"}
        name = by_topic.get(bytes(entry["topics"][0]))
        if not name:
            continue
        decoded = getattr(contract.events, name)().process_log(entry)
        shown = dict(decoded["args"])
        if name == "CustodyTransferred":
            shown = _custody_fields(shown)
        args = ", ".join(f"{k}={_show_arg(k, v)}" for k, v in shown.items())
        events.append(f"<tr><td><b>{h(name)}</b></td><td><code>{h(args)}</code></td></tr>")
    shown_events = "".join(events[:MAX_LISTED]) + (f"<tr><td colspan=2>… and {len(events) - MAX_LISTED} more</td></tr>" if len(events) > MAX_LISTED else "")
    return page(
        f"Transaction {tx_hash}",
        f"""<h1>Transaction</h1><section><table>
<tr><th>Hash</th><td><code>{h(tx_hash)}</code></td></tr><tr><th>Status</th><td>{'success' if receipt['status'] == 1 else '<b>reverted</b>'}</td></tr>
<tr><th>Block</th><td>{receipt['blockNumber']} · {h(_time(ctx.times(receipt['blockNumber'])))}</td></tr>
<tr><th>From</th><td>{ctx.who(tx['from'])}</td></tr><tr><th>Gas used</th><td>{receipt['gasUsed']:,}</td></tr></table></section>
<section><h2>Call</h2><table>{call}</table></section>
<section><h2>Registry events ({len(events)})</h2><table>{shown_events or '<tr><td>None.</td></tr>'}</table></section>""",
    )


def _custody_fields(args: dict[str, Any]) -> dict[str, Any]:
    """A `CustodyTransferred` event's packed words spelled out."""
    record = proof.CustodyRecord(args["tokenId"], args["from"], args["to"], bytes(args["document"]), args["chains"], args["record"], 0, 0, "")
    return {
        "tokenId": args["tokenId"],
        "from": args["from"],
        "to": args["to"],
        "action": Action(record.action).label,
        "document": args["document"],
        "warranty": record.warranty,
        "certificateId": record.certificate_id,
        "previousRecordBlock": record.previous_stone_block,
        "senderChain": hex(record.sender_chain),
        "recipientChainBefore": hex(record.recipient_chain_before),
    }


def _show_arg(name: str, value: Any) -> str:
    if isinstance(value, int) and name.lower() in {"tokenid", "id", "parent", "parentid"} and value > 2**200:
        return stone_id(value)
    if isinstance(value, (list, tuple)):
        if len(value) > 12:
            return f"[{len(value)} items]"
        return "[" + ", ".join(_show_arg(name, v) for v in value) + "]"
    if isinstance(value, bytes):
        text = value.rstrip(b"\0")
        return text.decode() if text and all(0x20 <= b < 0x7F for b in text) else "0x" + value.hex()
    return str(value)


# ------------------------------------------------------------------------------------------------
# Server
# ------------------------------------------------------------------------------------------------


class Explorer:
    """Routes requests to pages; connects to the chain per request, so a node that comes and goes
    gives a clear 503 page rather than a dead server."""

    def __init__(self, rpc_url: str, deployment_path: Path | None) -> None:
        self.rpc_url = rpc_url
        self.deployment_path = deployment_path

    def _ctx(self) -> Ctx:
        chain = connect(self.rpc_url)
        deployment, registry = deployments.open_registry(chain, self.deployment_path)
        return Ctx(chain, deployment, registry, {}, BlockTimes(chain.w3))

    def handle(self, raw_path: str) -> tuple[int, str, str, dict[str, str]]:
        """(status, content type, body, extra headers) for a GET of `raw_path`."""
        url = urlparse(raw_path)
        path = url.path.rstrip("/") or "/"
        query = parse_qs(url.query).get("q", [""])[0]
        routes: list[tuple[str, Callable[..., str]]] = [
            (r"/", home),
            (r"/stone/([^/]+)", stone),
            (r"/kp/([^/]+)", certificate),
            (r"/kp/([^/]+)/([^/]+)", certificate),
            (r"/address/([^/]+)", address),
            (r"/tx/([^/]+)", transaction),
        ]
        try:
            if path == "/search":
                ctx = self._ctx()
                return 303, "text/html", "", {"Location": search(ctx, query)}
            match = re.fullmatch(r"/api/stone/([^/]+)", path)
            if match:
                ctx = self._ctx()
                try:
                    token = parse_stone(unquote(match.group(1)))
                except InputError as exc:
                    return 400, "application/json", json.dumps({"error": str(exc)}), {}
                if not Registry(ctx.registry).exists(token):
                    return 404, "application/json", json.dumps({"error": f"no stone {stone_id(token)}"}), {}
                return 200, "application/json", json.dumps(verify.provenance(Registry(ctx.registry), token, ctx.deployment.block).as_json(), indent=2), {}
            for pattern, handler in routes:
                match = re.fullmatch(pattern, path)
                if match:
                    ctx = self._ctx()
                    return 200, "text/html", handler(ctx, *match.groups()), {}
            return 404, "text/html", error_page(404, "No such page", f"There is no page at {path}."), {}
        except NotFound as exc:
            return 404, "text/html", error_page(404, "Not found", str(exc), query), {}
        except BadRequest as exc:
            return 400, "text/html", error_page(400, "Not understood", str(exc), query), {}
        except ChainError as exc:
            return 503, "text/html", error_page(503, "The chain is unreachable", str(exc)), {}
        except (requests.exceptions.RequestException, ConnectionError, Web3RPCError) as exc:
            return 503, "text/html", error_page(503, "The chain is unreachable", f"The node at {self.rpc_url} failed: {type(exc).__name__}."), {}
        except DiamondTraceError as exc:
            return 503, "text/html", error_page(503, "The registry is unavailable", str(exc)), {}
        except (ContractLogicError, ContractCustomError) as exc:
            return 400, "text/html", error_page(400, "The registry refused", revert_message(exc)), {}
        except Exception:  # a bug: log it for the operator, show the visitor a plain page
            log.exception("error rendering %s", raw_path)
            return 500, "text/html", error_page(500, "Something went wrong", "The explorer failed to build this page; the error is in its log."), {}


def error_page(status: int, title: str, message: str, query: str = "") -> str:
    return page(title, f"<section><h1>{h(title)}</h1><p class=error>{h(message)}</p><p><a href='/'>Back to the explorer</a></p></section>"
                f"<p class=muted>HTTP {status}</p>", query)


def serve(explorer: Explorer, host: str = "127.0.0.1", port: int = 8000) -> ThreadingHTTPServer:
    """Starts serving in a background thread; returns the server (call `shutdown()` to stop)."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            status, content_type, body, headers = explorer.handle(self.path)
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", f"{content_type}; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            log.info("%s %s", self.address_string(), format % args)

    try:
        server = ThreadingHTTPServer((host, port), Handler)
    except OSError as exc:
        raise InputError(f"cannot serve on {host}:{port}: {exc.strerror}") from None
    threading.Thread(target=server.serve_forever, daemon=True, name="explorer").start()
    return server

