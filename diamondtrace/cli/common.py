"""What every command's handler shares: the chain, registry and signer on demand, the result
printed as text or JSON, and the options and argument types several commands declare."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any, Callable

from .. import deployments
from ..chain import Chain, connect
from ..errors import InputError
from ..model import parse_date, parse_stone
from ..reader import Registry
from ..sending import Sender, Sent, default_confirmations
from ..wallet import PASSWORD_ENV, Signer, dev_signer, load_keystore, read_password

Handler = Callable[["Context"], int]


class Context:
    """A command's parsed arguments, and the chain, registry and signer, each opened when first needed."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self._chain: Chain | None = None
        self._signers: dict[int, Signer] = {}

    @property
    def chain(self) -> Chain:
        if self._chain is None:
            self._chain = connect(self.args.rpc_url)
        return self._chain

    def registry(self):
        """The deployment record and the registry contract it names."""
        return deployments.open_registry(self.chain, self.args.deployment)

    def reader(self) -> Registry:
        return Registry(self.registry()[1])

    def signer(self, chain_id: int | None = None) -> Signer:
        """Who signs, for chain `chain_id` (default: the connected chain's); opened once."""
        chain_id = self.chain.chain_id if chain_id is None else chain_id
        if chain_id not in self._signers:
            self._signers[chain_id] = self._open_signer(chain_id)
        return self._signers[chain_id]

    def _open_signer(self, chain_id: int) -> Signer:
        args = self.args
        if args.dev_account is not None and args.keystore is not None:
            raise InputError("give either --keystore or --dev-account, not both")
        if args.dev_account is not None:
            return dev_signer(args.dev_account, chain_id)
        if args.keystore is not None:
            return load_keystore(args.keystore, read_password(args.password_file))
        raise InputError(
            "this command sends a transaction: sign with --keystore PATH (password from --password-file PATH "
            f"or {PASSWORD_ENV}) or, on a local chain, --dev-account N"
        )

    def sender(self) -> Sender:
        depth = self.args.confirmations or default_confirmations()
        sender = Sender(self.chain, self.signer(), depth)
        if depth > 1 and sender.flights.on_demand():
            raise InputError(
                f"{depth} confirmations were asked, but the chain at {self.chain.rpc_url} makes a block only when "
                "it is sent a transaction (a development chain's automine), so none would come: ask for 1, or "
                "start the chain with a block time (`chain up --block-time 2`); nothing was sent"
            )
        return sender

    def stone(self) -> int:
        return parse_stone(self.args.stone)

    def result(self, data: dict[str, Any], human: str) -> None:
        print(json.dumps(data, indent=2) if self.args.json else human)


def command(commands: argparse._SubParsersAction, name: str, handler: Handler, help: str, **kw: Any) -> argparse.ArgumentParser:
    """A command (or an action of one) whose handler is `handler`."""
    parser = commands.add_parser(name, help=help, description=help, **kw)
    parser.set_defaults(handler=handler)
    return parser


def group(commands: argparse._SubParsersAction, name: str, help: str) -> argparse._SubParsersAction:
    """A command made of actions (`chain up`, `chain down`, ...), each added with `command`."""
    parser = commands.add_parser(name, help=help, description=help)
    return parser.add_subparsers(required=True, metavar="ACTION", title="actions", help="one of:")


def sent_json(sent: Sent) -> dict[str, Any]:
    return {"transaction": sent.hash, "block": sent.block, "gas_used": sent.gas_used}


def date(value: str) -> dt.date:
    """An argument type: a YYYY-MM-DD date that exists."""
    try:
        return parse_date(value)
    except InputError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def stone_command(commands: argparse._SubParsersAction, name: str, handler: Handler, help: str) -> argparse.ArgumentParser:
    """A command about one stone: its first argument is the stone."""
    parser = command(commands, name, handler, help)
    parser.add_argument("stone", metavar="STONE", help="token id (decimal or 0x hex) or producer stone ID")
    return parser


def document_option(parser: argparse.ArgumentParser, what: str, required: bool = False) -> None:
    parser.add_argument("--document", type=Path, required=required, help=f"{what}; only its hash is recorded")


def signing(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("signing (one of)")
    group.add_argument("--keystore", type=Path, help="encrypted Web3 Secret Storage v3 JSON keystore")
    group.add_argument("--password-file", type=Path, help=f"file holding the keystore password (else ${PASSWORD_ENV})")
    group.add_argument(
        "--dev-account", type=int, metavar="N", help="the local chain's prefunded account N (chain id 31337/1337 only)"
    )
