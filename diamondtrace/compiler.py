"""The contracts the package ships, compiled from the checkout's sources (`make build`).

`python -m diamondtrace.compiler` builds each deployed contract from its own metadata: one
standard-JSON call over every project file (as brownie hands them to solc, with the compiler and
settings of brownie-config.yaml) gives each contract's metadata, then each contract is compiled
from the input that metadata stands for (only the sources it names, its settings), the input a
verifying explorer rebuilds. solc's output can depend on files in the input that a contract never
imports (Sourcify's "extra file input bug"); built this way, the metadata alone reproduces the
code deployed. It writes under diamondtrace/compiled/ what the library reads at run time
(artifacts.py): for each deployed contract its ABI, bytecode, runtime bytecode and where its
immutables sit, NatSpec and compiler metadata, and `sources.json`, the sources that metadata names
(for `export-verification`). So an installed package needs neither the sources nor a compiler.

`--standard-input OUT.json` writes the compiler input that static analysis (make lint) compiles.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from .artifacts import ARTIFACTS, SOURCES
from .errors import InputError, SetupError
from .toolchain import pinned_solc_version, require_checkout

_OUTPUTS = [
    "abi",
    "evm.bytecode.object",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.immutableReferences",
    "userdoc",
    "devdoc",
    "metadata",
]


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
    """The project's standard-JSON compiler input, asking for `outputs` of every contract (and
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


def metadata_input(metadata: dict[str, Any], texts: dict[str, str]) -> dict:
    """The standard-JSON input a contract's metadata stands for, as a verifying explorer rebuilds
    it: the sources the metadata names (`texts`: path -> text) and its settings, asking for what
    the package ships of its compilation target."""
    settings = dict(metadata["settings"])
    ((path, name),) = settings.pop("compilationTarget").items()
    return {
        "language": metadata["language"],
        "sources": {source: {"content": texts[source]} for source in metadata["sources"]},
        "settings": {**settings, "outputSelection": {path: {name: _OUTPUTS}}},
    }


def compile_metadata(metadata: dict[str, Any], texts: dict[str, str]) -> dict[str, Any]:
    """solc's output for the contract `metadata` describes, compiled from its input alone: solc
    reads no file, as an explorer that has only the bundle (else a source the metadata leaves out
    would be read from the checkout, and an incomplete bundle would match)."""
    ((path, name),) = metadata["settings"]["compilationTarget"].items()
    return compile_input(metadata_input(metadata, texts), reads_files=False)[path][name]


def compile_input(compiler_input: dict, reads_files: bool = True) -> dict[str, dict[str, Any]]:
    """solc's output for each source file of `compiler_input` (path -> contract name -> output),
    with the pinned compiler. The WebAssembly compiler takes up to half a minute a contract, so
    each answer is kept in build/solc-cache/ under a hash of the input, the compiler version and
    package-lock.json (which pins the npm sources solc may read), and reused while all three are
    the same: any other input, a changed source included, compiles afresh. With `reads_files`,
    solc reads the imports the input leaves out from the checkout; without, from an empty folder."""
    root = require_checkout("compiling the contracts")
    import solcx

    lock = (root / "package-lock.json").read_text()
    key = hashlib.sha256(
        json.dumps([compiler_input, pinned_solc_version(), lock, reads_files], sort_keys=True).encode()
    ).hexdigest()
    cache = root / "build" / "solc-cache" / f"{key}.json"
    try:
        return json.loads(cache.read_text())
    except (OSError, ValueError):
        pass
    try:
        with tempfile.TemporaryDirectory() as nothing:
            reads = str(root) if reads_files else nothing
            output = solcx.compile_standard(
                compiler_input, base_path=reads, allow_paths=[reads], solc_version=pinned_solc_version()
            )
    except solcx.exceptions.SolcNotInstalled:
        raise SetupError("the compiler bridge is not installed: run `make setup`") from None
    except solcx.exceptions.SolcError as exc:
        raise InputError(f"solc refused the sources: {exc.message}") from None
    with contextlib.suppress(OSError):  # a cache that cannot be written only costs time
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".partial")
        partial.write_text(json.dumps(output["contracts"]))
        partial.replace(cache)
    return output["contracts"]


def compile_contracts() -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """Each deployed contract's solc output, compiled from its own metadata's input, and the
    sources (path -> text) that metadata names."""
    root = require_checkout("compiling the contracts")
    whole = compile_input(standard_input(["metadata"]))  # metadata alone needs no code generation
    built = {}
    for name in ARTIFACTS:
        path = f"contracts/{name}.sol"
        metadata = json.loads(whole[path][name]["metadata"])
        # Bytes as they are (no newline translation): explorers check each one's hash.
        texts = {source: (root / source).read_bytes().decode("utf-8") for source in metadata["sources"]}
        built[name] = (compile_metadata(metadata, texts), texts)
    return built


def _dump(value: Any) -> str:
    # Sorted and indented: the same sources give byte-identical files, and a change diffs readably.
    return json.dumps(value, indent=1, sort_keys=True) + "\n"


def package_files() -> dict[str, str]:
    """File name -> text of everything diamondtrace/compiled/ holds, freshly compiled."""
    files: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name, (out, texts) in compile_contracts().items():
        files[f"{name}.json"] = _dump(
            {
                "contractName": name,
                "sourcePath": f"contracts/{name}.sol",
                "abi": out["abi"],
                "bytecode": out["evm"]["bytecode"]["object"],
                "deployedBytecode": out["evm"]["deployedBytecode"]["object"],
                "immutableReferences": out["evm"]["deployedBytecode"]["immutableReferences"],
                "userdoc": out["userdoc"],
                "devdoc": out["devdoc"],
                # Kept as solc wrote it: its hash is in the bytecode, which verification checks.
                "metadata": out["metadata"],
            }
        )
        sources.update(texts)
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
