"""EIP-712 custody authorizations: what a holder signs (in any wallet, or offline), the files that carry them, and their broadcast."""

from __future__ import annotations

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
from .model import ZERO32, Action, stone_id, text32, text_of
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


SIGNED_TYPE = "diamondtrace/custody-authorization"


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
