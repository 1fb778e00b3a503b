"""homes and accounts can be deactivated

Revision ID: 0004
Revises: 0003
Created: 2026-12-05 13:49:03.619954
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("homes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("deactivated_by", sa.String(length=100), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deactivated_at", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("deactivated_at")

    with op.batch_alter_table("homes", schema=None) as batch_op:
        batch_op.drop_column("deactivated_by")
        batch_op.drop_column("deactivated_at")
