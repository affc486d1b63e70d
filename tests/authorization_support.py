"""Helpers for the tests of custody authorizations through the command: a stone of the
producer's own, who holds it, and a refusal that leaves the chain as it was."""

from __future__ import annotations

from cli_support import run_rows, write_csv

from diamondtrace.model import token_id

PRODUCER = 1  # dev account of the cast's producer, who holds the stones minted here


def mint(dt, tmp_path, prefix: str) -> str:
    dt("mint", write_csv(tmp_path / f"{prefix}.csv", run_rows(prefix, 1)), "--dev-account", PRODUCER)
    return f"{prefix}-00000"


def holder_of(dt, stone: str) -> str:
    return dt.registry().functions.ownerOf(token_id(stone)).call()


def refused(dt, stone, *args, contains):
    """Exit 2, the reason in words, and nothing sent: no block mined, the stone where it was."""
    before, held = dt.block(), holder_of(dt, stone)
    r = dt(*args, expect=2)
    for text in [contains] if isinstance(contains, str) else contains:
        assert text in r.err, r.err
    assert "Traceback" not in r.err and dt.block() == before and holder_of(dt, stone) == held
    return r
