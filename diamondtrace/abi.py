"""ABI encoding for calls, fast where a production run needs it (arrays of thousands of ids)."""

from __future__ import annotations

import re
import struct
from collections import namedtuple
from functools import lru_cache
from typing import Any

from eth_utils import function_abi_to_4byte_selector
from eth_utils.abi import get_abi_input_types, get_abi_output_types
from faster_eth_abi import decode, encode
from faster_eth_abi.grammar import parse as parse_type
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction

_UINT_ARRAY = re.compile(r"uint(8|16|32|64|128|256|)\[\]")


class Call:
    """A contract function call that skips web3's argument handling, which validates and
    normalizes every value in Python: far too slow for batches of hundreds of stones. It has the
    attributes of a web3 `ContractFunction` that this module uses, so either can be sent."""

    def __init__(self, contract: Contract, name: str, *args: Any) -> None:
        self.w3 = contract.w3
        self.address = contract.address
        self.args = args
        self.abi, self.selector, self.input_types, self.output_types = _function(contract.abi, name, len(args))


def _function(contract_abi: list[dict], name: str, arity: int) -> tuple[dict, str, list[str], list[str]]:
    """The ABI entry of function `name`, its selector and its input and output types, worked out
    once per ABI: a page makes hundreds of calls, each would scan the ABI and hash the signature."""
    key = (id(contract_abi), name, arity)
    if key not in _FUNCTIONS:
        entry = next(e for e in contract_abi if e.get("name") == name and len(e["inputs"]) == arity)
        selector = "0x" + function_abi_to_4byte_selector(entry).hex()
        _FUNCTIONS[key] = (contract_abi, (entry, selector, get_abi_input_types(entry), get_abi_output_types(entry)))
    return _FUNCTIONS[key][1]


# Each ABI is kept beside its entries so that its id is never reused while they are cached.
_FUNCTIONS: dict[tuple[int, str, int], tuple[list[dict], tuple[dict, str, list[str], list[str]]]] = {}


def _uint_array_width(abi_type: str) -> int | None:
    """N for an array of unsigned integers (`uintN[]`), else None."""
    match = _UINT_ARRAY.fullmatch(abi_type)
    return int(match.group(1) or 256) if match else None


def encode_args(types: list[str], args: list) -> bytes:
    """ABI encoding. eth-abi checks each element of an array in Python, microseconds apiece;
    arrays of unsigned integers (a production run's 10^4 token ids) are encoded here, their
    range checked once per array, and the other arguments, if all static, by eth-abi."""
    widths = [_uint_array_width(t) for t in types]
    dynamic = [w is None and parse_type(t).is_dynamic for t, w in zip(types, widths)]
    if all(w is None for w in widths):
        return encode(types, args)
    # A static argument sits in the head; a dynamic one's head is the offset of its tail. Other
    # dynamic arguments (a batch's descriptions) are encoded by eth-abi, tail only.
    heads = [encode([t], [value]) if w is None and not d else b"" for t, w, d, value in zip(types, widths, dynamic, args)]
    offset = sum(len(head) or 32 for head in heads)
    tails: list[bytes] = []
    for i, (abi_type, width, values) in enumerate(zip(types, widths, args)):
        if width is not None:
            if values and (min(values) < 0 or max(values) >> width):
                raise ValueError(f"a value does not fit uint{width}")
            tails.append(len(values).to_bytes(32, "big") + b"".join(v.to_bytes(32, "big") for v in values))
        elif dynamic[i]:
            tails.append(encode([abi_type], [values])[32:])
        else:
            continue
        heads[i] = offset.to_bytes(32, "big")
        offset += len(tails[-1])
    return b"".join(heads + tails)


def decode_result(types: list[str], data: bytes) -> tuple:
    """ABI decoding, the inverse of `encode_args`, with the same fast path."""
    widths = [_uint_array_width(t) for t in types]
    if None in widths:
        return tuple(decode(types, data))
    arrays = []
    for i, width in enumerate(widths):
        start = int.from_bytes(data[32 * i : 32 * i + 32], "big") + 32
        count = int.from_bytes(data[start - 32 : start], "big")
        if len(data) < start + 32 * count:
            return tuple(decode(types, data))  # malformed: let eth-abi say how
        if width <= 64:
            # Each word as four 64-bit parts: the value is the last, the others must be zero.
            parts = struct.unpack_from(f">{4 * count}Q", data, start)
            values = parts[3::4]
            if any(parts[0::4]) or any(parts[1::4]) or any(parts[2::4]):
                return tuple(decode(types, data))
        else:
            values = tuple(int.from_bytes(data[at : at + 32], "big") for at in range(start, start + 32 * count, 32))
        if values and max(values) >> width:
            return tuple(decode(types, data))
        arrays.append(values)
    return tuple(arrays)


def calldata(call: ContractFunction | Call) -> bytes:
    """ABI-encodes a call without web3's argument handling (see `Call`)."""
    types = call.input_types if isinstance(call, Call) else get_abi_input_types(call.abi)
    return bytes.fromhex(call.selector[2:]) + encode_args(types, list(call.args))


def with_names(abi_entry: dict[str, Any], value: Any) -> Any:
    """A decoded ABI value with its struct components as named tuples (as web3's `decode_tuples`)."""
    components = abi_entry.get("components")
    if abi_entry["type"] == "address":
        return _checksummed(value)
    if abi_entry["type"] == "address[]":
        return [_checksummed(v) for v in value]
    if not components:
        return value
    if abi_entry["type"].endswith("]"):
        inner = {**abi_entry, "type": abi_entry["type"][: abi_entry["type"].rindex("[")]}
        return [with_names(inner, v) for v in value]
    return _struct(abi_entry.get("internalType", "struct"), tuple(c["name"] for c in components))(
        *(with_names(c, v) for c, v in zip(components, value))
    )


@lru_cache(maxsize=None)
def _struct(internal_type: str, names: tuple[str, ...]) -> type:
    """The named tuple type of a struct (made once: making one costs more than decoding a value)."""
    fields = [name or f"field{i}" for i, name in enumerate(names)]
    # "struct IDiamondRegistry.GradingReport[]" names GradingReport (also for each element of an array).
    return namedtuple(re.sub(r"\[\d*\]", "", internal_type).split(".")[-1].replace(" ", "_") or "Struct", fields)


@lru_cache(maxsize=4096)
def _checksummed(address: str) -> str:
    return Web3.to_checksum_address(address)
