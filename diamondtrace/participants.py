"""Participants: accredited by the admin (roles, country for life, stone-ID prefix), revoked with a successor, RJC-certified."""

from __future__ import annotations

import datetime as dt

from web3.contract import Contract
from web3.contract.contract import ContractFunction

from .errors import InputError
from .model import ROLES, ZERO32, country, text32, timestamp_of
from .reader import Registry
from .records import ZERO_ADDRESS
from .sending import Sender, Sent


def parse_role(name: str) -> int:
    try:
        return ROLES[name]
    except KeyError:
        raise InputError(f"unknown role {name!r}; choose one of: {', '.join(ROLES)}") from None


def add_participant(
    registry: Contract, sender: Sender, account: str, role: str, name: str, country_code: str, prefix: str | None = None
) -> Sent:
    """Accredits `account` with `role`, keeping any roles it has already; `prefix` gives it its
    stone-ID prefix for life (producers and manufacturers need one to register stones)."""
    return sender.send(accreditation(registry, account, role, name, country_code, prefix))


def accreditation(
    registry: Contract, account: str, role: str, name: str, country_code: str, prefix: str | None = None
) -> ContractFunction:
    """The checked `accredit` call of `add_participant`, unsent: an admin that is a Safe has its
    owners sign it (`safe`)."""
    bit = parse_role(role)
    if not name.strip():
        raise InputError("--name must not be empty")
    current = Registry(registry).participant(account)
    if current.accredited and current.country != country(country_code).decode():
        raise InputError(
            f"{account} is accredited in {current.country}; an address never changes country "
            "(its rough stones lie where it does): accredit the participant's new address instead"
        )
    word = text32(prefix, "--prefix") if prefix else ZERO32
    if prefix and (len(prefix) > 31 or " " in prefix):
        raise InputError(f"--prefix {prefix!r} must be 1 to 31 printable ASCII characters without spaces")
    held = sum(ROLES[r] for r in current.roles)
    return registry.functions.accredit(account, held | bit, country(country_code), name, word)


def accredit(
    registry: Contract,
    sender: Sender,
    account: str,
    role: str,
    name: str,
    country_code: str,
    prefix: str | None = None,
    rjc_certificate: str | None = None,
    rjc_expires: dt.date | None = None,
) -> Sent:
    """`add_participant`, then `certify_rjc` if an RJC certificate is given (with its expiry: both
    or neither, checked before anything is sent). Returns the last transaction."""
    if (rjc_certificate is None) != (rjc_expires is None):
        raise InputError("give --rjc-certificate and --rjc-expires together")
    if rjc_certificate is not None:
        text32(rjc_certificate, "--rjc-certificate")
    sent = add_participant(registry, sender, account, role, name, country_code, prefix)
    if rjc_certificate is not None and rjc_expires is not None:
        sent = certify_rjc(registry, sender, account, rjc_certificate, rjc_expires)
    return sent


def certify_rjc(registry: Contract, sender: Sender, account: str, certificate: str, expires: dt.date) -> Sent:
    """Records `account`'s RJC Code of Practices certification, valid through `expires` (UTC); an
    expiry in the past withdraws it."""
    return sender.send(
        registry.functions.certifyRjc(account, text32(certificate, "--rjc-certificate"), timestamp_of(expires, end_of_day=True))
    )


def revoke_participant(registry: Contract, sender: Sender, account: str, successor: str | None = None) -> Sent:
    """Withdraws `account`'s accreditation, naming who its stones in the trade may be recovered to."""
    return sender.send(registry.functions.revoke(account, successor or ZERO_ADDRESS))
