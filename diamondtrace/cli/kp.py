"""`kp`: Kimberley Process certificates, recorded by a KP authority and shown to anyone."""

from __future__ import annotations

import argparse

from .. import certificates
from ..reader import Registry
from .common import Context, command, date, document_option, group, sent_json, signing

# `kp register`'s options, named as `certificates.register_certificate` names them.
FIELDS = (
    "number",
    "exporting",
    "importing",
    "exporter",
    "importer",
    "carats",
    "value_usd",
    "parcels",
    "issued",
    "expires",
    "document",
)


def kp_register(ctx: Context) -> int:
    args = ctx.args
    _, registry = ctx.registry()
    sent = certificates.register_certificate(registry, ctx.sender(), **{name: getattr(args, name) for name in FIELDS})
    ctx.result({"number": args.number, **sent_json(sent)}, f"KP certificate {args.number} recorded in block {sent.block}")
    return 0


def kp_show(ctx: Context) -> int:
    _, registry = ctx.registry()
    data = Registry(registry).certificate(certificates.find_certificate(registry, ctx.args.number, ctx.args.exporting)).as_json()
    ctx.result(data, "\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    kp = group(commands, "kp", "Kimberley Process certificates")
    recording = command(kp, "register", kp_register, "record a certificate (a KP authority of the exporting country)")
    recording.add_argument("--number", required=True, help="the certificate's number as printed on it, e.g. BW-KP-2026-0001")
    recording.add_argument("--exporting", required=True, help="exporting country code")
    recording.add_argument("--importing", required=True, help="importing country code")
    recording.add_argument("--exporter", required=True, help="exporter's address")
    recording.add_argument("--importer", required=True, help="importer's address")
    recording.add_argument("--carats", required=True, help="declared weight, e.g. 1520.35")
    recording.add_argument("--value-usd", required=True, help="declared value in whole US dollars")
    recording.add_argument("--parcels", type=int, required=True, help="number of parcels the shipment holds (at least 1)")
    recording.add_argument("--issued", type=date, required=True, help="YYYY-MM-DD")
    recording.add_argument("--expires", type=date, required=True, help="YYYY-MM-DD (valid through that day, UTC)")
    document_option(recording, "the certificate document")
    signing(recording)
    show = command(kp, "show", kp_show, "show a certificate and how much of it is drawn")
    show.add_argument("number", metavar="NUMBER", help="the certificate's number")
    show.add_argument(
        "--exporting", metavar="CC", help="exporting country (default: the number's first two letters, as in BW-KP-...)"
    )
