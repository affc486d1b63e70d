"""Verified source for explorers: the deployed contracts' compiler metadata and sources in the
layout Sourcify-compatible explorers (Blockscout, Otterscan) read:
`contracts/full_match/<chainId>/<address>/metadata.json` and `.../sources/<path>`.

The metadata and sources are the ones the package's contracts were compiled from (shipped in
the package, see compiler.py), so this works from an installed package too; the code on chain
is checked against them before anything is written.
"""

from __future__ import annotations

import json
from pathlib import Path

from eth_utils import keccak
from web3 import Web3

from .artifacts import artifact, sources
from .chain import Chain, rpc
from .deployments import Deployment
from .errors import ChainError, SetupError


def _cbor_tail(code: bytes) -> bytes:
    """The CBOR-encoded metadata hash solc appends to runtime code (its length is in the last 2 bytes)."""
    length = int.from_bytes(code[-2:], "big")
    return code[-(length + 2) :]


def _verified_sources(name: str) -> dict[str, str]:
    """Path -> text of every source `name`'s metadata names, each checked against its hash there."""
    texts = sources()
    named = json.loads(artifact(name)["metadata"])["sources"]
    for path, entry in named.items():
        if path not in texts or "0x" + keccak(texts[path].encode()).hex() != entry["keccak256"]:
            raise SetupError(
                f"the package's copy of {path} is missing or is not the source {name} was compiled from: reinstall diamondtrace"
            )
    return {path: texts[path] for path in named}


def export(chain: Chain, deployment: Deployment, out_dir: Path) -> dict[str, Path]:
    """Writes the Sourcify layout for the registry, its two books and its renderer; returns each
    contract's folder. Everything is checked first: nothing is written unless all of it holds."""
    addresses = {
        "DiamondRegistry": deployment.registry,
        "KimberleyCertificates": deployment.certificates,
        "GradingBook": deployment.grading,
        "DiamondRenderer": deployment.renderer,
    }
    checked: dict[str, tuple[str, dict[str, str]]] = {}
    for name, address in addresses.items():
        address = Web3.to_checksum_address(address)
        on_chain = bytes(rpc(lambda: chain.w3.eth.get_code(address), f"the chain at {chain.rpc_url}"))
        built = bytes.fromhex(artifact(name)["deployedBytecode"])
        if not on_chain or _cbor_tail(on_chain) != _cbor_tail(built):
            raise ChainError(
                f"the {name} code at {address} was not built from this diamondtrace's sources: export with the "
                "version that deployed it (or deploy again with this one); nothing was written"
            )
        checked[name] = (address, _verified_sources(name))
    written: dict[str, Path] = {}
    for name, (address, texts) in checked.items():
        folder = out_dir / "contracts" / "full_match" / str(chain.chain_id) / address
        (folder / "sources").mkdir(parents=True, exist_ok=True)
        (folder / "metadata.json").write_text(artifact(name)["metadata"])
        for path, text in texts.items():
            target = folder / "sources" / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        written[name] = folder
    return written
