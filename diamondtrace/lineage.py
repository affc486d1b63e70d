"""Polished stones: cut from a registered rough stone (split), or entered with a declared origin."""

from __future__ import annotations

from pathlib import Path

from web3.contract import Contract

from . import tables
from .model import country as country_code
from .model import text32, token_of
from .production import CARAT, DESCRIPTION, STONE_ID
from .sending import Sender, Sent

CHILDREN = tables.Schema(required=("stone_id", "carat"), optional=("description",), max_rows=10_000, what="stones")


def read_children(path: Path) -> list[tuple[int, int, str | None]]:
    """`split`'s and `declare`'s CSV, `stone_id,carat[,description]`: each stone's token id,
    weight and description; `TableInvalid` naming every problem."""
    table = tables.read(path, CHILDREN, bulk=False)
    children, problems = tables.RowChecker(table.header, (STONE_ID, CARAT, DESCRIPTION), _child, "stone_id").check(table.data)
    if problems:
        raise tables.TableInvalid(path, problems)
    return children


def _child(line: int, v: dict) -> tuple[int, int, str | None]:
    return token_of(v["stone_id"]), v["carat"], v.get("description")


def _columns(stones: list[tuple[int, int, str | None]]) -> tuple[list[int], list[int], list[str]]:
    """Token ids, weights and descriptions (an empty list when no stone has one)."""
    descriptions = [d or "" for _, _, d in stones]
    return [t for t, _, _ in stones], [w for _, w, _ in stones], descriptions if any(descriptions) else []


def split(registry: Contract, sender: Sender, parent: int, children: list[tuple[int, int, str | None]]) -> Sent:
    """Splits rough stone `parent` into polished `children` (id, centicarats, description)."""
    return sender.send(registry.functions.split(parent, *_columns(children)))


def declare(
    registry: Contract,
    sender: Sender,
    stones: list[tuple[int, int, str | None]],
    *,
    mine: str,
    country: str | None,
    lab_grown: bool,
) -> Sent:
    """Enters polished stones made before the registry, marked "origin declared, not traced from the mine"."""
    origin = (text32(mine, "--mine"), country_code(country) if country else b"\0\0", lab_grown)
    return sender.send(registry.functions.declare(origin, *_columns(stones)))
