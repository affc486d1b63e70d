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
from urllib.parse import parse_qs, unquote, urlparse

import requests
from eth_utils import event_abi_to_log_topic
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.logs import DISCARD

from . import admin, verify
from .chain import Chain, connect, revert_message
from .contracts import Deployment
from .errors import ChainError, DiamondTraceError, InputError
from .model import Action, format_carat, parse_stone, role_names, stone_id, text32, text_of
from .verify import ZERO_ADDRESS, BlockTimes

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
.verdict small{display:block;font-weight:400;font-size:.95rem;margin-top:.3rem}
.ok{background:#e2f5e7;color:#0b5d1e;border:2px solid #3aa55a}.broken{background:#fde3e3;color:#8a1111;border:2px solid #d33}
.flagged{background:#fff0d6;color:#7a4200;border:2px solid #e08a00}.labgrown{background:#ede7fb;color:#4b2a91;border:2px solid #7a4fd8}
.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.6rem}.totals div{background:#eef3f9;border-radius:8px;padding:.6rem}
.totals b{display:block;font-size:1.4rem}.card{display:flex;gap:1rem;flex-wrap:wrap}.card img{width:15rem;max-width:100%;height:auto}
.card table{flex:1;min-width:16rem}ol.timeline{list-style:none;padding:0;margin:0;border-left:3px solid #9fb0c3}
ol.timeline li{margin:0 0 .9rem;padding-left:.9rem;position:relative}ol.timeline li:before{content:"";position:absolute;left:-.5rem;top:.35rem;width:.7rem;height:.7rem;border-radius:50%;background:#0b57a4}
.muted{color:#6b7c90}.tag{display:inline-block;border-radius:4px;padding:0 .35rem;font-size:.8rem;background:#eef3f9;margin-left:.3rem}
.superseded{opacity:.6}.error{font-size:1.05rem}
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
    return verify.iso_time(timestamp).replace("T", " ").replace("Z", " UTC")


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
        if address == ZERO_ADDRESS:
            return "—"
        if address not in self.names:
            roles, code, name = self.registry.functions.participant(address).call()
            self.names[address] = (name, bytes(code).decode() if any(code) else None, role_names(roles))
        name, country, _ = self.names[address]
        label = f"{h(name)} <span class=tag>{h(country)}</span>" if name else f"<code>{h(address)}</code>"
        return f'<a href="/address/{h(address)}">{label}</a>'

    def logs(self, event: str, filters: dict[str, Any] | None = None) -> list[Any]:
        return verify.event_logs(
            getattr(self.registry.events, event)(), self.deployment.block, self.chain.w3.eth.block_number, filters or {}
        )


def _custody_item(ctx: Ctx, action: int, sender: str, recipient: str, when: int | str, block: int, transaction: str,
                  document: bytes, certificate: bytes, note: str = "") -> str:
    """One custody record as a timeline entry."""
    moment = _time(when) if isinstance(when, int) else when.replace("T", " ").replace("Z", " UTC")
    number = text_of(certificate) if certificate else ""
    return (
        f"<li><b>{h(Action(action).label.replace('-', ' ').capitalize())}</b>: {ctx.who(sender)} → {ctx.who(recipient)}"
        + (f" <span class=muted>({note})</span>" if note else "")
        + f"<br><span class=muted>{h(moment)} · block {block} · {tx_link(transaction)}"
        + (f" · document <code>{h('0x' + bytes(document).hex())}</code>" if document and any(document) else "")
        + (f" · KP <a href='/kp/{h(number)}'>{h(number)}</a>" if number else "")
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
    stones, centicarats, participants, batches, certificates = ctx.registry.functions.totals().call()
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
        f"<tr><td>{_time(ctx.times(e['blockNumber']))}</td><td>{ctx.who(e['args']['producer'])}</td>"
        f"<td>{e['args']['stones']:,} stones, {format_carat(e['args']['centicarats'])} ct from {h(text_of(e['args']['input']['mine']))}, "
        f"{h(bytes(e['args']['input']['country']).decode())}</td><td>{tx_link(e['transactionHash'].to_0x_hex())}</td></tr>"
        for e in registrations
    )
    moves = ctx.logs("CustodyTransferred")[-LATEST:][::-1]
    move_rows = "".join(
        f"<tr><td>{_time(ctx.times(e['blockNumber']))}</td><td>{stone_link(e['args']['tokenId'])}</td>"
        f"<td>{Action(e['args']['action']).label}</td><td>{ctx.who(e['args']['from'])} → {ctx.who(e['args']['to'])}</td></tr>"
        for e in moves
    )
    return page(
        "Explorer",
        f"""<section><h1>Diamond provenance, open to everyone</h1>
<p>Every stone on this registry carries its origin, Kimberley Process certificate and every hand it passed through.
Search for a stone to see its journey and whether its record checks out.</p>
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
        except Exception as exc:  # web3's TransactionNotFound
            if "not found" not in str(exc).lower():
                raise
    if re.fullmatch(r"0x[0-9a-fA-F]{40}", q):
        return f"/address/{Web3.to_checksum_address(q)}"
    if re.fullmatch(r"[\x20-\x7e]{1,32}", q):
        try:
            ctx.registry.functions.certificate(text32(q)).call()
            return f"/kp/{q}"
        except (ContractLogicError, ContractCustomError, InputError):
            pass
    try:
        token = parse_stone(q)
    except InputError:
        raise NotFound(f"Nothing on this registry matches “{q}”.") from None
    if verify.registered_weight(ctx.registry, token) is None:
        raise NotFound(f"Nothing on this registry matches “{q}”.")
    return f"/stone/{stone_id(token)}"


def _verdicts(p: dict[str, Any]) -> str:
    parts = []
    integrity = p["integrity"]
    if integrity["ok"]:
        parts.append(
            '<div class="verdict ok">✔ Record complete and consistent'
            f"<small>{h(integrity['reason'][0].upper() + integrity['reason'][1:])}. Checked just now against the registry's on-chain state.</small></div>"
        )
    else:
        reason = integrity["reason"][0].upper() + integrity["reason"][1:]
        parts.append(f'<div class="verdict broken">✖ Record broken<small>{h(reason)}.</small></div>')
    if p["flags"]["flagged"]:
        parts.append(
            f'<div class="verdict flagged">⚠ Reported {h(p["flags"]["flag"]).upper()} by its holder'
            "<small>It cannot change hands until the registry's admin clears the report. Do not buy it.</small></div>"
        )
    if p["lab_grown"]:
        parts.append(
            '<div class="verdict labgrown">Laboratory-grown diamond'
            "<small>The current grading report found this stone laboratory-grown, not natural.</small></div>"
        )
    return "".join(parts)


def stone(ctx: Ctx, ref: str) -> str:
    try:
        token = parse_stone(unquote(ref))
    except InputError as exc:
        raise BadRequest(str(exc)) from None
    if verify.registered_weight(ctx.registry, token) is None:
        raise NotFound(f"No stone {stone_id(token)} on this registry.")
    p = verify.provenance(ctx.registry, token, ctx.deployment.block)
    uri = ctx.registry.functions.tokenURI(token).call()
    metadata = json.loads(base64.b64decode(uri.split(",", 1)[1]))
    attributes = "".join(f"<tr><th>{h(a['trait_type'])}</th><td>{h(a['value'])}</td></tr>" for a in metadata["attributes"])
    o = p["origin"]
    registered = h(o["registered_at"].replace("T", " ").replace("Z", " UTC"))
    journey = [
        f"<li><b>Registered at the {h(o['mine'])} mine, {h(o['country'])}</b> — produced {h(o['production_date'])}, "
        f"registered {registered} by {ctx.who(o['producer'])}"
        + (f" · {tx_link(o['registration_transaction'])}" if o["registration_transaction"] and not p["lineage"]["parent"] else "")
        + "</li>"
    ]
    if p["lineage"]["parent"]:
        # A polished stone's journey from the mine is its rough parent's, up to the cut.
        parent = parse_stone(p["lineage"]["parent"])
        rough = verify.custody_records(ctx.registry, parent, ctx.deployment.block, ctx.chain.w3.eth.block_number, ctx.times)
        journey += [_custody_item(ctx, r.action, r.sender, r.recipient, r.timestamp, r.block, r.transaction, r.document, r.certificate, f"as rough stone {stone_link(parent)}") for r in rough]
        journey.append(f"<li><b>Cut</b> from rough stone {stone_link(parent)} into polished stones by {ctx.who(o['registered_to'])} · registered {registered}</li>")
    for r in p["custody"]:
        journey.append(
            _custody_item(ctx, Action.parse(r["action"]), r["from"], r["to"],
                          r["time"], r["block"], r["transaction"], bytes.fromhex(r["document"][2:]) if r["document"] else b"",
                          text32(r["kp_certificate"]) if r["kp_certificate"] else b"")
        )
    if p["status"] == "split":
        journey.append("<li><b>Split into polished stones</b> (retired: it can never move again)</li>")
    journey.append(f"<li><b>Today</b>: held by {ctx.who(p['holder'])}</li>")

    lineage = p["lineage"]
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
        f"<tr><th>Certificate</th><td><a href='/kp/{h(kp['number'])}'>{h(kp['number'])}</a></td></tr>"
        f"<tr><th>From → to</th><td>{h(kp['exporting_country'])} → {h(kp['importing_country'])}</td></tr>"
        f"<tr><th>Exporter, importer</th><td>{ctx.who(kp['exporter'])}, {ctx.who(kp['importer'])}</td></tr>"
        f"<tr><th>Valid</th><td>{h(kp['issued'])} to {h(kp['expires'])}</td></tr>"
        f"<tr><th>Weight drawn</th><td>{h(kp['drawn_carat'])} of {h(kp['declared_carat'])} ct declared</td></tr>"
        if kp
        else "<tr><td>No Kimberley Process certificate is attached (stones get one when they are exported).</td></tr>"
    )
    grading = "".join(
        f"<tr class='{'current' if g['current'] else 'superseded'}'><td>{'<b>current</b>' if g['current'] else 'superseded'}</td>"
        f"<td>Report {h(g['report_number'])} by {ctx.who(g['lab'])}<br>{h(g['carat'])} ct · colour {h(g['colour'])} · clarity {h(g['clarity'])} · "
        f"cut {h(g['cut'])} · <b>{'laboratory-grown' if g['lab_grown'] else 'natural'}</b><br>"
        f"<span class=muted>{h(g['issued_at'].replace('T', ' ').replace('Z', ' UTC'))}"
        + (f" · document <code>{h(g['document'])}</code>" if g["document"] else "")
        + "</span></td></tr>"
        for g in p["grading"]
    )
    image = metadata["image"]
    return page(
        f"Stone {p['stone_id']}",
        f"""<h1>Stone {h(p['stone_id'])}</h1>{_verdicts(p)}
<section class=card><img src="{h(image)}" alt="Card of stone {h(p['stone_id'])}">
<table>{attributes}<tr><th>Token id</th><td><code>{h(p['token_id'])}</code></td></tr>
<tr><th>Holder</th><td>{ctx.who(p['holder'])}</td></tr>{f"<tr><th>Description</th><td>{h(p['description'])}</td></tr>" if p['description'] else ''}</table></section>
<section><h2>Journey</h2><ol class=timeline>{''.join(journey)}</ol></section>
<section><h2>Lineage</h2><table>{lineage_rows}</table></section>
<section><h2>Kimberley Process certificate</h2><table>{kp_rows}</table></section>
<section><h2>Grading reports</h2><table>{grading or '<tr><td>Not graded yet.</td></tr>'}</table></section>
<p class=muted>Machine-readable: <a href="/api/stone/{h(p['stone_id'])}">/api/stone/{h(p['stone_id'])}</a>
(the same as <code>diamondtrace verify --json {h(p['stone_id'])}</code>).</p>""",
    )


def certificate(ctx: Ctx, number: str) -> str:
    number = unquote(number)
    try:
        declared, authority, recorded_at, drawn = ctx.registry.functions.certificate(text32(number, "certificate number")).call()
    except InputError as exc:
        raise BadRequest(str(exc)) from None
    except (ContractLogicError, ContractCustomError):
        raise NotFound(f"No KP certificate {number} is recorded on this registry.") from None
    (_, exporting, importing, exporter, importer, issued, expires, declared_cc, value, parcels, document) = declared
    stones: dict[int, int] = {}
    for e in ctx.logs("CertificateDrawn", {"number": text32(number)}):
        stones[e["args"]["tokenId"]] = e["args"]["centicarats"]
    for e in ctx.logs("BatchRegistered", {"certificate": text32(number)}):
        receipt = ctx.chain.w3.eth.get_transaction_receipt(e["transactionHash"])
        for minted in ctx.registry.events.Transfer().process_receipt(receipt, errors=DISCARD):
            if minted["args"]["from"] == ZERO_ADDRESS:
                stones[minted["args"]["id"]] = verify.registered_weight(ctx.registry, minted["args"]["id"]) or 0
    rows = "".join(
        f"<tr><td>{stone_link(t)}</td><td>{format_carat(c)} ct</td></tr>" for t, c in list(stones.items())[:MAX_LISTED]
    )
    more = f"<p class=muted>… and {len(stones) - MAX_LISTED} more.</p>" if len(stones) > MAX_LISTED else ""
    share = 100 * drawn / declared_cc if declared_cc else 0
    return page(
        f"KP certificate {number}",
        f"""<h1>Kimberley Process certificate {h(number)}</h1>
<section><table>
<tr><th>Exporting country</th><td>{h(bytes(exporting).decode())}</td></tr><tr><th>Importing country</th><td>{h(bytes(importing).decode())}</td></tr>
<tr><th>Exporter</th><td>{ctx.who(exporter)}</td></tr><tr><th>Importer</th><td>{ctx.who(importer)}</td></tr>
<tr><th>Issued</th><td>{h(_time(issued)[:10])}</td></tr><tr><th>Expires</th><td>{h(_time(expires)[:10])}</td></tr>
<tr><th>Declared weight</th><td>{format_carat(declared_cc)} ct</td></tr>
<tr><th>Carats used</th><td><b>{format_carat(drawn)} of {format_carat(declared_cc)} ct</b> ({share:.1f}%)</td></tr>
<tr><th>Value</th><td>US$ {value:,}</td></tr><tr><th>Parcels</th><td>{parcels}</td></tr>
<tr><th>Document hash</th><td><code>{h('0x' + bytes(document).hex())}</code></td></tr>
<tr><th>Recorded by</th><td>{ctx.who(authority)} on {h(_time(recorded_at))}</td></tr></table></section>
<section><h2>Stones drawn against it ({len(stones)})</h2><table>{rows or '<tr><td>None yet.</td></tr>'}</table>{more}</section>""",
    )


def address(ctx: Ctx, value: str) -> str:
    if not Web3.is_address(value):
        raise BadRequest(f"“{value}” is not an Ethereum address.")
    account = Web3.to_checksum_address(value)
    roles, code, name = ctx.registry.functions.participant(account).call()
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

    status = f"accredited as {', '.join(role_names(roles))}" if roles else "not accredited (a consumer, or a revoked participant)"
    return page(
        f"Address {account}",
        f"""<h1>{h(name) if name else 'Address'}</h1><section><table>
<tr><th>Address</th><td><code>{h(account)}</code></td></tr>
<tr><th>Country</th><td>{h(bytes(code).decode()) if any(code) else '—'}</td></tr>
<tr><th>Standing</th><td>{h(status)}</td></tr></table></section>
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
    except Exception as exc:  # web3 raises TransactionNotFound for unknown hashes
        if "not found" in str(exc).lower():
            raise NotFound(f"No transaction {tx_hash} on this chain.") from None
        raise
    call = "<tr><td>Not a call to the registry.</td></tr>"
    if tx["to"] and tx["to"].lower() == ctx.deployment.registry.lower():
        try:
            fn, args = ctx.registry.decode_function_input(tx["input"])
            shown = "".join(f"<tr><th>{h(k)}</th><td><code>{h(_show_arg(k, v))}</code></td></tr>" for k, v in args.items())
            call = f"<tr><th>Function</th><td><b>{h(fn.fn_name)}</b></td></tr>{shown}"
        except ValueError:
            call = "<tr><td>An unknown function of the registry.</td></tr>"
    events = []
    by_topic = {bytes(event_abi_to_log_topic(e)): e["name"] for e in ctx.registry.abi if e["type"] == "event"}
    for entry in receipt["logs"]:
        if entry["address"].lower() != ctx.deployment.registry.lower() or not entry["topics"]:
            continue
        name = by_topic.get(bytes(entry["topics"][0]))
        if not name:
            continue
        decoded = getattr(ctx.registry.events, name)().process_log(entry)
        args = ", ".join(f"{k}={_show_arg(k, v)}" for k, v in decoded["args"].items())
        events.append(f"<tr><td><b>{h(name)}</b></td><td><code>{h(args)}</code></td></tr>")
    shown_events = "".join(events[:MAX_LISTED]) + (f"<tr><td colspan=2>… and {len(events) - MAX_LISTED} more</td></tr>" if len(events) > MAX_LISTED else "")
    return page(
        f"Transaction {tx_hash}",
        f"""<h1>Transaction</h1><section><table>
<tr><th>Hash</th><td><code>{h(tx_hash)}</code></td></tr><tr><th>Status</th><td>{'success' if receipt['status'] == 1 else '<b>reverted</b>'}</td></tr>
<tr><th>Block</th><td>{receipt['blockNumber']} · {h(_time(ctx.times(receipt['blockNumber'])))}</td></tr>
<tr><th>From</th><td>{ctx.who(tx['from'])}</td></tr><tr><th>Gas used</th><td>{receipt['gasUsed']:,}</td></tr></table></section>
<section><h2>Registry call</h2><table>{call}</table></section>
<section><h2>Registry events ({len(events)})</h2><table>{shown_events or '<tr><td>None.</td></tr>'}</table></section>""",
    )


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
        deployment, registry = admin.open_registry(chain, self.deployment_path)
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
                if verify.registered_weight(ctx.registry, token) is None:
                    return 404, "application/json", json.dumps({"error": f"no stone {stone_id(token)}"}), {}
                return 200, "application/json", json.dumps(verify.provenance(ctx.registry, token, ctx.deployment.block), indent=2), {}
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

