"""The `diamondtrace` command: thin argument handling around the library's operations.

Results go to stdout (human text, or one JSON object with --json); progress and logs to stderr.
Exit codes: 0 success; 1 `verify` found the record broken or the stone flagged; 2 bad input or a
refusal before anything was sent; 3 a chain or transaction failure.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Callable

from . import (
    __version__,
    authorizations,
    certificates,
    custody,
    deployments,
    documents,
    grading,
    lineage,
    localnode,
    mint,
    participants,
    planning,
    verify,
)
from .chain import DEFAULT_RPC_URL, Chain, connect, failure
from .countries import COUNTRIES
from .deployments import Deployment
from .errors import EXIT_CHAIN, InputError
from .model import NAMED_ACTIONS, ROLES, ZERO32, Action, Flag, country, parse_address, parse_date, parse_stone, stone_id, text32
from .records import Registry
from .sending import Sender, Sent
from .wallet import PASSWORD_ENV, Signer, create_keystore, dev_signer, load_keystore, read_password

EPILOG = f"""
exit codes: 0 success; 1 verify found the record broken or the stone flagged; 2 bad input or a
refusal before anything was sent; 3 a chain or transaction failure.
Signing: --keystore PATH with --password-file PATH or ${PASSWORD_ENV}; or --dev-account N on a
local chain (chain id 31337 or 1337). Passwords are never taken on the command line.
"""


# ------------------------------------------------------------------------------------------------
# Shared plumbing
# ------------------------------------------------------------------------------------------------


class Context:
    """What every command needs: parsed arguments, and the chain and registry on demand."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._chain: Chain | None = None

    @property
    def chain(self) -> Chain:
        if self._chain is None:
            self._chain = connect(self.args.rpc_url)
        return self._chain

    def registry(self):
        return deployments.open_registry(self.chain, self.args.deployment)

    def signer(self, chain_id: int | None = None) -> Signer:
        args = self.args
        if args.dev_account is not None and args.keystore is not None:
            raise InputError("give either --keystore or --dev-account, not both")
        if args.dev_account is not None:
            return dev_signer(args.dev_account, chain_id if chain_id is not None else self.chain.chain_id)
        if args.keystore is not None:
            return load_keystore(args.keystore, read_password(args.password_file))
        raise InputError(
            "this command sends a transaction: sign with --keystore PATH (password from --password-file PATH "
            f"or {PASSWORD_ENV}) or, on a local chain, --dev-account N"
        )

    def sender(self) -> Sender:
        return Sender(self.chain, self.signer())

    def result(self, data: dict[str, Any], human: str) -> None:
        print(json.dumps(data, indent=2) if self.args.json else human)


def _sent(sent: Sent) -> dict[str, Any]:
    return {"transaction": sent.hash, "block": sent.block, "gas_used": sent.gas_used}


def _date(value: str) -> dt.date:
    try:
        return parse_date(value)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _signing(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("signing (one of)")
    group.add_argument("--keystore", type=Path, help="encrypted Web3 Secret Storage v3 JSON keystore")
    group.add_argument("--password-file", type=Path, help=f"file holding the keystore password (else ${PASSWORD_ENV})")
    group.add_argument("--dev-account", type=int, metavar="N", help="the local chain's prefunded account N (chain id 31337/1337 only)")


# ------------------------------------------------------------------------------------------------
# Commands
# ------------------------------------------------------------------------------------------------


def cmd_chain(ctx: Context) -> int:
    args = ctx.args
    if args.chain_command == "up":
        node, started = localnode.up(args.port, args.state)
        ctx.result(
            {"running": True, "started": started, "url": node.url, "pid": node.pid, "state": node.state, "chain_id": localnode.LOCAL_CHAIN_ID},
            f"local chain {'started' if started else 'already running'} at {node.url} "
            f"(chain id {localnode.LOCAL_CHAIN_ID}, pid {node.pid}); state file {node.state}",
        )
    elif args.chain_command == "down":
        node = localnode.down(args.port)
        ctx.result(
            {"stopped": node is not None, "port": args.port, "state": node.state if node else None},
            f"local chain on port {args.port} stopped; its state is in {node.state}" if node else f"no local chain was running on port {args.port}",
        )
    else:
        node = localnode.status(args.port)
        if node is None:
            ctx.result({"running": False, "port": args.port}, f"no local chain running on port {args.port}")
        else:
            height = connect(node.url).w3.eth.block_number
            ctx.result(
                {"running": True, "url": node.url, "pid": node.pid, "state": node.state, "block": height},
                f"local chain running at {node.url} (pid {node.pid}), block {height}; state file {node.state}",
            )
    return 0


def cmd_account(ctx: Context) -> int:
    password = read_password(ctx.args.password_file)
    address = create_keystore(ctx.args.out, password)
    ctx.result({"address": address, "keystore": str(ctx.args.out)}, f"created {ctx.args.out} for {address}")
    return 0


def cmd_deploy(ctx: Context) -> int:
    sender = ctx.sender()
    path = ctx.args.deployment or Deployment.default_path(ctx.chain.chain_id)
    print(f"deploying the registry to chain {ctx.chain.chain_id} from {sender.address} ...", file=sys.stderr)
    deployment = deployments.deploy(ctx.chain, sender)
    deployment.save(path)
    ctx.result(
        {
            "registry": deployment.registry,
            "renderer": deployment.renderer,
            "certificates": deployment.certificates,
            "grading": deployment.grading,
            "block": deployment.block,
            "deployment": str(path),
        },
        f"registry {deployment.registry} (KP book {deployment.certificates}, grading book {deployment.grading}, "
        f"renderer {deployment.renderer}) deployed in block {deployment.block}; record {path}",
    )
    return 0


def cmd_participant(ctx: Context) -> int:
    args = ctx.args
    _, registry = ctx.registry()
    account = parse_address(args.address)
    sent: list[Sent] = []
    if args.participant_command == "add":
        if (args.rjc_certificate is None) != (args.rjc_expires is None):
            raise InputError("give --rjc-certificate and --rjc-expires together")
        if args.rjc_certificate is not None:
            text32(args.rjc_certificate, "--rjc-certificate")  # before the accreditation is sent
        sender = ctx.sender()
        sent.append(participants.add_participant(registry, sender, account, args.role, args.name, args.country, args.prefix))
        if args.rjc_certificate:
            sent.append(participants.certify_rjc(registry, sender, account, args.rjc_certificate, args.rjc_expires))
    elif args.participant_command == "revoke":
        successor = parse_address(args.successor, "--successor") if args.successor else None
        sent.append(participants.revoke_participant(registry, ctx.sender(), account, successor))
    elif args.participant_command == "rjc":
        sent.append(participants.certify_rjc(registry, ctx.sender(), account, args.certificate, args.expires))
    p = Registry(registry).participant(account).as_json()
    data = dict(p)
    if sent:
        data.update(_sent(sent[-1]))
    state = f"accredited as {', '.join(p['roles'])}" if p["accredited"] else "not accredited"
    rjc = p["rjc"]
    lines = [f"{p['address']} ({p['name'] or 'no name'}, {p['country'] or 'no country'}): {state}"]
    if p["prefix"]:
        lines.append(f"  stone-ID prefix {p['prefix']}")
    if rjc["certificate"]:
        lines.append(f"  RJC certificate {rjc['certificate']}, valid through {rjc['expires']}: {'current' if rjc['current'] else 'NOT current'}")
    if p["successor"]:
        lines.append(f"  successor (for recovery of its stones) {p['successor']}")
    lines.append(f"  nonce {p['nonce']} (its next signed authorization names it)")
    ctx.result(data, "\n".join(lines))
    return 0


def cmd_kp(ctx: Context) -> int:
    args = ctx.args
    _, registry = ctx.registry()
    if args.kp_command == "register":
        sent = certificates.register_certificate(
            registry,
            ctx.sender(),
            number=args.number,
            exporting=args.exporting,
            importing=args.importing,
            exporter=args.exporter,
            importer=args.importer,
            carats=args.carats,
            value_usd=args.value_usd,
            parcels=args.parcels,
            issued=args.issued,
            expires=args.expires,
            document=args.document,
        )
        ctx.result({"number": args.number, **_sent(sent)}, f"KP certificate {args.number} recorded in block {sent.block}")
        return 0
    exporting = args.exporting or exporting_country_of(args.number)
    try:
        certificate = certificates.certificate_id(registry, exporting, args.number)
    except InputError as exc:
        if args.exporting:
            raise
        # "KP-0001" reads as North Korea's: say where the country came from.
        raise InputError(f"{exc} (the country was read from the number's first letters; give --exporting CC)") from None
    data = Registry(registry).certificate(certificate).as_json()
    ctx.result(data, "\n".join(f"{k}: {v}" for k, v in data.items()))
    return 0


def exporting_country_of(number: str) -> str:
    """The exporting country a KP certificate number names in its first two letters ("BW-KP-...")."""
    head = number[:2]
    if head in COUNTRIES and (len(number) == 2 or not number[2].isalpha()):
        return head
    raise InputError(f"KP certificate numbers are kept per exporting country: give --exporting CC for {number!r}")


def cmd_mint(ctx: Context) -> int:
    args = ctx.args
    _, registry = ctx.registry()
    sender = ctx.sender()
    to = parse_address(args.to, "--to") if args.to else None
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


def _stone(ctx: Context) -> int:
    return parse_stone(ctx.args.stone)


def _authorization_deadline(args: argparse.Namespace) -> int:
    if args.valid_until:
        return int(dt.datetime.combine(args.valid_until, dt.time(23, 59, 59), dt.timezone.utc).timestamp())
    return int(time.time()) + 7 * 86400


def cmd_transfer(ctx: Context) -> int:
    args = ctx.args
    token = _stone(ctx)
    to = parse_address(args.to, "--to")
    action = Action.parse(args.action)
    document = documents.document_hash(args.document)
    certificate = text32(args.kp, "--kp") if args.kp else ZERO32
    if args.sign_only:
        if args.sign_only.exists():
            raise InputError(f"{args.sign_only} already exists; choose another file")
        if args.chain_id is not None and args.registry is not None:
            chain_id, registry_address = args.chain_id, parse_address(args.registry, "--registry")
            if args.nonce is None or args.last_record_block is None:
                raise InputError(
                    "offline signing needs --nonce (the holder's current nonce: `diamondtrace participant show HOLDER`) and "
                    "--last-record-block (the block of the stone's latest record: `diamondtrace verify STONE --json`, "
                    "last_record_block)"
                )
            nonce, last = args.nonce, args.last_record_block
        else:
            deployment, registry = ctx.registry()
            chain_id, registry_address = ctx.chain.chain_id, deployment.registry
            signer_address = ctx.signer(chain_id).address
            reader = Registry(registry)
            nonce = args.nonce if args.nonce is not None else reader.participant(signer_address).nonce
            last = args.last_record_block if args.last_record_block is not None else reader.stone(token).last_record_block
        signer = ctx.signer(chain_id)
        auth = authorizations.Authorization(
            token, signer.address, to, int(action), document, certificate, args.warranty, nonce, last, _authorization_deadline(args)
        )
        signed = authorizations.signed_authorization(signer.account, chain_id, registry_address, auth)
        args.sign_only.write_text(json.dumps(signed, indent=2) + "\n")
        ctx.result(
            {"signed": str(args.sign_only), "signer": signer.address, "nonce": nonce, "deadline": auth.deadline},
            f"wrote {args.sign_only}: {signer.address} authorizes moving {stone_id(token)} to {to} ({action.label}); "
            f"anyone can submit it with `diamondtrace broadcast {args.sign_only}`",
        )
        return 0
    _, registry = ctx.registry()
    sent = custody.transfer(registry, ctx.sender(), token, to, action, document, certificate, args.warranty)
    ctx.result(
        {"stone_id": stone_id(token), "to": to, "action": action.label, "warranty": args.warranty, **_sent(sent)},
        f"{stone_id(token)} moved to {to} ({action.label}{', SoW warranty' if args.warranty else ''}) in block {sent.block}",
    )
    return 0


def cmd_broadcast(ctx: Context) -> int:
    data, auth, signature = authorizations.read_signed(ctx.args.signed)
    if data["chainId"] != ctx.chain.chain_id:
        raise InputError(f"{ctx.args.signed} is signed for chain id {data['chainId']}, but the RPC endpoint is chain id {ctx.chain.chain_id}")
    deployment, registry = ctx.registry()
    if data["registry"].lower() != deployment.registry.lower():
        raise InputError(f"{ctx.args.signed} is signed for registry {data['registry']}, not {deployment.registry}")
    sent = authorizations.broadcast(registry, ctx.sender(), auth, signature)
    ctx.result(
        {"stone_id": stone_id(auth.tokenId), "from": data["signer"], "to": auth.to, **_sent(sent)},
        f"{stone_id(auth.tokenId)} moved from {data['signer']} to {auth.to} in block {sent.block} (relayed)",
    )
    return 0


def cmd_split(ctx: Context) -> int:
    token = _stone(ctx)
    children = lineage.read_children(ctx.args.children)
    _, registry = ctx.registry()
    sent = lineage.split(registry, ctx.sender(), token, children)
    ctx.result(
        {"parent": stone_id(token), "children": [stone_id(c[0]) for c in children], **_sent(sent)},
        f"{stone_id(token)} split into {', '.join(stone_id(c[0]) for c in children)} in block {sent.block}",
    )
    return 0


def cmd_declare(ctx: Context) -> int:
    args = ctx.args
    stones = lineage.read_children(args.stones)
    if args.country:
        country(args.country)
    _, registry = ctx.registry()
    sent = lineage.declare(registry, ctx.sender(), stones, mine=args.mine, country=args.country, lab_grown=args.lab_grown)
    ids = [stone_id(t) for t, _, _ in stones]
    ctx.result(
        {"declared": ids, "mine": args.mine, "country": args.country, **_sent(sent)},
        f"entered {len(ids)} stones with a declared origin ({args.mine}, {args.country or 'country unknown'}) in block {sent.block}; "
        "they are marked \"origin declared, not traced from the mine\"",
    )
    return 0


def cmd_recover(ctx: Context) -> int:
    tokens = [parse_stone(ref) for ref in ctx.args.stones]
    _, registry = ctx.registry()
    sent = custody.recover(registry, ctx.sender(), tokens, documents.document_hash(ctx.args.document))
    ctx.result(
        {"recovered": [stone_id(t) for t in tokens], **_sent(sent)},
        f"recovered {', '.join(stone_id(t) for t in tokens)} to their holders' successors in block {sent.block}",
    )
    return 0


def cmd_pause(ctx: Context) -> int:
    _, registry = ctx.registry()
    paused = ctx.args.command == "pause"
    sent = ctx.sender().send(registry.functions.pause() if paused else registry.functions.unpause())
    ctx.result(
        {"paused": paused, **_sent(sent)},
        f"registry {'paused: no state changes but flagging until `diamondtrace unpause`' if paused else 'unpaused'} (block {sent.block})",
    )
    return 0


def cmd_grade(ctx: Context) -> int:
    args = ctx.args
    token = _stone(ctx)
    _, registry = ctx.registry()
    sender = ctx.sender()
    lab = Registry(registry).participant(sender.address).as_json()
    if args.lab.lower() not in {sender.address.lower(), (lab["name"] or "").lower()}:
        raise InputError(f"--lab {args.lab!r} is not the signing account's lab ({lab['name'] or 'unnamed'}, {sender.address})")
    sent = grading.grade(
        registry,
        sender,
        token,
        report=args.report,
        carat=args.carat,
        colour=args.colour,
        clarity=args.clarity,
        cut=args.cut,
        lab_grown=args.lab_grown,
        document=documents.document_hash(args.document),
    )
    ctx.result(
        {"stone_id": stone_id(token), "report": args.report, "lab_grown": args.lab_grown, **_sent(sent)},
        f"{stone_id(token)} graded (report {args.report}{', LABORATORY-GROWN' if args.lab_grown else ''}) in block {sent.block}",
    )
    return 0


def cmd_flag(ctx: Context) -> int:
    token = _stone(ctx)
    _, registry = ctx.registry()
    document = documents.document_hash(ctx.args.document)
    if ctx.args.command == "flag":
        reason = Flag[ctx.args.reason.upper()]
        sent = custody.flag(registry, ctx.sender(), token, reason, document)
        text = f"{stone_id(token)} flagged {reason.name.lower()}"
    else:
        sent = custody.unflag(registry, ctx.sender(), token, document)
        text = f"{stone_id(token)}: flag cleared"
    ctx.result({"stone_id": stone_id(token), **_sent(sent)}, f"{text} in block {sent.block}")
    return 0


def cmd_verify(ctx: Context) -> int:
    token = _stone(ctx)
    deployment, registry = ctx.registry()
    p = verify.provenance(Registry(registry), token, deployment.block, all_descriptions=ctx.args.all_descriptions)
    ctx.result(p.as_json(), verify.report(p))
    return p.exit_code


def cmd_explorer(ctx: Context) -> int:
    from . import explorer

    # Check the chain and the deployment up front, so a mistake shows now rather than on every page.
    ctx.registry()
    server = explorer.serve(explorer.Explorer(ctx.args.rpc_url, ctx.args.deployment), ctx.args.host, ctx.args.port)
    url = f"http://{ctx.args.host}:{server.server_address[1]}/"
    ctx.result({"url": url}, f"explorer serving {url} (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        server.shutdown()
        print("explorer stopped", file=sys.stderr)
    return 0


def cmd_export_verification(ctx: Context) -> int:
    from . import sourcify

    deployment, _ = ctx.registry()
    written = sourcify.export(ctx.chain, deployment, ctx.args.out_dir)
    ctx.result(
        {"contracts": {name: str(path) for name, path in written.items()}},
        "\n".join(f"{name}: {path}" for name, path in written.items()),
    )
    return 0


# ------------------------------------------------------------------------------------------------
# Parser
# ------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diamondtrace",
        description="Open diamond provenance registry: register, move, grade and verify diamonds on an EVM chain.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"diamondtrace {__version__}")
    parser.add_argument(
        "--rpc-url",
        default=os.environ.get("DIAMONDTRACE_RPC_URL", DEFAULT_RPC_URL),
        help=f"JSON-RPC endpoint (default {DEFAULT_RPC_URL}, the local chain; or $DIAMONDTRACE_RPC_URL)",
    )
    parser.add_argument("--deployment", type=Path, help="deployment record (default deployments/<chainId>.json)")
    parser.add_argument("--json", action="store_true", help="machine-readable result on stdout")
    parser.add_argument("--verbose", action="store_true", help="log RPC activity to stderr")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Callable[[Context], int], help: str, **kw: Any) -> argparse.ArgumentParser:
        p = commands.add_parser(name, help=help, description=help, **kw)
        p.set_defaults(handler=handler)
        return p

    chain = command("chain", cmd_chain, "the embedded local chain (npm Anvil) with a persistent state file")
    chain_commands = chain.add_subparsers(dest="chain_command", required=True, metavar="ACTION")
    up = chain_commands.add_parser("up", help="start it (if not running)")
    up.add_argument("--state", type=Path, help=f"state file (default {localnode.DEFAULT_STATE.relative_to(localnode.PROJECT_ROOT)})")
    for name, help in [("down", "stop it; it writes its state file"), ("status", "is it running?")]:
        chain_commands.add_parser(name, help=help)
    for p in chain_commands.choices.values():
        p.add_argument("--port", type=int, default=localnode.DEFAULT_PORT, help="TCP port (default 8545)")

    account = command("account", cmd_account, "keystores")
    account_commands = account.add_subparsers(dest="account_command", required=True, metavar="ACTION")
    new = account_commands.add_parser("new", help="create an encrypted keystore and print its address")
    new.add_argument("--out", type=Path, required=True, help="where to write the keystore (never overwritten)")
    new.add_argument("--password-file", type=Path, help=f"file holding the new password (else ${PASSWORD_ENV})")

    deploy = command("deploy", cmd_deploy, "deploy the registry and write deployments/<chainId>.json")
    _signing(deploy)

    participant = command("participant", cmd_participant, "accredit, revoke and show participants; record RJC certifications")
    participant_commands = participant.add_subparsers(dest="participant_command", required=True, metavar="ACTION")
    add = participant_commands.add_parser("add", help="accredit ADDRESS with a role (keeps its other roles); admin only")
    add.add_argument("address")
    add.add_argument("--role", required=True, choices=list(ROLES))
    add.add_argument("--name", required=True)
    add.add_argument("--country", required=True, help="ISO 3166-1 alpha-2 code, e.g. BW; an address never changes country")
    add.add_argument("--prefix", help="stone-ID prefix for life (producers and manufacturers), e.g. BW-JW-; none may start another")
    add.add_argument("--rjc-certificate", metavar="ID", help="its RJC Code of Practices certificate (with --rjc-expires)")
    add.add_argument("--rjc-expires", type=_date, metavar="YYYY-MM-DD", help="last day the RJC certificate is valid (UTC)")
    _signing(add)
    revoke = participant_commands.add_parser("revoke", help="withdraw ADDRESS's accreditation; admin only")
    revoke.add_argument("address")
    revoke.add_argument("--successor", metavar="ADDRESS", help="who its stones in the trade may be recovered to (`recover`)")
    _signing(revoke)
    rjc = participant_commands.add_parser("rjc", help="record or renew ADDRESS's RJC certification (a past date withdraws it); admin only")
    rjc.add_argument("address")
    rjc.add_argument("--certificate", required=True, metavar="ID")
    rjc.add_argument("--expires", required=True, type=_date, metavar="YYYY-MM-DD")
    _signing(rjc)
    show = participant_commands.add_parser("show", help="show ADDRESS's profile")
    show.add_argument("address")

    kp = command("kp", cmd_kp, "Kimberley Process certificates")
    kp_commands = kp.add_subparsers(dest="kp_command", required=True, metavar="ACTION")
    register = kp_commands.add_parser("register", help="record a certificate (a KP authority of the exporting country)")
    register.add_argument("--number", required=True)
    register.add_argument("--exporting", required=True, help="exporting country code")
    register.add_argument("--importing", required=True, help="importing country code")
    register.add_argument("--exporter", required=True, help="exporter's address")
    register.add_argument("--importer", required=True, help="importer's address")
    register.add_argument("--carats", required=True, help="declared weight, e.g. 1520.35")
    register.add_argument("--value-usd", required=True, help="declared value in whole US dollars")
    register.add_argument("--parcels", type=int, required=True)
    register.add_argument("--issued", type=_date, required=True, help="YYYY-MM-DD")
    register.add_argument("--expires", type=_date, required=True, help="YYYY-MM-DD (valid through that day, UTC)")
    register.add_argument("--document", type=Path, help="the certificate document; only its hash is recorded")
    _signing(register)
    kp_show = kp_commands.add_parser("show", help="show a certificate and how much of it is drawn")
    kp_show.add_argument("number")
    kp_show.add_argument("--exporting", metavar="CC", help="exporting country (default: the number's first two letters, as in BW-KP-...)")

    minting = command(
        "mint",
        cmd_mint,
        "register a production run from a CSV file (stone_id,carat,mine,country,production_date[,kp_certificate][,description])",
    )
    minting.add_argument("file", type=Path, metavar="FILE.csv")
    minting.add_argument("--to", help="accredited holder of the new stones (default: the signer)")
    minting.add_argument("--batch-size", type=int, help="stones per transaction (default and maximum: the registry's MAX_BATCH)")
    minting.add_argument("--lab-grown", action="store_true", help="the run is laboratory-grown rough (outside the Kimberley Process)")
    _signing(minting)

    transfer = command("transfer", cmd_transfer, "move a stone with a custody record, or sign an authorization for someone to submit")
    transfer.add_argument("stone", metavar="STONE", help="token id or producer stone ID")
    transfer.add_argument("--to", required=True)
    transfer.add_argument("--action", default="sale", choices=[a.label for a in NAMED_ACTIONS])
    transfer.add_argument("--document", type=Path, help="invoice or other document; only its hash is recorded")
    transfer.add_argument("--warranty", action="store_true", help="the invoice carries the WDC System of Warranties statement")
    transfer.add_argument("--kp", metavar="NUMBER", help="KP certificate (of the country the stone lies in) for a rough stone crossing a border")
    transfer.add_argument("--sign-only", type=Path, metavar="OUT.json", help="write a signed EIP-712 authorization instead of sending")
    transfer.add_argument("--chain-id", type=int, help="with --sign-only and --registry: sign offline for this chain")
    transfer.add_argument("--registry", help="with --sign-only and --chain-id: the registry address")
    transfer.add_argument("--nonce", type=int, help="with --sign-only: the holder's nonce (read from the chain when online)")
    transfer.add_argument("--last-record-block", type=int, metavar="N", help="with --sign-only: the block of the stone's latest record (read from the chain when online)")
    transfer.add_argument("--valid-until", type=_date, help="with --sign-only: last valid day, UTC (default: 7 days)")
    _signing(transfer)

    broadcast = command("broadcast", cmd_broadcast, "submit a signed authorization from any funded account")
    broadcast.add_argument("signed", type=Path, metavar="SIGNED.json")
    _signing(broadcast)

    split = command("split", cmd_split, "split a rough stone into polished stones (a manufacturer holding it)")
    split.add_argument("stone", metavar="STONE")
    split.add_argument("children", type=Path, metavar="CHILDREN.csv", help="columns stone_id,carat[,description]; IDs with your prefix")
    _signing(split)

    declare = command("declare", cmd_declare, "enter polished stones made before the registry, with a declared origin (a manufacturer)")
    declare.add_argument("stones", type=Path, metavar="STONES.csv", help="columns stone_id,carat[,description]; IDs with your prefix")
    declare.add_argument("--mine", required=True, help='the declared mine, or a description such as "Unknown"')
    declare.add_argument("--country", help="the declared country of origin (omit if unknown)")
    declare.add_argument("--lab-grown", action="store_true", help="the stones are laboratory-grown")
    _signing(declare)

    grade = command("grade", cmd_grade, "record a grading report (a lab)")
    grade.add_argument("stone", metavar="STONE")
    grade.add_argument("--lab", required=True, help="the lab's name or address (must be the signer)")
    grade.add_argument("--report", required=True)
    grade.add_argument("--carat", required=True)
    grade.add_argument("--colour", required=True)
    grade.add_argument("--clarity", required=True)
    grade.add_argument("--cut", required=True)
    grade.add_argument("--lab-grown", action="store_true", help="the lab found the stone laboratory-grown")
    grade.add_argument("--document", type=Path, help="the report document; only its hash is recorded")
    _signing(grade)

    flag = command("flag", cmd_flag, "flag a stone stolen or lost: its holder, or the admin on a report (--document)")
    flag.add_argument("stone", metavar="STONE")
    flag.add_argument("--reason", required=True, choices=["stolen", "lost"])
    flag.add_argument("--document", type=Path, help="the report (police, insurer); required of the admin; only its hash is recorded")
    _signing(flag)
    unflag = command("unflag", cmd_flag, "clear a stone's flag (admin), on a document")
    unflag.add_argument("stone", metavar="STONE")
    unflag.add_argument("--document", type=Path, help="the report of the stone's recovery; only its hash is recorded")
    _signing(unflag)

    recover = command("recover", cmd_recover, "move revoked participants' stones to their named successors (admin)")
    recover.add_argument("stones", nargs="+", metavar="STONE")
    recover.add_argument("--document", type=Path, required=True, help="the ruling or agreement; only its hash is recorded")
    _signing(recover)

    for name, help in [("pause", "stop every state change but flagging (admin)"), ("unpause", "lift a pause (admin)")]:
        _signing(command(name, cmd_pause, help))

    check = command("verify", cmd_verify, "a stone's full provenance, integrity and assurance verdicts (exit 1 if broken or flagged)")
    check.add_argument("stone", metavar="STONE", help="token id or producer stone ID")
    check.add_argument(
        "--all-descriptions", action="store_true", help="also every holder's description, each with its author (reads the whole chain)"
    )

    explore = command("explorer", cmd_explorer, "serve the read-only web explorer for the registry")
    explore.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    explore.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")

    export = command(
        "export-verification",
        cmd_export_verification,
        "write the deployed contracts' compiler metadata and sources in the layout Sourcify-compatible explorers read",
    )
    export.add_argument("out_dir", type=Path, metavar="OUT_DIR")

    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(message)s", stream=sys.stderr
    )
    ctx = Context(args)
    try:
        return args.handler(ctx)
    except (Exception, KeyboardInterrupt) as exc:
        explained = failure(exc, args.rpc_url, "command")
        if explained is None:  # a bug, not a user mistake: say so, briefly
            if args.verbose:
                raise
            print(f"internal error ({type(exc).__name__}: {exc}); run again with --verbose for details", file=sys.stderr)
            return EXIT_CHAIN
        print(explained[0], file=sys.stderr)
        return explained[1]


if __name__ == "__main__":
    sys.exit(main())
