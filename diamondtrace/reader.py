"""Reading a deployed registry and its two books into the read model's dataclasses (`records`).

A record that does not exist raises `NotFound`; a chain that fails raises `ChainError`: never the
one for the other, and never by matching an error's text.
"""

from __future__ import annotations

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
            address = self._call(name)
            artifact = {"certificates": "KimberleyCertificates", "grading": "GradingBook"}[name]
            self._books[name] = self.w3.eth.contract(address=address, abi=abi(artifact), decode_tuples=True)
        return self._books[name]

    def _call(self, name: str, *args: Any, book: str | None = None, missing: str = "") -> Any:
        """One view call of the registry (or of `book`): a missing record is `NotFound`, a failing
        chain `ChainError`, any other revert an `InputError`."""
        return self._read([Call(self.book(book) if book else self.contract, name, *args)], missing)[0]

    def stone(self, token: int) -> Stone:
        return Stone.decode(self._call("stone", token, missing=f"no stone {stone_id(token)} on this registry"))

    def weights(self, tokens: list[int]) -> dict[int, int]:
        """The centicarats of each of `tokens` that is registered, in one call."""
        found, _, centicarats = self._call("registrations", tokens)
        return {tokens[at]: weight for at, weight in zip(found, centicarats)}

    def exists(self, token: int) -> bool:
        found, _, _ = self._call("registrations", [token])
        return bool(found)

    def batch(self, batch_id: int) -> Batch:
        return Batch.decode(batch_id, self._call("batch", batch_id))

    def participant(self, address: str) -> Participant:
        return Participant.decode(address, self._call("participant", address))

    def certificate(self, certificate_id: int) -> Certificate:
        raw = self._call("certificate", certificate_id, book="certificates", missing=f"no KP certificate {certificate_id}")
        return Certificate.decode(certificate_id, raw)

    def certificate_id(self, exporting: bytes, number: bytes) -> int | None:
        return self._call("certificateId", exporting, number, book="certificates") or None

    def grading_reports(self, token: int, offset: int, limit: int) -> list[GradingReport]:
        return [GradingReport.decode(r) for r in self._call("gradingReports", token, offset, limit, book="grading")]

    def totals(self) -> Totals:
        t, certificates = self._read([Call(self.contract, "totals"), Call(self.book("certificates"), "certificateCount")])
        return Totals(t.stones, t.centicarats, t.participants, t.batches, certificates)

    def anchor(self, stone: Stone) -> Anchor:
        """The on-chain anchor of `stone`'s custody history (see `proof`)."""
        _, has_records, last_block, chain, chain_block = self._call("custodyAnchor", stone.token_id)
        if stone.status == Status.SPLIT:
            chain, chain_block = self._call("splitAnchor", stone.token_id)
        return Anchor(stone.holder, has_records, last_block, chain, chain_block)

    def lineage(self, token: int) -> tuple[int, list[int]]:
        """The stone `token` descends from (itself if a root) and the stones cut from it, in one batch."""
        root, children = self._read([Call(self.contract, "rootOf", token), Call(self.contract, "childrenOf", token)])
        return root, list(children)

    def token_uri(self, token: int) -> str:
        return self._call("tokenURI", token)

    def _read(self, calls: list[Call], missing: str = "") -> list[Any]:
        """View calls in one JSON-RPC batch, through the project's own ABI codec (web3's per-call
        preparation cost more than the node's answer)."""
        try:
            return rpc(lambda: read(calls), "the chain")
        except (ContractCustomError, ContractLogicError) as exc:
            if revert_name(exc) in _MISSING:
                raise NotFound(missing or str(exc)) from None
            raise InputError(f"the registry refused: {revert_message(exc)}") from None
        except (requests.exceptions.RequestException, Web3RPCError) as exc:
            raise ChainError(f"the chain failed to answer: {type(exc).__name__}") from None


def lookup(fn: Callable[[], Any]) -> Any | None:
    """`fn()`, or None if what it reads does not exist."""
    try:
        return fn()
    except NotFound:
        return None
