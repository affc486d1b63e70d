"""The index's tables (SQLAlchemy Core), the same on SQLite and PostgreSQL.

The event tables hold the registry's events as the chain gave them, keyed by (block, log index);
`blocks` the hash of every block they came from and of each range's last block, which is how a
reorganised chain is noticed. `stones` (one row a mint), `held` and `accounts` say who holds each
stone, who held it, and how many each account holds and held (see `holders`). `progress` is the one row that says which registry
is indexed and up to which block. Alembic's migrations (`migrations/`) create them; this module is
what the loader and the pages read and write.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, LargeBinary, MetaData, String, Table, TypeDecorator

ADDRESS = String(42)
TX_HASH = String(66)


class Uint256(TypeDecorator):
    """A uint256 (token ids, packed words) as 32 big-endian bytes: exact on every database, and in
    numeric order when sorted."""

    impl = LargeBinary(32)
    cache_ok = True

    def process_bind_param(self, value: int | None, dialect) -> bytes | None:
        return None if value is None else int(value).to_bytes(32, "big")

    def process_result_value(self, value: bytes | None, dialect) -> int | None:
        return None if value is None else int.from_bytes(value, "big")


metadata = MetaData()
# On SQLite a table keyed by its own columns is stored by that key alone (no rowid beside it): half
# the writes of a bulk load. Other databases ignore it.
ROWLESS = {"sqlite_with_rowid": False}


def _position() -> list[Column]:
    return [Column("block", BigInteger, primary_key=True), Column("log_index", Integer, primary_key=True)]


progress = Table(
    "progress",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("chain_id", BigInteger, nullable=False),
    Column("registry", ADDRESS, nullable=False),
    Column("first_block", BigInteger, nullable=False),
    Column("last_block", BigInteger, nullable=False),  # every event up to it is indexed
    Column("last_hash", String(66)),
    Column("confirmations", Integer, nullable=False),
)

blocks = Table(
    "blocks",
    metadata,
    Column("number", BigInteger, primary_key=True),
    Column("hash", String(66), nullable=False),
    Column("time", BigInteger),  # read only for blocks whose time a page shows
)

custody = Table(
    "custody",
    metadata,
    *_position(),
    Column("token_id", Uint256, nullable=False, index=True),
    Column("sender", ADDRESS, nullable=False),
    Column("recipient", ADDRESS, nullable=False),
    Column("document", LargeBinary(32), nullable=False),
    Column("chains", Uint256, nullable=False),
    Column("record", Uint256, nullable=False),
    Column("tx", TX_HASH, nullable=False),
    # The records absorbed into a holder's chain, in order: what a stone's custody proof reads.
    Index("custody_by_recipient", "recipient", "block", "log_index"),
    **ROWLESS,
)

# Changes of holder after the mint (a mint is the stone's row in `stones`).
transfers = Table(
    "transfers",
    metadata,
    *_position(),
    Column("token_id", Uint256, nullable=False, index=True),
    Column("sender", ADDRESS, nullable=False),
    Column("recipient", ADDRESS, nullable=False),
    **ROWLESS,
)

registrations = Table(
    "registrations",
    metadata,
    *_position(),
    Column("batch", BigInteger, nullable=False, unique=True),
    Column("registrant", ADDRESS, nullable=False),
    Column("origin", Integer, nullable=False),
    Column("recipient", ADDRESS, nullable=False),
    Column("mine", LargeBinary(32), nullable=False),
    Column("country", LargeBinary(2), nullable=False),
    Column("stones", BigInteger, nullable=False),
    Column("centicarats", BigInteger, nullable=False),
    Column("tx", TX_HASH, nullable=False),
    **ROWLESS,
)

flag_changes = Table(
    "flag_changes",
    metadata,
    *_position(),
    Column("token_id", Uint256, nullable=False, index=True),
    Column("flag", Integer, nullable=False),  # 0: the flag was cleared
    Column("by", ADDRESS, nullable=False),
    Column("document", LargeBinary(32), nullable=False),
    Column("tx", TX_HASH, nullable=False),
    **ROWLESS,
)

certificates = Table(
    "certificates",
    metadata,
    *_position(),
    Column("certificate_id", BigInteger, nullable=False, unique=True),
    Column("number", LargeBinary(32), nullable=False, index=True),
    Column("exporting", LargeBinary(2), nullable=False),
    **ROWLESS,
)

draws = Table(
    "draws",
    metadata,
    *_position(),
    Column("certificate_id", BigInteger, nullable=False, index=True),
    Column("token_id", Uint256),  # a crossing; else a registration batch drew it
    Column("batch", BigInteger),
    Column("centicarats", BigInteger, nullable=False),
    **ROWLESS,
)

stones = Table(
    "stones",
    metadata,
    Column("token_id", Uint256, primary_key=True),
    Column("batch", BigInteger, index=True),  # the registration (or split) that minted it
    Column("block", BigInteger, nullable=False),  # where it was minted: the position of its mint
    Column("log_index", Integer, nullable=False),
    Column("holder", ADDRESS, nullable=False),  # now (see `holders`)
    Index("stones_by_holder", "holder", "token_id"),
    **ROWLESS,
)

held = Table(
    "held",
    metadata,
    Column("token_id", Uint256, primary_key=True),
    Column("account", ADDRESS, primary_key=True),  # held the stone once, and passed it on
    Index("held_by_account", "account", "token_id"),
    **ROWLESS,
)

accounts = Table(
    "accounts",
    metadata,
    Column("account", ADDRESS, primary_key=True),
    Column("holds", BigInteger, nullable=False),
    Column("held", BigInteger, nullable=False),
    **ROWLESS,
)

# Rows keyed by block: what a rollback deletes above the common ancestor.
EVENT_TABLES = (custody, transfers, registrations, flag_changes, certificates, draws)
