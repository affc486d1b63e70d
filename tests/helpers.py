"""Helpers the contract tests share: building registry inputs with realistic defaults, reading
the chain's state to compare before and after an attack, and checking custody proofs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from brownie import chain, web3

from diamondtrace import proof, records
from diamondtrace.authorizations import Authorization, sign_authorization
from diamondtrace.deployments import registry_contract
from diamondtrace.model import ZERO32, Action, day_number, text32, token_id
from diamondtrace.reader import Registry
from diamondtrace.verify import check_history

DOC = b"\xab" * 32


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


def polished_stone(registry, cast, stone="IN-POL-01", centicarats=300, to=None):
    """A polished stone cut in India from Botswana rough, sent on to `to` (polished stones are
    outside the Kimberley Process: they cross borders without a certificate)."""
    parent = rough_at_manufacturer(registry, cast, stone=f"BW-R-{stone}", centicarats=centicarats + 100)
    registry.split(parent, [token_id(stone)], [centicarats], [], {"from": cast.manufacturer})
    if to is not None:
        registry.transferCustody(to, token_id(stone), Action.EXPORT, DOC, ZERO32, True, {"from": cast.manufacturer})
    return token_id(stone)


def grading_report(number, carat=152, colour="D", clarity="VVS1", cut="Excellent", lab_grown=False):
    return (text32(number), carat, text32(colour)[:8], text32(clarity)[:8], text32(cut)[:16], lab_grown, b"\x42" * 32)


def authorization(registry, holder, token, to, action=Action.SALE, certificate=ZERO32, warranty=True, deadline=None):
    """A holder's authorization for the stone as it stands now (its nonce and latest record)."""
    return Authorization(
        tokenId=token,
        holder=str(holder),
        to=str(to),
        action=int(action),
        document=DOC,
        certificate=certificate,
        warranty=warranty,
        nonce=registry.nonces(holder),
        lastRecordBlock=registry.stone(token)["lastRecordBlock"],
        deadline=chain.time() + 3600 if deadline is None else deadline,
    )


def sign(cast, registry, signer, auth, chain_id=None):
    """`signer`'s EIP-712 signature of `auth` for `registry` (on this chain unless told)."""
    return sign_authorization(cast.key(signer), chain_id or chain.id, registry.address, auth)


def reader(registry) -> Registry:
    """The library's typed reader of a brownie-deployed registry."""
    return Registry(registry_contract(web3, registry.address))


def custody_proof(registry, token) -> proof.Proof:
    """The stone's history rebuilt from events and checked against its on-chain anchor, as `verify` does."""
    view = reader(registry)
    stone = view.stone(token)
    return check_history(view, stone, view.batch(stone.batch))


def all_records(registry) -> list[records.CustodyRecord]:
    """Every custody record the registry ever made, as its events show them."""
    logs = web3.eth.get_logs({"address": registry.address, "fromBlock": 0, "toBlock": "latest", "topics": [records.RECORD_TOPIC]})
    return [records.CustodyRecord.from_log(dict(log)) for log in logs]


@dataclass
class ServedEvents(proof.LogSource):
    """The event feed as a forger who controls what the checker reads would serve it: exactly
    `served`, whatever the chain holds. The anchor is still read from the chain's state."""

    served: list[records.CustodyRecord] = field(default_factory=list)

    def records_to(self, account: str, first: int, last: int) -> list[records.CustodyRecord]:
        self.calls += 1
        mine = (r for r in self.served if r.recipient.lower() == account.lower() and first <= r.block <= last)
        return sorted(mine, key=lambda r: r.position)


def check_served(registry, token, served) -> proof.Proof:
    """`proof.check` of stone `token` against its on-chain anchor, reading the events from `served`."""
    view = reader(registry)
    stone = view.stone(token)
    source = ServedEvents(web3, registry.address, served=list(served))
    return proof.check(source, token, view.anchor(stone), view.batch(stone.batch).registered_block)


def records_in(tx) -> list[records.CustodyRecord]:
    """The custody records a transaction made, decoded as `verify` reads them."""
    return [
        records.CustodyRecord.from_log(dict(log))
        for log in tx.logs
        if log["topics"][0].hex().removeprefix("0x") == records.RECORD_TOPIC[2:]
    ]


def chain_state(registry, tokens=(), accounts=(), certificates=()):
    """Everything an attack on these stones, accounts and certificates could have changed: holders,
    stone records and custody anchors, balances, account chains and profiles, certificate draws,
    and the registry's totals. Equal before and after means the attack changed nothing."""
    from brownie import KimberleyCertificates

    book = KimberleyCertificates.at(registry.certificates())
    return (
        plain(registry.totals()),
        registry.paused(),
        tuple((plain(registry.stone(t)), plain(registry.custodyAnchor(t)), plain(registry.getApproved(t))) for t in tokens),
        tuple((registry.balanceOf(a), plain(registry.accountChain(a)), plain(registry.participant(a))) for a in accounts),
        int(book.certificateCount()),
        tuple(plain(book.certificate(book.certificateId(country.encode(), text32(n)))) for country, n in certificates),
    )
