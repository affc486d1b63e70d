"""Verified source for explorers: the deployed contracts' compiler metadata and sources in the
layout Sourcify-compatible explorers (Blockscout, Otterscan) read:
`contracts/full_match/<chainId>/<address>/metadata.json` and `.../sources/<path>`.

The metadata is produced by compiling again exactly as the build did (same sources, names,
compiler and settings), and checked against the code on chain before anything is written.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path

import solcx
from web3 import Web3

from .chain import Chain, rpc
from .deployments import Deployment, compiler_settings
from .errors import ChainError, SetupError
from .toolchain import PROJECT_ROOT, pinned_solc_version

CONTRACTS = {
    "DiamondRegistry": "contracts/DiamondRegistry.sol",
    "KimberleyCertificates": "contracts/KimberleyCertificates.sol",
    "GradingBook": "contracts/GradingBook.sol",
    "DiamondRenderer": "contracts/DiamondRenderer.sol",
}
METADATA_CACHE = PROJECT_ROOT / "build" / "verification-metadata.json"


def _project_sources() -> dict[str, dict[str, str]]:
    """The sources as brownie hands them to solc: every project file, by its path from the root;
    solc reads the npm dependencies itself, under their remapped names."""
    files = sorted(PROJECT_ROOT.glob("contracts/**/*.sol")) + sorted(PROJECT_ROOT.glob("interfaces/**/*.sol"))
    return {str(path.relative_to(PROJECT_ROOT)): {"content": path.read_text()} for path in files}


def standard_input(outputs: list[str], file_outputs: list[str] | None = None) -> dict:
    """The build's standard-JSON compiler input, asking for `outputs` of every contract (and
    `file_outputs`, such as the AST, of every file). Static analysis compiles this too."""
    settings = compiler_settings()
    return {
        "language": "Solidity",
        "sources": _project_sources(),
        "settings": {
            "evmVersion": settings["evmVersion"],
            "optimizer": settings["optimizer"],
            "remappings": settings["remappings"],
            "viaIR": settings["viaIR"],
            "outputSelection": {"*": {"*": outputs, **({"": file_outputs} if file_outputs else {})}},
        },
    }


def compile_metadata() -> dict[str, dict]:
    """Contract name -> {"metadata": str, "runtime": hex} for the deployed contracts. Compiling
    takes the WebAssembly compiler half a minute, so the answer is kept in `METADATA_CACHE` under
    a hash of the compiler input, the compiler version and package-lock.json (which pins the npm
    sources solc reads), and reused while all three are the same."""
    compiler_input = standard_input(["metadata", "evm.deployedBytecode.object"])
    lock = (PROJECT_ROOT / "package-lock.json").read_text()
    key = hashlib.sha256(json.dumps([compiler_input, str(pinned_solc_version()), lock], sort_keys=True).encode()).hexdigest()
    try:
        cached = json.loads(METADATA_CACHE.read_text())
        if cached.get("key") == key:
            return cached["contracts"]
    except (OSError, ValueError):
        pass
    try:
        output = solcx.compile_standard(compiler_input, base_path=str(PROJECT_ROOT), allow_paths=[str(PROJECT_ROOT)], solc_version=pinned_solc_version())
    except solcx.exceptions.SolcNotInstalled:
        raise SetupError("the compiler bridge is not installed: run `make setup`") from None
    contracts = {
        name: {
            "metadata": output["contracts"][source][name]["metadata"],
            "runtime": output["contracts"][source][name]["evm"]["deployedBytecode"]["object"],
        }
        for name, source in CONTRACTS.items()
    }
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        METADATA_CACHE.parent.mkdir(exist_ok=True)
        partial = METADATA_CACHE.with_suffix(".partial")
        partial.write_text(json.dumps({"key": key, "contracts": contracts}))
        partial.replace(METADATA_CACHE)
    return contracts


def _cbor_tail(code: bytes) -> bytes:
    """The CBOR-encoded metadata hash solc appends to runtime code (its length is in the last 2 bytes)."""
    length = int.from_bytes(code[-2:], "big")
    return code[-(length + 2) :]


def export(chain: Chain, deployment: Deployment, out_dir: Path) -> dict[str, Path]:
    """Writes the Sourcify layout for the registry, its two books and its renderer; returns each
    contract's folder."""
    compiled = compile_metadata()
    written: dict[str, Path] = {}
    addresses = {
        "DiamondRegistry": deployment.registry,
        "KimberleyCertificates": deployment.certificates,
        "GradingBook": deployment.grading,
        "DiamondRenderer": deployment.renderer,
    }
    codes = {}
    for name, address in addresses.items():
        address = Web3.to_checksum_address(address)
        on_chain = bytes(rpc(lambda: chain.w3.eth.get_code(address), f"the chain at {chain.rpc_url}"))
        built = bytes.fromhex(compiled[name]["runtime"])
        if not on_chain or _cbor_tail(on_chain) != _cbor_tail(built):
            raise ChainError(
                f"the {name} code at {address} was not built from these sources and settings "
                "(rebuild with `make build` and deploy again); nothing was written"
            )
        codes[name] = address
    for name, address in codes.items():
        metadata = json.loads(compiled[name]["metadata"])
        folder = out_dir / "contracts" / "full_match" / str(chain.chain_id) / address
        (folder / "sources").mkdir(parents=True, exist_ok=True)
        (folder / "metadata.json").write_text(compiled[name]["metadata"])
        for source in metadata["sources"]:
            target = folder / "sources" / source
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text((PROJECT_ROOT / source).read_text())
        written[name] = folder
    return written


def main() -> None:
    """`python -m diamondtrace.sourcify OUT.json`: write the standard-JSON input for analyzers."""
    import sys

    target = Path(sys.argv[1])
    target.write_text(json.dumps(standard_input(["abi", "evm.bytecode", "evm.deployedBytecode", "userdoc", "devdoc"], ["ast"]), indent=1))


if __name__ == "__main__":
    main()
