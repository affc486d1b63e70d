"""Custody records by recipient: the stone page's custody proof takes the records absorbed into a
holder's chain from the index (checked against the chain's anchor, see `diamondtrace.proof`).

Revision ID: 0002
"""

from typing import Sequence, Union

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0002"
down_revision: Union[str, Sequence[str], None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index("custody_by_recipient", "custody", ["recipient", "block", "log_index"], unique=False)


def downgrade() -> None:
    op.drop_index("custody_by_recipient", table_name="custody")
