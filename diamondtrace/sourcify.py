"""Verified source for explorers: the deployed contracts' compiler metadata and sources in the
layout Sourcify-compatible explorers (Blockscout, Otterscan) read:
`contracts/full_match/<chainId>/<address>/metadata.json` and `.../sources/<path>`.

`export` writes them from the package's own compiled contracts (compiler.py builds each from the
input its metadata stands for), so it works from an installed package too: the whole code on
chain must be the package's, to the metadata hash at its end, before anything is written.
`check` does what a verifying explorer does with such a bundle, in the checkout (it needs the
compiler): recompiles each contract from its metadata and sources alone and matches the result
against the code on chain.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from eth_utils import keccak
from web3 import Web3

from .artifacts import artifact, sources
from .chain import Chain, rpc
from .deployments import Deployment
from .errors import ChainError, InputError, SetupError

Match = Literal["perfect", "partial"] | None
# What each folder of the layout claims of the code at its addresses.
CLAIMS: dict[str, tuple[str, ...]] = {"full_match": ("perfect",), "partial_match": ("perfect", "partial")}


def _without_auxdata(code: bytes) -> bytes:
    """Runtime code less the CBOR-encoded metadata (hash, compiler version) solc appends to it;
    its length is in the last 2 bytes."""
    length = int.from_bytes(code[-2:], "big") + 2
    return code[:-length] if len(code) >= length else code


def match(on_chain: bytes, compiled: bytes, immutables: dict[str, list[dict[str, int]]]) -> Match:
    """How compiled runtime code matches the chain's, as Sourcify defines it: with the chain's
    values in place of the immutables (which the constructor writes into the code), the same
    bytes is `perfect` (the metadata hash at the end included: same sources and settings), the
    same bytes once the metadata at the end is left out is `partial`, anything else None."""
    filled = bytearray(compiled)
    for places in immutables.values():
        for place in places:
            start, end = place["start"], place["start"] + place["length"]
            filled[start:end] = on_chain[start:end]
    if bytes(filled) == on_chain:
        return "perfect"
    if len(filled) == len(on_chain) and _without_auxdata(bytes(filled)) == _without_auxdata(on_chain):
        return "partial"
    return None


def _code(chain: Chain, address: str) -> bytes:
    return bytes(rpc(lambda: chain.w3.eth.get_code(Web3.to_checksum_address(address)), f"the chain at {chain.rpc_url}"))


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
        built = artifact(name)
        found = match(_code(chain, address), bytes.fromhex(built["deployedBytecode"]), built["immutableReferences"])
        if found != "perfect":
            how = (
                "built from other sources or settings (a partial match)"
                if found
                else "not built from this diamondtrace's sources"
            )
            raise ChainError(
                f"the {name} code at {address} is {how}: export with the version that deployed it "
                "(or deploy again with this one); nothing was written"
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


@dataclass(frozen=True)
class Checked:
    """One bundle recompiled: what its folder claims, and the match found (None: no match)."""

    name: str
    address: str
    folder: str  # full_match or partial_match
    match: Match
    reason: str

    @property
    def ok(self) -> bool:
        return self.match in CLAIMS[self.folder]

    def as_json(self) -> dict[str, Any]:
        fields = {"contract": self.name, "address": self.address, "folder": self.folder, "match": self.match}
        return {**fields, "ok": self.ok, "reason": self.reason}


def _bundle(folder: Path) -> tuple[dict[str, Any], dict[str, str], str]:
    """A bundle's metadata, its sources (path -> text) and, if any source is missing or is not the
    one the metadata names, why the bundle cannot reproduce the code."""
    try:
        metadata = json.loads((folder / "metadata.json").read_text())
        named, _ = metadata["sources"], metadata["language"]
        ((_, _),) = metadata["settings"]["compilationTarget"].items()
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"{folder / 'metadata.json'} is not a compiler metadata file: {exc!r}") from None
    texts: dict[str, str] = {}
    root = (folder / "sources").resolve()
    for path, entry in named.items():
        file = (root / path).resolve()
        if not file.is_relative_to(root):
            return metadata, texts, f"the metadata names a source outside the bundle's sources/: {path}"
        try:
            raw = file.read_bytes()
        except OSError:
            return metadata, texts, f"sources/{path} is missing"
        if "0x" + keccak(raw).hex() != entry.get("keccak256"):
            return metadata, texts, f"sources/{path} is not the source the metadata names (its keccak256 differs)"
        try:
            texts[path] = raw.decode("utf-8")
        except UnicodeDecodeError:
            return metadata, texts, f"sources/{path} is not UTF-8 text"
    return metadata, texts, ""


def check(chain: Chain, out_dir: Path) -> list[Checked]:
    """Recompiles every bundle of this chain under `out_dir`'s Sourcify layout from its metadata
    and sources alone (the pinned solc, the checkout's compiler) and matches each against the
    code at its address."""
    from .compiler import compile_metadata

    found: list[Checked] = []
    for folder_kind in CLAIMS:
        for folder in sorted((out_dir / "contracts" / folder_kind / str(chain.chain_id)).glob("*")):
            if not Web3.is_address(folder.name):
                raise InputError(f"{folder} is not named by a contract address, as the Sourcify layout names each bundle")
            metadata, texts, reason = _bundle(folder)
            ((_, name),) = metadata["settings"]["compilationTarget"].items()
            level: Match = None
            if not reason:
                try:
                    runtime = compile_metadata(metadata, texts)["evm"]["deployedBytecode"]
                except InputError as exc:
                    reason = str(exc)
                else:
                    on_chain = _code(chain, folder.name)
                    level = match(on_chain, bytes.fromhex(runtime["object"]), runtime["immutableReferences"])
                    reason = {"perfect": "same code and metadata", "partial": "same code, other metadata"}.get(
                        level, "other code" if on_chain else "no code there"
                    )
            found.append(Checked(name, folder.name, folder_kind, level, reason))
    if not found:
        layout = f"contracts/full_match/{chain.chain_id}/<address>/"
        raise InputError(f"{out_dir} holds no verification bundle for chain {chain.chain_id} (none under {layout})")
    return found
