"""The contracts the package ships, compiled from the checkout's sources (`make build`).

`python -m diamondtrace.compiler` compiles the sources exactly as brownie does (every project
file, by its path from the root; the compiler and settings of brownie-config.yaml) in one
standard-JSON call, and writes under diamondtrace/compiled/ what the library reads at run time
(artifacts.py): for each deployed contract its ABI, bytecode, runtime bytecode, NatSpec and
compiler metadata, and `sources.json`, the sources that metadata names (for
`export-verification`). So an installed package needs neither the sources nor a compiler.

`--standard-input OUT.json` writes the compiler input that static analysis (make lint) compiles.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from .artifacts import ARTIFACTS, SOURCES
from .errors import SetupError
from .toolchain import pinned_solc_version, require_checkout

_OUTPUTS = ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "userdoc", "devdoc", "metadata"]


def build_settings(root: Path) -> dict[str, Any]:
    """The compiler settings of brownie-config.yaml (the EVM target among them), in solc's words."""
    # yaml and solcx are the checkout's build tools (the [test] extra), not the installed package's.
    import yaml

    config = yaml.safe_load((root / "brownie-config.yaml").read_text())["compiler"]
    solc = config["solc"]
    return {
        "evmVersion": config["evm_version"],
        "optimizer": solc["optimizer"],
        "remappings": solc.get("remappings", []),
        "viaIR": bool(solc.get("viaIR", False)),
    }


def standard_input(outputs: list[str], file_outputs: list[str] | None = None) -> dict:
    """The build's standard-JSON compiler input, asking for `outputs` of every contract (and
    `file_outputs`, such as the AST, of every file). The sources are as brownie hands them to
    solc: every project file by its path from the root; solc reads the npm dependencies itself,
    under their remapped names."""
    root = require_checkout("compiling the contracts")
    files = sorted(root.glob("contracts/**/*.sol")) + sorted(root.glob("interfaces/**/*.sol"))
    return {
        "language": "Solidity",
        "sources": {str(path.relative_to(root)): {"content": path.read_text()} for path in files},
        "settings": {
            **build_settings(root),
            "outputSelection": {"*": {"*": outputs, **({"": file_outputs} if file_outputs else {})}},
        },
    }


def compile_contracts() -> dict[str, dict[str, Any]]:
    """solc's output for each source file (path -> contract name -> output)."""
    return compile_cached(standard_input(_OUTPUTS), "package-compile.json")


def compile_cached(compiler_input: dict, cache_name: str) -> dict[str, dict[str, Any]]:
    """solc's `contracts` output for a standard-JSON input. Compiling takes the WebAssembly
    compiler half a minute, so the answer is kept in build/`cache_name` under a hash of the
    compiler input, the compiler version and package-lock.json (which pins the npm sources solc
    reads), and reused while all three are the same: a changed source always compiles afresh."""
    import solcx

    root = require_checkout("compiling the contracts")
    lock = (root / "package-lock.json").read_text()
    key = hashlib.sha256(json.dumps([compiler_input, pinned_solc_version(), lock], sort_keys=True).encode()).hexdigest()
    cache = root / "build" / cache_name
    try:
        cached = json.loads(cache.read_text())
        if cached.get("key") == key:
            return cached["contracts"]
    except (OSError, ValueError):
        pass
    try:
        output = solcx.compile_standard(
            compiler_input, base_path=str(root), allow_paths=[str(root)], solc_version=pinned_solc_version()
        )
    except solcx.exceptions.SolcNotInstalled:
        raise SetupError("the compiler bridge is not installed: run `make setup`") from None
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        cache.parent.mkdir(exist_ok=True)
        partial = cache.with_suffix(".partial")
        partial.write_text(json.dumps({"key": key, "contracts": output["contracts"]}))
        partial.replace(cache)
    return output["contracts"]


def _dump(value: Any) -> str:
    # Sorted and indented: the same sources give byte-identical files, and a change diffs readably.
    return json.dumps(value, indent=1, sort_keys=True) + "\n"


def package_files() -> dict[str, str]:
    """File name -> text of everything diamondtrace/compiled/ holds, freshly compiled."""
    root = require_checkout("compiling the contracts")
    contracts = compile_contracts()
    files: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in ARTIFACTS:
        path = f"contracts/{name}.sol"
        out = contracts[path][name]
        files[f"{name}.json"] = _dump(
            {
                "contractName": name,
                "sourcePath": path,
                "abi": out["abi"],
                "bytecode": out["evm"]["bytecode"]["object"],
                "deployedBytecode": out["evm"]["deployedBytecode"]["object"],
                "userdoc": out["userdoc"],
                "devdoc": out["devdoc"],
                # Kept as solc wrote it: its hash is in the bytecode, which verification checks.
                "metadata": out["metadata"],
            }
        )
        for source in json.loads(out["metadata"])["sources"]:
            # Bytes as they are (no newline translation): explorers check each one's hash.
            sources[source] = (root / source).read_bytes().decode("utf-8")
    files[SOURCES] = _dump(sources)
    return files


def write_package_files() -> list[str]:
    """Writes diamondtrace/compiled/; returns the names of the files that changed."""
    folder = require_checkout("compiling the contracts") / "diamondtrace" / "compiled"
    folder.mkdir(exist_ok=True)
    changed = []
    for name, text in package_files().items():
        target = folder / name
        if not target.is_file() or target.read_text() != text:
            target.write_text(text)
            changed.append(name)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m diamondtrace.compiler", description=__doc__.split("\n")[0], allow_abbrev=False
    )
    parser.add_argument("--standard-input", type=Path, metavar="OUT.json", help="write the compiler input for analyzers instead")
    args = parser.parse_args(argv)
    if args.standard_input:
        compiler_input = standard_input(["abi", "evm.bytecode", "evm.deployedBytecode", "userdoc", "devdoc"], ["ast"])
        args.standard_input.write_text(json.dumps(compiler_input, indent=1))
        return 0
    changed = write_package_files()
    print(f"compiled: wrote {', '.join(changed)}" if changed else "compiled: up to date", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
