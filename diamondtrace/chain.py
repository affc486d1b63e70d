"""The connection to an EVM chain, and sending transactions signed locally.

Transactions are signed in this process (the key never leaves it) and sent raw. `Sender` keeps
its own nonce so many transactions can be in flight at once, and recovers when another process
sends from the same account.
"""

from __future__ import annotations

import logging
import os
import re
import struct
import time
from collections import namedtuple
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import requests
from eth_utils import function_abi_to_4byte_selector
from eth_utils.abi import get_abi_input_types, get_abi_output_types
from faster_eth_abi import decode, encode
from faster_eth_abi.grammar import parse as parse_type
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3RPCError
from web3.providers.rpc.utils import ExceptionRetryConfiguration
from web3.types import RPCEndpoint

from .contracts import abi, artifact, error_notices, error_signatures
from .errors import ChainError, InputError
from .model import stone_id
from .wallet import Signer

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
EIP7825_TX_GAS_CAP = 16_777_216
# Seconds to wait for one RPC answer; DIAMONDTRACE_RPC_TIMEOUT overrides it.
RPC_TIMEOUT = float(os.environ.get("DIAMONDTRACE_RPC_TIMEOUT", "30"))
RECEIPT_TIMEOUT = 180
_UINT_ARRAY = re.compile(r"uint(8|16|32|64|128|256|)\[\]")

log = logging.getLogger("diamondtrace")

# What a node says when a transaction's nonce is taken, in the words of geth, Anvil, Nethermind, Erigon.
_NONCE_CONFLICT = re.compile(r"nonce too low|already known|replacement transaction underpriced|nonce.*already", re.I)


class _NonceTaken(Exception):
    """The node already has a transaction with this nonce from this account."""


@dataclass
class Chain:
    w3: Web3
    chain_id: int
    rpc_url: str


def connect(rpc_url: str = DEFAULT_RPC_URL, timeout: float = RPC_TIMEOUT) -> Chain:
    """Connects and reads the chain id; an unreachable endpoint is a `ChainError` (exit 3)."""
    if not re.match(r"^(https?|wss?)://", rpc_url):
        raise InputError(f"--rpc-url {rpc_url!r} is not an http(s):// or ws(s):// URL")
    # A refused connection or an HTTP error is retried briefly; a timeout is not: web3's default
    # retries it five times, which would keep a user waiting six timeouts for a dead endpoint.
    retry = ExceptionRetryConfiguration(errors=(ConnectionError, requests.HTTPError), retries=2, backoff_factor=0.2)
    # web3 checks every eth_call against the chain id, which it asks for each time: one round trip
    # more per call, half of `verify`'s requests. An endpoint's chain id does not change mid-command.
    w3 = Web3(
        Web3.HTTPProvider(
            rpc_url,
            request_kwargs={"timeout": timeout},
            exception_retry_configuration=retry,
            cache_allowed_requests=True,
            cacheable_requests={RPCEndpoint("eth_chainId")},
        )
    )
    chain_id = rpc(lambda: w3.eth.chain_id, f"the chain at {rpc_url}")
    return Chain(w3, int(chain_id), rpc_url)


def rpc(call: Callable[[], Any], where: str = "the RPC endpoint", done: str = "nothing was sent") -> Any:
    """Runs one RPC call, turning connection failures into a `ChainError` that says what happened."""
    try:
        return call()
    except requests.exceptions.Timeout:
        raise ChainError(f"{where} did not answer within {RPC_TIMEOUT:g} s; {done}") from None
    except (requests.exceptions.ConnectionError, ConnectionError) as exc:
        reason = "connection refused" if "refused" in str(exc).lower() else type(exc).__name__
        raise ChainError(f"cannot reach {where} ({reason}); {done}") from None
    except requests.exceptions.RequestException as exc:
        raise ChainError(f"{where} failed: {exc}; {done}") from None


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


class Call:
    """A contract function call that skips web3's argument handling, which validates and
    normalizes every value in Python: far too slow for batches of hundreds of stones. It has the
    attributes of a web3 `ContractFunction` that this module uses, so either can be sent."""

    def __init__(self, contract: Contract, name: str, *args: Any) -> None:
        self.w3 = contract.w3
        self.address = contract.address
        self.args = args
        self.abi = next(e for e in contract.abi if e.get("name") == name and len(e["inputs"]) == len(args))


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
    return function_abi_to_4byte_selector(call.abi) + encode_args(get_abi_input_types(call.abi), list(call.args))


def _result(reply: dict) -> Any:
    if "error" in reply:
        error = reply["error"]
        if isinstance(error, dict) and error.get("data") and "revert" in str(error.get("message", "")).lower():
            raise ContractCustomError(describe_revert(error["data"]), data=error["data"])
        raise Web3RPCError(str(error))
    return reply["result"]


def _raw_request(w3: Web3, method: str, params: list) -> Any:
    """A JSON-RPC request without web3's result formatting (milliseconds per call on big payloads)."""
    return _result(w3.provider.make_request(method, params))


def batch_request(w3: Web3, requests: list[tuple[str, list]]) -> list[Any]:
    """Several JSON-RPC requests in one HTTP round trip, so a remote node's latency is paid once;
    the results in order, an error raised as by one request. A node that refuses batches gets
    the requests one by one."""
    replies = w3.provider.make_batch_request(requests)
    if not isinstance(replies, list):
        return [_raw_request(w3, method, params) for method, params in requests]
    return [_result(reply) for reply in replies]


def eth_call(call: ContractFunction | Call, block: str = "latest") -> tuple[str, list]:
    """The JSON-RPC request for a view call, for `batch_request`; `decoded` reads its answer."""
    return "eth_call", [{"to": call.address, "data": "0x" + calldata(call).hex()}, block]


def decoded(call: ContractFunction | Call, raw: str) -> tuple:
    return decode_result(get_abi_output_types(call.abi), bytes.fromhex(raw[2:]))


def _named(abi_entry: dict[str, Any], value: Any) -> Any:
    """A decoded ABI value with its struct components as named tuples (as web3's `decode_tuples`)."""
    components = abi_entry.get("components")
    if abi_entry["type"] == "address":
        return Web3.to_checksum_address(value)
    if abi_entry["type"] == "address[]":
        return [Web3.to_checksum_address(v) for v in value]
    if not components:
        return value
    if abi_entry["type"].endswith("]"):
        inner = {**abi_entry, "type": abi_entry["type"][: abi_entry["type"].rindex("[")]}
        return [_named(inner, v) for v in value]
    names = [c["name"] or f"field{i}" for i, c in enumerate(components)]
    return namedtuple(abi_entry.get("internalType", "struct").split(".")[-1].replace(" ", "_") or "Struct", names)(
        *(_named(c, v) for c, v in zip(components, value))
    )


def read(calls: list[ContractFunction | Call], block: str = "latest") -> list[Any]:
    """Several view calls in one JSON-RPC batch; each result as `.call()` on a contract with
    `decode_tuples` gives it (one output: the value itself; structs: named tuples)."""
    replies = batch_request(calls[0].w3, [eth_call(call, block) for call in calls]) if calls else []
    results = []
    for call, raw in zip(calls, replies):
        values = [_named(out, v) for out, v in zip(call.abi["outputs"], decoded(call, raw))]
        results.append(values[0] if len(values) == 1 else tuple(values))
    return results


def view(call: ContractFunction | Call, block: str = "latest") -> tuple:
    """Calls a view function through the same fast encoding; returns the decoded outputs."""
    return decoded(call, _raw_request(call.w3, *eth_call(call, block)))


def revert_message(exc: Exception) -> str:
    if isinstance(exc, ContractCustomError):
        return describe_revert(exc.data if isinstance(exc.data, (str, bytes)) else exc.message)
    if isinstance(exc, ContractPanicError):
        return f"the contract panicked ({exc})"
    return str(getattr(exc, "message", None) or exc)


@dataclass(frozen=True)
class Sent:
    """A transaction that was mined: what its receipt says, without the logs (a batch of
    hundreds of stones has hundreds; whoever needs them reads them as events)."""

    hash: str
    block: int
    gas_used: int
    log_count: int
    contract_address: str | None = None


class Sender:
    """Signs and sends transactions from one account; keeps its own nonce so sends can pipeline."""

    def __init__(self, chain: Chain, signer: Signer) -> None:
        self.chain = chain
        self.signer = signer
        self.w3 = chain.w3
        self._nonce: int | None = None
        self._nonces: dict[str, int] = {}  # the nonce each transaction was signed with
        self.where = f"the chain at {chain.rpc_url}"

    @property
    def address(self) -> str:
        return self.signer.address

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = rpc(lambda: self.w3.eth.get_transaction_count(self.address, "pending"), self.where)
        nonce = self._nonce
        self._nonce += 1
        return nonce

    def forget_nonce(self) -> None:
        """Reads the account's nonce from the chain again before the next transaction (after
        another program sent from it, or the chain was rewound)."""
        self._nonce = None

    def fees(self, block: dict | None = None) -> dict[str, int]:
        """Fees for a transaction now, from the latest block (given, or fetched)."""
        block = block or rpc(lambda: _raw_request(self.w3, "eth_getBlockByNumber", ["latest", False]), self.where)
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": rpc(lambda: self.w3.eth.gas_price, self.where)}
        tip = rpc(lambda: self.w3.eth.max_priority_fee, self.where)
        return {"maxFeePerGas": 2 * int(base, 16) + int(tip), "maxPriorityFeePerGas": int(tip)}

    def estimate(self, call: ContractFunction) -> int:
        """Gas for `call`, or the registry's refusal in words (an `InputError`: nothing sent)."""
        try:
            request = {key: "0x" + value.hex() if isinstance(value, bytes) else value for key, value in self._request(call).items()}
            return int(rpc(lambda: _raw_request(self.w3, "eth_estimateGas", [request]), self.where), 16)
        except (ContractLogicError, ContractCustomError, ContractPanicError) as exc:
            raise InputError(f"refused by the registry, nothing sent: {revert_message(exc)}") from None
        except Web3RPCError as exc:
            message = str(exc)
            if "insufficient funds" in message.lower():
                raise InputError(f"{self.address} cannot pay for gas on this chain: {message}") from None
            raise ChainError(f"the node refused to estimate gas: {message}; nothing was sent") from None

    def _request(self, call: ContractFunction | ContractConstructor) -> dict:
        if isinstance(call, ContractConstructor):
            return {"from": self.address, "data": call.data_in_transaction}
        return {"from": self.address, "to": call.address, "data": calldata(call)}

    def build(self, call: ContractFunction | ContractConstructor, gas: int | None = None, fees: dict[str, int] | None = None) -> dict:
        """An unsigned transaction for `call`; the nonce is set when it is signed."""
        gas = gas or min(int(self.estimate(call) * 1.2) + 10_000, EIP7825_TX_GAS_CAP)
        return {**self._request(call), "value": 0, "chainId": self.chain.chain_id, "gas": gas, **(fees or self.fees())}

    def sign(self, tx: dict) -> bytes:
        """Signs `tx` with this sender's next nonce; returns the raw transaction."""
        tx = {**tx, "nonce": self._next_nonce()}
        signed = self.signer.account.sign_transaction(tx)
        self._nonces[signed.hash.to_0x_hex()] = tx["nonce"]
        return bytes(signed.raw_transaction)

    def _send_raw(self, raw: bytes) -> str:
        """Sends a signed transaction; `_NonceTaken` if another sender used its nonce first."""
        try:
            return rpc(
                lambda: _raw_request(self.w3, "eth_sendRawTransaction", ["0x" + raw.hex()]),
                self.where,
                "the transaction may not have been sent",
            )
        except Web3RPCError as exc:
            if _NONCE_CONFLICT.search(str(exc)):
                raise _NonceTaken() from None
            if "insufficient funds" in str(exc).lower():
                raise InputError(f"{self.address} cannot pay for gas on this chain; nothing sent") from None
            raise ChainError(f"the node rejected the transaction: {exc}") from None

    def submit(self, tx: dict) -> str:
        """Signs `tx` with the next nonce and sends it; if another process took that nonce, signs
        again with the chain's next one."""
        for _ in range(10):
            try:
                return self._send_raw(self.sign(tx))
            except _NonceTaken:
                log.info("a nonce of %s was taken by another sender; retrying with the chain's next nonce", self.address)
                self.forget_nonce()
        raise ChainError(f"could not get a nonce for {self.address}: another process keeps sending from it")

    def submit_all(self, calls: list[ContractFunction | Call], gas: list[int], fees: dict[str, int] | None = None) -> list[str]:
        """Sends transactions back to back, encoding and signing each next one while the node
        takes the last: a batch mint is bound by the node, not by this process."""
        fees = fees or self.fees()
        txs = [lambda call=call, limit=limit: self.build(call, gas=limit, fees=fees) for call, limit in zip(calls, gas)]
        hashes: list[str] = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="sign") as signer:
            signed = [signer.submit(lambda tx=tx: self.sign(tx())) for tx in txs]
            for i, future in enumerate(signed):
                try:
                    hashes.append(self._send_raw(future.result()))
                except _NonceTaken:
                    # Another process sent from this account: the rest were signed with stale
                    # nonces. Let the signer finish, then re-sign them one by one.
                    for later in signed[i + 1 :]:
                        later.result()
                    self.forget_nonce()
                    hashes.extend(self.submit(tx()) for tx in txs[i:])
                    break
        return hashes

    def _receipt(self, tx_hash: str) -> dict | None:
        return _raw_request(self.w3, "eth_getTransactionReceipt", [tx_hash])

    def wait(self, tx_hash: str, call: ContractFunction | None = None) -> Sent:
        """Waits for `tx_hash` to be mined. Polls the raw receipt: web3's receipt formatting of
        hundreds of logs costs more time than the node takes to mine the transaction."""
        started = time.monotonic()
        checked = started
        done = f"transaction {tx_hash} was sent and may still be mined"
        while (raw := rpc(lambda: self._receipt(tx_hash), self.where, done)) is None:
            now = time.monotonic()
            if now - started > RECEIPT_TIMEOUT:
                raise ChainError(
                    f"transaction {tx_hash} was sent but not mined within {RECEIPT_TIMEOUT} s; "
                    "check it on the chain before retrying"
                )
            if now - checked > 1 and tx_hash in self._nonces:
                # Another sender's transaction with the same nonce can replace ours in the pool.
                checked = now
                mined = rpc(lambda: self.w3.eth.get_transaction_count(self.address, "latest"), self.where, done)
                if mined > self._nonces[tx_hash] and self._receipt(tx_hash) is None:
                    raise ChainError(
                        f"transaction {tx_hash} was replaced by another from {self.address} with the same nonce "
                        "(another program sends from this account); it was not mined: run again"
                    )
            time.sleep(0.02)
        block = int(raw["blockNumber"], 16)
        if int(raw["status"], 16) != 1:
            reason = ""
            if call is not None:
                try:
                    self.w3.eth.call(self._request(call), block - 1)
                except (ContractLogicError, ContractCustomError, ContractPanicError) as exc:
                    reason = ": " + revert_message(exc)
                except Exception:  # the reason is a courtesy; the failure is reported either way
                    pass
            raise ChainError(f"transaction {tx_hash} was mined but reverted{reason}")
        created = raw.get("contractAddress")
        return Sent(
            tx_hash, block, int(raw["gasUsed"], 16), len(raw["logs"]), created and Web3.to_checksum_address(created)
        )

    def send(self, call: ContractFunction, gas: int | None = None) -> Sent:
        """Sends one transaction and waits for it to be mined."""
        return self.wait(self.submit(self.build(call, gas)), call)

    def send_all(self, calls: Iterable[ContractFunction | Call]) -> list[Sent]:
        """Sends transactions back to back without waiting, then collects their receipts in order."""
        calls = list(calls)
        hashes = self.submit_all(calls, [min(int(self.estimate(call) * 1.2) + 10_000, EIP7825_TX_GAS_CAP) for call in calls])
        return [self.wait(tx_hash, call) for tx_hash, call in zip(hashes, calls)]

    def deploy(self, name: str, *args: Any) -> tuple[str, Sent]:
        art = artifact(name)
        factory = self.w3.eth.contract(abi=abi(name), bytecode=art["bytecode"])
        sent = self.send(factory.constructor(*args))
        return sent.contract_address, sent
