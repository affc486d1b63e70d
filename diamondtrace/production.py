"""A mine's production run as a file: `stone_id,carat,mine,country,production_date[,kp_certificate][,description]`,
one stone a line, checked offline (the chain's side is `planning`).

Each column's rule is written once, here, and serves both ways of reading: a whole column at a
time for files as mines export them (thousands of stones in milliseconds), and row by row for any
other file and to name every problem. Both give the same rows or the same problems (a property
test holds them to it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Callable

from . import tables
from .countries import COUNTRIES
from .errors import InputError
from .model import (
    MAX_DESCRIPTION,
    PLAIN_CARAT_REGEX,
    STONE_ID_REGEX,
    parse_centicarats,
    parse_date,
    parse_stone_id,
    plain_centicarats,
    text32,
    token_ids,
    token_of,
)
from .tables import Column, Problem, TableInvalid

STONES = tables.Schema(
    required=("stone_id", "carat", "mine", "country", "production_date"),
    optional=("kp_certificate", "description"),
    max_rows=100_000,
    what="stones",
)
# Rows checked at a time, then looked up on chain (one call, ~14M gas: inside any node's eth_call
# gas cap) while the next are checked.
ROWS_CHUNK = 5_000


@dataclass(slots=True)
class StoneRow:
    line: int
    stone_id: str
    token_id: int
    centicarats: int
    mine: str
    country: str
    production_date: dt.date
    kp_certificate: str | None
    description: str | None

    @property
    def batch_key(self) -> tuple:
        """What a registration batch shares: rows differing here go into different batches."""
        return (self.mine, self.country, self.production_date, self.kp_certificate)


def mine_name(value: str) -> str:
    text32(value, "mine")
    return value


def country_code(value: str) -> str:
    if value not in COUNTRIES:
        raise InputError(f"unknown country code {value!r}: use ISO 3166-1 alpha-2, such as BW for Botswana")
    return value


def certificate_number(value: str) -> str | None:
    if not value:
        return None
    text32(value, "KP certificate number")
    return value


def description(value: str) -> str | None:
    # The registry counts bytes: 300 accented characters are 600 of them.
    size = len(value.encode())
    if size > MAX_DESCRIPTION:
        raise InputError(f"description is {size} bytes; at most {MAX_DESCRIPTION}")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in value):
        raise InputError("description contains control characters")
    return value or None


def _production_date(today: dt.date) -> Callable[[str], dt.date]:
    def parse(value: str) -> dt.date:
        date = parse_date(value, "production date")
        if date > today:
            raise InputError(f"production date {date} is in the future")
        return date

    return parse


STONE_ID = Column("stone_id", parse_stone_id, STONE_ID_REGEX)
CARAT = Column("carat", parse_centicarats, PLAIN_CARAT_REGEX, plain_centicarats)
DESCRIPTION = Column("description", description)


def columns_for(today: dt.date) -> tuple[Column, ...]:
    return (
        STONE_ID,
        CARAT,
        Column("mine", mine_name),
        Column("country", country_code),
        Column("production_date", _production_date(today)),
        Column("kp_certificate", certificate_number),
        DESCRIPTION,
    )


def _row(line: int, v: dict[str, object]) -> StoneRow:
    sid: str = v["stone_id"]  # type: ignore[assignment]
    return StoneRow(
        line, sid, token_of(sid), v["carat"], v["mine"], v["country"], v["production_date"],  # type: ignore[arg-type]
        v.get("kp_certificate"), v.get("description"),  # type: ignore[arg-type]
    )  # fmt: skip


def _bulk_rows(lines: range, values: dict[str, list]) -> list[StoneRow]:
    ids = values["stone_id"]
    # map() over the columns: the rows are made in C, a third faster than a comprehension.
    return list(
        map(
            StoneRow, lines, ids, token_ids(ids), values["carat"], values["mine"], values["country"],
            values["production_date"], values.get("kp_certificate", repeat(None)), values.get("description", repeat(None)),
        )
    )  # fmt: skip


def check_production_run(
    path: Path, today: dt.date | None = None, on_rows: Callable[[list[StoneRow]], None] | None = None, *, bulk: bool = True
) -> tuple[list[StoneRow], list[Problem]]:
    """The file's sound rows and every problem of the others. A file that cannot be read as a
    production run at all (encoding, header, size) raises `TableInvalid`. The file is checked in
    chunks; `on_rows` is given each chunk's sound rows as soon as they are known, so the chain can
    be asked about them while the rest is read. `bulk=False` checks even a plain file row by row."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    table = tables.read(path, STONES, bulk=bulk)
    columns = columns_for(today)
    told, complete = _bulk_check(table, columns, on_rows) if table.plain else ([], False)
    if complete:
        return told, []
    rows, problems = tables.RowChecker(table.header, columns, _row, "stone_id").check(tables.records_of(table, STONES))
    if on_rows:
        on_rows(rows[len(told) :])
    return rows, problems


def _bulk_check(
    table: tables.Table, columns: tuple[Column, ...], on_rows: Callable[[list[StoneRow]], None] | None
) -> tuple[list[StoneRow], bool]:
    """The rows of a plain file, checked a chunk of columns at a time, and whether that was all of
    them: at the first doubt it stops, with the rows of the chunks before (sound, and given to
    `on_rows`)."""
    rows: list[StoneRow] = []
    seen: set[str] = set()
    for start in range(0, len(table.lines), ROWS_CHUNK):
        end = start + ROWS_CHUNK
        values = tables.bulk_values({k: v[start:end] for k, v in table.columns.items()}, columns, "stone_id", seen)
        if values is None:
            return rows, False
        chunk = _bulk_rows(table.lines[start:end], values)  # type: ignore[arg-type]
        rows += chunk
        if on_rows:
            on_rows(chunk)
    return rows, True


def read_production_run(path: Path, today: dt.date | None = None, *, bulk: bool = True) -> list[StoneRow]:
    """Every row of a sound file; `TableInvalid` naming every problem of any other."""
    rows, problems = check_production_run(path, today, bulk=bulk)
    if problems:
        raise TableInvalid(path, problems)
    return rows
