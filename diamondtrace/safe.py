"""Safe multisigs: what a Safe's owners sign, for a transaction it makes or a message it vouches
for, and their signatures combined as the Safe reads them.

A Safe (safe-global/safe-smart-account 1.5.0) makes a call once enough of its owners have signed
the call's EIP-712 hash: `SafeTx` under the Safe's domain (chain id, the Safe's address), with the
Safe's nonce, so a signed transaction runs once. Each owner signs on their own, wherever their key
is; anyone with gas sends the signatures with `execTransaction`. Everything the Safe would refuse
is refused here first, with nothing sent. No refunds: whoever sends pays the gas.

A message (a `SafeMessage`) is what the Safe answers for through ERC-1271: it says a hash is its
own signature once enough owners signed the hash wrapped in the Safe's domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_keys.exceptions import BadSignature
from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract
from web3.contract.contract import ContractFunction
from web3.exceptions import BadFunctionCallOutput, ContractCustomError, ContractLogicError, ContractPanicError, Web3RPCError

from .abi import calldata
from .artifacts import revert_message
from .chain import raw_request, read, rpc
from .errors import ChainError, InputError
from .records import ZERO_ADDRESS
from .sending import Sender, Sent

CALL = 0  # Safe's Enum.Operation.Call; a delegatecall (1) would run foreign code as the Safe
SIGNATURE_LENGTH = 65


def _function(name: str, inputs: list[tuple[str, str]], outputs: list[str], mutability: str = "view") -> dict[str, Any]:
    return {
        "type": "function",
        "name": name,
        "stateMutability": mutability,
        "inputs": [{"type": kind, "name": field} for kind, field in inputs],
        "outputs": [{"type": kind, "name": ""} for kind in outputs],
    }


_SAFE_TX = [
    ("address", "to"),
    ("uint256", "value"),
    ("bytes", "data"),
    ("uint8", "operation"),
    ("uint256", "safeTxGas"),
    ("uint256", "baseGas"),
    ("uint256", "gasPrice"),
    ("address", "gasToken"),
    ("address", "refundReceiver"),
]
# The part of the Safe's ABI used at run time; the whole comes with the npm package, for deploying.
SAFE_ABI = [
    _function("getOwners", [], ["address[]"]),
    _function("getThreshold", [], ["uint256"]),
    _function("nonce", [], ["uint256"]),
    _function("execTransaction", [*_SAFE_TX, ("bytes", "signatures")], ["bool"], "payable"),
]


def safe_contract(w3: Web3, address: str) -> Contract:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=SAFE_ABI)


_DOMAIN_FIELDS = [{"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}]


def _typed(safe: str, chain_id: int, primary: str, fields: list[dict[str, str]], message: dict[str, Any]) -> dict[str, Any]:
    """An EIP-712 message under the Safe's domain (its chain id and address), for `eth_signTypedData_v4`."""
    return {
        "types": {"EIP712Domain": _DOMAIN_FIELDS, primary: fields},
        "primaryType": primary,
        "domain": {"chainId": chain_id, "verifyingContract": safe},
        "message": message,
    }


def _hash(typed: dict[str, Any]) -> bytes:
    signable = encode_typed_data(full_message=typed)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


class Signable(Protocol):
    """What a Safe's owners sign: a transaction or a message, for one Safe."""

    @property
    def safe(self) -> str: ...

    def typed_data(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SafeTransaction:
    """A call the Safe makes once its owners have signed it."""

    safe: str
    chain_id: int
    to: str
    data: bytes
    nonce: int
    value: int = 0

    def typed_data(self) -> dict[str, Any]:
        """The EIP-712 message each owner signs, as JSON for a wallet's `eth_signTypedData_v4`."""
        no_refund = {"safeTxGas": 0, "baseGas": 0, "gasPrice": 0, "gasToken": ZERO_ADDRESS, "refundReceiver": ZERO_ADDRESS}
        fields = [{"name": field, "type": kind} for kind, field in [*_SAFE_TX, ("uint256", "nonce")]]
        message = {"to": self.to, "value": self.value, "data": "0x" + self.data.hex(), "operation": CALL, **no_refund}
        return _typed(self.safe, self.chain_id, "SafeTx", fields, {**message, "nonce": self.nonce})

    def hash(self) -> bytes:
        """The Safe transaction hash (Safe's `getTransactionHash`)."""
        return _hash(self.typed_data())


@dataclass(frozen=True)
class SafeMessage:
    """A hash the Safe vouches for once its owners have signed it: what its ERC-1271
    `isValidSignature(bytes32 hash, bytes signatures)` checks the owners' signatures against
    (CompatibilityFallbackHandler's `getMessageHashForSafe(safe, abi.encode(hash))`)."""

    safe: str
    chain_id: int
    message: bytes  # the 32-byte hash, which is its own ABI encoding

    def typed_data(self) -> dict[str, Any]:
        """The EIP-712 message each owner signs, as JSON for a wallet's `eth_signTypedData_v4`."""
        fields = [{"name": "message", "type": "bytes"}]
        return _typed(self.safe, self.chain_id, "SafeMessage", fields, {"message": "0x" + self.message.hex()})

    def hash(self) -> bytes:
        return _hash(self.typed_data())


def propose(safe: Contract, call: ContractFunction) -> SafeTransaction:
    """`call` (a contract function with its arguments) as the Safe's next transaction."""
    where = f"the chain behind Safe {safe.address}"
    nonce = rpc(lambda: safe.functions.nonce().call(), where)
    chain_id = rpc(lambda: safe.w3.eth.chain_id, where)
    return SafeTransaction(safe.address, chain_id, call.address, calldata(call), nonce)


def sign(signable: Signable, owner: LocalAccount) -> bytes:
    """An owner's signature of a transaction or message: r, s and v (27 or 28), 65 bytes, as the Safe reads one."""
    return bytes(owner.sign_typed_data(full_message=signable.typed_data()).signature)


def signer_of(signable: Signable, signature: bytes) -> str:
    """Who signed `signable` with `signature` (an address, whoever it is: a signature of another
    transaction or message recovers to someone else)."""
    if len(signature) != SIGNATURE_LENGTH:
        raise InputError(f"a Safe owner's signature is {SIGNATURE_LENGTH} bytes (r, s, v); one given has {len(signature)}")
    try:
        return Account.recover_message(encode_typed_data(full_message=signable.typed_data()), signature=signature)
    except (BadSignature, ValueError) as exc:
        raise InputError(f"a signature is not a valid ECDSA signature: {exc}") from None


def _by_signer(signable: Signable, signatures: list[bytes]) -> dict[str, bytes]:
    """Each signature under its signer, in ascending order of the signers' addresses."""
    by_signer: dict[str, bytes] = {}
    for signature in signatures:
        if len(signature) == SIGNATURE_LENGTH and signature[64] in (0, 1):
            # Some wallets (Ledger's) give v as 0 or 1, which the Safe reads as another kind of signature.
            signature = signature[:64] + bytes([signature[64] + 27])
        signer = signer_of(signable, signature)
        if signer in by_signer:
            raise InputError(f"{signer} signed twice; each owner counts once")
        by_signer[signer] = signature
    return {signer: by_signer[signer] for signer in sorted(by_signer, key=lambda address: int(address, 16))}


def combine(signable: Signable, signatures: list[bytes]) -> bytes:
    """The owners' signatures as the Safe takes them (`execTransaction`, `isValidSignature`): 65
    bytes each, in ascending order of the signers' addresses (the Safe refuses any other order)."""
    return b"".join(_by_signer(signable, signatures).values())


def checked(signable: Signable, owners: list[str], threshold: int, signatures: list[bytes]) -> bytes:
    """The signatures combined, once each is an owner's and they are enough for the threshold
    (refused in words otherwise)."""
    signed = _by_signer(signable, signatures)
    for signer in signed:
        if signer not in owners:
            raise InputError(
                f"{signer} is not an owner of Safe {signable.safe} "
                "(a signature by someone else, or of another transaction or message)"
            )
    if len(signed) < threshold:
        given = f"{len(signed)} signature{'' if len(signed) == 1 else 's'} given"
        raise InputError(f"{threshold} of {len(owners)} owners must sign; {given}")
    return b"".join(signed.values())


def owners_of(w3: Web3, address: str) -> tuple[list[str], int] | None:
    """The owners and threshold of the Safe at `address`; None where there is no Safe (no
    contract, or one that does not answer as a Safe does)."""
    safe = safe_contract(w3, address)
    where = f"the chain behind {address}"
    if not rpc(lambda: w3.eth.get_code(safe.address), where):
        return None
    try:
        owners, threshold = rpc(lambda: read([safe.functions.getOwners(), safe.functions.getThreshold()]), where)
    except (ContractLogicError, ContractCustomError, ContractPanicError, BadFunctionCallOutput, DecodingError, Web3RPCError):
        return None
    return (list(owners), threshold) if owners and threshold else None


def check(safe: Contract, tx: SafeTransaction, signatures: list[bytes]) -> bytes:
    """What the Safe would refuse, refused here (an `InputError`, nothing sent): another Safe or
    nonce, a signer who is no owner, too few signatures, a call that would fail. Returns the
    signatures combined."""
    chain_id = rpc(lambda: safe.w3.eth.chain_id, f"the chain behind Safe {safe.address}")
    if (Web3.to_checksum_address(tx.safe), tx.chain_id) != (safe.address, chain_id):
        raise InputError(
            f"the transaction was signed for Safe {tx.safe} on chain id {tx.chain_id}, "
            f"not Safe {safe.address} on chain id {chain_id}"
        )
    owners, threshold, nonce = rpc(
        lambda: read([safe.functions.getOwners(), safe.functions.getThreshold(), safe.functions.nonce()]),
        f"the chain behind Safe {safe.address}",
    )
    if tx.nonce != nonce:
        raise InputError(
            f"the transaction was signed for nonce {tx.nonce} of Safe {safe.address}, which is at nonce {nonce}: "
            + ("it ran already, or another took its place" if tx.nonce < nonce else "earlier transactions must run first")
        )
    packed = checked(tx, owners, threshold, signatures)
    request = {"from": safe.address, "to": tx.to, "data": "0x" + tx.data.hex(), "value": hex(tx.value)}
    try:
        rpc(lambda: raw_request(safe.w3, "eth_call", [request, "latest"]))
    except (ContractLogicError, ContractCustomError, ContractPanicError, Web3RPCError) as exc:
        if isinstance(exc, Web3RPCError) and "revert" not in str(exc).lower():
            raise ChainError(f"the chain behind Safe {safe.address} failed to try the call: {exc}; nothing was sent") from None
        raise InputError(f"the call would fail when Safe {safe.address} makes it; nothing sent: {revert_message(exc)}") from None
    return packed


def execution(safe: Contract, tx: SafeTransaction, packed: bytes) -> ContractFunction:
    """The `execTransaction` call that runs `tx` with the combined signatures (unchecked)."""
    return safe.functions.execTransaction(tx.to, tx.value, tx.data, CALL, 0, 0, 0, ZERO_ADDRESS, ZERO_ADDRESS, packed)


def execute(safe: Contract, sender: Sender, tx: SafeTransaction, signatures: list[bytes]) -> Sent:
    """Checks `tx` and its owners' signatures, then sends it from `sender` (any funded account)."""
    return sender.send(execution(safe, tx, check(safe, tx, signatures)))
