"""Reading CSV files: the one reader every file the tool takes goes through (production runs, the
stones of a split or a declaration), with one error format, `FILE:LINE: column NAME: message`;
and the JSON files it takes (keystores, authorizations), refused in words the same way.

A file as mines export it (no quotes, no blank lines, LF or CRLF) is split into columns in bulk, in
half the csv module's time; any other file is read by the csv module, which handles quotes, cells
spanning lines and blank lines. Both give the same header and cells. A whole file is checked
before anything is sent, and every problem in it is reported at once.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Callable, Generic, Sequence, TypeVar

from .errors import InputError

# The most problems a refusal lists (it counts the rest).
MAX_REPORTED = 200
# A cell a spreadsheet would run as a formula if this file (or an export of it) were opened in one.
FORMULA_START = ("=", "+", "@", "\t", "\r")

Row = TypeVar("Row")


@dataclass(frozen=True)
class Problem:
    line: int
    column: str | None
    message: str

    def render(self, path: Path) -> str:
        where = f"{path}:{self.line}" + (f": column {self.column}" if self.column else "")
        return f"{where}: {self.message}"


class TableInvalid(InputError):
    """The file has problems; nothing was sent."""

    def __init__(self, path: Path, problems: list[Problem]) -> None:
        self.path = path
        self.problems = problems
        shown = [p.render(path) for p in problems[:MAX_REPORTED]]
        more = len(problems) - len(shown)
        tail = f"\n... and {more} more" if more > 0 else ""
        super().__init__(
            f"{path}: {len(problems)} problem{'s' if len(problems) != 1 else ''}, nothing was sent:\n" + "\n".join(shown) + tail
        )


@dataclass(frozen=True)
class Schema:
    """What a kind of file holds: its columns, which it must have, and how many rows at most."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    max_rows: int
    what: str  # "stones", as in "more than 100,000 stones in one file"

    @property
    def allowed(self) -> tuple[str, ...]:
        return self.required + self.optional


@dataclass
class Table:
    """A file's header, and its data as columns (when every row has the header's width) and as
    records (the line each starts on, and its cells) when read by the csv module."""

    path: Path
    text: str
    header: list[str]
    lines: Sequence[int]
    columns: dict[str, Sequence[str]]
    data: list[tuple[int, list[str]]]
    plain: bool


@dataclass(frozen=True)
class Column:
    """One column's rule: the cell's text (stripped) in, the value out, or an `InputError` that
    says what is wrong. A column of many distinct values (stone IDs, weights) can name the regular
    expression a plain cell matches and `plain`, the values of a column of such cells (None: ask
    `parse`), so that a whole column is checked at once (`bulk_values`)."""

    name: str
    parse: Callable[[str], object]
    pattern: str | None = None
    plain: Callable[[Sequence[str]], list | None] = list


def read(path: Path, schema: Schema, *, bulk: bool = True) -> Table:
    """Reads `path` as `schema` says; raises `TableInvalid` for an unreadable file or header.
    `bulk=False` reads even a plain file with the csv module (the tests compare both)."""
    text = _decode(path)
    split = _plain_table(text, schema.max_rows) if bulk else None
    records = [] if split else _records(path, text, schema)
    header = _header(path, split[0] if split else records[0][1] if records else [], schema)
    if split:
        lines: Sequence[int] = range(2, 2 + len(split[1][0]))
        columns = dict(zip(header, split[1]))
        data: list[tuple[int, list[str]]] = []
    else:
        data = [(line, record) for line, record in records[1:] if len(record) > 1 or record[0].strip()]
        lines = [line for line, _ in data]
        even = all(len(record) == len(header) for _, record in data)
        columns = dict(zip(header, map(list, zip(*(r for _, r in data))))) if even else {}
    if not lines:
        raise TableInvalid(path, [Problem(2, None, f"no {schema.what} in the file: only a header row")])
    if len(lines) > schema.max_rows:
        raise _too_many(path, lines[schema.max_rows], schema)
    return Table(path, text, header, lines, columns, data, bool(split))


def read_json_object(path: Path, what: str) -> dict:
    """A JSON file holding an object: a keystore, an authorization."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read the {what} {path}: {exc.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} is not a JSON {what}: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(f"{path} is not a JSON {what}: it holds no object")
    return data


def records_of(table: Table, schema: Schema) -> list[tuple[int, list[str]]]:
    """The table's data as records, read by the csv module (for the row-by-row check)."""
    if table.data or not table.plain:
        return table.data
    return [
        (line, record) for line, record in _records(table.path, table.text, schema)[1:] if len(record) > 1 or record[0].strip()
    ]


def bulk_values(
    columns: dict[str, Sequence[str]], rules: Sequence[Column], unique: str, seen: set[str]
) -> dict[str, list] | None:
    """Each column's values, checked a column at a time: a column with a `pattern` by one regular
    expression over all its cells, any other once per distinct value (mines, countries and dates
    repeat down a file). `seen` holds the `unique` values of earlier chunks; this chunk's are added.
    None at the first doubt: `RowChecker` then checks the rows one by one and names every problem."""
    values: dict[str, list] = {}
    for rule in rules:
        cells = columns.get(rule.name)
        if cells is None:
            continue
        if rule.pattern:
            joined = "\n".join(cells)
            if not _whole_column(rule.pattern).fullmatch(joined) or _FORMULA_LINE.search(joined):
                return None
            converted = rule.plain(cells)
            if converted is None:
                return None
            values[rule.name] = converted
            continue
        checked: dict[str, object] = {}
        for raw in set(cells):
            cell = raw.strip()
            if cell.startswith(FORMULA_START):
                return None
            try:
                checked[raw] = rule.parse(cell)
            except InputError:
                return None
        values[rule.name] = list(map(checked.__getitem__, cells))
    keys = set(columns[unique])
    if len(keys) != len(columns[unique]) or not seen.isdisjoint(keys):
        return None
    seen |= keys
    return values


@functools.cache
def _whole_column(pattern: str) -> re.Pattern:
    return re.compile(f"(?:{pattern}\n)*{pattern}")


_FORMULA_LINE = re.compile(r"^[=+@]", re.MULTILINE)


class RowChecker(Generic[Row]):
    """Checks a file's rows one by one and names every problem: each cell against its column's
    rule, formulas, the row's width, and `unique` values repeated. `make(line, values)` builds a row."""

    def __init__(
        self, header: list[str], columns: Sequence[Column], make: Callable[[int, dict[str, object]], Row], unique: str
    ) -> None:
        self.header = header
        self.columns = [(header.index(c.name), c) for c in columns if c.name in header]
        self.make = make
        self.unique = unique
        # A value's check, once per distinct cell: mines, countries and dates repeat down a file.
        self._seen: dict[tuple[str, str], object] = {}

    def _value(self, column: Column, raw: str) -> object:
        key = (column.name, raw)
        if key not in self._seen:
            try:
                self._seen[key] = column.parse(raw)
            except InputError as exc:
                self._seen[key] = exc
        value = self._seen[key]
        if isinstance(value, InputError):
            raise value
        return value

    def check(self, data: list[tuple[int, list[str]]]) -> tuple[list[Row], list[Problem]]:
        """The sound rows, and a problem for every fault of the others (all of them, in one pass)."""
        problems: list[Problem] = []
        rows: list[Row] = []
        first_line: dict[object, int] = {}
        for line, record in data:
            if len(record) != len(self.header):
                kind = "extra column" if len(record) > len(self.header) else "missing column"
                expected = f"{len(self.header)} fields ({','.join(self.header)}), found {len(record)}"
                problems.append(Problem(line, None, f"{kind}: expected {expected}"))
                continue
            values: dict[str, object] = {}
            for index, column in self.columns:
                raw = record[index].strip()
                if raw.startswith(FORMULA_START):
                    problems.append(Problem(line, column.name, f"{raw[:20]!r} starts like a spreadsheet formula; refusing it"))
                    continue
                try:
                    values[column.name] = self._value(column, raw)
                except InputError as exc:
                    problems.append(Problem(line, column.name, str(exc)))
            key = values.get(self.unique)
            if key is not None:
                if key in first_line:
                    what = self.unique.replace("_", " ").replace("stone id", "stone ID")
                    problems.append(Problem(line, self.unique, f"{what} {key} repeated (first on line {first_line[key]})"))
                    continue
                first_line[key] = line
            if len(values) == len(self.columns):
                rows.append(self.make(line, values))
        return rows, problems


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
        raise TableInvalid(
            path,
            [Problem(line, None, f"byte {column} of the line is not UTF-8 (0x{raw[exc.start]:02x}); save the file as UTF-8")],
        ) from None


def _records(path: Path, text: str, schema: Schema) -> list[tuple[int, list[str]]]:
    """The non-empty CSV records with the line each starts on (a quoted cell may span lines).
    Stops, before a huge file fills memory, soon after `max_rows` records."""
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    records: list[tuple[int, list[str]]] = []
    last = 0
    try:
        for record in reader:
            if record:
                records.append((last + 1, record))
                if len(records) > schema.max_rows + 1:
                    raise _too_many(path, last + 1, schema)
            last = reader.line_num
    except csv.Error as exc:
        raise TableInvalid(path, [Problem(last + 1, None, f"malformed CSV: {exc}")]) from None
    return records


def _plain_table(text: str, max_rows: int) -> tuple[list[str], list[list[str]]] | None:
    """The header and the columns of a file as mines export them: no quotes or blank lines, lines
    ending in LF or CRLF, every line with as many cells as the header. None for any other file."""
    text = text.replace("\r\n", "\n")
    if any(special in text for special in '"\r\0'):
        return None
    lines = text.removesuffix("\n").split("\n", max_rows + 1)
    header = lines[0].split(",")
    if len(lines) < 2 or len(lines) > max_rows + 1 or set(map(str.count, lines, repeat(","))) != {len(header) - 1}:
        return None
    cells = ",".join(lines[1:]).split(",")
    return header, [cells[i :: len(header)] for i in range(len(header))]


def _too_many(path: Path, line: int, schema: Schema) -> TableInvalid:
    return TableInvalid(
        path, [Problem(line, None, f"more than {schema.max_rows:,} {schema.what} in one file; split it into several files")]
    )


def _header(path: Path, cells: list[str], schema: Schema) -> list[str]:
    """The header row's column names; raises `TableInvalid` if it is missing or wrong."""
    expected = ",".join(schema.required)
    if not any(cell.strip() for cell in cells):
        raise TableInvalid(path, [Problem(1, None, f"the file is empty; expected a header row: {expected}")])
    header = [cell.strip().lower() for cell in cells]
    if not set(header) & set(schema.required):
        raise TableInvalid(path, [Problem(1, None, f"missing header row: the first line must name the columns {expected}")])
    problems: list[Problem] = []
    for name in header:
        if name not in schema.allowed:
            problems.append(Problem(1, name or "(empty)", f"unknown column; the columns are {', '.join(schema.allowed)}"))
        elif header.count(name) > 1:
            problems.append(Problem(1, name, "column named twice"))
    for name in schema.required:
        if name not in header:
            problems.append(Problem(1, name, "required column missing from the header"))
    if problems:
        raise TableInvalid(path, problems)
    return header
