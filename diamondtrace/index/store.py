"""The index's database: opening it (SQLite by default, PostgreSQL by URL) with its schema
migrated, which registry it holds and how far, writing one span of events in one transaction, and
rolling back to a block when the chain reorganised.

Every write of a span and its progress is one transaction: an interrupted run leaves the index at
the end of its last whole span, and the next run resumes there without a duplicate row.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from ..errors import DatabaseError, InputError
from . import holders
from .schema import EVENT_TABLES, blocks, progress, stones, transfers

# Beside the deployment record: deployments/31337.json's index is deployments/31337.index.sqlite.
DEFAULT_SUFFIX = ".index.sqlite"
DRIVERS = {"sqlite": "sqlite", "postgresql": "postgresql+psycopg", "postgres": "postgresql+psycopg"}


def database_url(value: str | None, deployment_path: Path) -> URL:
    """`--db`'s value as a SQLAlchemy URL: a `sqlite:///` or `postgresql://` URL, or a file path
    (SQLite); none: the file beside the deployment record."""
    if value is None:
        return URL.create("sqlite", database=str(deployment_path.with_suffix(DEFAULT_SUFFIX)))
    if "://" not in value:
        return URL.create("sqlite", database=str(Path(value)))
    try:
        url = sa.make_url(value)
    except ArgumentError:
        raise InputError(
            "--db: not a database URL (give a file path, sqlite:///PATH or postgresql://USER@HOST/DATABASE)"
        ) from None
    if url.password:
        raise InputError("--db: a password is never taken on the command line: give it in $PGPASSWORD or ~/.pgpass")
    driver = DRIVERS.get(url.drivername.split("+")[0])
    if driver is None:
        raise InputError(f"--db: {url.drivername} databases are not supported: use SQLite (a file) or PostgreSQL")
    return url.set(drivername=driver if "+" not in url.drivername else url.drivername)


def shown(url: URL) -> str:
    """A database URL as it may be printed: never its password."""
    return url.render_as_string(hide_password=True)


@dataclass(frozen=True)
class Progress:
    chain_id: int
    registry: str
    first_block: int
    last_block: int
    last_hash: str | None
    confirmations: int


@dataclass
class Span:
    """One span's rows, table by table, as the loader decoded them (tuples in the table's column
    order, as the database takes them: uint256 values as 32 big-endian bytes); `blocks` the
    [number, hash, time] of each block they came from; `moves` its mints and transfers in chain
    order, for `holders`."""

    rows: dict[sa.Table, list[tuple]] = field(default_factory=dict)
    blocks: dict[int, list] = field(default_factory=dict)
    moves: list[holders.Move] = field(default_factory=list)

    @property
    def events(self) -> int:
        """The events the span holds: a row each (a mint's Transfer is its stone's row)."""
        return sum(len(rows) for rows in self.rows.values())


class Store:
    """An index database, opened and migrated to the schema this package ships."""

    def __init__(self, url: URL, migrate: bool = True) -> None:
        self.url = url
        if url.drivername == "sqlite" and url.database:
            Path(url.database).parent.mkdir(parents=True, exist_ok=True)
        try:
            self.engine: Engine = sa.create_engine(url)
            if url.drivername == "sqlite":
                sa.event.listen(self.engine, "connect", _sqlite_pragmas)
            if migrate:
                self.migrate()
            elif not sa.inspect(self.engine).has_table("progress"):
                raise DatabaseError(f"{shown(url)} holds no index: build one with `diamondtrace index --db URL`")
        except SQLAlchemyError as exc:
            raise DatabaseError(f"cannot open the index database {shown(url)}: {_reason(exc)}") from None

    def migrate(self) -> None:
        """Brings the schema to the newest migration shipped in the package (Alembic)."""
        config = Config()
        config.set_main_option("script_location", str(resources.files("diamondtrace.index") / "migrations"))
        with self.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def progress(self) -> Progress | None:
        with self.engine.connect() as c:
            row = c.execute(sa.select(progress).where(progress.c.id == 1)).first()
        return None if row is None else Progress(*row[1:])

    def start(self, chain_id: int, registry: str, first_block: int, confirmations: int) -> Progress:
        """The index's progress, begun for `registry` if empty; an index of another registry is refused."""
        found = self.progress()
        if found is not None and (found.chain_id, found.registry) != (chain_id, registry):
            raise InputError(
                f"{shown(self.url)} indexes registry {found.registry} on chain {found.chain_id}, not {registry} on chain "
                f"{chain_id}: give another --db, or delete that index"
            )
        with self._writing() as c:
            if found is None:
                values = dict(chain_id=chain_id, registry=registry, first_block=first_block, last_block=first_block - 1)
                c.execute(sa.insert(progress).values(id=1, confirmations=confirmations, **values))
            else:
                c.execute(sa.update(progress).where(progress.c.id == 1).values(confirmations=confirmations))
        return self.progress()

    def write(self, span: Span, last_block: int, last_hash: str) -> None:
        """A span's rows and the progress past it, in one transaction."""
        with self._writing() as c:
            for table, rows in [*span.rows.items(), (blocks, [tuple(b) for b in span.blocks.values()])]:
                if rows:
                    c.exec_driver_sql(self._insert(table), rows)
            holders.apply(c, self._mark, span.moves)
            c.execute(sa.update(progress).where(progress.c.id == 1).values(last_block=last_block, last_hash=last_hash))

    def stored_blocks(self, at_most: int, limit: int) -> list[tuple[int, str]]:
        """The newest `limit` stored blocks at or below `at_most`, newest first."""
        query = sa.select(blocks.c.number, blocks.c.hash).where(blocks.c.number <= at_most)
        with self.engine.connect() as c:
            return [tuple(r) for r in c.execute(query.order_by(blocks.c.number.desc()).limit(limit))]

    def rollback(self, ancestor: int, ancestor_hash: str | None) -> int:
        """Forgets everything above block `ancestor`, deriving again who holds and held the stones
        whose mints or transfers it forgot; returns how many events it removed."""
        t, s = transfers.c, stones.c
        with self._writing() as c:
            touched = c.execute(sa.select(t.token_id, t.sender, t.recipient).where(t.block > ancestor)).all()
            minted = c.execute(sa.select(s.token_id, s.holder).where(s.block > ancestor)).all()
            accounts = {a for _, sender, recipient in touched for a in (sender, recipient)} | {holder for _, holder in minted}
            removed = sum(c.execute(sa.delete(table).where(table.c.block > ancestor)).rowcount for table in EVENT_TABLES)
            removed += c.execute(sa.delete(stones).where(s.block > ancestor)).rowcount
            c.execute(sa.delete(blocks).where(blocks.c.number > ancestor))
            tokens = sorted(
                {token.to_bytes(32, "big") for token, _, _ in touched} | {token.to_bytes(32, "big") for token, _ in minted}
            )
            holders.rebuild(c, self._mark, tokens, accounts)
            c.execute(sa.update(progress).where(progress.c.id == 1).values(last_block=ancestor, last_hash=ancestor_hash))
        return removed

    @property
    def _mark(self) -> str:
        """The driver's parameter marker."""
        return "?" if self.engine.dialect.paramstyle == "qmark" else "%s"

    def _insert(self, table: sa.Table) -> str:
        """A plain INSERT of all `table`'s columns in order, in the driver's own parameter style:
        rows go to the driver's executemany as they are, with none of SQLAlchemy's per-row work
        (which would cost more than everything else the index does)."""
        marks = ", ".join([self._mark] * len(table.columns))
        return f"INSERT INTO {table.name} ({', '.join(c.name for c in table.columns)}) VALUES ({marks})"

    @contextmanager
    def _writing(self) -> Iterator[Connection]:
        """A write transaction; a database failure is a `DatabaseError` (the transaction is undone)."""
        try:
            with self.engine.begin() as c:
                yield c
        except SQLAlchemyError as exc:
            raise DatabaseError(
                f"cannot write the index {shown(self.url)}: {_reason(exc)}; nothing of that write was kept"
            ) from None


def _reason(exc: SQLAlchemyError) -> str:
    original = getattr(exc, "orig", None) or exc
    return f"{type(original).__name__}: {str(original).splitlines()[0] if str(original) else ''}"


def _sqlite_pragmas(connection, _record) -> None:
    # Write-ahead logging: the explorer reads while the indexer writes; NORMAL sync is safe with WAL.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
