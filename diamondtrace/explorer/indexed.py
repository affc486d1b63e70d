"""The explorer's lists read from the index (`explorer --db`): the same answers as `lists`, each one
indexed lookup, however long the chain's history. The index never decides a verdict: each page says
how far the index reaches and whether its last block is still the chain's, and a stone's page
compares the index's custody records of the stone with those checked against the chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from ..index.schema import accounts, blocks, certificates, custody, draws, held, registrations, stones
from ..index.schema import flag_changes as flag_changes_table
from ..index.store import Store
from ..model import Flag, Origin, text32, text_of
from ..records import CustodyRecord, FlagChange, country_of
from ..verify import Provenance
from .lists import MAX_LISTED, Holdings, Registration, is_text
from .reads import View


@dataclass(frozen=True)
class IndexStatus:
    """How far the index reaches against the chain, and whether it still agrees with it."""

    block: int
    head: int
    confirmations: int
    inconsistent: str | None  # why the index disagrees with the chain; None if it agrees

    @property
    def behind(self) -> bool:
        return self.block < self.head - self.confirmations


def _record(row) -> CustodyRecord:
    return CustodyRecord(
        token_id=row.token_id, sender=row.sender, recipient=row.recipient, document=bytes(row.document), chains=row.chains,
        record=row.record, block=row.block, log_index=row.log_index, transaction=row.tx,
    )  # fmt: skip


@dataclass
class IndexedRecords:
    """A custody proof's records of stone `token` from the index (`proof.RecordSource`): a holder's
    records from the stone's arrival on, in one indexed lookup where the chain's logs would give
    every record of the holder's busy blocks. The proof checks them against the chain's anchor."""

    store: Store
    token: int
    calls: int = 0

    def back_from(self, account: str, block: int, floor: int) -> list[CustodyRecord]:
        c = custody.c
        wanted = sa.and_(c.recipient == account, c.block >= floor, c.block <= block)
        # The stone's own record into `account` in block `floor` is the first the proof needs there.
        arrival = sa.select(c.log_index).where(wanted, c.block == floor, c.token_id == self.token).limit(1).scalar_subquery()
        query = sa.select(custody).where(wanted, sa.or_(c.block > floor, c.log_index >= sa.func.coalesce(arrival, 0)))
        self.calls += 1
        with self.store.engine.connect() as connection:
            return [_record(row) for row in connection.execute(query.order_by(c.block, c.log_index))]


class IndexedLists:
    """The lists from the index in `store`, for one request's `view` of the chain."""

    def __init__(self, store: Store, view: View) -> None:
        self.store = store
        self.view = view
        # Every page shows the index's status: it is read while the page reads the rest.
        self._status = view.meanwhile(self._read_status)

    def _rows(self, query) -> list:
        with self.store.engine.connect() as c:
            return c.execute(query).all()

    def custody_records(self, token: int) -> IndexedRecords:
        return IndexedRecords(self.store, token)

    def status(self) -> IndexStatus:
        """The index's reach, its last block's hash checked against the chain's (read once a request)."""
        return self._status.result()

    def _read_status(self) -> IndexStatus:
        progress = self.store.progress()
        head = self.view.block
        inconsistent = None
        if progress.last_hash is not None:
            if self.view.hashes(progress.last_block) != progress.last_hash:
                inconsistent = f"the chain's block {progress.last_block} is not the one the index was built from"
        return IndexStatus(progress.last_block, head, progress.confirmations, inconsistent)

    def registrations(self, count: int) -> list[Registration]:
        r = registrations.c
        query = (
            sa.select(registrations, blocks.c.time)
            .join(blocks, blocks.c.number == r.block)
            .order_by(r.block.desc(), r.log_index.desc())
            .limit(count)
        )
        return [
            Registration(
                row.time,
                row.registrant,
                row.stones,
                row.centicarats,
                Origin(row.origin),
                text_of(row.mine),
                country_of(row.country),
                row.tx,
            )  # fmt: skip
            for row in self._rows(query)
        ]

    def moves(self, count: int) -> list[CustodyRecord]:
        query = sa.select(custody).order_by(custody.c.block.desc(), custody.c.log_index.desc()).limit(count)
        return [_record(row) for row in self._rows(query)]

    def exporting_country(self, number: str) -> str | None:
        if not is_text(number):
            return None
        c = certificates.c
        found = self._rows(sa.select(c.exporting).where(c.number == text32(number)).order_by(c.block, c.log_index).limit(1))
        return country_of(found[0].exporting) if found else None

    def drawn(self, certificate_id: int) -> tuple[list[tuple[int, int | None]], int]:
        d = draws.c
        crossings = self._rows(
            sa.select(d.token_id, d.centicarats)
            .where(d.certificate_id == certificate_id, d.token_id.is_not(None))
            .order_by(d.block, d.log_index)
        )
        batches = [
            row.batch for row in self._rows(sa.select(d.batch).where(d.certificate_id == certificate_id, d.batch.is_not(None)))
        ]
        drawn: dict[int, int | None] = {row.token_id: row.centicarats for row in crossings}
        minted = 0
        if batches:
            in_batches = stones.c.batch.in_(batches)
            mints = sa.select(stones.c.token_id).where(in_batches).order_by(stones.c.block, stones.c.log_index).limit(MAX_LISTED)
            for row in self._rows(mints):
                drawn[row.token_id] = None
            minted = self._rows(sa.select(sa.func.count()).select_from(stones).where(in_batches))[0][0]
            crossed = [row.token_id for row in crossings]
            if crossed:
                minted -= self._rows(
                    sa.select(sa.func.count()).select_from(stones).where(in_batches, stones.c.token_id.in_(crossed))
                )[0][0]
        return list(drawn.items())[:MAX_LISTED], len({row.token_id for row in crossings}) + minted

    def holdings(self, account: str) -> Holdings:
        holds = sa.select(stones.c.token_id).where(stones.c.holder == account).order_by(stones.c.token_id).limit(MAX_LISTED)
        was = sa.select(held.c.token_id).where(held.c.account == account).order_by(held.c.token_id).limit(MAX_LISTED)
        counts = self._rows(sa.select(accounts.c.holds, accounts.c.held).where(accounts.c.account == account))
        holds_count, held_count = counts[0] if counts else (0, 0)
        return Holdings([r.token_id for r in self._rows(holds)], [r.token_id for r in self._rows(was)], holds_count, held_count)

    def stone_note(self, p: Provenance, flag_changes: list[FlagChange]) -> str | None:
        """What the index's custody records of the stone (and of its rough parent) and its reports of
        theft or loss say against those read from the chain: None when they agree, else why it is
        behind or inconsistent."""
        status = self.status()
        if status.inconsistent:
            return f"index inconsistent with the chain: {status.inconsistent}"
        checked = p.history.records + (p.parent_history.records if p.parent_history else [])
        tokens = list({p.stone.token_id, p.root})
        indexed = {_record(row) for row in self._rows(sa.select(custody).where(custody.c.token_id.in_(tokens)))}
        reached = {r for r in checked if r.block <= status.block}
        if indexed != reached:
            return (
                f"index inconsistent with the chain: it holds {len(indexed)} custody record(s) of this stone up to block "
                f"{status.block}, the chain {len(reached)}, and they differ"
            )
        f = flag_changes_table.c
        indexed_flags = {
            FlagChange(row.token_id, Flag(row.flag), row.by, bytes(row.document), row.block, row.log_index, row.tx)
            for row in self._rows(sa.select(flag_changes_table).where(f.token_id == p.stone.token_id))
        }
        if indexed_flags != {c for c in flag_changes if c.block <= status.block}:
            reach = status.block
            return f"index inconsistent with the chain: its reports of theft or loss of this stone up to block {reach} differ"
        later = len(checked) - len(reached)
        if later:
            return f"index behind at block {status.block}: this stone has {later} custody record(s) after it"
        return None
