"""Keeping the index up to date with the chain: a confirmation depth, reorganisations undone, the
provider's limits respected, and progress told as it goes.

Each pass first checks that the block the index ends at is still the chain's (its hash). If not,
the chain reorganised: the index walks back over the blocks it stored until one's hash matches
the chain's (the common ancestor), forgets everything above it and reads on from there. It then
reads every block up to the head less the confirmation depth, in spans the provider accepts
(`scan.Spans`: fewer blocks when refused, waiting out rate limiting), one transaction per span.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from queue import Full, Queue
from typing import Any, Callable, Iterator

from ..chain import Chain, rpc
from ..mint import collector_paused
from ..scan import LOG_CHUNK, Spans
from .loader import Loader, Reorganised
from .store import Progress, Store

# Stored blocks compared with the chain's per JSON-RPC batch while looking for the common ancestor.
ANCESTOR_BATCH = 100
# The first span, small enough for a busy chain (a block may hold thousands of events). Spans then
# grow over quiet stretches of the chain (up to scan's LOG_CHUNK) and shrink over busy ones, to
# about TARGET_RESULTS events a query: answers of a few megabytes, whatever the chain holds.
SPAN = 100
TARGET_RESULTS = 10_000


@dataclass
class Report:
    """What a run did: events added (and removed by rollbacks), the blocks it covered, its pace."""

    events: int = 0
    first_block: int | None = None
    last_block: int | None = None
    head: int | None = None
    rollbacks: int = 0
    removed: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0

    def as_json(self) -> dict:
        return {
            "events": self.events,
            "first_block": self.first_block,
            "last_block": self.last_block,
            "chain_head": self.head,
            "rollbacks": self.rollbacks,
            "events_removed": self.removed,
            "seconds": round(self.seconds, 3),
            "events_per_second": round(self.rate, 1),
        }


Progressed = Callable[[Report, int], None]  # (the report so far, the block being read to)


class Indexer:
    """Indexes `loader`'s registry into `store`, `confirmations` blocks behind the chain's head."""

    def __init__(self, store: Store, loader: Loader, confirmations: int, progressed: Progressed | None = None) -> None:
        self.store = store
        self.loader = loader
        self.confirmations = confirmations
        self.spans = Spans(SPAN, loader.chain.rpc_url, most=LOG_CHUNK, target=TARGET_RESULTS)
        self.progressed = progressed or (lambda report, target: None)
        self.report = Report()

    @property
    def chain(self) -> Chain:
        return self.loader.chain

    def run(self, follow: bool = False, poll: float = 2.0, passes: int | None = None) -> Report:
        """One pass (or, following, a pass every `poll` seconds until interrupted or `passes` done)."""
        started = time.perf_counter()
        done = 0
        try:
            while True:
                with collector_paused():  # millions of rows made, none of them cycles
                    self.catch_up()
                done += 1
                if not follow or (passes is not None and done >= passes):
                    return self.report
                time.sleep(poll)
        finally:
            self.report.seconds += time.perf_counter() - started

    def catch_up(self) -> None:
        """Undoes a reorganisation, if any, then indexes up to the head less the confirmation depth."""
        while True:
            progress = self._untangled()
            head = rpc(lambda: self.chain.w3.eth.block_number, self.chain.rpc_url)
            self.report.head = head
            target = head - self.confirmations
            if target <= progress.last_block:
                return
            try:
                self._read(progress.last_block + 1, target)
                return
            except Reorganised:
                continue  # the tip check of the next round finds where the chains part

    def _read(self, first: int, last: int) -> None:
        spans = self.spans.scan(lambda a, b: self.loader.read(a, b), first, last, size=lambda read: read[0].events)
        for start, end, (span, end_hash) in ahead(spans):
            self.store.write(span, end, end_hash)
            self.report.events += span.events
            self.report.first_block = start if self.report.first_block is None else self.report.first_block
            self.report.last_block = end
            self.progressed(self.report, last)

    def _untangled(self) -> Progress:
        """The index's progress, after rolling back to the common ancestor if the chain reorganised."""
        progress = self.store.progress()
        if progress.last_hash is None:
            return progress
        header = self.loader.headers([progress.last_block])[0]
        if header is not None and header["hash"] == progress.last_hash:
            return progress
        ancestor, ancestor_hash = self._ancestor(progress)
        self.report.removed += self.store.rollback(ancestor, ancestor_hash)
        self.report.rollbacks += 1
        return self.store.progress()

    def _ancestor(self, progress: Progress) -> tuple[int, str | None]:
        """The newest stored block the chain still has, or the block before the first indexed."""
        at = progress.last_block
        while True:
            stored = self.store.stored_blocks(at, ANCESTOR_BATCH)
            if not stored:
                return progress.first_block - 1, None
            headers = self.loader.headers([number for number, _ in stored])
            for (number, stored_hash), header in zip(stored, headers):
                if header is not None and header["hash"] == stored_hash:
                    return number, stored_hash
            at = stored[-1][0] - 1


def ahead(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """`items`, made in a thread of their own up to `depth` ahead of the caller: the next span is
    read from the node while this one is written to the database. What the thread raises is
    raised here; the thread stops when the caller does."""
    queue: Queue = Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def put(item: Any) -> None:
        while not stop.is_set():
            try:
                return queue.put(item, timeout=0.1)
            except Full:
                continue

    def make() -> None:
        try:
            for item in items:
                put(item)
                if stop.is_set():
                    return
            put(done)
        except BaseException as exc:  # handed to the caller, which raises it
            put(_Raised(exc))

    threading.Thread(target=make, daemon=True, name="index-reader").start()
    try:
        while (item := queue.get()) is not done:
            if isinstance(item, _Raised):
                raise item.exc
            yield item
    finally:
        stop.set()


@dataclass
class _Raised:
    exc: BaseException
