"""Custody changes: direct transfers, EIP-712 authorizations signed offline, and their broadcast."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from .errors import InputError
from .model import MAX_DESCRIPTION, ZERO32, Action, Flag, parse_centicarats, stone_id, text32, text_of, token_id
from .sending import Sender, Sent

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


# ---------------------------------------------------------------------------------------------
# Operations on stones, shared by the command and the brownie scripts.
# ---------------------------------------------------------------------------------------------

SIGNED_TYPE = "diamondtrace/custody-authorization"


def transfer(
    registry: Contract,
    sender: Sender,
    token: int,
    to: str,
    action: Action,
    document: bytes,
    certificate: bytes,
    warranty: bool = False,
) -> Sent:
    """A custody transfer; `warranty`: the invoice (hashed as `document`) carries the WDC System of
    Warranties statement."""
    return sender.send(registry.functions.transferCustody(to, token, int(action), document, certificate, warranty))


def signed_authorization(
    signer: LocalAccount, chain_id: int, registry_address: str, auth: Authorization
) -> dict[str, Any]:
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


def broadcast(registry: Contract, sender: Sender, auth: Authorization, signature: bytes) -> Sent:
    return sender.send(registry.functions.transferCustodySigned(auth.as_tuple(), signature))


def recover(registry: Contract, sender: Sender, tokens: list[int], document: bytes) -> Sent:
    """The admin moves revoked participants' stones to their named successors."""
    if document == ZERO32:
        raise InputError("a recovery needs --document: the ruling or agreement behind it (only its hash is recorded)")
    return sender.send(registry.functions.recover(tokens, document))


def read_children(path: Path) -> list[tuple[int, int, str | None]]:
    """`split`'s and `declare`'s CSV: stone_id,carat[,description]."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None
    if not rows or [c.strip().lower() for c in rows[0]][:2] != ["stone_id", "carat"]:
        raise InputError(f"{path}:1: the header must be stone_id,carat[,description]")
    width = len(rows[0])
    children, problems, seen = [], [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            problems.append(f"{path}:{line}: expected {width} fields, found {len(row)}")
            continue
        try:
            sid = row[0].strip()
            token = token_id(sid)
            if sid in seen:
                raise InputError(f"stone ID {sid} repeated")
            seen.add(sid)
            description = row[2].strip() if width > 2 and row[2].strip() else None
            if description and len(description.encode()) > MAX_DESCRIPTION:
                raise InputError(f"description is {len(description.encode())} bytes; at most {MAX_DESCRIPTION}")
            children.append((token, parse_centicarats(row[1]), description))
        except InputError as exc:
            problems.append(f"{path}:{line}: {exc}")
    if problems:
        raise InputError("nothing was sent:\n" + "\n".join(problems))
    if not children:
        raise InputError(f"{path}: no stones listed")
    return children


def _columns(stones: list[tuple[int, int, str | None]]) -> tuple[list[int], list[int], list[str]]:
    """Token ids, weights and descriptions (an empty list when no stone has one)."""
    descriptions = [d or "" for _, _, d in stones]
    return [t for t, _, _ in stones], [w for _, w, _ in stones], descriptions if any(descriptions) else []


def split(registry: Contract, sender: Sender, parent: int, children: list[tuple[int, int, str | None]]) -> Sent:
    """Splits rough stone `parent` into polished `children` (id, centicarats, description)."""
    return sender.send(registry.functions.split(parent, *_columns(children)))


def declare(
    registry: Contract, sender: Sender, stones: list[tuple[int, int, str | None]], *, mine: str, country: str | None, lab_grown: bool
) -> Sent:
    """Enters polished stones made before the registry, marked "origin declared, not traced from the mine"."""
    origin = (text32(mine, "--mine"), country.encode("ascii") if country else b"\0\0", lab_grown)
    return sender.send(registry.functions.declare(origin, *_columns(stones)))


def grade(
    registry: Contract,
    sender: Sender,
    token: int,
    *,
    report: str,
    carat: str,
    colour: str,
    clarity: str,
    cut: str,
    lab_grown: bool,
    document: bytes,
) -> Sent:
    fields = (
        text32(report, "--report"),
        parse_centicarats(carat, "--carat"),
        _short(colour, 8, "--colour"),
        _short(clarity, 8, "--clarity"),
        _short(cut, 16, "--cut"),
        lab_grown,
        document,
    )
    return sender.send(registry.functions.grade(token, fields))


def _short(text: str, size: int, what: str) -> bytes:
    if len(text) > size:
        raise InputError(f"{what} {text!r} is longer than {size} characters")
    return text32(text, what)[:size]


def flag(registry: Contract, sender: Sender, token: int, reason: Flag, document: bytes = ZERO32) -> Sent:
    """The holder flags its stone; or the admin, on a report (`document` required)."""
    return sender.send(registry.functions.flag(token, int(reason), document))


def unflag(registry: Contract, sender: Sender, token: int, document: bytes) -> Sent:
    if document == ZERO32:
        raise InputError("clearing a flag needs --document: the report that the stone was recovered (only its hash is recorded)")
    return sender.send(registry.functions.clearFlag(token, document))
