"""EIP-712 custody authorizations: what a holder signs (in any wallet, or offline), what signing
needs to know (from the chain, or given), the files that carry them, and their broadcast, refused
in words when the registry would refuse it."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from .chain import rpc
from .custody import check_recipient
from .errors import ChainError, InputError
from .model import ZERO32, Action, Flag, parse_address, stone_id, text32, text_of, timestamp_of
from .reader import Registry
from .records import Stone, iso_time
from .sending import Sender, Sent
from .wallet import Signer

DOMAIN_NAME = "DiamondTrace Registry"


DOMAIN_VERSION = "2"


AUTHORIZATION_FIELDS = [
    {"name": "tokenId", "type": "uint256"},
    {"name": "holder", "type": "address"},
    {"name": "to", "type": "address"},
    {"name": "action", "type": "uint8"},
    {"name": "document", "type": "bytes32"},
    {"name": "certificate", "type": "bytes32"},
    {"name": "warranty", "type": "bool"},
    {"name": "nonce", "type": "uint256"},
    {"name": "lastRecordBlock", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


@dataclass(frozen=True)
class Authorization:
    """A holder's permission to move one stone, as the registry's `CustodyAuthorization` struct."""

    tokenId: int
    holder: str
    to: str
    action: int
    document: bytes
    certificate: bytes
    warranty: bool
    nonce: int
    lastRecordBlock: int
    deadline: int

    def as_tuple(self) -> tuple:
        return (
            self.tokenId,
            self.holder,
            self.to,
            int(self.action),
            self.document,
            self.certificate,
            self.warranty,
            self.nonce,
            self.lastRecordBlock,
            self.deadline,
        )


def typed_data(chain_id: int, registry: str, auth: Authorization) -> dict:
    """The EIP-712 message a wallet signs with `eth_signTypedData_v4`."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "CustodyAuthorization": AUTHORIZATION_FIELDS,
        },
        "primaryType": "CustodyAuthorization",
        "domain": {
            "name": DOMAIN_NAME,
            "version": DOMAIN_VERSION,
            "chainId": chain_id,
            "verifyingContract": registry,
        },
        "message": {**asdict(auth), "action": int(auth.action)},
    }


def sign_authorization(account: LocalAccount, chain_id: int, registry: str, auth: Authorization) -> bytes:
    signed = Account.sign_typed_data(account.key, full_message=typed_data(chain_id, registry, auth))
    return bytes(signed.signature)


SIGNED_TYPE = "diamondtrace/custody-authorization"


def signed_authorization(signer: LocalAccount, chain_id: int, registry_address: str, auth: Authorization) -> dict[str, Any]:
    """The file `transfer --sign-only` writes: the authorization, its signature and the typed
    data it was made from, so any wallet or person can check what was signed."""
    signature = sign_authorization(signer, chain_id, registry_address, auth)
    return {
        "type": SIGNED_TYPE,
        "version": 1,
        "chainId": chain_id,
        "registry": registry_address,
        "signer": signer.address,
        "stoneId": stone_id(auth.tokenId),
        "authorization": {
            "tokenId": str(auth.tokenId),
            "holder": auth.holder,
            "to": auth.to,
            "action": Action(auth.action).label,
            "document": "0x" + auth.document.hex(),
            "certificate": text_of(auth.certificate) or None,
            "warranty": auth.warranty,
            "nonce": auth.nonce,
            "lastRecordBlock": auth.lastRecordBlock,
            "deadline": auth.deadline,
        },
        "signature": "0x" + signature.hex(),
    }


def read_signed(path: Path) -> tuple[dict[str, Any], Authorization, bytes]:
    """Loads a `--sign-only` file and checks that its signature is the signer's for exactly this
    authorization (a tampered file is refused before anything is sent)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("type") != SIGNED_TYPE:
            raise InputError(f"{path} is not a DiamondTrace signed authorization (type {data.get('type')!r})")
        a = data["authorization"]
        auth = Authorization(
            tokenId=int(a["tokenId"]),
            holder=Web3.to_checksum_address(a["holder"]),
            to=Web3.to_checksum_address(a["to"]),
            action=int(Action.parse(a["action"])),
            document=bytes.fromhex(a["document"].removeprefix("0x")),
            certificate=text32(a["certificate"]) if a.get("certificate") else ZERO32,
            warranty=bool(a["warranty"]),
            nonce=int(a["nonce"]),
            lastRecordBlock=int(a["lastRecordBlock"]),
            deadline=int(a["deadline"]),
        )
        signature = bytes.fromhex(data["signature"].removeprefix("0x"))
        chain_id, registry = int(data["chainId"]), Web3.to_checksum_address(data["registry"])
        signer = Web3.to_checksum_address(data["signer"])
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{path} is not a valid signed authorization: {type(exc).__name__} {exc}") from None
    if len(auth.document) != 32:
        raise InputError(f"{path}: the document hash must be 32 bytes")
    try:
        recovered = Account.recover_message(
            encode_typed_data(full_message=typed_data(chain_id, registry, auth)), signature=signature
        )
    except Exception:  # malformed signature bytes
        recovered = None
    if recovered != signer:
        raise InputError(f"{path}: the signature does not match the authorization (it was altered, or signed by someone else)")
    return {**data, "chainId": chain_id, "registry": registry, "signer": signer}, auth, signature


# ---------------------------------------------------------------------------------------------
# What signing needs: the holder's nonce and the stone's last record block, on one chain and registry
# ---------------------------------------------------------------------------------------------

DEFAULT_VALIDITY = 7 * 86400
SHOWN_BY = "`diamondtrace signing-inputs STONE` shows them, on any machine that reaches the chain"


@dataclass(frozen=True)
class SigningInputs:
    """What an authorization names beside the transfer itself; `holder` is None when given offline
    (the signer is then taken to hold the stone)."""

    chain_id: int
    registry: str
    token: int
    holder: str | None
    nonce: int
    last_record_block: int

    def options(self) -> str:
        """`transfer --sign-only`'s options that sign with exactly these inputs, offline."""
        return (
            f"--chain-id {self.chain_id} --registry {self.registry} --nonce {self.nonce} "
            f"--last-record-block {self.last_record_block}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "stone_id": stone_id(self.token),
            "token_id": str(self.token),
            "holder": self.holder,
            "nonce": self.nonce,
            "last_record_block": self.last_record_block,
            "chain_id": self.chain_id,
            "registry": self.registry,
            "options": self.options(),
        }


@dataclass(frozen=True)
class Given:
    """The inputs a user gave for signing (None: not given)."""

    chain_id: int | None = None
    registry: str | None = None
    nonce: int | None = None
    last_record_block: int | None = None


def signing_inputs(reader: Registry, chain_id: int, token: int) -> SigningInputs:
    """What the stone's holder needs to sign an authorization for it now."""
    return _inputs_of(reader, chain_id, reader.stone(token))


def _inputs_of(reader: Registry, chain_id: int, stone: Stone) -> SigningInputs:
    nonce = reader.participant(stone.holder).nonce
    return SigningInputs(chain_id, reader.address, stone.token_id, stone.holder, nonce, stone.last_record_block)


def choose_inputs(
    token: int, signer_of: Callable[[int], str], given: Given, online: Callable[[], tuple[int, Registry]]
) -> SigningInputs:
    """Offline when the chain id and the registry are given: the nonce and the last record block
    must be given too, and nothing is read. Otherwise all are read from the chain (`online`), the
    signer (`signer_of(chain_id)`) must hold the stone, and a nonce or block given is checked."""
    for name, value in (
        ("--nonce", given.nonce),
        ("--last-record-block", given.last_record_block),
        ("--chain-id", given.chain_id),
    ):
        if value is not None and value < 0:
            raise InputError(f"{name} {value} must not be negative")
    if (given.chain_id is None) != (given.registry is None):
        raise InputError(
            "to sign offline give --chain-id and --registry together (with --nonce and --last-record-block); online, neither"
        )
    if given.chain_id is not None:
        if given.nonce is None or given.last_record_block is None:
            raise InputError(
                "offline signing needs --nonce (the holder's current nonce, as `diamondtrace participant show HOLDER` shows it) "
                f"and --last-record-block (the block of the stone's latest record): {SHOWN_BY}"
            )
        return SigningInputs(
            given.chain_id, parse_address(given.registry, "--registry"), token, None, given.nonce, given.last_record_block
        )
    try:
        chain_id, reader = online()
    except ChainError as exc:
        raise ChainError(
            f"{exc}\nTo sign without the chain, give --chain-id, --registry, --nonce and --last-record-block: {SHOWN_BY}"
        ) from None
    stone = reader.stone(token)
    found = _inputs_of(reader, chain_id, stone)
    signer, name = signer_of(chain_id), stone_id(token)
    if found.holder != signer:
        raise InputError(
            f"{signer} does not hold {name} (its holder is {found.holder}): "
            "only its holder's authorization can move it; nothing was signed"
        )
    if stone.flag != Flag.NONE:
        raise InputError(
            f"{name} is flagged {stone.flag.name.lower()}: it cannot move until the admin clears the flag; nothing was signed"
        )
    if given.nonce is not None and given.nonce < found.nonce:
        raise InputError(f"--nonce {given.nonce} is spent: {signer}'s next nonce is {found.nonce}; nothing was signed")
    if given.last_record_block is not None and given.last_record_block != found.last_record_block:
        raise InputError(
            f"--last-record-block {given.last_record_block} is not the block of {name}'s latest record "
            f"({found.last_record_block}): the authorization could never be used; nothing was signed"
        )
    return dataclasses.replace(found, nonce=found.nonce if given.nonce is None else given.nonce)


def deadline_of(valid_until: dt.date | None) -> int:
    """The authorization's deadline: the end (UTC) of `valid_until`, which must not be past, or a week from now."""
    now = time.time()
    if valid_until is None:
        return int(now) + DEFAULT_VALIDITY
    deadline = timestamp_of(valid_until, end_of_day=True)
    if deadline < now:
        raise InputError(
            f"--valid-until {valid_until} is in the past (it ended at {iso_time(deadline)}): "
            "the authorization could never be used"
        )
    return deadline


def sign_only(
    out: Path,
    token: int,
    to: str,
    action: Action,
    *,
    document: bytes,
    certificate: bytes,
    warranty: bool,
    valid_until: dt.date | None,
    given: Given,
    signer_for: Callable[[int], Signer],
    online: Callable[[], tuple[int, Registry]],
) -> dict[str, Any]:
    """Signs an authorization for the holder's transfer of `token` and writes it to `out` (never
    over a file): everything that would make it unusable is refused first, nothing is signed."""
    if out.exists():
        raise InputError(f"{out} already exists; choose another file")
    check_recipient(to)
    deadline = deadline_of(valid_until)
    inputs = choose_inputs(token, lambda chain_id: signer_for(chain_id).address, given, online)
    signer = signer_for(inputs.chain_id)
    auth = Authorization(
        token, signer.address, to, int(action), document, certificate, warranty, inputs.nonce, inputs.last_record_block, deadline
    )
    signed = signed_authorization(signer.account, inputs.chain_id, inputs.registry, auth)
    out.write_text(json.dumps(signed, indent=2) + "\n")
    return signed


# ---------------------------------------------------------------------------------------------
# Broadcast
# ---------------------------------------------------------------------------------------------


def check_usable(reader: Registry, chain_id: int, signed: dict[str, Any], auth: Authorization, source: str) -> None:
    """Refuses, in words and before anything is sent, an authorization the registry would refuse."""
    why = _unusable(reader, chain_id, signed, auth, source)
    if why:
        raise InputError(f"{why}; nothing was sent")


def _unusable(reader: Registry, chain_id: int, signed: dict[str, Any], auth: Authorization, source: str) -> str | None:
    name = stone_id(auth.tokenId)
    if signed["chainId"] != chain_id:
        return (
            f"{source} is signed for chain id {signed['chainId']}, "
            f"but the RPC endpoint is chain id {chain_id}: it is valid only there"
        )
    if signed["registry"] != reader.address:
        return (
            f"{source} is signed for registry {signed['registry']}, not {reader.address}: "
            "it is valid only on the registry it names"
        )
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
    if signed["signer"] != auth.holder and not rpc(lambda: reader.w3.eth.get_code(auth.holder), "the chain"):
        return (
            f"{source} is signed by {signed['signer']}, not by the holder it names ({auth.holder}): "
            "only the holder's signature counts"
        )
    return None


def broadcast(registry: Contract, sender: Sender, path: Path) -> tuple[dict[str, Any], Authorization, Sent]:
    """Submits the signed authorization in `path` from `sender` (any funded account), once it is
    checked untampered and usable on this chain and registry."""
    signed, auth, signature = read_signed(path)
    check_usable(Registry(registry), sender.chain.chain_id, signed, auth, str(path))
    return signed, auth, sender.send(registry.functions.transferCustodySigned(auth.as_tuple(), signature))
