"""The connection to an EVM chain, and sending transactions signed locally.

Transactions are signed in this process (the key never leaves it) and sent raw. `Sender` keeps
its own nonce so many transactions can be in flight at once, and recovers when another process
sends from the same account.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import requests
from eth_abi import decode
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, TimeExhausted, Web3RPCError

from .contracts import abi, artifact, error_notices, error_signatures
from .errors import ChainError, InputError
from .model import stone_id
from .wallet import Signer

DEFAULT_RPC_URL = "http://127.0.0.1:8545"
EIP7825_TX_GAS_CAP = 16_777_216
# Seconds to wait for one RPC answer; DIAMONDTRACE_RPC_TIMEOUT overrides it.
RPC_TIMEOUT = float(os.environ.get("DIAMONDTRACE_RPC_TIMEOUT", "30"))
RECEIPT_TIMEOUT = 180

log = logging.getLogger("diamondtrace")

# What a node says when a transaction's nonce is taken, in the words of geth, Anvil, Nethermind, Erigon.
_NONCE_CONFLICT = re.compile(r"nonce too low|already known|replacement transaction underpriced|nonce.*already", re.I)


@dataclass
class Chain:
    w3: Web3
    chain_id: int
    rpc_url: str


def connect(rpc_url: str = DEFAULT_RPC_URL, timeout: float = RPC_TIMEOUT) -> Chain:
    """Connects and reads the chain id; an unreachable endpoint is a `ChainError` (exit 3)."""
    if not re.match(r"^(https?|wss?)://", rpc_url):
        raise InputError(f"--rpc-url {rpc_url!r} is not an http(s):// or ws(s):// URL")
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
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


def revert_message(exc: Exception) -> str:
    if isinstance(exc, ContractCustomError):
        return describe_revert(exc.data if isinstance(exc.data, (str, bytes)) else exc.message)
    if isinstance(exc, ContractPanicError):
        return f"the contract panicked ({exc})"
    return str(getattr(exc, "message", None) or exc)


@dataclass
class Sent:
    """A transaction that was mined."""

    hash: str
    receipt: Any

    @property
    def gas_used(self) -> int:
        return int(self.receipt["gasUsed"])

    @property
    def block(self) -> int:
        return int(self.receipt["blockNumber"])


class Sender:
    """Signs and sends transactions from one account; keeps its own nonce so sends can pipeline."""

    def __init__(self, chain: Chain, signer: Signer) -> None:
        self.chain = chain
        self.signer = signer
        self.w3 = chain.w3
        self._nonce: int | None = None
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

    def fees(self) -> dict[str, int]:
        block = rpc(lambda: self.w3.eth.get_block("latest"), self.where)
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": rpc(lambda: self.w3.eth.gas_price, self.where)}
        tip = rpc(lambda: self.w3.eth.max_priority_fee, self.where)
        return {"maxFeePerGas": 2 * int(base) + int(tip), "maxPriorityFeePerGas": int(tip)}

    def estimate(self, call: ContractFunction) -> int:
        """Gas for `call`, or the registry's refusal in words (an `InputError`: nothing sent)."""
        try:
            return int(rpc(lambda: call.estimate_gas({"from": self.address}), self.where))
        except (ContractLogicError, ContractCustomError, ContractPanicError) as exc:
            raise InputError(f"refused by the registry, nothing sent: {revert_message(exc)}") from None
        except Web3RPCError as exc:
            message = str(exc)
            if "insufficient funds" in message.lower():
                raise InputError(f"{self.address} cannot pay for gas on this chain: {message}") from None
            raise ChainError(f"the node refused to estimate gas: {message}; nothing was sent") from None

    def build(self, call: ContractFunction, gas: int | None = None, fees: dict[str, int] | None = None) -> dict:
        gas = gas or min(int(self.estimate(call) * 1.2) + 10_000, EIP7825_TX_GAS_CAP)
        tx = call.build_transaction(
            {"from": self.address, "chainId": self.chain.chain_id, "gas": gas, "nonce": 0, **(fees or self.fees())}
        )
        return tx

    def submit(self, tx: dict) -> str:
        """Signs `tx` with the next nonce and sends it; retries with a fresh nonce if another
        process took it."""
        for attempt in range(5):
            tx["nonce"] = self._next_nonce()
            signed = self.signer.account.sign_transaction(tx)
            try:
                return rpc(
                    lambda: self.w3.eth.send_raw_transaction(signed.raw_transaction),
                    self.where,
                    "the transaction may not have been sent",
                ).to_0x_hex()
            except Web3RPCError as exc:
                if _NONCE_CONFLICT.search(str(exc)) and attempt < 4:
                    log.info("nonce %d was taken by another sender; retrying with the chain's next nonce", tx["nonce"])
                    self._nonce = None
                    continue
                if "insufficient funds" in str(exc).lower():
                    raise InputError(f"{self.address} cannot pay for gas on this chain; nothing sent") from None
                raise ChainError(f"the node rejected the transaction: {exc}") from None
        raise AssertionError("unreachable")

    def wait(self, tx_hash: str, call: ContractFunction | None = None) -> Sent:
        try:
            receipt = rpc(
                lambda: self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT, poll_latency=0.05),
                self.where,
                f"transaction {tx_hash} was sent and may still be mined",
            )
        except TimeExhausted:
            raise ChainError(
                f"transaction {tx_hash} was sent but not mined within {RECEIPT_TIMEOUT} s; "
                "check it on the chain before retrying"
            ) from None
        if receipt["status"] != 1:
            reason = ""
            if call is not None:
                try:
                    call.call({"from": self.address}, block_identifier=receipt["blockNumber"] - 1)
                except (ContractLogicError, ContractCustomError, ContractPanicError) as exc:
                    reason = ": " + revert_message(exc)
                except Exception:  # the reason is a courtesy; the failure is reported either way
                    pass
            raise ChainError(f"transaction {tx_hash} was mined but reverted{reason}")
        return Sent(tx_hash, receipt)

    def send(self, call: ContractFunction, gas: int | None = None) -> Sent:
        """Sends one transaction and waits for it to be mined."""
        return self.wait(self.submit(self.build(call, gas)), call)

    def send_all(self, calls: Iterable[ContractFunction], on_mined: Callable[[int, Sent], None] | None = None) -> list[Sent]:
        """Sends transactions back to back without waiting, then collects their receipts in order."""
        fees = self.fees()
        pending = [(call, self.submit(self.build(call, fees=fees))) for call in calls]
        results = []
        for i, (call, tx_hash) in enumerate(pending):
            sent = self.wait(tx_hash, call)
            results.append(sent)
            if on_mined:
                on_mined(i, sent)
        return results

    def deploy(self, name: str, *args: Any) -> tuple[str, Sent]:
        art = artifact(name)
        factory = self.w3.eth.contract(abi=abi(name), bytecode=art["bytecode"])
        sent = self.send(factory.constructor(*args))
        return sent.receipt["contractAddress"], sent
