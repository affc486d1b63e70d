"""The compiled contracts (brownie's build artifacts) and the deployment records that locate them."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from eth_utils import function_abi_to_4byte_selector
from web3 import Web3
from web3.contract import Contract

from .errors import InputError, SetupError
from .toolchain import PROJECT_ROOT

BUILD_DIR = PROJECT_ROOT / "build" / "contracts"
DEPLOYMENTS_DIR = PROJECT_ROOT / "deployments"
ARTIFACTS = ("DiamondRegistry", "KimberleyCertificates", "GradingBook", "DiamondRenderer")


@lru_cache(maxsize=None)
def artifact(name: str) -> dict[str, Any]:
    path = BUILD_DIR / f"{name}.json"
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise SetupError(f"the compiled contract {name} is missing ({path}): run `make build`") from None


def abi(name: str) -> list[dict[str, Any]]:
    return artifact(name)["abi"]


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


@lru_cache(maxsize=None)
def error_signatures() -> dict[bytes, tuple[str, list[dict[str, Any]]]]:
    """4-byte selector -> (name, inputs) for every custom error the registry can revert with."""
    errors: dict[bytes, tuple[str, list[dict[str, Any]]]] = {}
    for name in ARTIFACTS:
        for entry in abi(name):
            if entry["type"] == "error":
                errors[bytes(function_abi_to_4byte_selector(entry))] = (entry["name"], entry["inputs"])
    return errors


@lru_cache(maxsize=None)
def error_notices() -> dict[str, str]:
    """Error name -> its NatSpec text, from the public interface's source and the compiled
    artifacts' documentation, to explain a revert in words."""
    notices: dict[str, str] = {}
    for signature, docs in artifact("DiamondRegistry").get("natspec", {}).get("errors", {}).items():
        text = " ".join(d.get("notice") or d.get("details", "") for d in docs).strip()
        if text:
            notices[signature.split("(")[0]] = text
    source = (PROJECT_ROOT / "interfaces" / "IDiamondTraceErrors.sol").read_text()
    for match in re.finditer(r"((?:[ \t]*///.*\n)+)[ \t]*error (\w+)\(", source):
        lines = [line.strip().removeprefix("///").strip() for line in match.group(1).splitlines()]
        notices[match.group(2)] = " ".join(lines).removeprefix("@notice").strip()
    return notices


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
