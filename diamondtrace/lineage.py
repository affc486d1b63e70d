"""Polished stones: cut from a registered rough stone (split), or entered with a declared origin."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from web3.contract import Contract

from .errors import InputError
from .model import MAX_DESCRIPTION, parse_centicarats, text32, token_id
from .sending import Sender, Sent


def read_children(path: Path) -> list[tuple[int, int, str | None]]:
    """`split`'s and `declare`'s CSV: stone_id,carat[,description]."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8") from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    except csv.Error as exc:
        raise InputError(f"{path}: malformed CSV: {exc}") from None
    if not rows or [c.strip().lower() for c in rows[0]][:2] != ["stone_id", "carat"]:
        raise InputError(f"{path}:1: the header must be stone_id,carat[,description]")
    width = len(rows[0])
    children, problems, seen = [], [], set()
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != width:
            problems.append(f"{path}:{line}: expected {width} fields, found {len(row)}")
            continue
        try:
            sid = row[0].strip()
            token = token_id(sid)
            if sid in seen:
                raise InputError(f"stone ID {sid} repeated")
            seen.add(sid)
            description = row[2].strip() if width > 2 and row[2].strip() else None
            if description and len(description.encode()) > MAX_DESCRIPTION:
                raise InputError(f"description is {len(description.encode())} bytes; at most {MAX_DESCRIPTION}")
            children.append((token, parse_centicarats(row[1]), description))
        except InputError as exc:
            problems.append(f"{path}:{line}: {exc}")
    if problems:
        raise InputError("nothing was sent:\n" + "\n".join(problems))
    if not children:
        raise InputError(f"{path}: no stones listed")
    return children


def _columns(stones: list[tuple[int, int, str | None]]) -> tuple[list[int], list[int], list[str]]:
    """Token ids, weights and descriptions (an empty list when no stone has one)."""
    descriptions = [d or "" for _, _, d in stones]
    return [t for t, _, _ in stones], [w for _, w, _ in stones], descriptions if any(descriptions) else []


def split(registry: Contract, sender: Sender, parent: int, children: list[tuple[int, int, str | None]]) -> Sent:
    """Splits rough stone `parent` into polished `children` (id, centicarats, description)."""
    return sender.send(registry.functions.split(parent, *_columns(children)))


def declare(
    registry: Contract, sender: Sender, stones: list[tuple[int, int, str | None]], *, mine: str, country: str | None, lab_grown: bool
) -> Sent:
    """Enters polished stones made before the registry, marked "origin declared, not traced from the mine"."""
    origin = (text32(mine, "--mine"), country.encode("ascii") if country else b"\0\0", lab_grown)
    return sender.send(registry.functions.declare(origin, *_columns(stones)))
