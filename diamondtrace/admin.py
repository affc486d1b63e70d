"""Setting a registry up: deploying it, accrediting participants, recording KP certificates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from eth_utils import keccak
from web3 import Web3
from web3.contract import Contract

from .deployments import certificates_contract
from .errors import InputError
from .model import ROLES, ZERO32, country, parse_centicarats, role_names, text32, text_of
from .sending import Sender, Sent

ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def parse_role(name: str) -> int:
    try:
        return ROLES[name]
    except KeyError:
        raise InputError(f"unknown role {name!r}; choose one of: {', '.join(ROLES)}") from None


def address(value: str, what: str = "address") -> str:
    if not Web3.is_address(value):
        raise InputError(f"{what} {value!r} is not an Ethereum address")
    return Web3.to_checksum_address(value)


def participant(registry: Contract, account: str) -> dict[str, Any]:
    """A participant's profile, as the command and the explorer show it."""
    p = registry.functions.participant(account).call()
    return {
        "address": account,
        "name": p.name or None,
        "country": bytes(p.country).decode("ascii") if any(p.country) else None,
        "roles": role_names(p.roles),
        "accredited": p.roles != 0,
        "prefix": text_of(p.prefix) or None,
        "successor": None if int(p.successor, 16) == 0 else p.successor,
        "nonce": p.nonce,
        "rjc": {
            "certificate": text_of(p.rjc.certificate) or None,
            "expires": _date_of(p.rjc.expiresAt),
            "since_block": p.rjc.sinceBlock or None,
            "current": bool(p.rjc.current),
        },
    }


def _date_of(timestamp: int) -> str | None:
    return dt.datetime.fromtimestamp(timestamp, dt.timezone.utc).date().isoformat() if timestamp else None


def add_participant(
    registry: Contract, sender: Sender, account: str, role: str, name: str, country_code: str, prefix: str | None = None
) -> Sent:
    """Accredits `account` with `role`, keeping any roles it has already; `prefix` gives it its
    stone-ID prefix for life (producers and manufacturers need one to register stones)."""
    bit = parse_role(role)
    if not name.strip():
        raise InputError("--name must not be empty")
    current = registry.functions.participant(account).call()
    if current.roles and bytes(current.country) != country(country_code):
        raise InputError(
            f"{account} is accredited in {bytes(current.country).decode()}; an address never changes country "
            "(its rough stones lie where it does): accredit the participant's new address instead"
        )
    word = text32(prefix, "--prefix") if prefix else ZERO32
    if prefix and (len(prefix) > 31 or " " in prefix):
        raise InputError(f"--prefix {prefix!r} must be 1 to 31 printable ASCII characters without spaces")
    return sender.send(registry.functions.accredit(account, current.roles | bit, country(country_code), name, word))


def certify_rjc(registry: Contract, sender: Sender, account: str, certificate: str, expires: dt.date) -> Sent:
    """Records `account`'s RJC Code of Practices certification, valid through `expires` (UTC); an
    expiry in the past withdraws it."""
    return sender.send(registry.functions.certifyRjc(account, text32(certificate, "--rjc-certificate"), _timestamp(expires, end_of_day=True)))


def revoke_participant(registry: Contract, sender: Sender, account: str, successor: str | None = None) -> Sent:
    """Withdraws `account`'s accreditation, naming who its stones in the trade may be recovered to."""
    return sender.send(registry.functions.revoke(account, successor or ZERO_ADDRESS))


def document_hash(path: Path | None) -> bytes:
    """keccak-256 of a document's bytes; the document itself never leaves this machine."""
    if path is None:
        return ZERO32
    try:
        return keccak(path.read_bytes())
    except OSError as exc:
        raise InputError(f"cannot read the document {path}: {exc.strerror}") from None


def _timestamp(date: dt.date, end_of_day: bool = False) -> int:
    moment = dt.datetime.combine(date, dt.time(23, 59, 59) if end_of_day else dt.time(0), dt.timezone.utc)
    return int(moment.timestamp())


def register_certificate(
    registry: Contract,
    sender: Sender,
    *,
    number: str,
    exporting: str,
    importing: str,
    exporter: str,
    importer: str,
    carats: str,
    value_usd: str,
    parcels: int,
    issued: dt.date,
    expires: dt.date,
    document: Path | None,
) -> Sent:
    if expires < issued:
        raise InputError(f"--expires {expires} is before --issued {issued}")
    if parcels <= 0:
        raise InputError("--parcels must be at least 1")
    try:
        value = int(value_usd)
    except ValueError:
        raise InputError(f"--value-usd {value_usd!r} must be a whole number of US dollars") from None
    if value < 0:
        raise InputError("--value-usd must not be negative")
    certificate = (
        text32(number, "--number"),
        country(exporting),
        country(importing),
        address(exporter, "--exporter"),
        address(importer, "--importer"),
        _timestamp(issued),
        _timestamp(expires, end_of_day=True),
        parse_centicarats(carats, "--carats", maximum=2**64 - 1),
        value,
        parcels,
        document_hash(document),
    )
    return sender.send(certificates_contract(registry).functions.recordCertificate(certificate))


def certificate_id(registry: Contract, exporting: str, number: str) -> int:
    """The id of KP certificate `number` of exporting country `exporting`; an `InputError` if none."""
    found = certificates_contract(registry).functions.certificateId(country(exporting), text32(number, "certificate number")).call()
    if not found:
        raise InputError(f"no KP certificate {number} of exporting country {exporting} is recorded on this registry")
    return found
