"""Registering a mine's production run from a CSV file, where a duplicate or a lost stone is real money.

The whole file is checked, offline and against the chain, before anything is sent; every problem is
reported with its line and column. Re-running the same file after an interruption registers exactly
the stones not yet on chain: a batch is one transaction, so it is either wholly on chain or not at all.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import gc
import io
import logging
import math
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from web3.contract import Contract

from .abi import Call
from .chain import EIP7825_TX_GAS_CAP, batch_request, decoded, eth_call, rpc, view
from .countries import COUNTRIES
from .deployments import certificates_contract
from .errors import ChainError, InputError
from .model import (
    MAX_CENTICARATS,
    ROLES,
    STONE_ID_PATTERN,
    ZERO32,
    Origin,
    day_number,
    format_carat,
    parse_centicarats,
    parse_date,
    text32,
    text_of,
    token_id,
)
from .sending import Sender, Sent, _nonce_requests, _unmined, account_lock, wait_for_pending

log = logging.getLogger("diamondtrace")

REQUIRED_COLUMNS = ("stone_id", "carat", "mine", "country", "production_date")
OPTIONAL_COLUMNS = ("kp_certificate", "description")
MAX_ROWS = 100_000
MAX_DESCRIPTION = 500
MAX_REPORTED = 200
# A cell a spreadsheet would run as a formula if this file (or an export of it) were opened in one.
FORMULA_START = ("=", "+", "@", "\t", "\r")
# Rows checked at a time, then looked up on chain (one call, ~14M gas: inside any node's eth_call
# gas cap) while the next are checked.
ROWS_CHUNK = 5_000
# Gas kept in reserve above the estimate: the registry's work per stone is fixed, so this is ample.
GAS_MARGIN = 1.05


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


@dataclass(frozen=True)
class Problem:
    line: int
    column: str | None
    message: str

    def render(self, path: Path) -> str:
        where = f"{path}:{self.line}" + (f": column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class ProductionRunInvalid(InputError):
    """The file has problems; nothing was sent."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        shown = [p.render(path) for p in problems[:MAX_REPORTED]]
        more = len(problems) - len(shown)
        tail = f"\n... and {more} more" if more > 0 else ""
        super().__init__(
            f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}, nothing was sent:\n"
            + "\n".join(shown)
            + tail
        )


def _decode(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ProductionRunInvalid(
            path, [Problem(line, None, f"byte {column} of the line is not UTF-8 (0x{raw[exc.start]:02x}); save the file as UTF-8")]
        ) from None


def _records(path: Path, text: str) -> list[tuple[int, list[str]]]:
    """The non-empty CSV records with the line each starts on (a quoted cell may span lines).
    Stops, before a huge file fills memory, soon after `MAX_ROWS` records."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for record in reader:
            if record:
                records.append((last + 1, record))
                if len(records) > MAX_ROWS + 1:
                    raise _too_many(path, last + 1)
            last = reader.line_num
    except csv.Error as exc:
        raise ProductionRunInvalid(path, [Problem(last + 1, None, f"malformed CSV: {exc}")]) from None
    return records


def _plain_table(text: str) -> tuple[list[str], list[list[str]]] | None:
    """The header and the columns of a file as mines export them: no quotes or blank lines, lines
    ending in LF or CRLF, every line with as many cells as the header. Split in bulk, in half the
    csv module's time; None for any other file (`_records` reads those)."""
    text = text.replace("\r\n", "\n")
    if any(special in text for special in '"\r\0'):
        return None
    lines = text.removesuffix("\n").split("\n", MAX_ROWS + 1)
    header = lines[0].split(",")
    if len(lines) < 2 or len(lines) > MAX_ROWS + 1 or set(map(str.count, lines, repeat(","))) != {len(header) - 1}:
        return None
    cells = ",".join(lines[1:]).split(",")
    return header, [cells[i :: len(header)] for i in range(len(header))]


def _too_many(path: Path, line: int) -> ProductionRunInvalid:
    return ProductionRunInvalid(path, [Problem(line, None, f"more than {MAX_ROWS:,} stones in one file; split the production run into several files")])


def _stone_id(value: str) -> str:
    if not STONE_ID_PATTERN.fullmatch(value):
        raise InputError(f"stone ID {value!r} must be 1 to 32 printable ASCII characters without spaces")
    return value


def _carat(value: str) -> int:
    # The common case, "12.34", without Decimal; anything else gets the full parse and its message.
    if _PLAIN_CARAT.fullmatch(value):
        whole, _, cents = value.partition(".")
        centicarats = int(whole) * 100 + int(cents.ljust(2, "0") or 0)
        if 0 < centicarats <= MAX_CENTICARATS:
            return centicarats
    return parse_centicarats(value)


def _mine(value: str) -> str:
    text32(value, "mine")
    return value


def _country(value: str) -> str:
    if value not in COUNTRIES:
        raise InputError(f"unknown country code {value!r}: use ISO 3166-1 alpha-2, such as BW for Botswana")
    return value


def _certificate_number(value: str) -> str | None:
    if not value:
        return None
    text32(value, "KP certificate number")
    return value


def _description(value: str) -> str | None:
    # The registry counts bytes: 300 accented characters are 600 of them.
    size = len(value.encode())
    if size > MAX_DESCRIPTION:
        raise InputError(f"description is {size} bytes; at most {MAX_DESCRIPTION}")
    if any(ord(ch) < 0x20 and ch != "\n" for ch in value):
        raise InputError("description contains control characters")
    return value or None


_PLAIN_CARAT = re.compile(r"[0-9]{1,5}(?:\.[0-9]{1,2})?")
_COLUMNS: tuple[tuple[str, Callable[[str], object]], ...] = (
    ("stone_id", _stone_id),
    ("carat", _carat),
    ("mine", _mine),
    ("country", _country),
    ("kp_certificate", _certificate_number),
    ("description", _description),
)


class _RowParser:
    """Checks rows of one file. Values that repeat down a production run (mine, country, date,
    certificate) are checked once each; the file can hold many thousands of stones."""

    def __init__(self, header: list[str], today: dt.date) -> None:
        self.columns = [(header.index(name), name, parse) for name, parse in _COLUMNS if name in header]
        self.date_index = header.index("production_date")
        self.today = today
        self.seen: dict[tuple[str, str], object] = {}

    def _value(self, column: str, parse: Callable[[str], object], raw: str) -> object:
        key = (column, raw)
        if key not in self.seen:
            try:
                self.seen[key] = parse(raw)
            except InputError as exc:
                self.seen[key] = exc
        value = self.seen[key]
        if isinstance(value, InputError):
            raise value
        return value

    def _date(self, raw: str) -> dt.date:
        date = parse_date(raw, "production date")
        if date > self.today:
            raise InputError(f"production date {date} is in the future")
        return date

    def parse(self, line: int, record: list[str]) -> tuple[StoneRow | None, list[Problem]]:
        problems: list[Problem] = []
        values: dict[str, object] = {"kp_certificate": None, "description": None}
        for index, column, parse in self.columns + [(self.date_index, "production_date", self._date)]:
            raw = record[index].strip()
            if raw.startswith(FORMULA_START):
                problems.append(Problem(line, column, f"{raw[:20]!r} starts like a spreadsheet formula; refusing it"))
                continue
            try:
                values[column] = self._value(column, parse, raw) if column in _REPEATING else parse(raw)
            except InputError as exc:
                problems.append(Problem(line, column, str(exc)))
        if problems:
            return None, problems
        sid = values["stone_id"]
        return StoneRow(line, sid, token_id(sid), values["carat"], values["mine"], values["country"],  # type: ignore[arg-type]
                        values["production_date"], values["kp_certificate"], values["description"]), []  # type: ignore[arg-type]


_REPEATING = frozenset({"mine", "country", "kp_certificate", "production_date"})
_KIND = {False: "natural", True: "laboratory-grown"}


_ALL_STONE_IDS = re.compile(r"(?:[\x21-\x7e]{1,32}\n)*[\x21-\x7e]{1,32}")
_ALL_CARATS = re.compile(r"(?:[0-9]{1,5}(?:\.[0-9]{1,2})?\n)*[0-9]{1,5}(?:\.[0-9]{1,2})?")
_FORMULA_LINE = re.compile(r"^[=+@]", re.MULTILINE)


def _bulk_rows(header: list[str], lines: Sequence[int], columns: dict[str, Sequence[str]], today: dt.date, seen: set[str]) -> list[StoneRow] | None:
    """Rows checked column by column, with regular expressions over each column and one check per
    distinct mine, country, date and certificate: many thousands of stones in a few milliseconds.
    `seen` holds the stone IDs of the rows before; this chunk's are added. Returns None at the
    first doubt, and the file is then checked row by row (`_rows_one_by_one`), which names every
    problem."""
    ids = columns["stone_id"]
    joined = "\n".join(ids)
    if not _ALL_STONE_IDS.fullmatch(joined) or _FORMULA_LINE.search(joined):
        return None
    unique = set(ids)
    if len(unique) != len(ids) or not seen.isdisjoint(unique):
        return None
    carats = columns["carat"]
    if not _ALL_CARATS.fullmatch("\n".join(carats)):
        return None
    centicarats = [round(float(c) * 100) for c in carats]
    if min(centicarats) <= 0 or max(centicarats) > MAX_CENTICARATS:
        return None
    parser = _RowParser(header, today)
    checked: dict[str, dict[str, object]] = {}
    for column, parse in [("mine", _mine), ("country", _country), ("production_date", parser._date), ("kp_certificate", _certificate_number)]:
        checked[column] = {}
        for raw in set(columns.get(column, ("",))):
            value = raw.strip()
            if value.startswith(FORMULA_START):
                return None
            try:
                checked[column][raw] = parse(value)
            except InputError:
                return None
    if any(d.strip() for d in columns.get("description", ())):
        return None  # described stones take the careful path
    seen |= unique
    # map() over the columns: the rows are made in C, a third faster than a comprehension.
    token_ids = map(int.from_bytes, map(bytes.ljust, map(str.encode, ids), repeat(32), repeat(b"\0")), repeat("big"))
    return list(
        map(
            StoneRow,
            lines,
            ids,
            token_ids,
            centicarats,
            map(checked["mine"].__getitem__, columns["mine"]),
            map(checked["country"].__getitem__, columns["country"]),
            map(checked["production_date"].__getitem__, columns["production_date"]),
            map(checked["kp_certificate"].__getitem__, columns.get("kp_certificate", repeat(""))),
            repeat(None),
        )
    )


def _rows_one_by_one(path: Path, header: list[str], data: list[tuple[int, list[str]]], today: dt.date) -> list[StoneRow]:
    """Checks every row and every cell; raises `ProductionRunInvalid` naming every problem."""
    problems: list[Problem] = []
    rows: list[StoneRow] = []
    parser = _RowParser(header, today)
    first_line: dict[str, int] = {}
    for line, record in data:
        if len(record) != len(header):
            kind = "extra column" if len(record) > len(header) else "missing column"
            problems.append(Problem(line, None, f"{kind}: expected {len(header)} fields ({','.join(header)}), found {len(record)}"))
            continue
        row, row_problems = parser.parse(line, record)
        problems.extend(row_problems)
        if row is None:
            continue
        if row.stone_id in first_line:
            problems.append(Problem(line, "stone_id", f"stone ID {row.stone_id} repeated (first on line {first_line[row.stone_id]})"))
            continue
        first_line[row.stone_id] = line
        rows.append(row)
    if problems:
        raise ProductionRunInvalid(path, problems)
    return rows


def read_production_run(
    path: Path, today: dt.date | None = None, on_rows: Callable[[list[StoneRow]], None] | None = None
) -> list[StoneRow]:
    """Parses and checks the whole file offline; raises `ProductionRunInvalid` listing every problem.
    The file is read in chunks; `on_rows` is given each chunk's rows as soon as they are checked
    (the chain can be asked about them while the rest is read). They are the result's rows, in
    order, but not yet a promise that the rest of the file is sound."""
    today = today or dt.datetime.now(dt.timezone.utc).date()
    text = _decode(path)
    table = _plain_table(text)
    records = [] if table else _records(path, text)
    header = _header(path, table[0] if table else records[0][1] if records else [])
    data: list[tuple[int, list[str]]] = []
    if table:
        lines: Sequence[int] = range(2, 2 + len(table[1][0]))
        columns = dict(zip(header, table[1]))
    else:
        data = _stone_records(records)
        lines = [line for line, _ in data]
        columns = {} if any(len(record) != len(header) for _, record in data) else dict(zip(header, map(list, zip(*(r for _, r in data)))))
    if not lines:
        raise ProductionRunInvalid(path, [Problem(2, None, "no stones in the file: only a header row")])
    if len(lines) > MAX_ROWS:
        raise _too_many(path, lines[MAX_ROWS])
    rows: list[StoneRow] = []
    seen: set[str] = set()
    for start in range(0, len(lines), ROWS_CHUNK):
        end = start + ROWS_CHUNK
        chunk = _bulk_rows(header, lines[start:end], {k: v[start:end] for k, v in columns.items()}, today, seen) if columns else None
        if chunk is None:
            data = data or _stone_records(_records(path, text))
            rows = _rows_one_by_one(path, header, data, today)
            if on_rows:
                on_rows(rows[start:])
            break
        rows += chunk
        if on_rows:
            on_rows(chunk)
    return rows


def _stone_records(records: list[tuple[int, list[str]]]) -> list[tuple[int, list[str]]]:
    """The records after the header, without lines of nothing but spaces."""
    return [(line, record) for line, record in records[1:] if len(record) > 1 or record[0].strip()]


def _header(path: Path, cells: list[str]) -> list[str]:
    """The header row's column names; raises `ProductionRunInvalid` if it is missing or wrong."""
    if not any(cell.strip() for cell in cells):
        raise ProductionRunInvalid(path, [Problem(1, None, "the file is empty; expected a header row: " + ",".join(REQUIRED_COLUMNS))])
    header = [cell.strip().lower() for cell in cells]
    allowed = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
    if not set(header) & set(REQUIRED_COLUMNS):
        raise ProductionRunInvalid(
            path, [Problem(1, None, "missing header row: the first line must name the columns " + ",".join(REQUIRED_COLUMNS))]
        )
    problems: list[Problem] = []
    for name in header:
        if name not in allowed:
            problems.append(Problem(1, name or "(empty)", f"unknown column; the columns are {', '.join(allowed)}"))
        elif header.count(name) > 1:
            problems.append(Problem(1, name, "column named twice"))
    for name in REQUIRED_COLUMNS:
        if name not in header:
            problems.append(Problem(1, name, "required column missing from the header"))
    if problems:
        raise ProductionRunInvalid(path, problems)
    return header


@dataclass
class CertificateState:
    number: str
    exporter: str
    issued: int
    expires: int
    declared: int
    drawn: int


def _certificate(book: Contract, exporting: str, number: str) -> CertificateState | None:
    """KP certificate `number` of `exporting`, or None if it is not recorded."""
    found = book.functions.certificateId(exporting.encode("ascii"), text32(number)).call()
    if not found:
        return None
    c = book.functions.certificate(found).call()
    d = c.declared
    return CertificateState(number, d.exporter, d.issuedAt, d.expiresAt, d.centicarats, c.drawnCenticarats)


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
    registrations: Registrations, path: Path, to: str, batch_size: int, start: "Opening", lab_grown: bool = False
) -> Plan:
    """Compares the file's rows, as asked about in `registrations`, with the chain: stones already
    registered (same data, natural or `lab_grown` as this run: skipped; different data: a problem),
    the producer's country and prefix, the recipient, and KP certificates (natural rough only; known,
    valid at the block time, exported by the producer, not over-drawn). Every problem is reported,
    in the file's order."""
    registry = registrations.registry
    book = certificates_contract(registry)
    problems: list[Problem] = []
    already: list[StoneRow] = []
    new, found = registrations.answers()
    batches_seen: dict[int, Any] = {}
    numbers: dict[int, str] = {}
    for row, batch_id, weight in found:
        if batch_id not in batches_seen:
            batches_seen[batch_id] = registry.functions.batch(batch_id).call()
        b = batches_seen[batch_id]
        if b.certificate and b.certificate not in numbers:
            numbers[b.certificate] = text_of(book.functions.certificate(b.certificate).call().declared.number)
        on_chain = {
            "carat": format_carat(weight),
            "mine": text_of(b.mine),
            "country": bytes(b.country).decode("ascii", "replace"),
            "production_date": str(dt.date(1970, 1, 1) + dt.timedelta(days=b.productionDay)),
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
        if differ or b.parent != 0 or b.origin != Origin.MINE or b.labGrown != lab_grown:
            detail = "; ".join(f"{k} is {on_chain[k]!r} on chain but {in_file[k]!r} in the file" for k in differ)
            problems.append(
                Problem(row.line, differ[0] if differ else "stone_id", f"stone ID {row.stone_id} is already registered with different data: {detail or f'not as a {_KIND[lab_grown]} rough stone of a production run'}")
            )
        else:
            already.append(row)

    # A producer registers only stones of its own country, under its own prefix, into its own
    # custody or an accredited participant's in the same country.
    producer_country = start.country
    for row in new:
        if row.country != producer_country:
            problems.append(
                Problem(row.line, "country", f"{row.country} is not the producer's accredited country ({producer_country}): a producer registers only its own country's stones")
            )
        if not row.stone_id.startswith(start.prefix):
            problems.append(
                Problem(row.line, "stone_id", f"stone ID {row.stone_id} does not start with the producer's prefix {start.prefix!r}")
            )
    if new and to.lower() != registrations.sender.lower():
        recipient = registry.functions.participant(to).call()
        if not recipient.roles or bytes(recipient.country).decode() != producer_country:
            problems.append(
                Problem(new[0].line, None, f"--to {to} must be a participant accredited in {producer_country}, the producer's country")
            )

    needs: dict[tuple[str, str], list[StoneRow]] = {}
    for row in new:
        if row.kp_certificate:
            needs.setdefault((row.country, row.kp_certificate), []).append(row)
    for (exporting, number), cert_rows in needs.items():
        if lab_grown:
            problems.append(
                Problem(cert_rows[0].line, "kp_certificate", f"KP certificate {number}: laboratory-grown rough is outside the Kimberley Process")
            )
            continue
        cert = _certificate(book, exporting, number)
        if cert is None:
            problems.append(Problem(cert_rows[0].line, "kp_certificate", f"KP certificate {number} of {exporting} is not recorded on the registry"))
            continue
        if not cert.issued <= start.now <= cert.expires:
            expired = start.now > cert.expires
            when = dt.datetime.fromtimestamp(cert.expires if expired else cert.issued, dt.timezone.utc).date()
            problems.append(
                Problem(cert_rows[0].line, "kp_certificate", f"KP certificate {number} {'expired on' if expired else 'is not valid before'} {when}")
            )
            continue
        sender = registrations.sender
        if cert.exporter.lower() != sender.lower() or to.lower() != sender.lower():
            problems.append(
                Problem(
                    cert_rows[0].line,
                    "kp_certificate",
                    f"KP certificate {number} is for exporter {cert.exporter}: only its exporter registers stones under it, into its own custody",
                )
            )
            continue
        drawn = cert.drawn
        for row in cert_rows:
            drawn += row.centicarats
            if drawn > cert.declared:
                problems.append(
                    Problem(
                        row.line,
                        "kp_certificate",
                        f"KP certificate {number} would be over-drawn: it declares {format_carat(cert.declared)} ct, "
                        f"{format_carat(cert.drawn)} ct are already drawn, and the file's stones up to this line need "
                        f"{format_carat(drawn - cert.drawn)} ct",
                    )
                )
                break
    if problems:
        raise ProductionRunInvalid(path, sorted(problems, key=lambda p: p.line))

    groups: dict[tuple, list[StoneRow]] = {}
    for row in new:
        groups.setdefault(row.batch_key, []).append(row)
    batches = [group[i : i + batch_size] for group in groups.values() for i in range(0, len(group), batch_size)]
    return Plan(new, already, batches)


def gas_model(registry: Contract, sender: Sender, to: str, first: list[StoneRow], lab_grown: bool = False) -> Callable[[int], int]:
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
    return sum(3_000 + 40 * len(r.description.encode()) for r in rows if r.description)


def fit(batches: list[list[StoneRow]], gas: Callable[[int], int]) -> list[list[StoneRow]]:
    """Splits any batch whose estimate, descriptions included, would pass EIP-7825's cap."""
    fitted: list[list[StoneRow]] = []
    for batch in batches:
        start = 0
        for end in range(1, len(batch) + 1):
            if end - start > 1 and gas(end - start) + description_gas(batch[start:end]) > EIP7825_TX_GAS_CAP:
                fitted.append(batch[start : end - 1])
                start = end - 1
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
class Opening:
    """What a run needs from the chain before it sends anything."""

    max_batch: int
    roles: int
    country: str
    prefix: str
    fees: dict[str, int]
    now: int


def _open(registry: Contract, sender: Sender) -> Opening:
    """Reads the registry's MAX_BATCH, the sender's roles, its nonces and the latest block in one
    round trip, then the fees; and waits for transactions an interrupted run left unmined, so
    that the chain's answers about stones include them."""
    limit, participant = Call(registry, "MAX_BATCH"), Call(registry, "participant", sender.address)
    requests = [eth_call(limit), eth_call(participant), *_nonce_requests(sender.address), ("eth_getBlockByNumber", ["latest", False])]
    max_batch, participant_view, pending, latest, block = rpc(lambda: batch_request(registry.w3, requests))
    if _unmined(pending, latest) > 0:
        wait_for_pending(sender)
    fees = sender.fees(block)
    profile = decoded(participant, participant_view)[0]
    roles, country, prefix = profile[0], bytes(profile[1]).decode("ascii", "replace"), text_of(profile[3])
    return Opening(int(decoded(limit, max_batch)[0]), roles, country, prefix, fees, int(block["timestamp"], 16))


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
            opening = pool.submit(_open, registry, sender)
            registrations = Registrations(registry, sender.address, pool, opening)
            guess: list[Future] = []  # gas, from estimates on the file's first stones

            def checked(chunk: list[StoneRow]) -> None:
                if not guess:
                    guess.append(pool.submit(gas_model, registry, sender, to, chunk[:2], lab_grown))
                registrations.ask(chunk)

            rows = read_production_run(path, on_rows=checked)
            start = opening.result()
            size = start.max_batch if batch_size is None else batch_size
            if not 1 <= size <= start.max_batch:
                raise InputError(f"--batch-size {size} must be between 1 and {start.max_batch} (the registry's MAX_BATCH)")
            if not start.roles & ROLES["producer"]:
                raise InputError(f"{sender.address} is not an accredited producer on this registry; nothing was sent")
            if not start.prefix:
                raise InputError(
                    f"{sender.address} has no stone-ID prefix on this registry (the admin gives one with "
                    "`participant add ... --prefix`); nothing was sent"
                )
            plan = check_against_chain(registrations, path, to, size, start, lab_grown)
            calls = []
            if plan.batches:
                gas = _gas_for_plan(guess[0], rows[:2], plan, registry, sender, to, lab_grown)
                plan.batches = fit(plan.batches, gas)
                calls = [register_call(registry, to, batch, lab_grown) for batch in plan.batches]
            if on_plan:
                on_plan(plan)
            if calls:
                hashes = sender.submit_all(calls, [batch_gas(gas, batch) for batch in plan.batches], start.fees)
        sent: list[Sent] = []
        if calls:
            for tx_hash, call, batch in zip(hashes, calls, plan.batches):
                try:
                    sent.append(sender.wait(tx_hash, call))
                except ChainError as exc:
                    done = sum(len(b) for b in plan.batches[: len(sent)])
                    raise ChainError(
                        f"{exc}\n{done} of {len(plan.new)} new stones were registered before this; "
                        "run the same command again to register the rest"
                    ) from None
                if on_batch:
                    on_batch(len(batch))
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
