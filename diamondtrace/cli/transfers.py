"""Custody moves: `transfer` (sent, or signed for someone else to send), `broadcast`, and
`signing-inputs`, what signing offline needs."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import authorizations, custody, documents
from ..model import NAMED_ACTIONS, ZERO32, Action, parse_address, stone_id, text32
from ..reader import Registry
from .common import Context, command, date, document_option, sent_json, signing, stone_command


def transfer(ctx: Context) -> int:
    args = ctx.args
    token = ctx.stone()
    to = parse_address(args.to, "--to")
    action = Action.parse(args.action)
    document = documents.document_hash(args.document)
    certificate = text32(args.kp, "--kp") if args.kp else ZERO32
    if args.sign_only:
        return _sign_only(ctx, token, to, action, document, certificate)
    _, registry = ctx.registry()
    sent = custody.transfer(registry, ctx.sender(), token, to, action, document, certificate, args.warranty)
    ctx.result(
        {"stone_id": stone_id(token), "to": to, "action": action.label, "warranty": args.warranty, **sent_json(sent)},
        f"{stone_id(token)} moved to {to} ({action.label}{', SoW warranty' if args.warranty else ''}) in block {sent.block}",
    )
    return 0


def _sign_only(ctx: Context, token: int, to: str, action: Action, document: bytes, certificate: bytes) -> int:
    args = ctx.args

    def online() -> tuple[int, Registry]:
        return ctx.chain.chain_id, ctx.reader()

    signed = authorizations.sign_only(
        args.sign_only,
        token,
        to,
        action,
        document=document,
        certificate=certificate,
        warranty=args.warranty,
        valid_until=args.valid_until,
        given=authorizations.Given(args.chain_id, args.registry, args.nonce, args.last_record_block),
        signer_for=ctx.signer,
        online=online,
    )
    auth = signed["authorization"]
    ctx.result(
        {"signed": str(args.sign_only), "signer": signed["signer"], "nonce": auth["nonce"], "deadline": auth["deadline"]},
        f"wrote {args.sign_only}: {signed['signer']} authorizes moving {stone_id(token)} to {to} ({action.label}); "
        f"anyone can submit it with `diamondtrace broadcast {args.sign_only}`",
    )
    return 0


def broadcast(ctx: Context) -> int:
    _, registry = ctx.registry()
    signed, auth, sent = authorizations.broadcast(registry, ctx.sender(), ctx.args.signed)
    ctx.result(
        {"stone_id": stone_id(auth.tokenId), "from": signed["signer"], "to": auth.to, **sent_json(sent)},
        f"{stone_id(auth.tokenId)} moved from {signed['signer']} to {auth.to} in block {sent.block} (relayed)",
    )
    return 0


def signing_inputs(ctx: Context) -> int:
    inputs = authorizations.signing_inputs(ctx.reader(), ctx.chain.chain_id, ctx.stone())
    ctx.result(
        inputs.as_json(),
        "\n".join(
            [
                f"to sign an authorization for {stone_id(inputs.token)} offline, its holder {inputs.holder} needs:",
                f"  chain id           {inputs.chain_id}",
                f"  registry           {inputs.registry}",
                f"  nonce              {inputs.nonce} (the holder's next)",
                f"  last record block  {inputs.last_record_block} (of the stone's latest record)",
                f"that is: diamondtrace transfer {stone_id(inputs.token)} --to ADDRESS --sign-only OUT.json {inputs.options()}",
                "(valid until the holder signs another authorization that is used, or the stone moves)",
            ]
        ),
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    moving = stone_command(
        commands, "transfer", transfer, "move a stone with a custody record, or sign an authorization for someone to submit"
    )
    moving.add_argument(
        "--to", required=True, metavar="ADDRESS", help="the recipient's address (an accredited participant, in the trade)"
    )
    moving.add_argument(
        "--action", default="sale", choices=[a.label for a in NAMED_ACTIONS], help="what the move is (default: sale)"
    )
    document_option(moving, "invoice or other document")
    moving.add_argument("--warranty", action="store_true", help="the invoice carries the WDC System of Warranties statement")
    moving.add_argument(
        "--kp", metavar="NUMBER", help="KP certificate (of the country the stone lies in) for a rough stone crossing a border"
    )
    moving.add_argument(
        "--sign-only",
        type=Path,
        metavar="OUT.json",
        help="write a signed EIP-712 authorization instead of sending (`signing-inputs` shows what offline signing needs)",
    )
    moving.add_argument("--chain-id", type=int, help="with --sign-only and --registry: sign offline for this chain")
    moving.add_argument("--registry", metavar="ADDRESS", help="with --sign-only and --chain-id: the registry address")
    moving.add_argument("--nonce", type=int, help="with --sign-only: the holder's nonce (read from the chain when online)")
    moving.add_argument(
        "--last-record-block",
        type=int,
        metavar="N",
        help="with --sign-only: the block of the stone's latest record (read from the chain when online)",
    )
    moving.add_argument(
        "--valid-until", type=date, metavar="YYYY-MM-DD", help="with --sign-only: last valid day, UTC, not past (default: 7 days)"
    )
    signing(moving)

    relaying = command(commands, "broadcast", broadcast, "submit a signed authorization from any funded account")
    relaying.add_argument("signed", type=Path, metavar="SIGNED.json", help="the file `transfer --sign-only` wrote")
    signing(relaying)

    stone_command(
        commands,
        "signing-inputs",
        signing_inputs,
        "what signing an authorization for STONE offline needs: chain id, registry, holder's nonce, last record block",
    )
