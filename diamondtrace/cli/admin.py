"""The admin's commands and the participant's profile: `deploy`, `participant`, `recover`, `pause`, `unpause`."""

from __future__ import annotations

import argparse
import sys

from .. import custody, deployments, documents, participants, pausing
from ..deployments import Deployment
from ..model import ROLES, parse_address, parse_stone, stone_id
from ..reader import Registry
from ..sending import Sent
from .common import Context, command, date, document_option, group, sent_json, signing


def deploy(ctx: Context) -> int:
    sender = ctx.sender()
    path = ctx.args.deployment or Deployment.default_path(ctx.chain.chain_id)
    deployments.check_replaceable(path, ctx.args.replace)
    print(f"deploying the registry to chain {ctx.chain.chain_id} from {sender.address} ...", file=sys.stderr)
    deployment, aside = deployments.deploy_recorded(ctx.chain, sender, path, ctx.args.replace)
    if aside:
        print(f"the earlier record {path} is kept as {aside}", file=sys.stderr)
    ctx.result(
        {
            "registry": deployment.registry,
            "renderer": deployment.renderer,
            "certificates": deployment.certificates,
            "grading": deployment.grading,
            "block": deployment.block,
            "deployment": str(path),
            "earlier_record": str(aside) if aside else None,
        },
        f"registry {deployment.registry} (KP book {deployment.certificates}, grading book {deployment.grading}, "
        f"renderer {deployment.renderer}) deployed in block {deployment.block}; record {path}",
    )
    return 0


def participant_add(ctx: Context) -> int:
    args = ctx.args
    account = parse_address(args.address)
    _, registry = ctx.registry()
    sent = participants.accredit(
        registry, ctx.sender(), account, args.role, args.name, args.country, args.prefix, args.rjc_certificate, args.rjc_expires
    )
    return _show(ctx, Registry(registry), account, sent)


def participant_revoke(ctx: Context) -> int:
    account = parse_address(ctx.args.address)
    successor = parse_address(ctx.args.successor, "--successor") if ctx.args.successor else None
    _, registry = ctx.registry()
    return _show(ctx, Registry(registry), account, participants.revoke_participant(registry, ctx.sender(), account, successor))


def participant_rjc(ctx: Context) -> int:
    account = parse_address(ctx.args.address)
    _, registry = ctx.registry()
    sent = participants.certify_rjc(registry, ctx.sender(), account, ctx.args.certificate, ctx.args.expires)
    return _show(ctx, Registry(registry), account, sent)


def participant_show(ctx: Context) -> int:
    account = parse_address(ctx.args.address)
    return _show(ctx, ctx.reader(), account, None)


def _show(ctx: Context, reader: Registry, account: str, sent: Sent | None) -> int:
    p = reader.participant(account).as_json()
    data = dict(p, **(sent_json(sent) if sent else {}))
    state = f"accredited as {', '.join(p['roles'])}" if p["accredited"] else "not accredited"
    rjc = p["rjc"]
    lines = [f"{p['address']} ({p['name'] or 'no name'}, {p['country'] or 'no country'}): {state}"]
    if p["prefix"]:
        lines.append(f"  stone-ID prefix {p['prefix']}")
    if rjc["certificate"]:
        lines.append(
            f"  RJC certificate {rjc['certificate']}, valid through {rjc['expires']}: "
            f"{'current' if rjc['current'] else 'NOT current'}"
        )
    if p["successor"]:
        lines.append(f"  successor (for recovery of its stones) {p['successor']}")
    lines.append(
        f"  nonce {p['nonce']} (its next signed authorization names it; "
        "`signing-inputs STONE` shows all that offline signing needs)"
    )
    ctx.result(data, "\n".join(lines))
    return 0


def recover(ctx: Context) -> int:
    tokens = [parse_stone(ref) for ref in ctx.args.stones]
    _, registry = ctx.registry()
    sent = custody.recover(registry, ctx.sender(), tokens, documents.document_hash(ctx.args.document))
    ctx.result(
        {"recovered": [stone_id(t) for t in tokens], **sent_json(sent)},
        f"recovered {', '.join(stone_id(t) for t in tokens)} to their holders' successors in block {sent.block}",
    )
    return 0


def pause(ctx: Context) -> int:
    paused = ctx.args.pause
    _, registry = ctx.registry()
    sent = pausing.set_paused(registry, ctx.sender(), paused)
    ctx.result(
        {"paused": paused, **sent_json(sent)},
        f"registry {'paused: no state changes but flagging until `diamondtrace unpause`' if paused else 'unpaused'} "
        f"(block {sent.block})",
    )
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    deploying = command(
        commands, "deploy", deploy, "deploy the registry and write deployments/<chainId>.json (never over an earlier record)"
    )
    deploying.add_argument(
        "--replace",
        action="store_true",
        help="replace an existing deployment record (the earlier one is kept beside it, its block and registry in its name)",
    )
    signing(deploying)

    participant = group(commands, "participant", "accredit, revoke and show participants; record RJC certifications")
    add = command(participant, "add", participant_add, "accredit ADDRESS with a role (keeps its other roles); admin only")
    add.add_argument("address", metavar="ADDRESS", help="the participant's address")
    add.add_argument("--role", required=True, choices=list(ROLES), help="the role to add")
    add.add_argument("--name", required=True, help="the participant's name, as pages and reports show it")
    add.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. BW; an address never changes country")
    add.add_argument(
        "--prefix", help="stone-ID prefix for life (producers and manufacturers), e.g. BW-JW-; none may start another"
    )
    add.add_argument("--rjc-certificate", metavar="ID", help="its RJC Code of Practices certificate (with --rjc-expires)")
    add.add_argument("--rjc-expires", type=date, metavar="YYYY-MM-DD", help="last day the RJC certificate is valid (UTC)")
    signing(add)
    revoke = command(participant, "revoke", participant_revoke, "withdraw ADDRESS's accreditation; admin only")
    revoke.add_argument("address", metavar="ADDRESS", help="the participant's address")
    revoke.add_argument("--successor", metavar="ADDRESS", help="who its stones in the trade may be recovered to (`recover`)")
    signing(revoke)
    rjc = command(
        participant, "rjc", participant_rjc, "record or renew ADDRESS's RJC certification (a past date withdraws it); admin only"
    )
    rjc.add_argument("address", metavar="ADDRESS", help="the participant's address")
    rjc.add_argument("--certificate", required=True, metavar="ID", help="its RJC Code of Practices certificate")
    rjc.add_argument("--expires", required=True, type=date, metavar="YYYY-MM-DD", help="last day the certificate is valid (UTC)")
    signing(rjc)
    show = command(
        participant, "show", participant_show, "show ADDRESS's profile (roles, country, prefix, RJC, successor, nonce)"
    )
    show.add_argument("address", metavar="ADDRESS", help="the participant's address")

    recovering = command(commands, "recover", recover, "move revoked participants' stones to their named successors (admin)")
    recovering.add_argument("stones", nargs="+", metavar="STONE", help="token ids or producer stone IDs")
    document_option(recovering, "the ruling or agreement", required=True)
    signing(recovering)

    for name, paused, help in [
        ("pause", True, "stop every state change but flagging (admin)"),
        ("unpause", False, "lift a pause (admin)"),
    ]:
        pausing_parser = command(commands, name, pause, help)
        pausing_parser.set_defaults(pause=paused)
        signing(pausing_parser)
