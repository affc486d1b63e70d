"""Registering a mine's production run from a CSV file, where a duplicate or a lost stone is real money.

The whole file is checked, offline and against the chain, before anything is sent; every problem is
reported with its line and column. Re-running the same file after an interruption registers exactly
the stones not yet on chain: a batch is one transaction, so it is either wholly on chain or not at all.
"""

from __future__ import annotations

import contextlib
import gc
import math
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from web3.contract import Contract

from .abi import Call
from .chain import EIP7825_TX_GAS_CAP
from .errors import EXIT_INTERRUPTED, ChainError, InputError
from .model import ZERO32, day_number, text32
from .planning import Opening, Plan, Registrations, check_against_chain, open_run
from .production import StoneRow, check_production_run
from .sending import Sender, Sent, account_lock

# Gas kept in reserve above the estimate: the registry's work per stone is fixed, so this is ample.
GAS_MARGIN = 1.05


def gas_model(
    registry: Contract, sender: Sender, to: str, first: list[StoneRow], lab_grown: bool = False
) -> Callable[[int], int]:
    """Gas for a batch of n stones, from estimates of its first one and two stones: a full
    estimate would cost the node as much as registering the batch. The estimates are also the
    registry's own check that it will accept the batch."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="estimate") as pool:
        one_stone = pool.submit(sender.estimate, register_call(registry, to, first[:1], lab_grown))
        two_stones = pool.submit(sender.estimate, register_call(registry, to, first[:2], lab_grown)) if len(first) > 1 else None
        one = one_stone.result()
        two = two_stones.result() if two_stones else 2 * one
    # Room for a stone ID longer than the estimated ones (calldata) and for another batch's certificate.
    per_stone = two - one + 16 * 32
    fixed = one - (two - one) + 60_000
    return lambda n: math.ceil((fixed + per_stone * n) * GAS_MARGIN)


def description_gas(rows: list[StoneRow]) -> int:
    """Gas the batch's descriptions add (calldata, the `StoneDescribed` log, copying), generously."""
    return sum(map(_description_gas, rows))


def _description_gas(row: StoneRow) -> int:
    return 3_000 + 40 * len(row.description.encode()) if row.description else 0


def fit(batches: list[list[StoneRow]], gas: Callable[[int], int]) -> list[list[StoneRow]]:
    """Splits any batch whose estimate, descriptions included, would pass EIP-7825's cap (one pass
    over the rows: the descriptions' gas is kept as a running sum)."""
    fitted: list[list[StoneRow]] = []
    for batch in batches:
        start, described = 0, 0  # described: the description gas of batch[start:end - 1]
        for end, row in enumerate(batch, start=1):
            extra = _description_gas(row)
            if end - start > 1 and gas(end - start) + described + extra > EIP7825_TX_GAS_CAP:
                fitted.append(batch[start : end - 1])
                start, described = end - 1, 0
            described += extra
        fitted.append(batch[start:])
    return fitted


def batch_gas(gas: Callable[[int], int], batch: list[StoneRow]) -> int:
    return min(gas(len(batch)) + description_gas(batch), EIP7825_TX_GAS_CAP)


def _gas_for_plan(
    guess: Future, guessed: list[StoneRow], plan: Plan, registry: Contract, sender: Sender, to: str, lab_grown: bool
) -> Callable[[int], int]:
    """The gas model `guess` made from the `guessed` stones, or, if the registry refused to
    estimate them because some were already registered, one from the first stones to register."""
    try:
        return guess.result()
    except InputError:
        if {r.token_id for r in plan.already}.isdisjoint(r.token_id for r in guessed):
            raise
        return gas_model(registry, sender, to, plan.batches[0], lab_grown)


def register_call(registry: Contract, to: str, batch: list[StoneRow], lab_grown: bool = False):
    first = batch[0]
    inputs = (
        to,
        text32(first.mine, "mine"),
        first.country.encode("ascii"),
        day_number(first.production_date),
        lab_grown,
        text32(first.kp_certificate) if first.kp_certificate else ZERO32,
    )
    descriptions = [r.description or "" for r in batch]
    return Call(
        registry,
        "register",
        inputs,
        [r.token_id for r in batch],
        [r.centicarats for r in batch],
        descriptions if any(descriptions) else [],
    )


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector walks every object there is (web3 alone brings 10^5) again and
    again while a run's rows and receipts are made, tripling the time to check a file; none of
    them are cycles. Paused, and with the objects that existed before frozen out of its walks,
    it afterwards looks once at what the run made instead of at everything."""
    enabled = gc.isenabled()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.unfreeze()


@dataclass
class MintResult:
    registered: int
    already_registered: int
    token_ids: list[int]
    transactions: list[str]
    gas_used: int
    elapsed: float
    described: int = 0
    batches: list[int] = field(default_factory=list)

    def as_json(self) -> dict:
        return {
            "registered": self.registered,
            "already_registered": self.already_registered,
            "token_ids": [str(t) for t in self.token_ids],
            "transactions": self.transactions,
            "batches": self.batches,
            "described": self.described,
            "gas_used": self.gas_used,
            "gas_per_stone": round(self.gas_used / self.registered, 1) if self.registered else None,
            "elapsed_seconds": round(self.elapsed, 3),
            "stones_per_second": round(self.registered / self.elapsed, 1) if self.elapsed and self.registered else 0.0,
        }


def mint(
    registry: Contract,
    sender: Sender,
    path: Path,
    *,
    to: str | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[int], None] | None = None,
    on_plan: Callable[[Plan], None] | None = None,
    lab_grown: bool = False,
) -> MintResult:
    """Registers the file's stones that are not yet on chain, as natural rough or, with
    `lab_grown`, laboratory-grown rough. `on_batch(n)` is told of each mined batch of n stones
    (for a progress bar)."""
    # One run at a time per account on this machine: the check against the chain must still hold
    # when the batches go out, and two runs would otherwise race for the account's nonces.
    with account_lock(sender), collector_paused():
        started = time.monotonic()
        to = to or sender.address
        with ThreadPoolExecutor(max_workers=4, thread_name_prefix="chain") as pool:
            # The chain answers while the file is read.
            opening = pool.submit(open_run, registry, sender)
            registrations = Registrations(registry, sender.address, pool, opening)
            guess: list[Future] = []  # gas, from estimates on the file's first stones

            def checked(chunk: list[StoneRow]) -> None:
                if not guess and chunk:
                    guess.append(pool.submit(gas_model, registry, sender, to, chunk[:2], lab_grown))
                registrations.ask(chunk)

            rows, problems = check_production_run(path, on_rows=checked)
            start = opening.result()
            size = _batch_size(sender, start, batch_size)
            plan = check_against_chain(registrations, path, to, size, start, lab_grown, problems)
            calls = []
            if plan.batches:
                gas = _gas_for_plan(guess[0], rows[:2], plan, registry, sender, to, lab_grown)
                plan.batches = fit(plan.batches, gas)
                calls = [register_call(registry, to, batch, lab_grown) for batch in plan.batches]
            if on_plan:
                on_plan(plan)
        sent: list[Sent] = []
        try:
            if calls:
                hashes = sender.submit_all(calls, [batch_gas(gas, batch) for batch in plan.batches], start.fees)
                for tx_hash, call, batch in zip(hashes, calls, plan.batches):
                    sent.append(sender.wait(tx_hash, call))
                    if on_batch:
                        on_batch(len(batch))
        except (ChainError, KeyboardInterrupt) as exc:
            raise RunInterrupted(exc, sum(map(len, plan.batches[: len(sent)])), len(plan.new)) from None
        return MintResult(
            registered=len(plan.new),
            already_registered=len(plan.already),
            token_ids=[r.token_id for r in plan.new],
            transactions=[s.hash for s in sent],
            gas_used=sum(s.gas_used for s in sent),
            elapsed=time.monotonic() - started,
            described=sum(1 for r in plan.new if r.description),
            batches=[len(b) for b in plan.batches],
        )


class RunInterrupted(ChainError):
    """A run stopped while sending (the chain failed, or Ctrl-C): how far it got, and that running
    the same file again registers the rest, and only the rest."""

    def __init__(self, cause: BaseException, confirmed: int, new: int) -> None:
        self.confirmed = confirmed
        why = "interrupted" if isinstance(cause, KeyboardInterrupt) else str(cause)
        if isinstance(cause, KeyboardInterrupt):
            self.exit_code = EXIT_INTERRUPTED
        super().__init__(
            f"{why}\n{confirmed} of the {new} new stones are confirmed on chain; batches sent after them may be "
            "mined too. Run the same command again: it skips every stone already on chain and registers the rest"
        )


def _batch_size(sender: Sender, start: Opening, asked: int | None) -> int:
    """The batch size to use; refuses a run the registry would refuse whole."""
    size = start.max_batch if asked is None else asked
    if not 1 <= size <= start.max_batch:
        raise InputError(f"--batch-size {size} must be between 1 and {start.max_batch} (the registry's MAX_BATCH)")
    if "producer" not in start.producer.roles:
        raise InputError(f"{sender.address} is not an accredited producer on this registry; nothing was sent")
    if not start.producer.prefix:
        raise InputError(
            f"{sender.address} has no stone-ID prefix on this registry (the admin gives one with "
            "`participant add ... --prefix`); nothing was sent"
        )
    return size
