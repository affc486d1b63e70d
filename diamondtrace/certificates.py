"""Kimberley Process certificates: recorded by a KP authority of the exporting country, found by exporting country and number."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from web3.contract import Contract

from . import documents
from .countries import COUNTRIES
from .deployments import certificates_contract
from .errors import InputError
from .model import country, parse_address, parse_centicarats, text32, timestamp_of
from .sending import Sender, Sent


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
        parse_address(exporter, "--exporter"),
        parse_address(importer, "--importer"),
        timestamp_of(issued),
        timestamp_of(expires, end_of_day=True),
        parse_centicarats(carats, "--carats", maximum=2**64 - 1),
        value,
        parcels,
        documents.document_hash(document),
    )
    return sender.send(certificates_contract(registry).functions.recordCertificate(certificate))


def certificate_id(registry: Contract, exporting: str, number: str) -> int:
    """The id of KP certificate `number` of exporting country `exporting`; an `InputError` if none."""
    found = (
        certificates_contract(registry).functions.certificateId(country(exporting), text32(number, "certificate number")).call()
    )
    if not found:
        raise InputError(f"no KP certificate {number} of exporting country {exporting} is recorded on this registry")
    return found


def exporting_country_of(number: str) -> str:
    """The exporting country a KP certificate number names in its first two letters ("BW-KP-...")."""
    head = number[:2]
    if head in COUNTRIES and (len(number) == 2 or not number[2].isalpha()):
        return head
    raise InputError(f"KP certificate numbers are kept per exporting country: give --exporting CC for {number!r}")


def find_certificate(registry: Contract, number: str, exporting: str | None = None) -> int:
    """The id of KP certificate `number`; without `exporting`, of the country its first letters name."""
    if exporting:
        return certificate_id(registry, exporting, number)
    guessed = exporting_country_of(number)
    try:
        return certificate_id(registry, guessed, number)
    except InputError as exc:
        # "KP-0001" reads as North Korea's: say where the country came from.
        raise InputError(f"{exc} (the country was read from the number's first letters; give --exporting CC)") from None
