"""Custody changes: direct transfers, EIP-712 authorizations signed offline, and their broadcast."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from eth_account import Account
from eth_account.signers.local import LocalAccount

from .model import Action

DOMAIN_NAME = "DiamondTrace Registry"
DOMAIN_VERSION = "1"
AUTHORIZATION_FIELDS = [
    {"name": "tokenId", "type": "uint256"},
    {"name": "to", "type": "address"},
    {"name": "action", "type": "uint8"},
    {"name": "document", "type": "bytes32"},
    {"name": "certificate", "type": "bytes32"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


@dataclass(frozen=True)
class Authorization:
    """A holder's permission to move one stone, as the registry's `CustodyAuthorization` struct."""

    tokenId: int
    to: str
    action: int
    document: bytes
    certificate: bytes
    nonce: int
    deadline: int

    def as_tuple(self) -> tuple:
        return (self.tokenId, self.to, int(self.action), self.document, self.certificate, self.nonce, self.deadline)


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


__all__ = ["Action", "Authorization", "sign_authorization", "typed_data"]
