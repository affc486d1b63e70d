"""Broadcasting a signed authorization from any funded account, once it is checked against the
chain: signed for this chain and registry, by the holder it names (its key, or its contract
wallet's ERC-1271 answer) for exactly what the file says, and usable now. Each refusal is said in
words before anything is sent. A Safe holder's owners each sign a share, in a file of its own;
the shares are combined into the Safe's signature (`safe_holders`) and checked as any other."""

from __future__ import annotations

from pathlib import Path

from eth_abi import encode
from eth_keys import keys
from eth_keys.exceptions import BadSignature, ValidationError
from eth_utils import function_signature_to_4byte_selector
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from . import authorization_files, safe_holders
from .authorization_files import AuthorizationFile
from .authorizations import digest
from .chain import rpc
from .errors import InputError
from .model import Flag, stone_id
from .reader import Registry
from .records import iso_time
from .sending import Sender, Sent

ERC1271_MAGIC = function_signature_to_4byte_selector("isValidSignature(bytes32,bytes)")
# OpenZeppelin's ECDSA refuses the upper half of s (the malleable twin of a signature).
_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0


def check_usable(reader: Registry, chain_id: int, signed: AuthorizationFile) -> None:
    """Refuses, in words and before anything is sent, an authorization the registry would refuse."""
    _refuse(_elsewhere(reader, chain_id, signed) or _not_the_holders(reader.w3, signed) or _unusable(reader, signed))


def _refuse(why: str | None) -> None:
    if why:
        raise InputError(f"{why}; nothing was sent")


def _elsewhere(reader: Registry, chain_id: int, signed: AuthorizationFile) -> str | None:
    if signed.chain_id != chain_id:
        return (
            f"{signed.source} is signed for chain id {signed.chain_id}, "
            f"but the RPC endpoint is chain id {chain_id}: it is valid only there"
        )
    if signed.registry != reader.address:
        return (
            f"{signed.source} is signed for registry {signed.registry}, not {reader.address}: "
            "it is valid only on the registry it names"
        )
    return None


def _not_the_holders(w3: Web3, signed: AuthorizationFile) -> str | None:
    """As the registry checks it: the holder's key (ECDSA), else its contract wallet (ERC-1271)."""
    auth = signed.auth
    hashed = digest(signed.chain_id, signed.registry, auth)
    signer = recover(hashed, signed.signature)
    if signer == auth.holder:
        return None
    if rpc(lambda: w3.eth.get_code(auth.holder), "the chain"):
        if _wallet_accepts(w3, auth.holder, hashed, signed.signature):
            return None
        found = f"{auth.holder} is a contract wallet and its isValidSignature (ERC-1271) refuses it"
    else:
        found = f"it was made by {signer}" if signer else "it is no valid signature"
    return (
        f"{signed.source}: the signature is not {auth.holder}'s for this authorization ({found}): the file was altered "
        "after it was signed (its to, nonce, chain id or another field), or someone other than the holder signed it"
    )


def recover(hashed: bytes, signature: bytes) -> str | None:
    """The address whose key made `signature` of `hashed`, by OpenZeppelin's ECDSA rules; None
    where the registry would recover nobody."""
    if len(signature) != 65 or signature[64] not in (27, 28):
        return None
    r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:64], "big")
    if s > _HALF_N:
        return None
    try:
        return keys.Signature(vrs=(signature[64] - 27, r, s)).recover_public_key_from_msg_hash(hashed).to_checksum_address()
    except (BadSignature, ValidationError):
        return None


def _wallet_accepts(w3: Web3, wallet: str, hashed: bytes, signature: bytes) -> bool:
    data = ERC1271_MAGIC + encode(["bytes32", "bytes"], [hashed, signature])
    try:
        answer = rpc(lambda: w3.eth.call({"to": wallet, "data": "0x" + data.hex()}), "the chain")
    except (ContractLogicError, ContractCustomError):
        return False
    return bytes(answer)[:32] == ERC1271_MAGIC.ljust(32, b"\0")


def _unusable(reader: Registry, signed: AuthorizationFile) -> str | None:
    auth, source = signed.auth, signed.source
    name = stone_id(auth.tokenId)
    now = rpc(lambda: reader.w3.eth.get_block("latest")["timestamp"], "the chain")
    if auth.deadline < now:
        return (
            f"{source} expired at {iso_time(auth.deadline)} (the chain's time is {iso_time(now)}): "
            f"ask {auth.holder} to sign a new one"
        )
    stone = reader.stone(auth.tokenId)
    nonce = reader.participant(auth.holder).nonce
    if auth.nonce < nonce:
        if stone.holder == auth.to != auth.holder:
            return (
                f"{source} was already used: {name} went from {auth.holder} to {auth.to}, and the holder's nonce {auth.nonce} "
                "is spent; an authorization moves a stone once (this is a replay)"
            )
        return (
            f"{source} can no longer be used: {auth.holder}'s nonce {auth.nonce} is spent (its next is {nonce}), by this "
            "authorization or another it signed since (or it cancelled it)"
        )
    if stone.holder != auth.holder:
        return (
            f"{auth.holder}, who signed {source}, no longer holds {name} (its holder is {stone.holder}): an authorization "
            "is void once its signer no longer holds the stone"
        )
    if stone.flag != Flag.NONE:
        return f"{name} is flagged {stone.flag.name.lower()}: it cannot move until the admin clears the flag"
    if stone.last_record_block != auth.lastRecordBlock:
        return (
            f"{name} has a record newer than {source} (in block {stone.last_record_block}; the authorization names block "
            f"{auth.lastRecordBlock}): it moved since it was signed, or was signed with a wrong --last-record-block; "
            f"ask {auth.holder} to sign a new one"
        )
    if auth.nonce > nonce:
        return (
            f"{source} names nonce {auth.nonce}, but {auth.holder}'s next nonce is {nonce}: it becomes usable once the "
            "holder's authorizations with the nonces before it are used (or it was signed with a wrong --nonce)"
        )
    return None


def broadcast(
    registry: Contract, sender: Sender, paths: list[Path], signature: str | None = None
) -> tuple[AuthorizationFile, Sent]:
    """Submits the authorization in `paths` from `sender`, any funded account, once it is checked
    as above: one file, signed (or unsigned, with the holder's `signature`), or the shares of a
    Safe holder's owners, combined into the Safe's signature."""
    if signature is not None and len(paths) > 1:
        raise InputError("--signature goes with one unsigned file; several files are the shares of a Safe's owners")
    files = [authorization_files.read(path, signature) for path in paths]
    reader, chain_id = Registry(registry), sender.chain.chain_id
    first = files[0]
    _refuse(_elsewhere(reader, chain_id, first))
    signed = first
    if len(files) > 1 or first.owner is not None:
        try:
            signed = safe_holders.combined(reader.w3, files)
        except InputError as exc:
            raise InputError(f"{exc}; nothing was sent") from None
    check_usable(reader, chain_id, signed)
    auth = signed.auth
    return signed, sender.send(registry.functions.transferCustodySigned(auth.as_tuple(), signed.signature))
