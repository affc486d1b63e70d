"""Reading a deployed registry and its two books into the read model's dataclasses (`records`).

A record that does not exist raises `NotFound`; a chain that fails raises `ChainError`: never the
one for the other, and never by matching an error's text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import requests
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError

from .abi import Call
from .artifacts import abi, revert_message, revert_name
from .chain import read, rpc
from .errors import ChainError, InputError, NotFound
from .model import Status, stone_id
from .records import Anchor, Batch, Certificate, GradingReport, Participant, Stone, Totals

# Reverts that mean "there is no such record" rather than a refusal.
_MISSING = {"UnknownStone", "UnknownCertificate", "InvalidStoneId"}


@dataclass(frozen=True)
class Read:
    """One view call and how its answer becomes a record; reads that do not wait for each other's
    answers are fetched together (`Registry.fetch`), one round trip to the node for all."""

    call: Call
    decode: Callable[[Any], Any] = lambda value: value
    missing: str = ""  # what a "no such record" revert of this call means, in words


class Registry:
    """The registry and its books, read into the dataclasses above."""

    def __init__(self, contract: Contract) -> None:
        self.contract = contract
        self.w3: Web3 = contract.w3
        self.address: str = contract.address
        self._books: dict[str, Contract] = {}

    def book(self, name: str) -> Contract:
        """`certificates` (the KP book) or `grading` (the grading book)."""
        if name not in self._books:
            (address,) = self.fetch(Read(Call(self.contract, name)))
            artifact = {"certificates": "KimberleyCertificates", "grading": "GradingBook"}[name]
            self._books[name] = self.w3.eth.contract(address=address, abi=abi(artifact), decode_tuples=True)
        return self._books[name]

    # Reads, to fetch together ---------------------------------------------------------------------

    def stone_read(self, token: int) -> Read:
        return Read(Call(self.contract, "stone", token), Stone.decode, f"no stone {stone_id(token)} on this registry")

    def batch_read(self, batch_id: int) -> Read:
        return Read(Call(self.contract, "batch", batch_id), lambda raw: Batch.decode(batch_id, raw))

    def lineage_reads(self, token: int) -> list[Read]:
        """The stone `token` descends from (itself if a root), and the stones cut from it."""
        return [Read(Call(self.contract, "rootOf", token)), Read(Call(self.contract, "childrenOf", token), list)]

    def custody_anchor_read(self, token: int) -> Read:
        """The stone's custody anchor as the registry keeps it; `anchor` completes it."""
        return Read(Call(self.contract, "custodyAnchor", token))

    def certificate_read(self, certificate_id: int) -> Read:
        return Read(
            Call(self.book("certificates"), "certificate", certificate_id),
            lambda raw: Certificate.decode(certificate_id, raw),
            f"no KP certificate {certificate_id}",
        )

    def grading_reports_read(self, token: int, offset: int, limit: int) -> Read:
        return Read(
            Call(self.book("grading"), "gradingReports", token, offset, limit), lambda raw: [GradingReport.decode(r) for r in raw]
        )

    def fetch(self, *reads: Read) -> list[Any]:
        """`reads` in one JSON-RPC batch through the project's own ABI codec (web3's per-call
        preparation costs more than the node's answer), each decoded: a missing record is
        `NotFound`, a failing chain `ChainError`, any other revert an `InputError`."""
        try:
            answers = rpc(lambda: read([r.call for r in reads]), "the chain")
        except (ContractCustomError, ContractLogicError) as exc:
            if revert_name(exc) in _MISSING:
                raise NotFound(next((r.missing for r in reads if r.missing), str(exc))) from None
            raise InputError(f"the registry refused: {revert_message(exc)}") from None
        except (requests.exceptions.RequestException, Web3RPCError) as exc:
            raise ChainError(f"the chain failed to answer: {type(exc).__name__}") from None
        return [r.decode(answer) for r, answer in zip(reads, answers)]

    def fetch_named(self, reads: dict[str, Read]) -> dict[str, Any]:
        """`fetch` of reads by name: their answers by the same names."""
        return dict(zip(reads, self.fetch(*reads.values())))

    # One read each -----------------------------------------------------------------------------------

    def _call(self, name: str, *args: Any, book: str | None = None) -> Any:
        return self.fetch(Read(Call(self.book(book) if book else self.contract, name, *args)))[0]

    def stone(self, token: int) -> Stone:
        return self.fetch(self.stone_read(token))[0]

    def weights(self, tokens: list[int]) -> dict[int, int]:
        """The centicarats of each of `tokens` that is registered, in one call."""
        found, _, centicarats = self._call("registrations", tokens)
        return {tokens[at]: weight for at, weight in zip(found, centicarats)}

    def exists(self, token: int) -> bool:
        found, _, _ = self._call("registrations", [token])
        return bool(found)

    def batch(self, batch_id: int) -> Batch:
        return self.fetch(self.batch_read(batch_id))[0]

    def participant(self, address: str) -> Participant:
        return Participant.decode(address, self._call("participant", address))

    def certificate(self, certificate_id: int) -> Certificate:
        return self.fetch(self.certificate_read(certificate_id))[0]

    def certificate_id(self, exporting: bytes, number: bytes) -> int | None:
        return self._call("certificateId", exporting, number, book="certificates") or None

    def grading_reports(self, token: int, offset: int, limit: int) -> list[GradingReport]:
        return self.fetch(self.grading_reports_read(token, offset, limit))[0]

    def totals(self) -> Totals:
        t, certificates = self.fetch(
            Read(Call(self.contract, "totals")), Read(Call(self.book("certificates"), "certificateCount"))
        )
        return Totals(t.stones, t.centicarats, t.participants, t.batches, certificates)

    def anchor(self, stone: Stone, custody: Any = None) -> Anchor:
        """The on-chain anchor of `stone`'s custody history (see `proof`), from its `custody`
        anchor if already read (`custody_anchor_read`)."""
        _, has_records, last_block, chain, chain_block = custody or self.fetch(self.custody_anchor_read(stone.token_id))[0]
        if stone.status == Status.SPLIT:
            chain, chain_block = self._call("splitAnchor", stone.token_id)
        return Anchor(stone.holder, has_records, last_block, chain, chain_block)

    def lineage(self, token: int) -> tuple[int, list[int]]:
        """The stone `token` descends from (itself if a root) and the stones cut from it, in one batch."""
        root, children = self.fetch(*self.lineage_reads(token))
        return root, children

    def token_uri(self, token: int) -> str:
        return self._call("tokenURI", token)


def lookup(fn: Callable[[], Any]) -> Any | None:
    """`fn()`, or None if what it reads does not exist."""
    try:
        return fn()
    except NotFound:
        return None
