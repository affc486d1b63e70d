"""Setting a registry up: deploying it, accrediting participants, recording KP certificates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from .chain import Chain, Sender, Sent, rpc
from .contracts import Deployment, artifact, registry_contract
from .errors import InputError
from .model import ROLES, ZERO32, country, parse_centicarats, role_names, text32
from .toolchain import PROJECT_ROOT


def compiler_settings() -> dict[str, Any]:
    """The exact compiler version and settings the artifacts were built with (for verification)."""
    config = yaml.safe_load((PROJECT_ROOT / "brownie-config.yaml").read_text())["compiler"]
    solc = config["solc"]
    return {
        "version": artifact("DiamondRegistry")["compiler"]["version"],
        "optimizer": solc["optimizer"],
        "viaIR": bool(solc.get("viaIR", False)),
        "evmVersion": config["evm_version"],
        "remappings": solc.get("remappings", []),
    }


def deploy(chain: Chain, sender: Sender) -> Deployment:
    """Deploys the renderer and the registry (which deploys its KP and grading books), with the
    sender as admin."""
    renderer, renderer_tx = sender.deploy("DiamondRenderer")
    registry, registry_tx = sender.deploy("DiamondRegistry", sender.address, renderer)
    contract = registry_contract(chain.w3, registry)
    return Deployment(
        chain_id=chain.chain_id,
        registry=registry,
        renderer=renderer,
        certificates=contract.functions.certificates().call(),
        grading=contract.functions.grading().call(),
        deployer=sender.address,
        block=renderer_tx.block,
        transactions={"DiamondRenderer": renderer_tx.hash, "DiamondRegistry": registry_tx.hash},
        compiler=compiler_settings(),
        deployed_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )


def open_registry(chain: Chain, deployment_path: Path | None) -> tuple[Deployment, Contract]:
    """The deployment record for this chain and the registry it names (checked to have code)."""
    path = deployment_path or Deployment.default_path(chain.chain_id)
    deployment = Deployment.load(path, chain.chain_id)
    code = rpc(lambda: chain.w3.eth.get_code(Web3.to_checksum_address(deployment.registry)), chain.rpc_url)
    if len(code) == 0:
        raise InputError(
            f"the deployment record {path} names {deployment.registry}, which has no code on chain {chain.chain_id}: "
            "the chain was reset or the record is stale; run `diamondtrace deploy` again"
        )
    return deployment, registry_contract(chain.w3, deployment.registry)


def parse_role(name: str) -> int:
    try:
        return ROLES[name]
    except KeyError:
        raise InputError(f"unknown role {name!r}; choose one of: {', '.join(ROLES)}") from None


def address(value: str, what: str = "address") -> str:
    if not Web3.is_address(value):
        raise InputError(f"{what} {value!r} is not an Ethereum address")
    return Web3.to_checksum_address(value)


@dataclass
class ParticipantView:
    address: str
    name: str
    country: str | None
    roles: list[str]

    @property
    def accredited(self) -> bool:
        return bool(self.roles)


def participant(registry: Contract, account: str) -> ParticipantView:
    roles, code, name = registry.functions.participant(account).call()
    return ParticipantView(account, name, bytes(code).decode() if any(code) else None, role_names(roles))


def add_participant(registry: Contract, sender: Sender, account: str, role: str, name: str, country_code: str) -> Sent:
    """Accredits `account` with `role`, keeping any roles it has already."""
    bit = parse_role(role)
    if not name.strip():
        raise InputError("--name must not be empty")
    current, _, _ = registry.functions.participant(account).call()
    return sender.send(registry.functions.accredit(account, current | bit, country(country_code), name))


def revoke_participant(registry: Contract, sender: Sender, account: str) -> Sent:
    return sender.send(registry.functions.revoke(account))


def document_hash(path: Path | None) -> bytes:
    """keccak-256 of a document's bytes; the document itself never leaves this machine."""
    if path is None:
        return ZERO32
    try:
        return keccak(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read the document {path}: {exc.strerror}") from None


def _timestamp(date: dt.date, end_of_day: bool = False) -> int:
    moment = dt.datetime.combine(date, dt.time(23, 59, 59) if end_of_day else dt.time(0), dt.timezone.utc)
    return int(moment.timestamp())


def register_certificate(
    registry: Contract,
    sender: Sender,
    *,
    number: str,
    exporting: str,
    importing: str,
    exporter: str,
    importer: str,
    carats: str,
    value_usd: str,
    parcels: int,
    issued: dt.date,
    expires: dt.date,
    document: Path | None,
) -> Sent:
    if expires < issued:
        raise InputError(f"--expires {expires} is before --issued {issued}")
    if parcels <= 0:
        raise InputError("--parcels must be at least 1")
    try:
        value = int(value_usd)
    except ValueError:
        raise InputError(f"--value-usd {value_usd!r} must be a whole number of US dollars") from None
    if value < 0:
        raise InputError("--value-usd must not be negative")
    certificate = (
        text32(number, "--number"),
        country(exporting),
        country(importing),
        address(exporter, "--exporter"),
        address(importer, "--importer"),
        _timestamp(issued),
        _timestamp(expires, end_of_day=True),
        parse_centicarats(carats, "--carats", maximum=2**64 - 1),
        value,
        parcels,
        document_hash(document),
    )
    return sender.send(registry.functions.recordCertificate(certificate))
