"""Deploying the registry, and the deployment records (one per chain id) that locate it."""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from . import evm
from .artifacts import abi, artifact, compiler_settings
from .chain import Chain, rpc
from .errors import InputError
from .sending import Sender
from .toolchain import PROJECT_ROOT

# One record per chain id, in the project directory (the checkout, or where an installed command runs).
DEPLOYMENTS_DIR = PROJECT_ROOT / "deployments"


@dataclass
class Deployment:
    """What `deploy` writes to deployments/<chainId>.json: enough to find and verify the registry."""

    chain_id: int
    registry: str
    renderer: str
    certificates: str
    grading: str
    deployer: str
    block: int
    transactions: dict[str, str]
    compiler: dict[str, Any]
    deployed_at: str

    @staticmethod
    def default_path(chain_id: int) -> Path:
        return DEPLOYMENTS_DIR / f"{chain_id}.json"

    @classmethod
    def load(cls, path: Path, chain_id: int) -> "Deployment":
        try:
            data = json.loads(path.read_text())
        except FileNotFoundError:
            raise InputError(f"no deployment record at {path}: run `diamondtrace deploy` first, or pass --deployment") from None
        except (OSError, json.JSONDecodeError) as exc:
            raise InputError(f"the deployment record {path} is unreadable: {exc}") from None
        try:
            deployment = cls(**data)
        except TypeError as exc:
            raise InputError(f"the deployment record {path} is malformed: {exc}") from None
        if deployment.chain_id != chain_id:
            raise InputError(
                f"the deployment record {path} is for chain id {deployment.chain_id}, "
                f"but the RPC endpoint is chain id {chain_id}; pass the right --deployment or --rpc-url"
            )
        return deployment

    def save(self, path: Path) -> None:
        """Writes atomically: a crash leaves the old record or the new one, never half of one."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(fd, "w") as fp:
            json.dump(asdict(self), fp, indent=2)
            fp.write("\n")
        os.replace(tmp, path)


def registry_contract(w3: Web3, address: str) -> Contract:
    """The registry, its structs decoded as named tuples."""
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi("DiamondRegistry"), decode_tuples=True)


def certificates_contract(registry: Contract) -> Contract:
    """The registry's book of KP certificates."""
    address = registry.functions.certificates().call()
    return registry.w3.eth.contract(address=address, abi=abi("KimberleyCertificates"), decode_tuples=True)


def grading_contract(registry: Contract) -> Contract:
    """The registry's book of grading reports."""
    address = registry.functions.grading().call()
    return registry.w3.eth.contract(address=address, abi=abi("GradingBook"), decode_tuples=True)


def deploy(chain: Chain, sender: Sender) -> Deployment:
    """Deploys the renderer and the registry (which deploys its KP and grading books), with the
    sender as admin; refused, nothing sent, on a chain that cannot run their build's EVM target."""
    settings = compiler_settings()
    evm.require(chain, settings["evmVersion"])
    renderer, renderer_tx = sender.deploy(artifact("DiamondRenderer"))
    registry, registry_tx = sender.deploy(artifact("DiamondRegistry"), sender.address, renderer)
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
        compiler=settings,
        deployed_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )


def check_replaceable(path: Path, replace: bool = False) -> None:
    """Refuses, before anything is deployed, to replace the record at `path` unless `replace`:
    on a live network that record is the only pointer to the registry in use."""
    if replace or not path.exists():
        return
    earlier = _earlier(path)
    what = (
        f"the record of registry {earlier['registry']} on chain {earlier['chain_id']}, deployed in block {earlier['block']}"
        + (f" at {earlier['deployed_at']}" if earlier.get("deployed_at") else "")
        if earlier
        else "not a readable deployment record"
    )
    raise InputError(
        f"{path} already exists ({what}); nothing was deployed. To deploy another registry, record it elsewhere "
        f"with --deployment PATH, or pass --replace (the earlier record is kept, moved to {_aside(path, earlier).name})"
    )


def record(deployment: Deployment, path: Path, replace: bool = False) -> Path | None:
    """Writes `deployment` to `path`. An earlier record there is never lost: with `replace` it is
    moved aside (its block and registry in its name) and that path is returned; without, refused."""
    check_replaceable(path, replace)
    aside = None
    if path.exists():
        aside = _aside(path, _earlier(path))
        os.replace(path, aside)
    deployment.save(path)
    return aside


def deploy_recorded(chain: Chain, sender: Sender, path: Path, replace: bool = False) -> tuple[Deployment, Path | None]:
    """`deploy`, then `record` at `path`; an existing record is refused before anything is sent."""
    check_replaceable(path, replace)
    deployment = deploy(chain, sender)
    return deployment, record(deployment, path, replace)


def _earlier(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
        return data if {"registry", "chain_id", "block"} <= data.keys() else None
    except (OSError, ValueError, AttributeError):
        return None


def _aside(path: Path, earlier: dict[str, Any] | None) -> Path:
    if earlier:
        return path.with_name(f"{path.stem}.block-{earlier['block']}.{earlier['registry']}{path.suffix}")
    return path.with_name(f"{path.stem}.unreadable-{int(path.stat().st_mtime)}{path.suffix}")


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
