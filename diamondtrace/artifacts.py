"""The compiled contracts (ABIs, bytecode, NatSpec) and the registry's refusals in words."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Any

from eth_utils import function_abi_to_4byte_selector
from faster_eth_abi import decode
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractPanicError

from .errors import SetupError
from .model import stone_id
from .toolchain import PROJECT_ROOT

BUILD_DIR = PROJECT_ROOT / "build" / "contracts"


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


def _show(kind: str, name: str, value: Any) -> str:
    if kind == "address":
        return Web3.to_checksum_address(value)
    if kind == "uint256" and name.lower().endswith(("tokenid", "parentid")):
        return stone_id(value) if value else "0"
    if kind.startswith("bytes") and isinstance(value, bytes):
        text = value.rstrip(b"\0")
        if text and all(0x20 <= b < 0x7F for b in text):
            return text.decode("ascii")
        return "0x" + value.hex()
    return str(value)


def describe_revert(data: str | bytes | None) -> str:
    """A custom error's revert data in words: 'StoneAlreadyRegistered(tokenId=BW-0001): Stone ...'."""
    raw = bytes(HexBytes(data)) if data else b""
    if len(raw) < 4:
        return "the registry refused the call without a reason"
    signatures = error_signatures()
    if raw[:4] not in signatures:
        if raw[:4] == bytes.fromhex("08c379a0"):
            return decode(["string"], raw[4:])[0]
        return f"unknown error 0x{raw[:4].hex()}"
    name, inputs = signatures[raw[:4]]
    values = decode([i["type"] for i in inputs], raw[4:])
    args = ", ".join(f"{i['name']}={_show(i['type'], i['name'], v)}" for i, v in zip(inputs, values))
    notice = error_notices().get(name, "")
    return f"{name}({args})" + (f": {notice}" if notice else "")


def revert_message(exc: Exception) -> str:
    if isinstance(exc, ContractCustomError):
        return describe_revert(exc.data if isinstance(exc.data, (str, bytes)) else exc.message)
    if isinstance(exc, ContractPanicError):
        return f"the contract panicked ({exc})"
    return str(getattr(exc, "message", None) or exc)


def revert_name(exc: Exception) -> str | None:
    """The name of the custom error a call reverted with, if it is one of ours."""
    data = getattr(exc, "data", None)
    if not isinstance(data, (str, bytes)) or not data:
        return None
    entry = error_signatures().get(bytes(HexBytes(data))[:4])
    return entry[0] if entry else None
