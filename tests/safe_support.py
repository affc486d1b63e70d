"""Safe multisigs on the test chain: safe-global/safe-smart-account 1.5.0 deployed from the
artifacts its npm package ships (ABI and bytecode as Safe built them, never compiled here), and
Safes created through its proxy factory, as the Safe app creates them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache

from web3.contract import Contract

from diamondtrace.abi import calldata
from diamondtrace.records import ZERO_ADDRESS
from diamondtrace.safe import safe_contract
from diamondtrace.sending import Sender
from diamondtrace.toolchain import NODE_MODULES

SAFE_PACKAGE = NODE_MODULES / "@safe-global" / "safe-smart-account"
SAFE_ARTIFACTS = SAFE_PACKAGE / "build" / "artifacts" / "contracts"
_PATHS = {
    "Safe": "Safe.sol/Safe.json",
    "SafeProxyFactory": "proxies/SafeProxyFactory.sol/SafeProxyFactory.json",
    "CompatibilityFallbackHandler": "handler/CompatibilityFallbackHandler.sol/CompatibilityFallbackHandler.json",
}


@lru_cache(maxsize=None)
def safe_artifact(name: str) -> dict:
    return json.loads((SAFE_ARTIFACTS / _PATHS[name]).read_text())


@dataclass(frozen=True)
class SafeDeployment:
    singleton: Contract  # the Safe every proxy delegates to
    factory: Contract
    fallback_handler: str  # answers ERC-1271 and the other calls a Safe itself has no function for


def deploy_safe(sender: Sender) -> SafeDeployment:
    contracts = {}
    for name in _PATHS:
        address, _ = sender.deploy(safe_artifact(name))
        contracts[name] = sender.w3.eth.contract(address=address, abi=safe_artifact(name)["abi"])
    return SafeDeployment(contracts["Safe"], contracts["SafeProxyFactory"], contracts["CompatibilityFallbackHandler"].address)


def create_safe(sender: Sender, deployment: SafeDeployment, owners: list[str], threshold: int, salt: int = 0) -> Contract:
    """A new Safe (a proxy of the singleton) with these owners and threshold, as the library sees it."""
    setup = deployment.singleton.functions.setup(
        owners, threshold, ZERO_ADDRESS, b"", deployment.fallback_handler, ZERO_ADDRESS, 0, ZERO_ADDRESS
    )
    create = deployment.factory.functions.createProxyWithNonce(deployment.singleton.address, calldata(setup), salt)
    address = create.call({"from": sender.address})  # CREATE2: the address it will have
    sender.send(create)
    return safe_contract(sender.w3, address)
