"""Reading the chain's history for lists: event scans and block times.

A scan's cost grows with the chain's age, so only lists use it (the explorer's pages, `verify
--all-descriptions`); the custody proof never does (see `proof`).
"""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.exceptions import Web3RPCError

LOG_CHUNK = 50_000


def event_logs(event: Any, from_block: int, to_block: int, filters: dict[str, Any]) -> list[Any]:
    """Event logs in chunks, as public RPC endpoints limit the block range (or the results) of one
    query: a chunk the provider refuses is halved, and stays halved, down to one block."""
    found: list[Any] = []
    start, chunk = from_block, LOG_CHUNK
    while start <= to_block:
        end = min(start + chunk - 1, to_block)
        try:
            found.extend(event.get_logs(from_block=start, to_block=end, argument_filters=filters))
        except (ValueError, Web3RPCError):
            if chunk == 1:
                raise
            chunk = max(chunk // 2, 1)
            continue
        start = end + 1
    return sorted(found, key=lambda log: (log["blockNumber"], log["logIndex"]))


class BlockTimes:
    """Block timestamps, fetched once each."""

    def __init__(self, w3: Web3) -> None:
        self._w3 = w3
        self._times: dict[int, int] = {}

    def __call__(self, block: int) -> int:
        if block not in self._times:
            self._times[block] = int(self._w3.eth.get_block(block)["timestamp"])
        return self._times[block]
