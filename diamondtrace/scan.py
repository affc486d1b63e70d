"""Reading the chain's history for lists: event scans and block times.

A scan's cost grows with the chain's age, so only lists use it (the explorer's pages, `verify
--all-descriptions`); the custody proof never does (see `proof`).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from web3 import Web3
from web3.exceptions import Web3RPCError

from .chain import patient, raw_request

LOG_CHUNK = 50_000
# A shrunk span is tried doubled again after this many answers in a row: a provider's limit on
# results binds in busy stretches of the chain only, so the span grows back over quiet ones.
GROW_AFTER = 8


class Spans:
    """The block span of one `eth_getLogs` query, fitted to what the provider accepts. Public
    endpoints limit a query's block range (often 1,000 blocks or fewer) or its results (often
    10,000) and answer an error past it: a refused span is halved, down to one block, and after
    GROW_AFTER answers in a row doubled again, up to `most` (the first span). With a `target`, a
    span that found more results than it shrinks in proportion and one that found under a quarter
    of it doubles at once, so that dense stretches of the chain come in answers of a bounded size.
    Rate limiting (HTTP 429) is waited out (`chain.patient`)."""

    def __init__(
        self, span: int = LOG_CHUNK, where: str = "the RPC endpoint", most: int | None = None, target: int | None = None
    ) -> None:
        self.span = span
        self.most = most or span
        self.target = target
        self.where = where
        self._answered = 0

    def scan(
        self, fetch: Callable[[int, int], Any], first: int, last: int, size: Callable[[Any], int] = len
    ) -> Iterator[tuple[int, int, Any]]:
        """`fetch(start, end)` over blocks `first`..`last` in spans: (start, end, what it found), in
        order; `size` counts the results of what it found."""
        start = first
        while start <= last:
            _, end, found = self._accepted(fetch, lambda: (start, min(start + self.span - 1, last)))
            yield start, end, found
            start = end + 1
            self._fit(size(found))

    def ending_at(self, fetch: Callable[[int, int], Any], last: int, floor: int) -> Any:
        """What `fetch` found over the span ending at block `last` (not below `floor`), for a walk
        back through the chain."""
        return self._accepted(fetch, lambda: (max(floor, last - self.span + 1), last))[2]

    def _accepted(self, fetch: Callable[[int, int], Any], bounds: Callable[[], tuple[int, int]]) -> tuple[int, int, Any]:
        """`fetch` over the blocks `bounds()` gives for the current span, the span halved until the
        provider accepts it: (start, end, what it found)."""
        while True:
            start, end = bounds()
            try:
                return start, end, patient(lambda: fetch(start, end), self.where)
            except (ValueError, Web3RPCError):
                if self.span == 1:
                    raise
                self.span //= 2
                self._answered = 0

    def _fit(self, results: int) -> None:
        self._answered += 1
        if self.target and results > self.target:
            self.span = max(self.span * self.target // results, 1)
            self._answered = 0
        elif (self.target and results < self.target // 4) or self._answered >= GROW_AFTER:
            if self.span < self.most:
                self.span = min(self.span * 2, self.most)
                self._answered = 0


def event_logs(event: Any, from_block: int, to_block: int, filters: dict[str, Any]) -> list[Any]:
    """`event`'s logs in blocks `from_block`..`to_block`, oldest first, in spans the provider accepts."""
    spans = Spans().scan(lambda a, b: event.get_logs(from_block=a, to_block=b, argument_filters=filters), from_block, to_block)
    found = [log for _, _, logs in spans for log in logs]
    return sorted(found, key=lambda log: (log["blockNumber"], log["logIndex"]))


def raw_logs(w3: Web3, address: str, topics: list, from_block: int, to_block: int) -> list[dict]:
    """The logs of `address` matching `topics` in blocks `from_block`..`to_block`, oldest first, as
    the node sends them (hex strings: web3's formatting of each log costs more than the query)."""
    query = {"address": address, "topics": topics}
    fetch = lambda a, b: raw_request(w3, "eth_getLogs", [{**query, "fromBlock": hex(a), "toBlock": hex(b)}])  # noqa: E731
    found = [log for _, _, logs in Spans().scan(fetch, from_block, to_block) for log in logs]
    return sorted(found, key=lambda log: (int(log["blockNumber"], 16), int(log["logIndex"], 16)))


class BlockTimes:
    """Block timestamps, fetched once each."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._times: dict[int, int] = {}

    def __call__(self, block: int) -> int:
        if block not in self._times:
            self._times[block] = int(self._w3.eth.get_block(block)["timestamp"])
        return self._times[block]
