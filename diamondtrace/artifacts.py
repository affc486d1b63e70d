"""The compiled contracts the package ships (ABIs, bytecode, NatSpec, compiler metadata), and the
registry's refusals in words.

They are package data, diamondtrace/compiled/, written by `make build` (compiler.py) and read
through importlib.resources: an installed package finds them wherever it is installed, and
nothing reads the checkout's build/ or interfaces/ at run time.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable

from eth_utils import function_signature_to_4byte_selector
from faster_eth_abi import decode
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractPanicError

from .errors import SetupError
from .model import ROLES, STONE_ID_PATTERN, Action, Flag, date_of_day, format_carat, role_names

ARTIFACTS = ("DiamondRegistry", "KimberleyCertificates", "GradingBook", "DiamondRenderer")
# The sources the contracts' metadata names, path -> text (what explorers verify against).
SOURCES = "sources.json"
_COMPILED = resources.files(__package__) / "compiled"


@lru_cache(maxsize=None)
def _load(filename: str) -> Any:
    try:
        return json.loads((_COMPILED / filename).read_text())
    except FileNotFoundError:
        raise SetupError(
            f"the package's compiled contracts are incomplete (no compiled/{filename}): "
            "in the DiamondTrace checkout run `make build`; otherwise reinstall diamondtrace"
        ) from None


def artifact(name: str) -> dict[str, Any]:
    """A deployed contract as compiled: abi, bytecode, deployedBytecode, userdoc, devdoc, and
    metadata (solc's JSON text, whose hash the bytecode carries)."""
    return _load(f"{name}.json")


def abi(name: str) -> list[dict[str, Any]]:
    return artifact(name)["abi"]


def sources() -> dict[str, str]:
    return _load(SOURCES)


def compiler_settings() -> dict[str, Any]:
    """The exact compiler version and settings the contracts were built with (for verification)."""
    metadata = json.loads(artifact("DiamondRegistry")["metadata"])
    settings = metadata["settings"]
    return {
        "version": metadata["compiler"]["version"],
        "optimizer": settings["optimizer"],
        "viaIR": bool(settings.get("viaIR", False)),
        "evmVersion": settings["evmVersion"],
        # solc writes a remapping's (empty) context before a colon; the build config does not.
        "remappings": [r.removeprefix(":") for r in settings.get("remappings", [])],
    }


# ------------------------------------------------------------------------------------------------
# Refusals in words
# ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustomError:
    name: str
    inputs: tuple[tuple[str, str], ...]  # (type, name)
    notice: str  # its NatSpec: the @notice, else the @dev text (OpenZeppelin's, Solady's)


@lru_cache(maxsize=None)
def custom_errors() -> dict[bytes, CustomError]:
    """4-byte selector -> every custom error the registry and its books can revert with."""
    notices: dict[str, str] = {}
    for name in ARTIFACTS:
        for doc in (artifact(name)["devdoc"], artifact(name)["userdoc"]):  # a notice wins over @dev
            for signature, entries in doc.get("errors", {}).items():
                text = " ".join(e.get("notice") or e.get("details", "") for e in entries).strip()
                if text:
                    notices[signature] = text
    errors: dict[bytes, CustomError] = {}
    for name in ARTIFACTS:
        for entry in abi(name):
            if entry["type"] == "error":
                signature = f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})"
                inputs = tuple((i["type"], i["name"]) for i in entry["inputs"])
                errors[function_signature_to_4byte_selector(signature)] = CustomError(
                    entry["name"], inputs, notices.get(signature, "")
                )
    return errors


# Arguments named for what they hold, across the errors' declarations.
_WEIGHTS = frozenset({"centicarats", "declared", "drawn", "requested", "parent", "children"})
_TIMES = frozenset({"issuedAt", "expiresAt", "deadline"})
_ALL_ROLES = sum(ROLES.values())
# Solidity's panic codes (the `Panic(uint256)` of a failed assert, overflow, ...).
_PANIC = bytes.fromhex("4e487b71")
_ERROR_STRING = bytes.fromhex("08c379a0")
_PANICS = {
    0x01: "an assertion failed",
    0x11: "an arithmetic operation overflowed",
    0x12: "a division by zero",
    0x21: "a value out of an enum's range",
    0x22: "a corrupt storage byte array",
    0x31: "a pop from an empty array",
    0x32: "an array index out of bounds",
    0x41: "out of memory",
    0x51: "a call to an uninitialized function",
}


def _text(raw: bytes) -> str:
    """Left-aligned ASCII (a stone ID, prefix, mine, country, number) as text; anything else as hex."""
    text = raw.rstrip(b"\0")
    if not text:
        return '""'
    if all(0x20 <= b < 0x7F for b in text):
        decoded = text.decode("ascii")
        return decoded if STONE_ID_PATTERN.fullmatch(decoded) else json.dumps(decoded)
    return "0x" + raw.hex()


def _roles(bits: int) -> str:
    names = role_names(bits) + ([f"0x{bits & ~_ALL_ROLES:x} (no such role)"] if bits & ~_ALL_ROLES else [])
    return "+".join(names) or "no role"


def _as(show: Callable[[int], str], value: int) -> str:
    """`show(value)`, or the bare number when it is out of the range `show` knows (an enum's, a date's)."""
    try:
        return show(value)
    except (ValueError, OverflowError):
        return f"{value} (out of range)"


def show_value(kind: str, name: str, value: Any) -> str:
    """One argument of a custom error as a person reads it, by its type and name."""
    if kind == "address":
        address = Web3.to_checksum_address(value)
        return f"{address} (the zero address)" if int(address, 16) == 0 else address
    if kind.startswith("bytes") and kind != "bytes":
        return _text(value)
    if kind == "string":
        return json.dumps(value)
    if kind.startswith("uint"):
        if name in ("role", "roles"):
            return _roles(value)
        if name == "flag":
            return _as(lambda v: Flag(v).name.lower(), value)
        if name == "action":
            return _as(lambda v: Action(v).label, value)
        if name == "productionDay":
            return _as(lambda v: date_of_day(v).isoformat(), value)
        if name in _TIMES:
            return _as(lambda v: dt.datetime.fromtimestamp(v, dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"), value)
        if name in _WEIGHTS:
            return f"{format_carat(value)} ct"
        if name.endswith("Id"):  # tokenId, parentId: the stone ID the token id holds
            return _text(value.to_bytes(32, "big")) if value else "0"
    return str(value)


def describe_revert(data: str | bytes | None) -> str:
    """A custom error's revert data in words, with its NatSpec notice, its arguments in place:
    'MissingRole(account=0x70…, role=kp-authority): 0x70… lacks participant role kp-authority …'."""
    raw = bytes(HexBytes(data)) if data else b""
    if len(raw) < 4:
        return "the registry refused the call without a reason"
    error = custom_errors().get(raw[:4])
    if error is None:
        if raw[:4] == _ERROR_STRING:
            return decode(["string"], raw[4:])[0]
        if raw[:4] == _PANIC and len(raw) == 36:
            code = int.from_bytes(raw[4:], "big")
            return f"the contract panicked: {_PANICS.get(code, 'an unknown panic')} (code 0x{code:02x})"
        return f"unknown error 0x{raw[:4].hex()}"
    values = decode([kind for kind, _ in error.inputs], raw[4:])
    shown = {name: show_value(kind, name, value) for (kind, name), value in zip(error.inputs, values)}
    words = ", ".join(f"{name}={text}" for name, text in shown.items())

    def place(found: re.Match) -> str:
        name, unit = found.group(1), found.group(2) or ""
        if name not in shown:
            return found.group(0)
        return shown[name] + ("" if name in _WEIGHTS else unit)  # a weight is shown with its unit

    # The notice names the arguments in backticks: put their values there.
    notice = re.sub(r"`(\w+)`( centicarats)?", place, error.notice)
    return f"{error.name}({words})" + (f": {notice}" if notice else "")


def revert_data(data: Any) -> bytes | None:
    """The revert data of a failed call, whatever shape the node gave it in its JSON-RPC error's
    `data`: hex (Anvil, geth, Hardhat); Ganache 7's object `{"message": "revert", "result": "0x…",
    …}`; or an object keyed by transaction hash, `{"0x…": {"error": "revert", "return": "0x…"}}`
    (Ganache 6, Truffle). None when there is none."""
    if isinstance(data, (bytes, bytearray)):
        return bytes(data)
    if isinstance(data, str):
        try:
            return bytes(HexBytes(data))
        except ValueError:  # a node's words, not data
            return None
    if isinstance(data, dict):
        if "result" in data:
            return revert_data(data["result"])
        for value in data.values():
            if isinstance(value, dict) and "return" in value:
                return revert_data(value["return"])
    return None


def revert_message(exc: Exception) -> str:
    data = revert_data(getattr(exc, "data", None))
    if isinstance(exc, ContractPanicError):
        return f"the contract panicked ({exc})"
    if isinstance(exc, ContractCustomError) or (data and data[:4] in custom_errors()):
        return describe_revert(data if data is not None else getattr(exc, "message", None))
    return str(getattr(exc, "message", None) or exc)


def revert_name(exc: Exception) -> str | None:
    """The name of the custom error a call reverted with, if it is one of ours."""
    data = revert_data(getattr(exc, "data", None))
    error = custom_errors().get(data[:4]) if data else None
    return error.name if error else None
