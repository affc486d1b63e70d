"""The index's first schema: the registry's events by block, the blocks' hashes, who holds and held
each stone, and how far it has indexed (see `diamondtrace.index.schema`). uint256 values are 32
big-endian bytes.

Revision ID: 0001
"""

from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0001"
down_revision: Union[str, Sequence[str], None] = None
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.Column("holds", sa.BigInteger(), nullable=False),
        sa.Column("held", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("account"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "blocks",
        sa.Column("number", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("time", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_table(
        "certificates",
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.LargeBinary(length=32), nullable=False),
        sa.Column("exporting", sa.LargeBinary(length=2), nullable=False),
        sa.PrimaryKeyConstraint("block", "log_index"),
        sa.UniqueConstraint("certificate_id"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_number"), ["number"], unique=False)

    op.create_table(
        "custody",
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("document", sa.LargeBinary(length=32), nullable=False),
        sa.Column("chains", sa.LargeBinary(length=32), nullable=False),
        sa.Column("record", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tx", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block", "log_index"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("custody", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_custody_token_id"), ["token_id"], unique=False)

    op.create_table(
        "draws",
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("certificate_id", sa.BigInteger(), nullable=False),
        sa.Column("token_id", sa.LargeBinary(length=32), nullable=True),
        sa.Column("batch", sa.BigInteger(), nullable=True),
        sa.Column("centicarats", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("block", "log_index"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draws_certificate_id"), ["certificate_id"], unique=False)

    op.create_table(
        "flag_changes",
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("flag", sa.Integer(), nullable=False),
        sa.Column("by", sa.String(length=42), nullable=False),
        sa.Column("document", sa.LargeBinary(length=32), nullable=False),
        sa.Column("tx", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block", "log_index"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("flag_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_flag_changes_token_id"), ["token_id"], unique=False)

    op.create_table(
        "held",
        sa.Column("token_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("account", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint("token_id", "account"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("held", schema=None) as batch_op:
        batch_op.create_index("held_by_account", ["account", "token_id"], unique=False)

    op.create_table(
        "progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("registry", sa.String(length=42), nullable=False),
        sa.Column("first_block", sa.BigInteger(), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(length=66), nullable=True),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "registrations",
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("batch", sa.BigInteger(), nullable=False),
        sa.Column("registrant", sa.String(length=42), nullable=False),
        sa.Column("origin", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.Column("mine", sa.LargeBinary(length=32), nullable=False),
        sa.Column("country", sa.LargeBinary(length=2), nullable=False),
        sa.Column("stones", sa.BigInteger(), nullable=False),
        sa.Column("centicarats", sa.BigInteger(), nullable=False),
        sa.Column("tx", sa.String(length=66), nullable=False),
        sa.PrimaryKeyConstraint("block", "log_index"),
        sa.UniqueConstraint("batch"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stones",
        sa.Column("token_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("batch", sa.BigInteger(), nullable=True),
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint("token_id"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("stones", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_stones_batch"), ["batch"], unique=False)
        batch_op.create_index("stones_by_holder", ["holder", "token_id"], unique=False)

    op.create_table(
        "transfers",
        sa.Column("block", sa.BigInteger(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("token_id", sa.LargeBinary(length=32), nullable=False),
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("recipient", sa.String(length=42), nullable=False),
        sa.PrimaryKeyConstraint("block", "log_index"),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_transfers_token_id"), ["token_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("transfers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_transfers_token_id"))

    op.drop_table("transfers")
    with op.batch_alter_table("stones", schema=None) as batch_op:
        batch_op.drop_index("stones_by_holder")
        batch_op.drop_index(batch_op.f("ix_stones_batch"))

    op.drop_table("stones")
    op.drop_table("registrations")
    op.drop_table("progress")
    with op.batch_alter_table("held", schema=None) as batch_op:
        batch_op.drop_index("held_by_account")

    op.drop_table("held")
    with op.batch_alter_table("flag_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_flag_changes_token_id"))

    op.drop_table("flag_changes")
    with op.batch_alter_table("draws", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draws_certificate_id"))

    op.drop_table("draws")
    with op.batch_alter_table("custody", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_custody_token_id"))

    op.drop_table("custody")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_number"))

    op.drop_table("certificates")
    op.drop_table("blocks")
    op.drop_table("accounts")
