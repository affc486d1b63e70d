"""A production run against the chain: what is already registered, what the registry would
refuse, and the batches left to send. Every problem, the file's and the chain's, is reported in
one pass, before anything is sent."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from web3.contract import Contract

from .abi import Call
from .chain import batch_request, eth_call, result_of, rpc, view
from .model import Origin, format_carat, text32
from .production import ROWS_CHUNK, StoneRow
from .reader import Registry, lookup
from .records import Batch, Participant
from .sending import Sender, nonce_requests, unmined_count, wait_for_pending
from .tables import Problem, TableInvalid

_KIND = {False: "natural", True: "laboratory-grown"}


@dataclass
class Opening:
    """What a run needs from the chain before it sends anything."""

    max_batch: int
    producer: Participant
    fees: dict[str, int]
    now: int


def open_run(registry: Contract, sender: Sender) -> Opening:
    """Reads the registry's MAX_BATCH, the sender's roles, its nonces and the latest block in one
    round trip, then the fees; and waits for transactions an interrupted run left unmined, so
    that the chain's answers about stones include them."""
    limit, participant = Call(registry, "MAX_BATCH"), Call(registry, "participant", sender.address)
    requests = [
        eth_call(limit),
        eth_call(participant),
        *nonce_requests(sender.address),
        ("eth_getBlockByNumber", ["latest", False]),
    ]
    max_batch, participant_view, pending, latest, block = rpc(lambda: batch_request(registry.w3, requests))
    if unmined_count(pending, latest) > 0:
        wait_for_pending(sender)
    producer = Participant.decode(sender.address, result_of(participant, participant_view))
    return Opening(int(result_of(limit, max_batch)), producer, sender.fees(block), int(block["timestamp"], 16))


@dataclass
class Plan:
    """What the chain already has and what is left to send, in batches."""

    new: list[StoneRow]
    already: list[StoneRow]
    batches: list[list[StoneRow]]


class Registrations:
    """What the chain has registered under a run's stone IDs, asked in the background a chunk at a
    time, so that the chain looks up the first stones while the rest of the file is read. No
    question goes out before `ready` is done."""

    def __init__(self, registry: Contract, sender: str, pool: ThreadPoolExecutor, ready: Future) -> None:
        self.registry = registry
        self.sender = sender
        self._pool = pool
        self._ready = ready
        self._asked: list[tuple[list[StoneRow], Future]] = []

    def ask(self, rows: list[StoneRow]) -> None:
        for i in range(0, len(rows), ROWS_CHUNK):
            chunk = rows[i : i + ROWS_CHUNK]
            self._asked.append((chunk, self._pool.submit(self._look_up, chunk)))

    def _look_up(self, chunk: list[StoneRow]) -> tuple:
        self._ready.result()
        return rpc(lambda: view(Call(self.registry, "registrations", [r.token_id for r in chunk])))

    def answers(self) -> tuple[list[StoneRow], list[tuple[StoneRow, int, int]]]:
        """The rows asked about whose stones are not registered, and those whose are, each with
        its batch and weight; both in the file's order."""
        new: list[StoneRow] = []
        found: list[tuple[StoneRow, int, int]] = []
        for chunk, answer in self._asked:
            positions, batch_ids, weights = answer.result()
            registered = set(positions)
            new += [row for i, row in enumerate(chunk) if i not in registered] if registered else chunk
            found += [(chunk[i], batch_id, weight) for i, batch_id, weight in zip(positions, batch_ids, weights)]
        return new, found


def check_against_chain(
    registrations: Registrations,
    path: Path,
    to: str,
    batch_size: int,
    start: Opening,
    lab_grown: bool = False,
    problems: list[Problem] | None = None,
) -> Plan:
    """Compares the file's rows, as asked about in `registrations`, with the chain: stones already
    registered (same data, natural or `lab_grown` as this run: skipped; different data: a problem),
    the producer's country and prefix, the recipient, and KP certificates (natural rough only; known,
    valid at the block time, exported by the producer, not over-drawn). Raises `TableInvalid` with
    these problems and the file's (`problems`), in the file's order."""
    reader = Registry(registrations.registry)
    problems = list(problems or [])
    new, found = registrations.answers()
    already = _already_registered(reader, found, lab_grown, problems)
    producer = start.producer
    # A producer registers only stones of its own country, under its own prefix, into its own
    # custody or an accredited participant's in the same country.
    for row in new:
        if row.country != producer.country:
            problems.append(
                Problem(
                    row.line,
                    "country",
                    f"{row.country} is not the producer's accredited country ({producer.country}): "
                    "a producer registers only its own country's stones",
                )
            )
        if not row.stone_id.startswith(producer.prefix or ""):
            problems.append(
                Problem(
                    row.line, "stone_id", f"stone ID {row.stone_id} does not start with the producer's prefix {producer.prefix!r}"
                )
            )
    if new and to.lower() != producer.address.lower():
        recipient = reader.participant(to)
        if not recipient.accredited or recipient.country != producer.country:
            problems.append(
                Problem(
                    new[0].line, None, f"--to {to} must be a participant accredited in {producer.country}, the producer's country"
                )
            )
    _check_certificates(reader, new, to, start, lab_grown, problems)
    if problems:
        raise TableInvalid(path, sorted(problems, key=lambda p: p.line))
    groups: dict[tuple, list[StoneRow]] = {}
    for row in new:
        groups.setdefault(row.batch_key, []).append(row)
    batches = [group[i : i + batch_size] for group in groups.values() for i in range(0, len(group), batch_size)]
    return Plan(new, already, batches)


def _already_registered(
    reader: Registry, found: list[tuple[StoneRow, int, int]], lab_grown: bool, problems: list[Problem]
) -> list[StoneRow]:
    """The rows whose stones are on chain as the file has them (a re-run); a problem for the others."""
    already: list[StoneRow] = []
    batches: dict[int, Batch] = {}
    numbers: dict[int, str] = {}
    for row, batch_id, weight in found:
        if batch_id not in batches:
            batches[batch_id] = reader.batch(batch_id)
        b = batches[batch_id]
        if b.certificate and b.certificate not in numbers:
            numbers[b.certificate] = reader.certificate(b.certificate).number
        on_chain = {
            "carat": format_carat(weight),
            "mine": b.mine,
            "country": b.country or "",
            "production_date": str(b.production_date),
            "kp_certificate": numbers.get(b.certificate, ""),
        }
        in_file = {
            "carat": format_carat(row.centicarats),
            "mine": row.mine,
            "country": row.country,
            "production_date": str(row.production_date),
            "kp_certificate": row.kp_certificate or "",
        }
        differ = [k for k in on_chain if on_chain[k] != in_file[k]]
        if differ or b.parent != 0 or b.origin != Origin.MINE or b.lab_grown != lab_grown:
            detail = "; ".join(f"{k} is {on_chain[k]!r} on chain but {in_file[k]!r} in the file" for k in differ)
            kind = f"not as a {_KIND[lab_grown]} rough stone of a production run"
            problems.append(
                Problem(
                    row.line,
                    differ[0] if differ else "stone_id",
                    f"stone ID {row.stone_id} is already registered with different data: {detail or kind}",
                )
            )
        else:
            already.append(row)
    return already


def _check_certificates(
    reader: Registry, new: list[StoneRow], to: str, start: Opening, lab_grown: bool, problems: list[Problem]
) -> None:
    """KP certificates: known, valid at the block time, exported by the producer into its own
    custody, and not over-drawn by the file's stones."""
    needs: dict[tuple[str, str], list[StoneRow]] = {}
    for row in new:
        if row.kp_certificate:
            needs.setdefault((row.country, row.kp_certificate), []).append(row)
    producer = start.producer.address
    for (exporting, number), cert_rows in needs.items():
        first = cert_rows[0].line
        if lab_grown:
            problems.append(
                Problem(
                    first, "kp_certificate", f"KP certificate {number}: laboratory-grown rough is outside the Kimberley Process"
                )
            )
            continue
        found = reader.certificate_id(exporting.encode("ascii"), text32(number))
        cert = lookup(lambda: reader.certificate(found)) if found else None
        if cert is None:
            problems.append(
                Problem(first, "kp_certificate", f"KP certificate {number} of {exporting} is not recorded on the registry")
            )
            continue
        if not cert.issued_at <= start.now <= cert.expires_at:
            expired = start.now > cert.expires_at
            when = dt.datetime.fromtimestamp(cert.expires_at if expired else cert.issued_at, dt.timezone.utc).date()
            problems.append(
                Problem(
                    first,
                    "kp_certificate",
                    f"KP certificate {number} {'expired on' if expired else 'is not valid before'} {when}",
                )
            )
            continue
        if cert.exporter.lower() != producer.lower() or to.lower() != producer.lower():
            problems.append(
                Problem(
                    first,
                    "kp_certificate",
                    f"KP certificate {number} is for exporter {cert.exporter}: "
                    "only its exporter registers stones under it, into its own custody",
                )
            )
            continue
        drawn = cert.drawn
        for row in cert_rows:
            drawn += row.centicarats
            if drawn > cert.centicarats:
                problems.append(
                    Problem(
                        row.line,
                        "kp_certificate",
                        f"KP certificate {number} would be over-drawn: it declares {format_carat(cert.centicarats)} ct, "
                        f"{format_carat(cert.drawn)} ct are already drawn, and the file's stones up to this line need "
                        f"{format_carat(drawn - cert.drawn)} ct",
                    )
                )
                break
