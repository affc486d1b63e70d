"""Custody moves: `transfer` (sent; or signed, or written for the holder's wallet to sign, for
someone else to send), `broadcast`, and `signing-inputs`, what signing offline needs."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import authorization_files, authorizations, custody, documents, relaying, safe_holders
from ..errors import InputError
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
    if args.holder is not None and not (args.unsigned or args.sign_only):
        raise InputError("--holder goes with --unsigned, or with --sign-only for a Safe whose owner signs")
    if args.sign_only or args.unsigned:
        move = authorizations.Move(token, to, action, document, certificate, args.warranty, args.valid_until)
        return _unsigned(ctx, move) if args.unsigned else _sign_only(ctx, move)
    _, registry = ctx.registry()
    sent = custody.transfer(registry, ctx.sender(), token, to, action, document, certificate, args.warranty)
    ctx.result(
        {"stone_id": stone_id(token), "to": to, "action": action.label, "warranty": args.warranty, **sent_json(sent)},
        f"{stone_id(token)} moved to {to} ({action.label}{', SoW warranty' if args.warranty else ''}) in block {sent.block}",
    )
    return 0


def _given(ctx: Context) -> authorizations.Given:
    args = ctx.args
    return authorizations.Given(args.chain_id, args.registry, args.nonce, args.last_record_block)


def _online(ctx: Context):
    def online() -> tuple[int, Registry]:
        return ctx.chain.chain_id, ctx.reader()

    return online


def _sign_only(ctx: Context, move: authorizations.Move) -> int:
    args = ctx.args
    out = args.sign_only
    holder = parse_address(args.holder, "--holder") if args.holder is not None else None
    if holder is not None and holder != ctx.signer(args.chain_id).address:
        return _safe_share(ctx, move, holder)
    signer, auth = authorization_files.sign_only(out, move, _given(ctx), ctx.signer, _online(ctx))
    ctx.result(
        {"signed": str(out), "signer": signer.address, "nonce": auth.nonce, "deadline": auth.deadline},
        f"wrote {out}: {signer.address} authorizes moving {stone_id(move.token)} to {move.to} ({move.action.label}); "
        f"anyone can submit it with `diamondtrace broadcast {out}`",
    )
    return 0


def _safe_share(ctx: Context, move: authorizations.Move, safe: str) -> int:
    out = ctx.args.sign_only
    share = safe_holders.sign_share(out, move, _given(ctx), safe, ctx.signer, _online(ctx))
    auth = share.auth
    ctx.result(
        {
            "signed": str(out),
            "signer": share.owner,
            "safe": safe,
            "owners": share.owners,
            "threshold": share.threshold,
            "nonce": auth.nonce,
            "deadline": auth.deadline,
        },
        f"wrote {out}: {share.owner}'s share of Safe {safe}'s authorization to move {stone_id(move.token)} to {move.to} "
        f"({move.action.label}); {share.of()}: once they have, anyone submits their files together with "
        "`diamondtrace broadcast FILE1 FILE2 ...`",
    )
    return 0


def _unsigned(ctx: Context, move: authorizations.Move) -> int:
    args = ctx.args
    holder = parse_address(args.holder, "--holder") if args.holder is not None else None
    out = args.unsigned
    auth = authorization_files.unsigned(out, move, _given(ctx), holder, _online(ctx))
    ctx.result(
        {"unsigned": str(out), "holder": auth.holder, "nonce": auth.nonce, "deadline": auth.deadline},
        f"wrote {out}: the authorization for {auth.holder} to move {stone_id(move.token)} to {move.to} "
        f"({move.action.label}); the holder signs it in its wallet (eth_signTypedData_v4), then anyone submits it with "
        f"`diamondtrace broadcast {out} --signature 0x...`",
    )
    return 0


def broadcast(ctx: Context) -> int:
    _, registry = ctx.registry()
    signed, sent = relaying.broadcast(registry, ctx.sender(), ctx.args.signed, ctx.args.signature)
    auth = signed.auth
    ctx.result(
        {"stone_id": stone_id(auth.tokenId), "from": auth.holder, "to": auth.to, **sent_json(sent)},
        f"{stone_id(auth.tokenId)} moved from {auth.holder} to {auth.to} in block {sent.block} (relayed)",
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
                f"or, for the holder's own wallet to sign: diamondtrace transfer {stone_id(inputs.token)} --to ADDRESS "
                f"--unsigned OUT.json --holder {inputs.holder} {inputs.options()}",
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
    written = moving.add_mutually_exclusive_group()
    written.add_argument(
        "--sign-only",
        type=Path,
        metavar="OUT.json",
        help='sign an EIP-712 authorization with the holder\'s key and write {"typedData", "signature"} instead of sending',
    )
    written.add_argument(
        "--unsigned",
        type=Path,
        metavar="OUT.json",
        help="write the authorization for the holder's own wallet to sign (eth_signTypedData_v4's parameter); no key needed",
    )
    moving.add_argument(
        "--holder",
        metavar="ADDRESS",
        help="with --unsigned: the stone's holder, who signs (read from the chain when online; required offline); "
        "with --sign-only: the Safe that holds the stone, of which the key is an owner (writes that owner's share)",
    )
    offline = "with --sign-only or --unsigned"
    moving.add_argument("--chain-id", type=int, help=f"{offline}, and --registry: sign offline for this chain")
    moving.add_argument("--registry", metavar="ADDRESS", help=f"{offline}, and --chain-id: the registry address")
    moving.add_argument("--nonce", type=int, help=f"{offline}: the holder's nonce (read from the chain when online)")
    moving.add_argument(
        "--last-record-block",
        type=int,
        metavar="N",
        help=f"{offline}: the block of the stone's latest record (read from the chain when online)",
    )
    moving.add_argument(
        "--valid-until", type=date, metavar="YYYY-MM-DD", help=f"{offline}: last valid day, UTC, not past (default: 7 days)"
    )
    signing(moving)

    relayed = command(commands, "broadcast", broadcast, "submit a signed authorization from any funded account")
    relayed.add_argument(
        "signed",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="the file `transfer --sign-only` wrote, or one `transfer --unsigned` wrote; "
        "for a Safe holder, its owners' files (`transfer --holder SAFE --sign-only`), enough for its threshold",
    )
    relayed.add_argument(
        "--signature",
        metavar="0x...",
        help="with an --unsigned file: the holder's signature of it (what its wallet's eth_signTypedData_v4 returned)",
    )
    signing(relayed)

    stone_command(
        commands,
        "signing-inputs",
        signing_inputs,
        "what signing an authorization for STONE offline needs: chain id, registry, holder's nonce, last record block",
    )
