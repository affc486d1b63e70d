"""The commands that register and record stones: `mint`, `split`, `declare`, `grade`, `flag`, `unflag`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import custody, documents, grading, lineage, mint, planning
from ..model import Flag, parse_address, stone_id
from .common import Context, command, document_option, sent_json, signing, stone_command


def register_run(ctx: Context) -> int:
    args = ctx.args
    to = parse_address(args.to, "--to") if args.to else None
    _, registry = ctx.registry()
    sender = ctx.sender()
    bar = None

    def on_plan(plan: planning.Plan) -> None:
        nonlocal bar
        print(
            f"{args.file}: {len(plan.new) + len(plan.already)} stones; {len(plan.already)} already registered, "
            f"{len(plan.new)} to register in {len(plan.batches)} transactions",
            file=sys.stderr,
        )
        if not args.json and sys.stderr.isatty() and plan.new:
            from tqdm import tqdm

            bar = tqdm(total=len(plan.new), unit="stone", file=sys.stderr)

    try:
        result = mint.mint(
            registry,
            sender,
            args.file,
            to=to,
            batch_size=args.batch_size,
            on_plan=on_plan,
            on_batch=lambda n: bar.update(n) if bar else None,
            lab_grown=args.lab_grown,
        )
    finally:
        if bar:
            bar.close()
    data = result.as_json()
    if result.registered:
        human = (
            f"registered {result.registered} stones in {len(result.transactions)} transactions "
            f"({data['gas_per_stone']} gas per stone, {data['stones_per_second']} stones/s); "
            f"{result.already_registered} were already registered"
        )
    else:
        human = f"nothing to register: all {result.already_registered} stones of {args.file} are already on chain"
    ctx.result(data, human)
    return 0


def split(ctx: Context) -> int:
    token = ctx.stone()
    children = lineage.read_children(ctx.args.children)
    _, registry = ctx.registry()
    sent = lineage.split(registry, ctx.sender(), token, children)
    ctx.result(
        {"parent": stone_id(token), "children": [stone_id(c[0]) for c in children], **sent_json(sent)},
        f"{stone_id(token)} split into {', '.join(stone_id(c[0]) for c in children)} in block {sent.block}",
    )
    return 0


def declare(ctx: Context) -> int:
    args = ctx.args
    stones = lineage.read_children(args.stones)
    _, registry = ctx.registry()
    sent = lineage.declare(registry, ctx.sender(), stones, mine=args.mine, country=args.country, lab_grown=args.lab_grown)
    ids = [stone_id(t) for t, _, _ in stones]
    ctx.result(
        {"declared": ids, "mine": args.mine, "country": args.country, **sent_json(sent)},
        f"entered {len(ids)} stones with a declared origin ({args.mine}, {args.country or 'country unknown'}) "
        f"in block {sent.block}; "
        'they are marked "origin declared, not traced from the mine"',
    )
    return 0


def grade(ctx: Context) -> int:
    args = ctx.args
    token = ctx.stone()
    _, registry = ctx.registry()
    sent = grading.grade(
        registry,
        ctx.sender(),
        token,
        report=args.report,
        carat=args.carat,
        colour=args.colour,
        clarity=args.clarity,
        cut=args.cut,
        lab_grown=args.lab_grown,
        document=documents.document_hash(args.document),
        lab=args.lab,
        warn=lambda concern: print(f"warning: {concern}", file=sys.stderr),
    )
    ctx.result(
        {"stone_id": stone_id(token), "report": args.report, "lab_grown": args.lab_grown, **sent_json(sent)},
        f"{stone_id(token)} graded (report {args.report}{', LABORATORY-GROWN' if args.lab_grown else ''}) in block {sent.block}",
    )
    return 0


def flag(ctx: Context) -> int:
    token = ctx.stone()
    reason = Flag[ctx.args.reason.upper()]
    _, registry = ctx.registry()
    sent = custody.flag(registry, ctx.sender(), token, reason, documents.document_hash(ctx.args.document))
    ctx.result(
        {"stone_id": stone_id(token), **sent_json(sent)}, f"{stone_id(token)} flagged {reason.name.lower()} in block {sent.block}"
    )
    return 0


def unflag(ctx: Context) -> int:
    token = ctx.stone()
    _, registry = ctx.registry()
    sent = custody.unflag(registry, ctx.sender(), token, documents.document_hash(ctx.args.document))
    ctx.result({"stone_id": stone_id(token), **sent_json(sent)}, f"{stone_id(token)}: flag cleared in block {sent.block}")
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    minting = command(
        commands,
        "mint",
        register_run,
        "register a production run from a CSV file (stone_id,carat,mine,country,production_date[,kp_certificate][,description])",
    )
    minting.add_argument("file", type=Path, metavar="FILE.csv", help="the production run (see the README for its columns)")
    minting.add_argument("--to", metavar="ADDRESS", help="accredited holder of the new stones (default: the signer)")
    minting.add_argument("--batch-size", type=int, help="stones per transaction (default and maximum: the registry's MAX_BATCH)")
    minting.add_argument(
        "--lab-grown", action="store_true", help="the run is laboratory-grown rough (outside the Kimberley Process)"
    )
    signing(minting)

    splitting = stone_command(commands, "split", split, "split a rough stone into polished stones (a manufacturer holding it)")
    splitting.add_argument(
        "children", type=Path, metavar="CHILDREN.csv", help="columns stone_id,carat[,description]; IDs with your prefix"
    )
    signing(splitting)

    declaring = command(
        commands, "declare", declare, "enter polished stones made before the registry, with a declared origin (a manufacturer)"
    )
    declaring.add_argument(
        "stones", type=Path, metavar="STONES.csv", help="columns stone_id,carat[,description]; IDs with your prefix"
    )
    declaring.add_argument("--mine", required=True, help='the declared mine, or a description such as "Unknown"')
    declaring.add_argument("--country", help="the declared country of origin (omit if unknown)")
    declaring.add_argument("--lab-grown", action="store_true", help="the stones are laboratory-grown")
    signing(declaring)

    grading_parser = stone_command(commands, "grade", grade, "record a grading report (a lab holding the stone)")
    grading_parser.add_argument("--lab", required=True, help="the lab's name or address (must be the signer's)")
    grading_parser.add_argument("--report", required=True, help="the report's number, e.g. GIA-2141438167")
    grading_parser.add_argument(
        "--carat", required=True, help="the weight the lab measured, e.g. 1.01 (a warning if far from the registered weight)"
    )
    grading_parser.add_argument(
        "--colour", required=True, help=f"GIA colour grade, {grading.COLOURS[0]} to {grading.COLOURS[-1]}"
    )
    grading_parser.add_argument("--clarity", required=True, help=f"GIA clarity grade: {', '.join(grading.CLARITIES)}")
    grading_parser.add_argument("--cut", required=True, help=f"GIA cut grade: {', '.join(grading.CUTS)}")
    grading_parser.add_argument("--lab-grown", action="store_true", help="the lab found the stone laboratory-grown")
    document_option(grading_parser, "the report document")
    signing(grading_parser)

    flagging = stone_command(
        commands, "flag", flag, "flag a stone stolen or lost: its holder, or the admin on a report (--document)"
    )
    flagging.add_argument("--reason", required=True, choices=["stolen", "lost"], help="what happened to it")
    document_option(flagging, "the report (police, insurer); required of the admin")
    signing(flagging)
    unflagging = stone_command(commands, "unflag", unflag, "clear a stone's flag (admin), on a document")
    document_option(unflagging, "the report of the stone's recovery")
    signing(unflagging)
