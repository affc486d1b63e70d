"""Signing keys: encrypted keystores for real participants, the local chain's prefunded accounts
for development. Private keys and passwords stay in memory; nothing here prints or writes them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount

from .errors import InputError
from .tables import read_json_object

# Anvil's (and Hardhat's) well-known development mnemonic: its accounts are prefunded on a fresh
# local chain and worthless anywhere else.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
DEV_CHAIN_IDS = frozenset({31337, 1337})
PASSWORD_ENV = "DIAMONDTRACE_PASSWORD"

Account.enable_unaudited_hdwallet_features()


@dataclass(frozen=True)
class Signer:
    """Who signs: the account, and where it came from (for messages, never the key)."""

    account: LocalAccount
    source: str

    @property
    def address(self) -> str:
        return self.account.address


def dev_account(index: int) -> LocalAccount:
    if not 0 <= index < 100:
        raise InputError(f"--dev-account {index}: choose an index from 0 to 99")
    return Account.from_mnemonic(DEV_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")


def dev_signer(index: int, chain_id: int) -> Signer:
    if chain_id not in DEV_CHAIN_IDS:
        raise InputError(
            f"--dev-account is refused on chain id {chain_id}: its keys are public. "
            "Use --keystore with --password-file or DIAMONDTRACE_PASSWORD"
        )
    return Signer(dev_account(index), f"dev account {index}")


def read_password(password_file: Path | None) -> str:
    if password_file is not None:
        try:
            return password_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise InputError(f"cannot read the password file {password_file}: {exc.strerror}") from None
    password = os.environ.get(PASSWORD_ENV)
    if password is None:
        raise InputError(f"a keystore needs its password: give --password-file PATH or set {PASSWORD_ENV}")
    return password


def load_keystore(path: Path, password: str) -> Signer:
    keyfile = read_json_object(path, "keystore")
    if "crypto" not in {k.lower() for k in keyfile}:
        raise InputError(f"{path} is not a Web3 Secret Storage (v3) keystore: it has no 'crypto' section")
    try:
        key = Account.decrypt(keyfile, password)
    except ValueError as exc:
        if "MAC mismatch" in str(exc):
            raise InputError(f"wrong password for the keystore {path}") from None
        raise InputError(f"the keystore {path} is damaged: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise InputError(f"the keystore {path} is damaged: missing or malformed field {exc}") from None
    return Signer(Account.from_key(key), f"keystore {path}")


def create_keystore(out: Path, password: str) -> str:
    """Writes a new encrypted keystore to `out` (never overwriting) and returns its address."""
    if not password:
        raise InputError("refusing to create a keystore with an empty password")
    account = Account.create()
    keyfile = Account.encrypt(account.key, password)
    try:
        with open(out, "x", encoding="utf-8") as fp:
            os.chmod(out, 0o600)
            json.dump(keyfile, fp)
    except FileExistsError:
        raise InputError(f"{out} already exists; choose another --out") from None
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror}") from None
    return account.address
