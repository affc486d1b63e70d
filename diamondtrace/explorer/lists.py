"""The explorer's lists read from the chain itself: each a scan of the registry's events since its
deployment, whose cost grows with the chain's history (`explorer --db` reads them from the index
instead: `indexed`). Both answer the same questions with the same types.
"""

from __future__ import annotations

from dataclasses import dataclass

from web3.logs import DISCARD

from ..model import TEXT_PATTERN, Origin, text32, text_of
from ..records import ZERO_ADDRESS, CustodyRecord, FlagChange, country_of
from ..verify import Provenance
from .reads import View, chain_read

# Stones listed on an address or certificate page; the rest are counted.
MAX_LISTED = 200


@dataclass(frozen=True)
class Registration:
    """A `BatchRegistered` event: a production run, a split or a declared-origin entry."""

    time: int
    registrant: str
    stones: int
    centicarats: int
    origin: Origin
    mine: str
    country: str | None
    transaction: str


@dataclass(frozen=True)
class Holdings:
    """The stones an address holds and has held (at most MAX_LISTED of each), and how many."""

    holds: list[int]
    held: list[int]
    holds_count: int
    held_count: int


def is_text(value: str) -> bool:
    """Whether `value` can be an on-chain text field (a certificate number, say)."""
    return bool(TEXT_PATTERN.fullmatch(value)) and not value.startswith(" ")


class ChainLists:
    """The lists, scanned from the chain on each request."""

    def __init__(self, view: View) -> None:
        self.view = view

    def registrations(self, count: int) -> list[Registration]:
        """The latest `count` registrations, newest first."""
        return [
            Registration(
                time=self.view.time(e["blockNumber"]),
                registrant=e["args"]["registrant"],
                stones=e["args"]["stones"],
                centicarats=e["args"]["centicarats"],
                origin=Origin(e["args"]["origin"]),
                mine=text_of(e["args"]["mine"]),
                country=country_of(e["args"]["country"]),
                transaction=e["transactionHash"].to_0x_hex(),
            )
            for e in self.view.logs("BatchRegistered")[-count:][::-1]
        ]

    def moves(self, count: int) -> list[CustodyRecord]:
        """The latest `count` custody records, newest first."""
        return [CustodyRecord.from_event(e) for e in self.view.logs("CustodyTransferred")[-count:][::-1]]

    def exporting_country(self, number: str) -> str | None:
        """The country of the first certificate recorded with `number` (numbers are unique per
        exporting country, so two countries may share one)."""
        recorded = self.view.logs("CertificateRecorded", {"number": text32(number)}, self.view.kp) if is_text(number) else []
        return country_of(recorded[0]["args"]["exporting"]) if recorded else None

    def drawn(self, certificate_id: int) -> tuple[list[tuple[int, int | None]], int]:
        """The stones drawn against a certificate (at most MAX_LISTED), each with the weight its
        crossing drew (None: drawn by its registration batch), and how many there are."""
        view = self.view
        drawn: dict[int, int | None] = {}
        for e in view.logs("CertificateDrawn", {"id": certificate_id}, view.kp):
            drawn[e["args"]["tokenId"]] = e["args"]["centicarats"]
        for e in view.logs("CertificateDrawnByBatch", {"id": certificate_id}, view.kp):
            receipt = chain_read(lambda: view.chain.w3.eth.get_transaction_receipt(e["transactionHash"]))
            for minted in view.registry.contract.events.Transfer().process_receipt(receipt, errors=DISCARD):
                if minted["args"]["from"] == ZERO_ADDRESS:
                    drawn[minted["args"]["id"]] = None
        return list(drawn.items())[:MAX_LISTED], len(drawn)

    def holdings(self, account: str) -> Holdings:
        # A stone leaves an account only by a Transfer from it: the account holds exactly the stones
        # whose last Transfer involving it was incoming.
        last: dict[int, bool] = {}
        events = self.view.logs("Transfer", {"to": account}) + self.view.logs("Transfer", {"from": account})
        for e in sorted(events, key=lambda e: (e["blockNumber"], e["logIndex"])):
            last[e["args"]["id"]] = e["args"]["to"] == account
        holds = sorted(t for t, incoming in last.items() if incoming)
        held = sorted(t for t, incoming in last.items() if not incoming)
        return Holdings(holds[:MAX_LISTED], held[:MAX_LISTED], len(holds), len(held))

    def custody_records(self, token: int) -> None:
        """No other source of custody records than the chain's logs (`proof.LogSource`)."""
        return None

    def status(self) -> None:
        """Lists scanned from the chain reach as far as the chain: nothing to say."""
        return None

    def stone_note(self, p: Provenance, flag_changes: list[FlagChange]) -> None:
        return None
