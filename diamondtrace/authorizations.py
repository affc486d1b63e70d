"""EIP-712 custody authorizations: what a holder signs (in any wallet, or offline), its digest,
and what signing needs to know (from the chain, or given), with every reason the registry would
refuse it checked before anything is signed. Their files are `authorization_files`, their
broadcast `relaying`."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
from dataclasses import dataclass
from typing import Any, Callable

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from .custody import check_recipient
from .errors import ChainError, InputError
from .model import ZERO32, Action, Flag, parse_address, stone_id, timestamp_of
from .reader import Registry
from .records import Stone, iso_time

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


DOMAIN_FIELDS = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def typed_data(chain_id: int, registry: str, auth: Authorization) -> dict[str, Any]:
    """The EIP-712 message a wallet signs: exactly `eth_signTypedData_v4`'s parameter, as JSON.
    Integers are decimal strings (a token id is beyond JavaScript's exact numbers), except the
    domain's chain id: a number, as wallets compare it with the chain they are connected to."""
    return {
        "types": {"EIP712Domain": DOMAIN_FIELDS, "CustodyAuthorization": AUTHORIZATION_FIELDS},
        "primaryType": "CustodyAuthorization",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id, "verifyingContract": registry},
        "message": {
            "tokenId": str(auth.tokenId),
            "holder": auth.holder,
            "to": auth.to,
            "action": str(int(auth.action)),
            "document": "0x" + bytes(auth.document).hex(),
            "certificate": "0x" + bytes(auth.certificate).hex(),
            "warranty": auth.warranty,
            "nonce": str(auth.nonce),
            "lastRecordBlock": str(auth.lastRecordBlock),
            "deadline": str(auth.deadline),
        },
    }


def digest(chain_id: int, registry: str, auth: Authorization) -> bytes:
    """What the holder's key signs, as the registry's `authorizationDigest` computes it."""
    signable = encode_typed_data(full_message=typed_data(chain_id, registry, auth))
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_authorization(account: LocalAccount, chain_id: int, registry: str, auth: Authorization) -> bytes:
    signed = Account.sign_typed_data(account.key, full_message=typed_data(chain_id, registry, auth))
    return bytes(signed.signature)


# ---------------------------------------------------------------------------------------------
# What signing needs: the holder's nonce and the stone's last record block, on one chain and registry
# ---------------------------------------------------------------------------------------------

DEFAULT_VALIDITY = 7 * 86400
SHOWN_BY = "`diamondtrace signing-inputs STONE` shows them, on any machine that reaches the chain"


@dataclass(frozen=True)
class SigningInputs:
    """What an authorization names beside the transfer itself."""

    chain_id: int
    registry: str
    token: int
    holder: str
    nonce: int
    last_record_block: int

    def options(self) -> str:
        """`transfer --sign-only`'s (or `--unsigned`'s) options that name exactly these inputs, offline."""
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


HolderOf = Callable[[int], "str | None"]


def choose_inputs(token: int, holder_of: HolderOf, given: Given, online: Callable[[], tuple[int, Registry]]) -> SigningInputs:
    """Offline when the chain id and the registry are given: the nonce, the last record block and
    the holder (`holder_of(chain_id)`) must be given too, and nothing is read. Otherwise all are
    read from the chain (`online`); a holder named must hold the stone (None: whoever holds it),
    and a nonce or block given is checked."""
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
        holder = holder_of(given.chain_id)
        if holder is None:
            raise InputError(
                "offline, --unsigned needs --holder ADDRESS: the stone's holder, who will sign "
                "(`diamondtrace signing-inputs STONE` shows it, on any machine that reaches the chain)"
            )
        registry = parse_address(given.registry, "--registry")
        return SigningInputs(given.chain_id, registry, token, holder, given.nonce, given.last_record_block)
    try:
        chain_id, reader = online()
    except ChainError as exc:
        raise ChainError(
            f"{exc}\nTo sign without the chain, give --chain-id, --registry, --nonce and --last-record-block: {SHOWN_BY}"
        ) from None
    stone = reader.stone(token)
    found = _inputs_of(reader, chain_id, stone)
    holder, name = holder_of(chain_id) or found.holder, stone_id(token)
    if found.holder != holder:
        raise InputError(
            f"{holder} does not hold {name} (its holder is {found.holder}): "
            "only its holder's authorization can move it; nothing was signed"
        )
    if stone.flag != Flag.NONE:
        raise InputError(
            f"{name} is flagged {stone.flag.name.lower()}: it cannot move until the admin clears the flag; nothing was signed"
        )
    if given.nonce is not None and given.nonce < found.nonce:
        raise InputError(f"--nonce {given.nonce} is spent: {holder}'s next nonce is {found.nonce}; nothing was signed")
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


@dataclass(frozen=True)
class Move:
    """The transfer an authorization allows, as the holder asks for it."""

    token: int
    to: str
    action: Action
    document: bytes = ZERO32
    certificate: bytes = ZERO32
    warranty: bool = False
    valid_until: dt.date | None = None


def authorize(
    move: Move, holder_of: HolderOf, given: Given, online: Callable[[], tuple[int, Registry]]
) -> tuple[SigningInputs, Authorization]:
    """The authorization for `move`, with everything that would make it unusable refused first."""
    check_recipient(move.to)
    deadline = deadline_of(move.valid_until)
    inputs = choose_inputs(move.token, holder_of, given, online)
    auth = Authorization(
        move.token,
        inputs.holder,
        move.to,
        int(move.action),
        move.document,
        move.certificate,
        move.warranty,
        inputs.nonce,
        inputs.last_record_block,
        deadline,
    )
    return inputs, auth
