"""Sending transactions signed locally: nonces kept in process, fees, receipts, confirmations,
and one sender per account at a time.

Transactions are signed in this process (the key never leaves it) and sent raw. `Sender` keeps
its own nonce so many transactions can be in flight at once, recovers when another process
sends from the same account, and looks after what it sent until it is mined (`inflight`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator

from web3 import Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3RPCError

from .abi import Call, calldata
from .artifacts import revert_message
from .chain import EIP7825_TX_GAS_CAP, Chain, batch_request, raw_request, rpc
from .errors import ChainError, InputError
from .inflight import CHECK_EVERY, Flights, NonceTaken, Underpriced, already_held, classify
from .wallet import Signer

log = logging.getLogger("diamondtrace")

# Seconds an awaited transaction may go unmined while the chain makes no block at all.
RECEIPT_TIMEOUT = 180
CONFIRMATIONS_ENV = "DIAMONDTRACE_CONFIRMATIONS"
DEFAULT_TIP = 10**9  # wei


def default_confirmations() -> int:
    """Blocks a transaction must be buried under, counting its own: 1 (mined) unless
    DIAMONDTRACE_CONFIRMATIONS says more."""
    return confirmations(os.environ.get(CONFIRMATIONS_ENV, "1"), CONFIRMATIONS_ENV)


def confirmations(value: str, where: str = "--confirmations") -> int:
    """A number of confirmations as typed; at least 1 (the block that includes the transaction)."""
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise InputError(f"{where} {value!r} must be a whole number of blocks, at least 1 (1: mined in a block)")
    return number


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

    def __init__(self, chain: Chain, signer: Signer, confirmations: int = 1) -> None:
        self.chain = chain
        self.signer = signer
        self.w3 = chain.w3
        self.confirmations = confirmations
        self._nonce: int | None = None
        self.flights = Flights(self)
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
        another program sent from it, or the chain was rewound). What was signed stays in
        `flights`: a transaction still awaited is still looked after."""
        self._nonce = None

    def fees(self, block: dict | None = None) -> dict[str, int]:
        """Fees for a transaction now, from the latest block (given, or fetched)."""
        block = block or rpc(lambda: raw_request(self.w3, "eth_getBlockByNumber", ["latest", False]), self.where)
        base = block.get("baseFeePerGas")
        if base is None:
            return {"gasPrice": rpc(lambda: self.w3.eth.gas_price, self.where)}
        tip = rpc(self._tip, self.where)
        return {"maxFeePerGas": 2 * int(base, 16) + tip, "maxPriorityFeePerGas": tip}

    def _tip(self) -> int:
        try:
            return int(raw_request(self.w3, "eth_maxPriorityFeePerGas", []), 16)
        except Web3RPCError:
            # A node without the method (EthereumJS's; web3's fallback asks for a "pending" fee
            # history it refuses too): the tip ethers offers then.
            return DEFAULT_TIP

    def estimate(self, call: ContractFunction) -> int:
        """Gas for `call`, or the registry's refusal in words (an `InputError`: nothing sent)."""
        try:
            request = {
                key: "0x" + value.hex() if isinstance(value, bytes) else value for key, value in self._request(call).items()
            }
            return int(rpc(lambda: raw_request(self.w3, "eth_estimateGas", [request]), self.where), 16)
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

    def build(
        self, call: ContractFunction | ContractConstructor, gas: int | None = None, fees: dict[str, int] | None = None
    ) -> dict:
        """An unsigned transaction for `call`; the nonce is set when it is signed."""
        gas = gas or min(int(self.estimate(call) * 1.2) + 10_000, EIP7825_TX_GAS_CAP)
        return {**self._request(call), "value": 0, "chainId": self.chain.chain_id, "gas": gas, **(fees or self.fees())}

    def sign(self, tx: dict) -> bytes:
        """Signs `tx` with this sender's next nonce; returns the raw transaction."""
        return self._sign({**tx, "nonce": self._next_nonce()}, replacing=False)

    def sign_at(self, tx: dict) -> bytes:
        """Signs a new version of the transaction at `tx`'s nonce (a replacement with other fees)."""
        return self._sign(tx, replacing=True)

    def _sign(self, tx: dict, replacing: bool) -> bytes:
        signed = self.signer.account.sign_transaction(tx)
        raw = bytes(signed.raw_transaction)
        self.flights.signed(tx, raw, signed.hash.to_0x_hex(), replacing)
        return raw

    def send_raw(self, raw: bytes) -> str:
        """Sends a signed transaction; `NonceTaken` if another transaction holds its nonce,
        `Underpriced` if its fee is under what the node takes now."""
        return self.push(raw)[0]

    def push(self, raw: bytes) -> tuple[str, bool]:
        """`send_raw`, and whether the node took the transaction now (False: it held it already)."""
        try:
            sent = rpc(
                lambda: raw_request(self.w3, "eth_sendRawTransaction", ["0x" + raw.hex()]),
                self.where,
                "the transaction may not have been sent",
            )
            return sent, True
        except Web3RPCError as exc:
            message = str(exc)
            if already_held(message):
                return Web3.keccak(raw).to_0x_hex(), False
            refusal = classify(message)
            if refusal is not None:
                raise refusal() from None
            if "insufficient funds" in message.lower():
                raise InputError(f"{self.address} cannot pay for gas on this chain; nothing sent") from None
            raise ChainError(f"the node rejected the transaction: {exc}") from None

    def submit(self, tx: dict) -> str:
        """Signs `tx` with the next nonce and sends it; if another process took that nonce, signs
        again with the chain's next one; if the base fee rose past its fee, with fees of now."""
        for _ in range(10):
            try:
                return self.send_raw(self.sign(tx))
            except NonceTaken:
                log.info("a nonce of %s was taken by another sender; retrying with the chain's next nonce", self.address)
            except Underpriced:
                log.info("the base fee rose past the transaction's fee before it was sent; signing it with fees of now")
                tx = {**tx, **self.fees()}
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
                    hashes.append(self.send_raw(future.result()))
                except (NonceTaken, Underpriced):
                    # Another process sent from this account, or the base fee rose: the rest were
                    # signed with stale nonces or fees. Let the signer finish, then re-sign them one by one.
                    for later in signed[i + 1 :]:
                        later.result()
                    self.forget_nonce()
                    hashes.extend(self.submit(tx()) for tx in txs[i:])
                    break
        return hashes

    def _receipt(self, tx_hash: str) -> dict | None:
        """The receipt of `tx_hash` or of the version of it that was mined (a replacement)."""
        versions = self.flights.versions(tx_hash)
        if len(versions) == 1:
            return raw_request(self.w3, "eth_getTransactionReceipt", [tx_hash])
        return next(filter(None, batch_request(self.w3, [("eth_getTransactionReceipt", [h]) for h in versions])), None)

    def _head(self) -> int:
        return int(raw_request(self.w3, "eth_blockNumber", []), 16)

    def wait(self, tx_hash: str, call: ContractFunction | None = None) -> Sent:
        """Waits for `tx_hash` (or its replacement) to be mined, `confirmations` blocks deep. Polls
        the raw receipt: web3's receipt formatting of hundreds of logs costs more time than the
        node takes to mine the transaction. Every `CHECK_EVERY` seconds without it, looks at what
        became of it (`Flights.look`): replaced if stuck, sent again if dropped or rewound,
        reported if it can never be mined; a receipt that vanishes (a reorg) is awaited again."""
        started = looked = progress = time.monotonic()
        head = -1
        done = f"transaction {tx_hash} was sent and may still be mined"
        while True:
            raw = rpc(lambda: self._receipt(tx_hash), self.where, done)
            now = time.monotonic()
            if raw is not None:
                if self.confirmations <= 1:
                    break
                seen = rpc(self._head, self.where, done)
                if seen - int(raw["blockNumber"], 16) + 1 >= self.confirmations:
                    break
                if seen != head:
                    head, progress = seen, now
                if now - progress > RECEIPT_TIMEOUT:
                    raise ChainError(
                        f"transaction {raw['transactionHash']} was mined in block {int(raw['blockNumber'], 16)}, but the "
                        f"chain made no block for {RECEIPT_TIMEOUT} s since: {self.confirmations} confirmations not reached"
                    )
            else:
                if now - looked >= CHECK_EVERY:
                    looked = now
                    rpc(lambda: self.flights.look(tx_hash), self.where, done)
                if now - started > RECEIPT_TIMEOUT:
                    raise ChainError(
                        f"transaction {tx_hash} was sent but not mined within {RECEIPT_TIMEOUT} s; "
                        "check it on the chain before retrying"
                    )
            time.sleep(0.02 if raw is None else 0.25)
        self.flights.settled(tx_hash)
        tx_hash = raw["transactionHash"]
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
        return Sent(tx_hash, block, int(raw["gasUsed"], 16), len(raw["logs"]), created and Web3.to_checksum_address(created))

    def send(self, call: ContractFunction, gas: int | None = None) -> Sent:
        """Sends one transaction and waits for it to be mined."""
        return self.wait(self.submit(self.build(call, gas)), call)

    def send_all(self, calls: Iterable[ContractFunction | Call]) -> list[Sent]:
        """Sends transactions back to back without waiting, then collects their receipts in order."""
        calls = list(calls)
        hashes = self.submit_all(calls, [min(int(self.estimate(call) * 1.2) + 10_000, EIP7825_TX_GAS_CAP) for call in calls])
        return [self.wait(tx_hash, call) for tx_hash, call in zip(hashes, calls)]

    def deploy(self, compiled: dict[str, Any], *args: Any) -> tuple[str, Sent]:
        """Deploys a compiled contract (its `abi` and `bytecode`): the address, and the transaction."""
        factory = self.w3.eth.contract(abi=compiled["abi"], bytecode=compiled["bytecode"])
        sent = self.send(factory.constructor(*args))
        return sent.contract_address, sent


@contextlib.contextmanager
def account_lock(sender: Sender) -> Iterator[None]:
    """An exclusive lock, across processes on this machine, on sending from the sender's account."""
    folder = Path(tempfile.gettempdir()) / "diamondtrace-locks"
    folder.mkdir(exist_ok=True)
    path = folder / f"{sender.chain.chain_id}-{sender.address}.lock"
    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log.warning("another run is sending from %s; waiting for it to finish", sender.address)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def nonce_requests(address: str) -> list[tuple[str, list]]:
    return [("eth_getTransactionCount", [address, "pending"]), ("eth_getTransactionCount", [address, "latest"])]


def unmined_count(pending: str, latest: str) -> int:
    return int(pending, 16) - int(latest, 16)


def wait_for_pending(sender: Sender, timeout: float = 120) -> int:
    """Waits until transactions this account sent earlier (say, by an interrupted run) are mined,
    so that the check against the chain sees them. Returns how many there were."""

    def unmined() -> int:
        return unmined_count(*rpc(lambda: batch_request(sender.w3, nonce_requests(sender.address))))

    waiting = left = previous = unmined()
    since = time.monotonic()
    deadline = since + timeout
    while left > 0:
        if time.monotonic() > deadline:
            raise ChainError(
                f"{sender.address} still has {left} unmined transactions from an earlier run after {timeout:.0f} s; "
                "nothing was sent: wait for them to be mined, then run again"
            )
        time.sleep(0.5)
        left = unmined()
        if left != previous:
            previous, since = left, time.monotonic()
        elif time.monotonic() - since >= CHECK_EVERY and rpc(sender.flights.on_demand):
            rpc(lambda: sender.flights.mine(f"{left} transactions of {sender.address} from an earlier run are in its pool"))
            since = time.monotonic()
    return max(waiting, 0)
