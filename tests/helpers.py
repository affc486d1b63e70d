"""Helpers the contract tests share: building registry inputs with realistic defaults."""

from __future__ import annotations

import datetime as dt

from brownie import chain

from diamondtrace.model import ZERO32, day_number, text32, token_id


def yesterday() -> int:
    return day_number(dt.datetime.fromtimestamp(chain.time(), dt.timezone.utc).date()) - 1


def batch_input(to, mine="Jwaneng", country="BW", day=None, lab_grown=False, certificate=ZERO32):
    return (to, text32(mine), country.encode(), yesterday() if day is None else day, lab_grown, certificate)


def register(registry, producer, stones, to=None, descriptions=(), **batch):
    """Registers [(stone ID, centicarats), ...]; returns the transaction."""
    ids = [token_id(s) for s, _ in stones]
    weights = [c for _, c in stones]
    return registry.register(batch_input(to or producer, **batch), ids, weights, list(descriptions), {"from": producer})


def certificate_input(number, exporter, importer, exporting="BW", importing="BE", centicarats=10_000, days=30):
    now = chain.time()
    return (
        text32(number),
        exporting.encode(),
        importing.encode(),
        exporter,
        importer,
        now - 86400,
        now + days * 86400,
        centicarats,
        250_000,
        2,
        b"\x11" * 32,
    )


def record_certificate(registry, authority, number, exporter, importer, **kw):
    """Records a KP certificate in the registry's book; returns the transaction."""
    from brownie import KimberleyCertificates

    book = KimberleyCertificates.at(registry.certificates())
    return book.recordCertificate(certificate_input(number, exporter, importer, **kw), {"from": authority})




def reverts(error: str, *args):
    """Expects a revert with custom error `error` (and, when given, exactly these arguments)."""
    import re

    import brownie

    def shown(value):
        # brownie prints decoded addresses in lower case
        text = str(value)
        return text.lower() if text.startswith("0x") and len(text) == 42 else text

    if args:
        return brownie.reverts(f"{error}: {', '.join(shown(a) for a in args)}")
    return brownie.reverts(revert_pattern=re.escape(error) + r"(:.*)?")


def plain(value):
    """A contract call's result as plain Python values (brownie's own types compare oddly)."""
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, bytes):
        return bytes(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, (list, tuple)):
        return tuple(plain(v) for v in value)
    return value


def rough_at_manufacturer(registry, cast, stone="BW-ROUGH-01", centicarats=1_000):
    """A rough stone exported from Botswana to the manufacturer in India under a KP certificate."""
    register(registry, cast.producer, [(stone, centicarats)])
    number = text32(f"KP-{stone}")
    record_certificate(registry, cast.kp_bw, f"KP-{stone}", cast.producer, cast.manufacturer, importing="IN")
    registry.transferCustody(cast.manufacturer, token_id(stone), 3, b"\x07" * 32, number, True, {"from": cast.producer})
    return token_id(stone)
